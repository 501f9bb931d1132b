package scheduler

import (
	"slices"

	"github.com/hbd-project/hbd/hbd/cib"
)

// scheduleProbes is pcmk__schedule_probes (pcmk_sched_probes.c, 2.1.5):
// before any other resource action is created, every online, clean node
// gets a probe (a one-shot monitor) for each resource whose state there
// is unknown. Nodes and resources are visited in working-set order, which
// fixes the probes' action ids.
func (ws *workingSet) scheduleProbes() {
	if !ws.opts.startupProbes {
		return
	}
	// data_set->nodes is kept sorted by name (pe_create_node inserts with
	// sort_node_uname), which fixes the probes' creation order.
	for _, n := range ws.nodesByName() {
		if !n.Online || n.Unclean {
			continue
		}
		for _, r := range ws.resources {
			ws.probeResource(r, n)
		}
	}
}

// nodesByName is data_set->nodes, which Pacemaker keeps sorted by name
// (pe_create_node inserts with sort_node_uname): the order its per-node
// loops create actions in.
func (ws *workingSet) nodesByName() []*Node {
	nodes := slices.Clone(ws.nodes)
	slices.SortStableFunc(nodes, func(a, b *Node) int { return naturalCompare(a.Name, b.Name) })
	return nodes
}

// probeResource is the create_probe method: a primitive gets a probe, a
// group probes its members, a clone probes its instances (unique clones)
// or one chosen instance (anonymous clones).
func (ws *workingSet) probeResource(r *Resource, n *Node) bool {
	switch r.Kind {
	case cib.KindClone:
		if r.unique {
			return ws.probeList(r.Children, n)
		}
		return ws.probeAnonymousClone(r, n)
	case cib.KindGroup:
		return ws.probeList(r.Children, n)
	}
	return ws.probePrimitive(r, n)
}

// probeList is pcmk__probe_resource_list.
func (ws *workingSet) probeList(rs []*Resource, n *Node) bool {
	any := false
	for _, r := range rs {
		if ws.probeResource(r, n) {
			any = true
		}
	}
	return any
}

// probeAnonymousClone is probe_anonymous_clone: all instances of an
// anonymous clone are interchangeable, so only one is probed per node —
// the one already known there, else the one assigned there, else the
// first.
func (ws *workingSet) probeAnonymousClone(c *Resource, n *Node) bool {
	if len(c.Children) == 0 {
		return false
	}
	var child *Resource
	for _, inst := range c.Children {
		if knownOnAny(inst, n) {
			child = inst
			break
		}
	}
	if child == nil {
		for _, inst := range c.Children {
			if instanceLocation(inst) == n {
				child = inst
				break
			}
		}
	}
	if child == nil {
		child = c.Children[0]
	}
	return ws.probeResource(child, n)
}

// knownOnAny reports whether r's state, or for a collective any of its
// members', is known on n (find_instance_on looks at the instance's
// known_on, which for a group instance collects its members').
func knownOnAny(r *Resource, n *Node) bool {
	if r.stateKnownOn[n] {
		return true
	}
	for _, c := range r.Children {
		if knownOnAny(c, n) {
			return true
		}
	}
	return false
}

// instanceLocation is rsc->fns->location(rsc, NULL, FALSE) for a clone
// instance: the assigned node, which for a group is its members'.
func instanceLocation(r *Resource) *Node {
	if r.allocatedTo != nil || len(r.Children) == 0 {
		return r.allocatedTo
	}
	for _, c := range r.Children {
		if c.allocatedTo != nil {
			return c.allocatedTo
		}
	}
	return nil
}

// probePrimitive is pcmk__probe_rsc_on_node for a primitive: no probe for
// orphans or where the state is already known; otherwise a required probe,
// ordered before the start of the resource (or of its whole clone).
func (ws *workingSet) probePrimitive(r *Resource, n *Node) bool {
	if r.orphan || r.stateKnownOn[n] {
		return false
	}
	probe := ws.customAction(r, "monitor", n, false)
	probe.optional = false
	ws.orderVsUnfence(r, n, probe, ordOptional)
	top := r.top()
	if top.Kind != cib.KindClone {
		top = r
	}
	// An unrunnable probe prevents a start, but must not stop a resource
	// (or clone) that is already active.
	flags := ordOptional
	if !probe.runnable && len(top.runningOn) == 0 {
		flags |= ordRunnableLeft
	}
	ws.orderings = append(ws.orderings, orderSpec{firstAction: probe, firstRsc: r, thenRsc: top, thenTask: "start", flags: flags})
	return true
}

// orderProbes is pcmk__order_probes: probes come before restarts and
// re-promotions of what they are ordered before, and before whatever a
// stop of their resource is ordered before.
func (ws *workingSet) orderProbes() {
	for _, r := range ws.resources {
		ws.addStartRestartOrderings(r)
	}
	ws.addProbeOrderingsForStops()
}

// addStartRestartOrderings is add_start_restart_orderings_for_rsc.
func (ws *workingSet) addStartRestartOrderings(r *Resource) {
	if r.Kind != cib.KindPrimitive {
		for _, c := range r.Children {
			ws.addStartRestartOrderings(c)
		}
		return
	}
	for _, probe := range actionsByTask(r, "monitor") {
		for _, e := range newestFirst(probe.after) {
			ws.addStartOrderingsForProbe(probe, e)
			ws.addRestartOrderingsForProbe(probe, e.action, map[*action]bool{})
		}
	}
}

// addStartOrderingsForProbe is add_start_orderings_for_probe: an
// unrunnable probe of a clone instance keeps the clone's inactive
// instances from starting (the clone-level ordering does not, so as not
// to stop active instances).
func (ws *workingSet) addStartOrderingsForProbe(probe *action, after *actionEdge) {
	then := after.action
	if then.rsc == nil || then.rsc.Kind != cib.KindClone || probe.runnable ||
		after.typ&ordRunnableLeft != 0 || probe.rsc.top() != then.rsc || then.task != "start" {
		return
	}
	for _, e := range newestFirst(then.after) {
		x := e.action
		if x.rsc == nil || len(x.rsc.runningOn) > 0 || x.rsc.top() != then.rsc || x.task != "start" {
			continue
		}
		orderActions(probe, x, ordOptional|ordRunnableLeft)
	}
}

// addRestartOrderingsForProbe is add_restart_orderings_for_probe: for a
// "probe then start/promote" ordering, also order the probe before the
// matching stop/demote (in case it is a restart), and recurse through
// what must follow.
func (ws *workingSet) addRestartOrderingsForProbe(probe, after *action, tracking map[*action]bool) {
	if after == nil || probe.rsc == nil || probe.rsc.Kind != cib.KindPrimitive || probe.task != "monitor" {
		return
	}
	if tracking[after] {
		return
	}
	tracking[after] = true
	if after.rsc != nil && after.rsc.Kind == cib.KindPrimitive && probe.rsc != after.rsc {
		var thens []*action
		switch after.task {
		case "start":
			thens = actionsByTask(after.rsc, "stop")
		case "promote":
			thens = actionsByTask(after.rsc, "demote")
		}
		for _, t := range thens {
			// Pseudo-actions (stops implied by fencing) are skipped.
			if !t.pseudo {
				orderActions(probe, t, ordOptional)
			}
		}
	}
	interleave := false
	var compatible *Resource
	if after.rsc != nil && after.rsc.Kind == cib.KindClone {
		interleave = isTrue(after.rsc.meta["interleave"])
		if interleave {
			compatible = ws.findCompatibleChild(probe.rsc, after.rsc, false)
		}
	}
	for _, e := range newestFirst(after.after) {
		next := e.action
		if e.typ&ordImpliesThen == 0 {
			// Only follow a collective's orderings down to its own
			// members (all of a group or non-interleaved clone, the
			// matching instance of an interleaved one).
			if after.rsc == nil || after.rsc.Kind == cib.KindPrimitive || probe.rsc.Parent == after.rsc ||
				next.rsc == nil || next.rsc.Kind == cib.KindClone || after.rsc != next.rsc.Parent {
				continue
			}
			if after.rsc.Kind == cib.KindClone && interleave && (compatible == nil || compatible != next.rsc) {
				continue
			}
		}
		ws.addRestartOrderingsForProbe(probe, next, tracking)
	}
}

// addProbeOrderingsForStops is add_probe_orderings_for_stops: a probe
// may find its resource running, in which case a stop would follow, so
// "stop A then X" orderings imply "probe A then X".
func (ws *workingSet) addProbeOrderingsForStops() {
	for _, o := range ws.orderings {
		if o.flags == ordNone || o.firstRsc == nil || o.firstRsc == o.thenRsc {
			continue
		}
		if o.firstAction != nil {
			if o.firstAction.task != "stop" {
				continue
			}
		} else if o.firstTask != "stop" {
			continue
		}
		probes := actionsByTask(o.firstRsc, "monitor")
		if len(probes) == 0 {
			continue
		}
		var thens []*action
		switch {
		case o.thenAction != nil:
			thens = []*action{o.thenAction}
		case o.thenRsc != nil:
			thens = actionsByTask(o.thenRsc, o.thenTask)
		}
		for _, p := range probes {
			for _, t := range thens {
				if probeNeededBefore(p, t) {
					orderActions(p, t, ordOptional)
				}
			}
		}
	}
}

// probeNeededBefore is probe_needed_before_action: probes follow the
// node's unfencing, and only precede the shutdown of their own node.
func probeNeededBefore(probe, then *action) bool {
	if then.task == "stonith" && then.node == probe.node && then.fenceType == "on" {
		return false
	}
	if then.task == "do_shutdown" && probe.node != nil && then.node != nil && probe.node != then.node {
		return false
	}
	return true
}
