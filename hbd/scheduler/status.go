package scheduler

import (
	"slices"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// statusNode and statusRsc are a frozen view of the cluster for printing:
// the current status is taken before scheduling, the revised one is the
// expected result of executing the transition.
type statusNode struct {
	name        string
	online      bool
	unclean     bool
	standby     bool
	pending     bool
	maintenance bool
	hasRsc      bool
}

type statusRsc struct {
	id, agent string
	group     bool
	members   []statusRsc
	nodes     []string
	failed    bool
	managed   bool
	blocked   bool
	orphan    bool
	disabled  bool
	unclean   bool
}

func agentString(r *Resource) string {
	if r.Provider != "" {
		return r.Class + ":" + r.Provider + ":" + r.Type
	}
	return r.Class + ":" + r.Type
}

func (ws *workingSet) snapshotStatus() []statusNode {
	var out []statusNode
	for _, n := range ws.nodes {
		online := n.Online || n.displayOnline
		has := false
		for _, r := range ws.primitives() {
			for _, rn := range r.runningOn {
				if rn == n {
					has = true
				}
			}
		}
		out = append(out, statusNode{name: n.Name, online: online, unclean: n.Unclean, standby: n.Standby && !n.Pending,
			pending: n.Pending, maintenance: n.Maintenance, hasRsc: has})
	}
	return out
}

// revisedStatus is the node list after the transition: fenced nodes are
// down and clean.
func (ws *workingSet) revisedStatus() []statusNode {
	out := ws.snapshotStatus()
	for i, n := range ws.nodes {
		for _, f := range ws.nodeActions {
			if f.node == n && !f.optional {
				out[i].online = false
				out[i].unclean = false
			}
		}
		out[i].hasRsc = false
		for _, r := range ws.primitives() {
			if r.revisedNode() == n {
				out[i].hasRsc = true
			}
		}
	}
	return out
}

// revisedNodes is where a primitive runs once crm_simulate has executed
// the transition: an unmanaged resource stays wherever it is active, a
// managed one where its stop cannot run, plus the node its start runs on
// (or where it already is and the start is not needed).
func (r *Resource) revisedNodes() []*Node {
	if !r.managed {
		return r.runningOn
	}
	var out []*Node
	for _, n := range r.runningOn {
		if stop := findAction(r, "stop", n); stop != nil && !stop.runnable {
			out = append(out, n)
		}
	}
	next := r.allocatedTo
	if next != nil && !slices.Contains(out, next) {
		start := findAction(r, "start", next)
		if start != nil && (start.runnable || (start.optional && slices.Contains(r.runningOn, next))) {
			out = append(out, next)
		}
	}
	return out
}

// revisedNode is the first of revisedNodes, or nil.
func (r *Resource) revisedNode() *Node {
	if ns := r.revisedNodes(); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

func writeNodeList(b *strings.Builder, nodes []statusNode) {
	b.WriteString("  * Node List:\n")
	var online, offline []string
	for _, n := range nodes {
		switch {
		case n.unclean && n.online:
			b.WriteString("    * Node " + n.name + ": UNCLEAN (online)\n")
		case n.unclean:
			b.WriteString("    * Node " + n.name + ": UNCLEAN (offline)\n")
		case n.pending:
			b.WriteString("    * Node " + n.name + ": pending\n")
		case n.standby && !n.online:
			b.WriteString("    * Node " + n.name + ": OFFLINE (standby)\n")
		case n.maintenance && !n.online:
			b.WriteString("    * Node " + n.name + ": OFFLINE (maintenance)\n")
		case n.standby && n.hasRsc:
			b.WriteString("    * Node " + n.name + ": standby (with active resources)\n")
		case n.standby:
			b.WriteString("    * Node " + n.name + ": standby\n")
		case n.maintenance:
			b.WriteString("    * Node " + n.name + ": maintenance\n")
		case n.online:
			online = append(online, n.name)
		default:
			offline = append(offline, n.name)
		}
	}
	if len(online) > 0 {
		b.WriteString("    * Online: [ " + strings.Join(online, " ") + " ]\n")
	}
	if len(offline) > 0 {
		b.WriteString("    * OFFLINE: [ " + strings.Join(offline, " ") + " ]\n")
	}
}

// rscLine describes a primitive for the status listing.
func rscLine(r *Resource, nodes []*Node, role Role, failed bool) string {
	var b strings.Builder
	b.WriteString(r.ID + "\t(" + agentString(r) + "):\t ")
	if r.orphan {
		b.WriteString("ORPHANED ")
	}
	var flags []string
	unclean := false
	for _, n := range nodes {
		if n.Unclean {
			unclean = true
		}
	}
	switch {
	case len(nodes) == 0:
		b.WriteString("Stopped")
	case failed:
		b.WriteString("FAILED")
	default:
		if role == RoleStopped || role == RoleUnknown {
			role = RoleStarted
		}
		b.WriteString(role.String())
	}
	if len(nodes) == 1 {
		b.WriteString(" " + nodes[0].Name)
	}
	if unclean {
		flags = append(flags, "UNCLEAN")
	}
	if r.targetRole == RoleStopped {
		flags = append(flags, "disabled")
	}
	if !r.managed {
		if r.blocked {
			flags = append(flags, "blocked")
		} else {
			flags = append(flags, "unmanaged")
		}
	}
	if len(flags) > 0 {
		b.WriteString(" (" + strings.Join(flags, ", ") + ")")
	}
	// pcmk__native_output_string: a multiply active resource lists its
	// nodes after the flags.
	if len(nodes) > 1 {
		names := make([]string, len(nodes))
		for i, n := range nodes {
			names[i] = n.Name
		}
		b.WriteString(" [ " + strings.Join(names, " ") + " ]")
	}
	return b.String()
}

func writeResources(b *strings.Builder, rscs []*Resource, revised bool) {
	b.WriteString("  * Full List of Resources:\n")
	if len(rscs) == 0 {
		b.WriteString("    * No resources\n")
	}
	for _, r := range rscs {
		writeResource(b, r, "    ", revised)
	}
}

// placement is where a primitive is (current) or will be (revised), and
// in which role.
func placement(r *Resource, revised bool) ([]*Node, Role, bool) {
	if !revised {
		return r.runningOn, r.role, r.failed
	}
	nodes := r.revisedNodes()
	if len(nodes) == 0 {
		return nil, RoleStopped, false
	}
	n := nodes[0]
	role := r.nextRole
	if !r.managed || role == RoleUnknown || role == RoleStopped {
		role = r.role
	}
	if p := findAction(r, "promote", n); p != nil && !p.runnable && role == RolePromoted {
		role = RoleUnpromoted
	}
	// The failure stays in the history of a node where nothing ran: the
	// resource is unmanaged or its stop there was blocked.
	failed := false
	for _, m := range nodes {
		if r.failed && slices.Contains(r.runningOn, m) {
			if stop := findAction(r, "stop", m); !r.managed || (stop != nil && !stop.runnable) {
				failed = true
			}
		}
	}
	return nodes, role, failed
}

func writeResource(b *strings.Builder, r *Resource, indent string, revised bool) {
	switch r.Kind {
	case cib.KindGroup:
		var flags []string
		if !r.managed {
			flags = append(flags, "unmanaged")
		}
		if r.targetRole == RoleStopped {
			flags = append(flags, "disabled")
		}
		suffix := ""
		if len(flags) > 0 {
			suffix = " (" + strings.Join(flags, ", ") + ")"
		}
		b.WriteString(indent + "* Resource Group: " + r.ID + suffix + ":\n")
		for _, c := range r.Children {
			writeResource(b, c, indent+"  ", revised)
		}
		return
	case cib.KindClone:
		writeClone(b, r, indent, revised)
		return
	}
	nodes, role, failed := placement(r, revised)
	if revised && r.orphan && len(nodes) == 0 {
		return
	}
	b.WriteString(indent + "* " + rscLine(r, nodes, role, failed) + "\n")
}

// writeClone is pe__clone_default: unique clones list every instance,
// anonymous ones summarise instances by role with node lists.
func writeClone(b *strings.Builder, c *Resource, indent string, revised bool) {
	var flags []string
	if c.promotable {
		flags = append(flags, "promotable")
	}
	if c.unique {
		flags = append(flags, "unique")
	}
	if c.targetRole == RoleStopped {
		flags = append(flags, "disabled")
	}
	if !c.managed {
		flags = append(flags, "unmanaged")
	}
	base := c.ID
	if len(c.xml.Children) > 0 {
		base = c.xml.Children[0].ID
	}
	b.WriteString(indent + "* Clone Set: " + c.ID + " [" + base + "]")
	if len(flags) > 0 {
		b.WriteString(" (" + strings.Join(flags, ", ") + ")")
	}
	b.WriteString(":\n")
	inner := indent + "  "
	insts := slices.Clone(c.Children)
	slices.SortStableFunc(insts, func(x, y *Resource) int { return naturalCompare(x.ID, y.ID) })
	if c.unique {
		for _, inst := range insts {
			writeResource(b, inst, inner, revised)
		}
		return
	}
	byRole := map[Role][]string{}
	active := map[*Node]bool{}
	for _, inst := range insts {
		if inst.Kind != cib.KindPrimitive {
			writeResource(b, inst, inner, revised)
			for _, m := range inst.Children {
				ns, _, _ := placement(m, revised)
				for _, n := range ns {
					active[n] = true
				}
			}
			continue
		}
		nodes, role, failed := placement(inst, revised)
		for _, n := range nodes {
			active[n] = true
		}
		if len(nodes) == 0 {
			continue
		}
		if failed || !inst.managed || len(nodes) > 1 || inst.orphan {
			writeResource(b, inst, inner, revised)
			continue
		}
		byRole[role] = append(byRole[role], nodes[0].Name)
	}
	for _, role := range []Role{RolePromoted, RoleStarted, RoleUnpromoted} {
		names := byRole[role]
		if len(names) == 0 {
			continue
		}
		slices.SortFunc(names, naturalCompare)
		b.WriteString(inner + "* " + role.String() + ": [ " + strings.Join(names, " ") + " ]\n")
	}
	var stopped []string
	for i, n := range c.nodesForStatus {
		if n && !active[c.statusNodes[i]] {
			stopped = append(stopped, c.statusNodes[i].Name)
		}
	}
	if len(stopped) > 0 {
		slices.SortFunc(stopped, naturalCompare)
		label := "Stopped"
		if c.targetRole == RoleStopped {
			label = "Stopped (disabled)"
		}
		b.WriteString(inner + "* " + label + ": [ " + strings.Join(stopped, " ") + " ]\n")
	}
}

// naturalCompare is pcmk__numeric_strcasecmp: digit runs compare as
// numbers, the rest case-insensitively.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := 0, 0
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return cmpInt64(int64(len(na)), int64(len(nb)))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		ca, cb := toLower(a[0]), toLower(b[0])
		if ca != cb {
			return cmpInt64(int64(ca), int64(cb))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt64(int64(len(a)), int64(len(b)))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// CurrentStatus renders "Current cluster status:" as crm_simulate does,
// with the notices crm_simulate prints before it.
func (t *Transition) CurrentStatus() string {
	var b strings.Builder
	b.WriteString(t.header)
	b.WriteString("Current cluster status:\n")
	writeNodeList(&b, t.current)
	b.WriteString("\n")
	writeResources(&b, t.rscs, false)
	return b.String()
}

// RevisedStatus renders "Revised Cluster Status:" for the state after the
// transition has been executed successfully.
func (t *Transition) RevisedStatus() string {
	var b strings.Builder
	b.WriteString("Revised Cluster Status:\n")
	writeNodeList(&b, t.revised)
	b.WriteString("\n")
	writeResources(&b, t.rscs, true)
	return b.String()
}

// Render is the crm_simulate -S layout without the executed actions:
// current status, Transition Summary, revised status.
func (t *Transition) Render() string {
	var b strings.Builder
	b.WriteString(t.CurrentStatus())
	b.WriteString("\nTransition Summary:\n")
	b.WriteString(t.SummaryText())
	b.WriteString("\nExecuting Cluster Transition:\n\n")
	b.WriteString(t.RevisedStatus())
	return b.String()
}
