package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// SummaryLine is one line of crm_simulate's Transition Summary.
type SummaryLine struct {
	Verb     string // Start, Stop, Move, Recover, Restart, Fence (reboot), ...
	Resource string // empty for node actions
	Node     string // node actions: the node
	Details  string // the text inside the parentheses
	Reason   string // "due to ..." suffix without the leading spaces, or ""
}

// summaryWriter reproduces rsc_action_item's column widths, which only
// grow within one process (static variables in pcmk_output.c).
type summaryWriter struct {
	rscWidth    int
	detailWidth int
	lines       []string
}

func newSummaryWriter() *summaryWriter { return &summaryWriter{rscWidth: 5, detailWidth: 5} }

func (w *summaryWriter) add(l SummaryLine) {
	if l.Resource == "" {
		w.lines = append(w.lines, fmt.Sprintf("  * %s %s '%s'", l.Verb, l.Node, l.Reason))
		return
	}
	if n := len(l.Resource); n > w.rscWidth {
		w.rscWidth = n + 2
	}
	if n := len(l.Details); n > w.detailWidth {
		w.detailWidth = n
	}
	sep := ""
	if l.Reason != "" {
		sep = "  "
	}
	w.lines = append(w.lines, fmt.Sprintf("  * %-8s   %-*s   ( %*s )%s%s", l.Verb, w.rscWidth, l.Resource, w.detailWidth, l.Details, sep, l.Reason))
}

// summarize is pcmk__output_actions: the required fencing actions first
// (reboots and unfencing alike, in creation order), then each resource's
// rsc_action_default.
func (ws *workingSet) summarize() []SummaryLine {
	var out []SummaryLine
	for _, a := range ws.actions {
		if a.rsc != nil || a.task != "stonith" || a.optional {
			continue
		}
		out = append(out, SummaryLine{Verb: "Fence (" + a.fenceType + ")", Node: a.node.Name, Reason: a.reason})
	}
	var walk func(r *Resource)
	walk = func(r *Resource) {
		if r.Kind == cib.KindClone {
			// Assignment reorders a clone's instances (pcmk__cmp_instance),
			// but crm_simulate lists them by instance number.
			insts := slices.Clone(r.Children)
			slices.SortStableFunc(insts, func(a, b *Resource) int { return cmp.Compare(a.instanceNum, b.instanceNum) })
			for _, c := range insts {
				walk(c)
			}
			return
		}
		if r.Kind != cib.KindPrimitive {
			for _, c := range r.Children {
				walk(c)
			}
			return
		}
		out = append(out, ws.rscActionLines(r)...)
	}
	for _, r := range ws.resources {
		walk(r)
	}
	return out
}

// itemLine is rsc_action_item: the details text depends on whether the
// role matters (promotable instances), the nodes and the roles.
func itemLine(verb string, r *Resource, role Role, origin, dest *Node, act, source *action) SummaryLine {
	if source == nil {
		source = act
	}
	needRole := role > RoleStarted || r.nextRole > RoleUnpromoted
	sameHost := origin != nil && dest != nil && origin == dest
	sameRole := role == r.nextRole
	var details string
	switch {
	case needRole && origin == nil:
		details = role.String() + " -> " + r.nextRole.String() + " " + dest.Name
	case origin == nil:
		details = dest.Name
	case needRole && dest == nil:
		details = role.String() + " " + origin.Name
	case dest == nil:
		details = origin.Name
	case needRole && sameRole && sameHost:
		details = role.String() + " " + origin.Name
	case sameRole && sameHost:
		details = origin.Name
	case needRole && sameRole:
		details = origin.Name + " -> " + dest.Name + " " + role.String()
	case sameRole:
		details = origin.Name + " -> " + dest.Name
	case sameHost:
		details = role.String() + " -> " + r.nextRole.String() + " " + origin.Name
	default:
		details = role.String() + " " + origin.Name + " -> " + r.nextRole.String() + " " + dest.Name
	}
	reason := ""
	runnable := act == nil || act.runnable
	switch {
	case source != nil && source.reason != "" && !runnable:
		reason = "due to " + source.reason + " (blocked)"
	case source != nil && source.reason != "":
		reason = "due to " + source.reason
	case !runnable:
		reason = "blocked"
	}
	return SummaryLine{Verb: verb, Resource: r.ID, Details: details, Reason: reason}
}

// rscActionLines is rsc_action_default for a primitive.
func (ws *workingSet) rscActionLines(r *Resource) []SummaryLine {
	next := r.allocatedTo
	current := r.currentNode()
	role := r.role
	if current != nil && role == RoleStopped {
		role = RoleStarted
	}
	if current == nil && r.orphan {
		return nil
	}
	if !r.managed || (current == nil && next == nil) {
		return nil
	}
	moving := current != nil && next != nil && current != next
	start := findFirstAction(r, "start", next)
	if next == nil {
		start = findAction(r, "start", nil)
	}
	var stop *action
	if start == nil || !start.runnable {
		stop = findActionAnyNode(r, "stop")
	} else {
		stop = findFirstAction(r, "stop", current)
	}
	promote := findFirstAction(r, "promote", next)
	demote := findFirstAction(r, "demote", next)
	if next == nil {
		promote = findAction(r, "promote", nil)
		demote = findAction(r, "demote", nil)
	}
	line := func(verb string, origin, dest *Node, act, source *action) []SummaryLine {
		return []SummaryLine{itemLine(verb, r, role, origin, dest, act, source)}
	}
	if role == r.nextRole {
		if next == nil {
			return nil
		}
		switch {
		case r.reload && start != nil:
			return line("Reload", current, next, start, nil)
		case start == nil || start.optional:
			if demote != nil && promote != nil && !demote.optional && !promote.optional {
				return line("Re-promote", current, next, promote, demote)
			}
			return nil
		case !start.runnable:
			src := start
			if stop != nil && stop.reason != "" {
				src = stop
			}
			return line("Stop", current, nil, stop, src)
		case moving && current != nil:
			verb := "Move"
			if r.failed {
				verb = "Recover"
			}
			return line(verb, current, next, stop, nil)
		case r.failed:
			return line("Recover", current, nil, stop, nil)
		default:
			return line("Restart", current, next, start, nil)
		}
	}
	if stop != nil && (r.nextRole == RoleStopped || (start != nil && !start.runnable)) {
		var out []SummaryLine
		for _, n := range r.runningOn {
			stopOp := findAction(r, "stop", n)
			src := start
			if stopOp != nil && stopOp.reason != "" {
				src = stopOp
			}
			out = append(out, itemLine("Stop", r, role, n, nil, stopOp, src))
		}
		return out
	}
	switch {
	case stop != nil && r.failed && r.stopIfFailed:
		return line("Recover", current, next, stop, start)
	case moving:
		return line("Move", current, next, stop, nil)
	case stop != nil && !stop.optional:
		return line("Restart", current, next, start, nil)
	case role == RolePromoted:
		return line("Demote", current, next, demote, nil)
	case r.nextRole == RolePromoted && next != nil:
		return line("Promote", current, next, promote, nil)
	case role == RoleStopped && r.nextRole > RoleStopped && next != nil:
		return line("Start", current, next, start, nil)
	}
	return nil
}

// formatSummary renders the lines like crm_simulate. The scheduler has
// already logged every action through the same rsc_action_item before
// crm_simulate prints the summary, so the static widths start at their
// final values: every line is padded like the widest (the corpus's
// promoted-with-blocked shows a short first line padded to a later one).
func formatSummary(lines []SummaryLine) string {
	w := newSummaryWriter()
	for _, l := range lines {
		w.add(l)
	}
	w.lines = nil
	for _, l := range lines {
		w.add(l)
	}
	var b strings.Builder
	for _, l := range w.lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}
