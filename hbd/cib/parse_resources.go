package cib

import "fmt"

func (p *parser) resources(sec *element) error {
	for _, e := range sec.children {
		r, err := p.resource(e, 0)
		if err != nil {
			return err
		}
		if r != nil {
			p.c.Resources = append(p.c.Resources, r)
		}
	}
	return nil
}

// resource converts one resource element; depth guards against clones of
// groups of clones, which Pacemaker rejects too.
func (p *parser) resource(e *element, depth int) (*Resource, error) {
	r := &Resource{ID: e.attr("id")}
	switch e.name {
	case "primitive":
		r.Kind = KindPrimitive
	case "group":
		r.Kind = KindGroup
	case "clone":
		r.Kind = KindClone
	case "master":
		r.Kind = KindClone
		r.Master = true
	case "bundle", "template":
		p.unsupported(e, e.name)
		return nil, nil
	default:
		p.unsupported(e, "unknown resource element")
		return nil, nil
	}
	if r.ID == "" {
		return nil, fmt.Errorf("cib: line %d: <%s> without id", e.line, e.name)
	}
	if depth > 2 {
		return nil, fmt.Errorf("cib: line %d: <%s> %s nested too deeply", e.line, e.name, r.ID)
	}
	if r.Kind == KindPrimitive {
		if e.attr("template") != "" {
			p.unsupported(e, "resource template reference")
		}
		r.Class, r.Provider, r.Type = e.attr("class"), e.attr("provider"), e.attr("type")
	}
	for _, ch := range e.children {
		switch ch.name {
		case "meta_attributes":
			s, err := p.nvset(ch)
			if err != nil {
				return nil, err
			}
			r.Meta = append(r.Meta, s)
		case "instance_attributes":
			s, err := p.nvset(ch)
			if err != nil {
				return nil, err
			}
			r.Instance = append(r.Instance, s)
		case "operations":
			if r.Kind != KindPrimitive {
				continue
			}
			ops, err := p.operations(ch)
			if err != nil {
				return nil, err
			}
			r.Ops = append(r.Ops, ops...)
		case "utilization":
			if len(ch.children) > 0 {
				p.unsupported(ch, "utilization")
			}
		case "primitive", "group", "clone", "master", "bundle":
			if r.Kind == KindPrimitive {
				return nil, fmt.Errorf("cib: line %d: <%s> inside primitive %s", ch.line, ch.name, r.ID)
			}
			kid, err := p.resource(ch, depth+1)
			if err != nil {
				return nil, err
			}
			if kid != nil {
				if r.Kind == KindGroup && kid.Kind != KindPrimitive {
					return nil, fmt.Errorf("cib: line %d: group %s may only contain primitives", ch.line, r.ID)
				}
				r.Children = append(r.Children, kid)
			}
		}
	}
	switch r.Kind {
	case KindGroup:
		if len(r.Children) == 0 {
			// Pacemaker drops empty groups with a configuration error.
			p.unsupported(e, "empty group")
		}
	case KindClone:
		if len(r.Children) != 1 {
			return nil, fmt.Errorf("cib: line %d: clone %s must contain exactly one resource", e.line, r.ID)
		}
	}
	return r, nil
}

func (p *parser) operations(e *element) ([]Op, error) {
	e, err := p.deref(e)
	if err != nil {
		return nil, err
	}
	var ops []Op
	for _, ch := range e.children {
		if ch.name != "op" {
			continue
		}
		o := Op{
			ID: ch.attr("id"), Name: ch.attr("name"), Interval: ch.attr("interval"),
			Role: ch.attr("role"), OnFail: ch.attr("on-fail"), Enabled: ch.attr("enabled"),
			Timeout: ch.attr("timeout"), StartDelay: ch.attr("start-delay"),
		}
		for _, m := range ch.children {
			if m.name == "meta_attributes" || m.name == "instance_attributes" {
				s, err := p.nvset(m)
				if err != nil {
					return nil, err
				}
				o.Meta = append(o.Meta, s)
				if m.name == "instance_attributes" {
					o.Instance = append(o.Instance, s)
				}
			}
		}
		ops = append(ops, o)
	}
	return ops, nil
}

func (p *parser) constraints(sec *element) error {
	for _, e := range sec.children {
		for _, ch := range e.children {
			if ch.name == "resource_set" {
				p.unsupported(e, "resource sets")
				break
			}
		}
		switch e.name {
		case "rsc_location":
			l := Location{
				ID: e.attr("id"), Rsc: e.attr("rsc"), Node: e.attr("node"), Score: e.attr("score"),
				Role: e.attr("role"), ResourceDiscovery: e.attr("resource-discovery"),
			}
			if e.attr("rsc-pattern") != "" {
				p.unsupported(e, "rsc-pattern")
			}
			if l.ResourceDiscovery != "" && l.ResourceDiscovery != "always" {
				p.unsupported(e, "resource-discovery="+l.ResourceDiscovery)
			}
			for _, ch := range e.children {
				if ch.name == "rule" {
					r, err := p.rule(ch)
					if err != nil {
						return err
					}
					l.Rules = append(l.Rules, r)
				}
			}
			p.c.Locations = append(p.c.Locations, l)
		case "rsc_colocation":
			c := Colocation{
				ID: e.attr("id"), Rsc: e.attr("rsc"), WithRsc: e.attr("with-rsc"), Score: e.attr("score"),
				RscRole: e.attr("rsc-role"), WithRscRole: e.attr("with-rsc-role"),
				NodeAttribute: e.attr("node-attribute"), Influence: e.attr("influence"),
			}
			if e.attr("rsc-instance") != "" || e.attr("with-rsc-instance") != "" {
				p.unsupported(e, "colocation with instance")
			}
			p.c.Colocations = append(p.c.Colocations, c)
		case "rsc_order":
			o := Order{
				ID: e.attr("id"), First: e.attr("first"), Then: e.attr("then"),
				FirstAction: e.attr("first-action"), ThenAction: e.attr("then-action"),
				Kind: e.attr("kind"), Score: e.attr("score"), Symmetrical: e.attr("symmetrical"),
				RequireAll: e.attr("require-all"),
			}
			if e.attr("first-instance") != "" || e.attr("then-instance") != "" {
				p.unsupported(e, "order with instance")
			}
			p.c.Orders = append(p.c.Orders, o)
		case "rsc_ticket":
			p.unsupported(e, "tickets")
		default:
			p.unsupported(e, "unknown constraint")
		}
	}
	return nil
}
