package crmoracle

import (
	"fmt"
	"strings"
)

// Status is a parsed "Current cluster status" or "Revised Cluster Status"
// section.
type Status struct {
	Nodes     []NodeState // in output order
	Resources []*Resource // top-level, in output order
}

// NodeState is one node of the Node List. State is the word crm_simulate
// prints: "Online" and "OFFLINE" (from the "Online: [ … ]" lists), or the
// text after "Node NAME: ", such as "standby", "UNCLEAN (offline)" or
// "OFFLINE (maintenance)".
type NodeState struct {
	Name  string
	State string
}

// Kind tells the lines of the resource list apart.
type Kind int

const (
	// Primitive is "id (class:provider:type): Role node (flags)".
	Primitive Kind = iota
	// Group is "Resource Group: id (flags):" with its members below.
	Group
	// Clone is "Clone Set: id [child] (flags):" with its instances below.
	Clone
	// CloneSummary is a clone's collapsed instance list "Role (flags): [ … ]".
	CloneSummary
)

func (k Kind) String() string {
	return [...]string{"primitive", "group", "clone", "clone summary"}[k]
}

// Resource is one line of the resource list and its children.
type Resource struct {
	Kind Kind
	// ID is the primitive id as printed (clone instances keep ":N"), the
	// group id or the clone id. Empty for CloneSummary.
	ID string
	// Agent is "class:provider:type" (primitives only).
	Agent string
	// Child is the clone's child id from "Clone Set: id [child]".
	Child string
	// Role is Started, Stopped, Promoted, Unpromoted (primitives and
	// summaries). A failed primitive has Failed set and the role it failed
	// in (Started unless printed otherwise, e.g. "FAILED Promoted node1").
	Role   string
	Failed bool
	// Orphaned marks a resource found in the status but not configured.
	Orphaned bool
	// Nodes are the nodes a primitive is active on (more than one when it
	// is multiply active) or a summary line's node list.
	Nodes []string
	// Flags are the parenthesised qualifiers: "unmanaged", "blocked",
	// "disabled", "failure ignored", "promotable", "unique", …
	Flags    []string
	Children []*Resource
}

// parseStatus parses the indented lines of a status section.
func parseStatus(lines []numbered) (*Status, error) {
	st := &Status{}
	const (
		none = iota
		nodes
		resources
	)
	mode := none
	// stack[i] is the open container at indentation level i+1.
	var stack []*Resource
	for _, l := range lines {
		indent := len(l.text) - len(strings.TrimLeft(l.text, " "))
		body := strings.TrimSpace(l.text)
		item, ok := strings.CutPrefix(body, "* ")
		if !ok {
			return nil, fmt.Errorf("line %d: expected a \"* \" item: %q", l.no, body)
		}
		if indent == 2 {
			switch item {
			case "Node List:":
				mode = nodes
			case "Full List of Resources:":
				mode, stack = resources, nil
			default:
				return nil, fmt.Errorf("line %d: unknown status list %q", l.no, item)
			}
			continue
		}
		switch mode {
		case nodes:
			ns, err := parseNodeLine(item)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", l.no, err)
			}
			st.Nodes = append(st.Nodes, ns...)
		case resources:
			if item == "No resources" {
				continue
			}
			// Top-level resources are at indent 4, each nesting adds 2.
			depth := (indent - 4) / 2
			if indent%2 != 0 || depth < 0 || depth > len(stack) {
				return nil, fmt.Errorf("line %d: unexpected indentation %d", l.no, indent)
			}
			stack = stack[:depth]
			var parent *Resource
			if depth > 0 {
				parent = stack[depth-1]
			}
			r, err := parseResourceLine(item, parent)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", l.no, err)
			}
			if parent == nil {
				st.Resources = append(st.Resources, r)
			} else {
				parent.Children = append(parent.Children, r)
			}
			if r.Kind == Group || r.Kind == Clone {
				stack = append(stack, r)
			}
		default:
			return nil, fmt.Errorf("line %d: %q outside the node and resource lists", l.no, item)
		}
	}
	return st, nil
}

// parseNodeLine parses "Online: [ a b ]" or "Node a: standby".
func parseNodeLine(item string) ([]NodeState, error) {
	if rest, ok := strings.CutPrefix(item, "Node "); ok {
		name, state, ok := strings.Cut(rest, ": ")
		if !ok || name == "" {
			return nil, fmt.Errorf("malformed node line %q", item)
		}
		return []NodeState{{Name: name, State: state}}, nil
	}
	state, list, ok := strings.Cut(item, ": ")
	if !ok {
		return nil, fmt.Errorf("malformed node line %q", item)
	}
	names, err := bracketList(list)
	if err != nil {
		return nil, fmt.Errorf("node line %q: %w", item, err)
	}
	out := make([]NodeState, len(names))
	for i, n := range names {
		out[i] = NodeState{Name: n, State: state}
	}
	return out, nil
}

// bracketList parses "[ a b c ]".
func bracketList(s string) ([]string, error) {
	inner, ok := strings.CutPrefix(s, "[")
	if ok {
		inner, ok = strings.CutSuffix(inner, "]")
	}
	if !ok {
		return nil, fmt.Errorf("expected \"[ … ]\", got %q", s)
	}
	return strings.Fields(inner), nil
}

func parseResourceLine(item string, parent *Resource) (*Resource, error) {
	if rest, ok := strings.CutPrefix(item, "Resource Group: "); ok {
		id, flags, err := headerFlags(rest)
		if err != nil {
			return nil, err
		}
		return &Resource{Kind: Group, ID: id, Flags: flags}, nil
	}
	if rest, ok := strings.CutPrefix(item, "Clone Set: "); ok {
		head, flags, err := headerFlags(rest)
		if err != nil {
			return nil, err
		}
		id, child, ok := strings.Cut(head, " [")
		child, ok2 := strings.CutSuffix(child, "]")
		if !ok || !ok2 || id == "" || child == "" {
			return nil, fmt.Errorf("malformed clone header %q", item)
		}
		return &Resource{Kind: Clone, ID: id, Child: child, Flags: flags}, nil
	}
	if id, rest, ok := strings.Cut(item, "\t"); ok {
		return parsePrimitive(id, rest)
	}
	if parent != nil && parent.Kind == Clone {
		return parseCloneSummary(item)
	}
	return nil, fmt.Errorf("unrecognised resource line %q", item)
}

// headerFlags splits "id (f1, f2):" into id and flags.
func headerFlags(s string) (string, []string, error) {
	s, ok := strings.CutSuffix(s, ":")
	if !ok {
		return "", nil, fmt.Errorf("header %q does not end in \":\"", s)
	}
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndex(s, " ("); i >= 0 {
			return s[:i], splitFlags(s[i+2 : len(s)-1]), nil
		}
	}
	return s, nil, nil
}

func splitFlags(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parsePrimitive parses "(agent):\t Role node (flags)" after the id and tab.
func parsePrimitive(id, rest string) (*Resource, error) {
	agent, state, ok := strings.Cut(rest, ":\t")
	if !ok || !strings.HasPrefix(agent, "(") || !strings.HasSuffix(agent, ")") {
		return nil, fmt.Errorf("primitive %q: malformed agent in %q", id, rest)
	}
	r := &Resource{Kind: Primitive, ID: id, Agent: agent[1 : len(agent)-1]}
	words, flags, err := splitState(state)
	if err != nil {
		return nil, fmt.Errorf("primitive %q: %w", id, err)
	}
	r.Flags = flags
	if len(words) > 0 && words[0] == "ORPHANED" {
		r.Orphaned, words = true, words[1:]
	}
	if len(words) > 0 && words[0] == "FAILED" {
		r.Failed, words = true, words[1:]
		r.Role = "Started"
		if len(words) > 0 && isRole(words[0]) {
			r.Role, words = words[0], words[1:]
		}
	} else if len(words) > 0 && isRole(words[0]) {
		r.Role, words = words[0], words[1:]
	} else {
		return nil, fmt.Errorf("primitive %q: no role in %q", id, state)
	}
	if len(words) > 0 {
		r.Nodes = words
	}
	if r.Role == "Stopped" && len(r.Nodes) > 0 {
		return nil, fmt.Errorf("primitive %q: stopped but on nodes %v", id, r.Nodes)
	}
	return r, nil
}

// parseCloneSummary parses "Started: [ a b ]" or "Stopped (disabled): [ c ]".
func parseCloneSummary(item string) (*Resource, error) {
	head, list, ok := strings.Cut(item, ": ")
	if !ok {
		return nil, fmt.Errorf("malformed clone instance line %q", item)
	}
	role, flags := head, []string(nil)
	if i := strings.Index(head, " ("); i >= 0 && strings.HasSuffix(head, ")") {
		role, flags = head[:i], splitFlags(head[i+2:len(head)-1])
	}
	if !isRole(role) {
		return nil, fmt.Errorf("clone instance line %q: unknown role %q", item, role)
	}
	nodes, err := bracketList(list)
	if err != nil {
		return nil, fmt.Errorf("clone instance line %q: %w", item, err)
	}
	return &Resource{Kind: CloneSummary, Role: role, Flags: flags, Nodes: nodes}, nil
}

// splitState splits " Started node1 (unmanaged)" or " FAILED (blocked) [ a b ]"
// into the words outside parentheses and brackets removed, and the flags.
func splitState(s string) (words, flags []string, err error) {
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		switch s[0] {
		case '(':
			end := strings.IndexByte(s, ')')
			if end < 0 {
				return nil, nil, fmt.Errorf("unclosed \"(\" in %q", s)
			}
			flags = append(flags, splitFlags(s[1:end])...)
			s = s[end+1:]
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, nil, fmt.Errorf("unclosed \"[\" in %q", s)
			}
			words = append(words, strings.Fields(s[1:end])...)
			s = s[end+1:]
		default:
			end := strings.IndexAny(s, " \t")
			if end < 0 {
				end = len(s)
			}
			words = append(words, s[:end])
			s = s[end:]
		}
	}
	return words, flags, nil
}

// isRole reports whether w is a role word crm_simulate 2.1.5 prints. The
// pre-2.1 names are accepted too, for output of older CIB tools.
func isRole(w string) bool {
	switch w {
	case "Started", "Stopped", "Promoted", "Unpromoted", "Starting", "Stopping", "Migrating",
		"Master", "Slave":
		return true
	}
	return false
}
