package cib

import (
	"fmt"
	"io"
)

// ReadFile-style helper: Read parses a CIB from r, reading at most
// MaxInputBytes+1 bytes so that an oversized input is refused, not truncated.
func Read(r io.Reader) (*CIB, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cib: reading input: %w", err)
	}
	return Parse(data)
}

// Parse parses a complete <cib> document. Structural errors (malformed XML,
// wrong root, resources without ids, dangling id-refs) are returned as
// errors; features hbd does not implement are listed in CIB.Unsupported.
func Parse(data []byte) (*CIB, error) {
	root, err := parseDOM(data)
	if err != nil {
		return nil, err
	}
	if root.name != "cib" {
		return nil, fmt.Errorf("cib: root element is <%s>, want <cib>", root.name)
	}
	p := &parser{ids: map[string]*element{}}
	p.indexIDs(root)
	c := &CIB{
		ValidateWith:  root.attr("validate-with"),
		FeatureSet:    root.attr("crm_feature_set"),
		HaveQuorum:    root.attr("have-quorum"),
		ExecutionDate: root.attr("execution-date"),
		DCUUID:        root.attr("dc-uuid"),
	}
	p.c = c
	conf := root.child("configuration")
	if conf == nil {
		return nil, fmt.Errorf("cib: line %d: <cib> has no <configuration>", root.line)
	}
	if err := p.configuration(conf); err != nil {
		return nil, err
	}
	if st := root.child("status"); st != nil {
		if err := p.status(st); err != nil {
			return nil, err
		}
	}
	return c, nil
}

type parser struct {
	c   *CIB
	ids map[string]*element // every element with an id, for id-ref
}

func (p *parser) indexIDs(e *element) {
	if id := e.attr("id"); id != "" && !e.hasAttr("id-ref") {
		if _, dup := p.ids[id]; !dup {
			p.ids[id] = e
		}
	}
	for _, ch := range e.children {
		p.indexIDs(ch)
	}
}

func (p *parser) unsupported(e *element, what string) {
	id := e.attr("id")
	if id == "" {
		id = "(no id)"
	}
	p.c.Unsupported = append(p.c.Unsupported, fmt.Sprintf("line %d: <%s> %s: %s", e.line, e.name, id, what))
}

// deref follows an id-ref attribute to the referenced element of the same
// kind, as Pacemaker's expand_idref does.
func (p *parser) deref(e *element) (*element, error) {
	ref := e.attr("id-ref")
	if ref == "" {
		return e, nil
	}
	t, ok := p.ids[ref]
	if !ok {
		return nil, fmt.Errorf("cib: line %d: <%s> id-ref %q names no element", e.line, e.name, ref)
	}
	if t.name != e.name {
		return nil, fmt.Errorf("cib: line %d: <%s> id-ref %q names a <%s>", e.line, e.name, ref, t.name)
	}
	return t, nil
}

func (p *parser) configuration(conf *element) error {
	for _, sec := range conf.children {
		var err error
		switch sec.name {
		case "crm_config":
			p.c.CRMConfig, err = p.nvsets(sec, "cluster_property_set")
		case "rsc_defaults":
			p.c.RscDefaults, err = p.nvsets(sec, "meta_attributes")
		case "op_defaults":
			p.c.OpDefaults, err = p.nvsets(sec, "meta_attributes")
		case "nodes":
			err = p.nodes(sec)
		case "resources":
			err = p.resources(sec)
		case "constraints":
			err = p.constraints(sec)
		case "fencing-topology", "acls", "alerts":
			// The scheduler never reads these (spec §3.3: neutral).
		case "tags":
			if len(sec.children) > 0 {
				p.unsupported(sec, "tags")
			}
		default:
			p.unsupported(sec, "unknown configuration section")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// nvsets converts the children named kind of e into NVSets.
func (p *parser) nvsets(e *element, kind string) ([]NVSet, error) {
	var out []NVSet
	for _, ch := range e.children {
		if ch.name != kind {
			if ch.name == "attributes" {
				return nil, fmt.Errorf("cib: line %d: pre-1.0 <attributes> wrapper is not accepted by Pacemaker 2.1.5", ch.line)
			}
			continue
		}
		s, err := p.nvset(ch)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) nvset(e *element) (NVSet, error) {
	e, err := p.deref(e)
	if err != nil {
		return NVSet{}, err
	}
	s := NVSet{ID: e.attr("id"), Score: e.attr("score")}
	for _, ch := range e.children {
		switch ch.name {
		case "nvpair":
			t, err := p.deref(ch)
			if err != nil {
				return NVSet{}, err
			}
			name := t.attr("name")
			if ch.attr("name") != "" {
				// An nvpair with both id-ref and name takes the value of the
				// referenced pair under its own name (unpack_nvpair_xml).
				name = ch.attr("name")
			}
			s.Pairs = append(s.Pairs, NVPair{ID: t.attr("id"), Name: name, Value: t.attr("value")})
		case "rule":
			if s.Rule != nil {
				p.unsupported(ch, "more than one rule in an attribute set")
				continue
			}
			r, err := p.rule(ch)
			if err != nil {
				return NVSet{}, err
			}
			s.Rule = r
			p.unsupported(ch, "rule inside an attribute set")
		case "attributes":
			return NVSet{}, fmt.Errorf("cib: line %d: pre-1.0 <attributes> wrapper is not accepted by Pacemaker 2.1.5", ch.line)
		}
	}
	return s, nil
}

func (p *parser) rule(e *element) (*Rule, error) {
	e, err := p.deref(e)
	if err != nil {
		return nil, err
	}
	r := &Rule{
		ID:             e.attr("id"),
		Score:          e.attr("score"),
		ScoreAttribute: e.attr("score-attribute"),
		BooleanOp:      e.attr("boolean-op"),
		Role:           e.attr("role"),
	}
	for _, ch := range e.children {
		switch ch.name {
		case "expression":
			x, err := p.deref(ch)
			if err != nil {
				return nil, err
			}
			ex := Expression{
				ID: x.attr("id"), Attribute: x.attr("attribute"), Operation: x.attr("operation"),
				Value: x.attr("value"), Type: x.attr("type"), ValueSource: x.attr("value-source"),
			}
			if ex.ValueSource != "" && ex.ValueSource != "literal" {
				p.unsupported(ch, "value-source "+ex.ValueSource)
			}
			r.Expressions = append(r.Expressions, ex)
		case "rule":
			sub, err := p.rule(ch)
			if err != nil {
				return nil, err
			}
			r.Rules = append(r.Rules, sub)
		case "date_expression":
			p.unsupported(ch, "date expression")
		case "rsc_expression", "op_expression":
			p.unsupported(ch, ch.name)
		default:
			p.unsupported(ch, "unknown rule element")
		}
	}
	if r.ScoreAttribute != "" {
		p.unsupported(e, "score-attribute")
	}
	return r, nil
}

func (p *parser) nodes(sec *element) error {
	for _, e := range sec.children {
		if e.name != "node" {
			p.unsupported(e, "unknown element in <nodes>")
			continue
		}
		n := Node{ID: e.attr("id"), Uname: e.attr("uname"), Type: e.attr("type")}
		if n.ID == "" {
			return fmt.Errorf("cib: line %d: <node> without id", e.line)
		}
		if n.Uname == "" {
			n.Uname = n.ID
		}
		switch n.Type {
		case "", "member", "normal":
		default:
			p.unsupported(e, "node type "+n.Type)
		}
		for _, ch := range e.children {
			switch ch.name {
			case "instance_attributes":
				s, err := p.nvset(ch)
				if err != nil {
					return err
				}
				n.Attributes = append(n.Attributes, s)
			case "utilization":
				if len(ch.children) > 0 {
					p.unsupported(ch, "utilization")
				}
			}
		}
		p.c.Nodes = append(p.c.Nodes, n)
	}
	return nil
}
