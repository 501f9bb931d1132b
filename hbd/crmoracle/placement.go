package crmoracle

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Placed is one active resource instance of a final placement.
type Placed struct {
	// Rsc is the primitive id. Clone instance numbers (":N") are removed:
	// which instance lands where depends on how the status was unpacked,
	// so clones are compared by (id, node, role) (pacemaker-engine.md §4.3
	// item 14).
	Rsc    string
	Node   string
	Role   string // Started, Promoted, Unpromoted, …
	Failed bool   // still failed after the transition (blocked, unmanaged)
}

func (p Placed) String() string {
	s := p.Rsc + " " + p.Role + " " + p.Node
	if p.Failed {
		s += " FAILED"
	}
	return s
}

// ComparePlaced orders placements by resource, node, role, then failure.
func ComparePlaced(a, b Placed) int {
	if c := cmp.Compare(a.Rsc, b.Rsc); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Node, b.Node); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Role, b.Role); c != 0 {
		return c
	}
	switch {
	case a.Failed == b.Failed:
		return 0
	case a.Failed:
		return 1
	}
	return -1
}

// Placement flattens the status into the sorted multiset of active
// instances. Stopped resources do not appear.
//
// An anonymous clone's healthy instances are printed collapsed, as
// "Started: [ node1 node2 ]" under "Clone Set: c [child]"; they count as
// child on each node. When child is a group, the text does not name its
// members: members maps a group id to its member ids so that such a line
// can be expanded (nil leaves the group id as Rsc).
func (s *Status) Placement(members map[string][]string) []Placed {
	var out []Placed
	for _, r := range s.Resources {
		out = r.appendPlaced(out, false, members)
	}
	slices.SortFunc(out, ComparePlaced)
	return out
}

func (r *Resource) appendPlaced(out []Placed, inClone bool, members map[string][]string) []Placed {
	switch r.Kind {
	case Primitive:
		if r.Role == "Stopped" {
			return out
		}
		id := r.ID
		if inClone {
			id = stripInstance(id)
		}
		for _, n := range r.Nodes {
			out = append(out, Placed{Rsc: id, Node: n, Role: r.Role, Failed: r.Failed})
		}
	case CloneSummary:
		// Handled by the enclosing Clone, the only place the parser puts one.
	case Group:
		for _, c := range r.Children {
			out = c.appendPlaced(out, inClone, members)
		}
	case Clone:
		for _, c := range r.Children {
			if c.Kind != CloneSummary {
				out = c.appendPlaced(out, true, members)
				continue
			}
			if c.Role == "Stopped" {
				continue
			}
			ids := []string{r.Child}
			if m, ok := members[r.Child]; ok {
				ids = m
			}
			for _, n := range c.Nodes {
				for _, id := range ids {
					out = append(out, Placed{Rsc: id, Node: n, Role: c.Role})
				}
			}
		}
	}
	return out
}

// stripInstance removes a clone instance suffix ":N".
func stripInstance(id string) string {
	i := strings.LastIndexByte(id, ':')
	if i < 0 || i == len(id)-1 {
		return id
	}
	for _, c := range id[i+1:] {
		if c < '0' || c > '9' {
			return id
		}
	}
	return id[:i]
}

// DiffPlacement describes how got differs from want (both sorted, as
// Placement returns them) as "-want" and "+got" lines; "" when equal.
func DiffPlacement(want, got []Placed) string {
	var b strings.Builder
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && ComparePlaced(want[i], got[j]) < 0:
			fmt.Fprintf(&b, "-%s\n", want[i])
			i++
		case i == len(want) || ComparePlaced(want[i], got[j]) > 0:
			fmt.Fprintf(&b, "+%s\n", got[j])
			j++
		default:
			i++
			j++
		}
	}
	return b.String()
}

// DiffLines compares two multisets of lines (such as Transition Summaries)
// and returns "-want" and "+got" lines for the differences, sorted; "" when
// the multisets are equal.
func DiffLines(want, got []string) string {
	w, g := slices.Sorted(slices.Values(want)), slices.Sorted(slices.Values(got))
	var b strings.Builder
	i, j := 0, 0
	for i < len(w) || j < len(g) {
		switch {
		case j == len(g) || i < len(w) && w[i] < g[j]:
			fmt.Fprintf(&b, "-%s\n", w[i])
			i++
		case i == len(w) || w[i] > g[j]:
			fmt.Fprintf(&b, "+%s\n", g[j])
			j++
		default:
			i++
			j++
		}
	}
	return b.String()
}
