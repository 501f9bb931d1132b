package scheduler

import (
	"slices"

	"github.com/hbd-project/hbd/hbd/cib"
)

// Recurring operations (pcmk_sched_recurring.c, 2.1.5). The history
// unpacker has already created an optional action for every recurring
// operation active on a node (processRecurring); a recurring action that
// finds such an action is optional, anything else must be (re)started.

// opCannotRecur is op_cannot_recur.
func opCannotRecur(name string) bool {
	switch name {
	case "stop", "start", "demote", "promote", "reload-agent", "migrate_to", "migrate_from":
		return true
	}
	return false
}

// recurringOpUsable is the configuration half of is_recurring_history: a
// non-zero interval, an action that may recur, not duplicated, and
// enabled (find_rsc_op_entry ignores disabled operations).
func recurringOpUsable(r *Resource, op opConfig) bool {
	if op.intervalMS == 0 || opCannotRecur(op.name) || !op.enabled {
		return false
	}
	n := 0
	for _, o := range r.ops {
		if o.name == op.name && o.intervalMS == op.intervalMS {
			n++
		}
	}
	return n == 1
}

// inMaintenance is pe_rsc_maintenance.
func (ws *workingSet) inMaintenance(r *Resource) bool {
	return ws.opts.maintenanceMode || isTrue(r.meta["maintenance"])
}

// uniqueRsc is pe_rsc_unique for a primitive: set unless it belongs to an
// anonymous clone.
func uniqueRsc(r *Resource) bool {
	c := cloneOf(r)
	return c == nil || c.unique
}

// uniqueFlag is pe_rsc_unique: a clone has it when globally unique, any
// other resource unless it belongs to an anonymous clone.
func uniqueFlag(r *Resource) bool {
	if r.Kind == cib.KindClone {
		return r.unique
	}
	return uniqueRsc(r)
}

// createRecurringActions is pcmk__create_recurring_actions.
func (ws *workingSet) createRecurringActions(r *Resource) {
	if r.blocked || ws.inMaintenance(r) {
		return
	}
	node := r.allocatedTo
	var start *action
	if node != nil && !node.Maintenance && (r.nextRole != RoleStopped || !r.managed) {
		start = ws.customAction(r, "start", node, true)
	}
	for _, op := range r.ops {
		if start != nil {
			ws.recurringForActive(r, start, node, op)
		}
		ws.recurringForInactive(r, node, op)
	}
}

// activeRecurringOptional is active_recurring_should_be_optional.
func activeRecurringOptional(r *Resource, node *Node, op opConfig, start *action) bool {
	if node == nil || !start.optional {
		return false
	}
	a := findOp(r, op.name, op.intervalMS, node)
	return a != nil && !a.reschedule
}

// recurringForActive is recurring_op_for_active: the monitor for the role
// the resource will have, or the cancellation of one configured for a
// role it is leaving.
func (ws *workingSet) recurringForActive(r *Resource, start *action, node *Node, op opConfig) {
	if op.role == RoleStopped || !recurringOpUsable(r, op) {
		return
	}
	optional := activeRecurringOptional(r, node, op, start)
	if (op.role != RoleUnknown && r.nextRole != op.role) || (op.role == RoleUnknown && r.nextRole == RolePromoted) {
		if !optional {
			return
		}
		// It is running for the role being left: cancel it.
		cancel := ws.newCancel(r, op.name, op.intervalMS, node)
		after := ""
		switch r.role {
		case RoleUnpromoted, RoleStarted:
			switch r.nextRole {
			case RolePromoted:
				after = "promote"
			case RoleStopped:
				after = "stop"
			}
		case RolePromoted:
			after = "demote"
		}
		if after != "" {
			ws.orderings = append(ws.orderings, orderSpec{firstAction: cancel, firstRsc: r, thenRsc: r, thenTask: after, flags: ordRunnableLeft})
		}
		return
	}
	mon := ws.customOp(r, op.name, op.intervalMS, node, optional)
	if !start.runnable || node == nil || !node.Online || node.Unclean {
		mon.runnable = false
	}
	if node == nil || r.managed {
		ws.orderings = append(ws.orderings, orderSpec{firstRsc: r, firstTask: "start", thenRsc: r, thenAction: mon, flags: ordImpliesThen | ordRunnableLeft})
		if r.reload {
			// A reload restarts the monitor with the new parameters.
			// (Pacemaker orders every monitor after a reload-agent key,
			// creating a node-less optional action when there is none;
			// that action never runs, so it is only made when a reload
			// was scheduled.)
			ws.orderings = append(ws.orderings, orderSpec{firstRsc: r, firstTask: "reload-agent", thenRsc: r, thenAction: mon, flags: ordImpliesThen | ordRunnableLeft})
		}
		switch {
		case r.nextRole == RolePromoted:
			ws.orderings = append(ws.orderings, orderSpec{firstRsc: r, firstTask: "promote", thenRsc: r, thenAction: mon, flags: ordOptional | ordRunnableLeft})
		case r.role == RolePromoted:
			ws.orderings = append(ws.orderings, orderSpec{firstRsc: r, firstTask: "demote", thenRsc: r, thenAction: mon, flags: ordOptional | ordRunnableLeft})
		}
	}
}

// newCancel is pcmk__new_cancel_action: it takes over the key of the
// operation it cancels, so an optional action the history created for
// that operation becomes the (required) cancellation.
func (ws *workingSet) newCancel(r *Resource, name string, intervalMS int64, node *Node) *action {
	a := ws.customOp(r, name, intervalMS, node, false)
	a.task = "cancel"
	a.cancelTask = name
	return a
}

// cancelIfRunning is cancel_if_running.
func (ws *workingSet) cancelIfRunning(r *Resource, node *Node, op opConfig) {
	if findOp(r, op.name, op.intervalMS, node) == nil {
		return
	}
	cancel := ws.newCancel(r, op.name, op.intervalMS, node)
	switch r.nextRole {
	case RoleStarted, RoleUnpromoted:
		ws.orderings = append(ws.orderings, orderSpec{firstAction: cancel, firstRsc: r, thenRsc: r, thenTask: "start", flags: ordRunnableLeft})
	}
}

// recurringForInactive is recurring_op_for_inactive: a monitor configured
// for role Stopped runs on every node except the one the resource is
// assigned to (anonymous clones are not supported by Pacemaker).
func (ws *workingSet) recurringForInactive(r *Resource, node *Node, op opConfig) {
	if op.role != RoleStopped || !recurringOpUsable(r, op) || !uniqueRsc(r) {
		return
	}
	for _, n := range ws.nodes {
		if node != nil && n == node {
			ws.cancelIfRunning(r, node, op)
			continue
		}
		optional := findOp(r, op.name, op.intervalMS, n) != nil
		mon := ws.customOp(r, op.name, op.intervalMS, n, optional)
		mon.expectsNotRunning = true
		if r.managed {
			// order_after_probes
			if probe := findAction(r, "monitor", n); probe != nil {
				orderActions(probe, mon, ordRunnableLeft)
			}
		}
		// order_after_stops: the monitor for the stopped role waits for
		// the resource to stop there.
		for _, stop := range r.actions {
			if stop.task != "stop" || stop.intervalMS != 0 || stop.node != n {
				continue
			}
			if !stop.optional && !mon.optional && !r.managed {
				mon.optional = true
			}
			if !stop.runnable {
				mon.runnable = false
			}
			if r.managed {
				ws.orderings = append(ws.orderings, orderSpec{firstAction: stop, firstRsc: r, thenRsc: r, thenAction: mon, flags: ordImpliesThen | ordRunnableLeft})
			}
		}
		if !n.Online || n.Unclean {
			mon.runnable = false
		}
	}
}

// processRecurring is calculate_active_ops with process_recurring
// (unpack.c): every recurring operation in a node's history that is still
// active (after the last start, not before a later stop) gets an optional
// action, so that scheduling can tell a running monitor from a new one.
func (ws *workingSet) processRecurring(r *Resource, n *Node, ops []histOp) {
	if !n.Online {
		return
	}
	start, stop := activeOps(ops)
	for i := range ops {
		h := &ops[i]
		if start < stop && i <= stop {
			continue
		}
		if i < start || h.interval == 0 || h.x.OpStatus == "-1" {
			continue
		}
		ws.customOp(r, h.x.Operation, h.interval, n, true)
	}
}

// activeOps is calculate_active_ops: the index of the last successful
// stop, and of the last start (or, failing that, of the last promote or
// demote, or of a successful monitor after the last stop).
func activeOps(ops []histOp) (start, stop int) {
	start, stop = -1, -1
	impliedMonitor, impliedClone := -1, -1
	for i := range ops {
		x := ops[i].x
		switch {
		case x.Operation == "stop" && x.OpStatus == "0":
			stop = i
		case x.Operation == "start" || x.Operation == "migrate_from":
			start = i
		case impliedMonitor <= stop && x.Operation == "monitor":
			if x.RCCode == "0" || x.RCCode == "8" {
				impliedMonitor = i
			}
		case x.Operation == "promote" || x.Operation == "demote":
			impliedClone = i
		}
	}
	if start == -1 {
		if impliedClone != -1 {
			start = impliedClone
		} else if impliedMonitor != -1 {
			start = impliedMonitor
		}
	}
	return start, stop
}

// rscHistory is one resource's sorted operation history on one node, kept
// for the configuration checks made after unpacking.
type rscHistory struct {
	rsc   *Resource
	node  *Node
	ops   []histOp
	entry *cib.LRMResource
}

// checkConfigChanges is pcmk__handle_rsc_config_changes: the histories on
// each node that can run actions (or is in maintenance) are checked for
// configuration changes. Nodes are visited by name, histories in
// status-section order.
func (ws *workingSet) checkConfigChanges() {
	for _, n := range ws.nodesByName() {
		if !n.Maintenance && !n.available() {
			continue
		}
		for _, h := range ws.histories {
			if h.node != n {
				continue
			}
			for _, r := range ws.rscsMatchingHistory(h) {
				h.rsc = r
				ws.checkActionsFor(h)
			}
		}
	}
}

// rscsMatchingHistory is pcmk__rscs_matching_id for a history entry: the
// primitives whose ID or history name is the entry's, newest match first
// as Pacemaker prepends them. An anonymous clone's entry is thereby
// checked against every instance found under that name (only the one
// active on the node goes further), and an entry unpacking gave to an
// instance of another number is not checked against it.
func (ws *workingSet) rscsMatchingHistory(h rscHistory) []*Resource {
	if h.entry == nil {
		return []*Resource{h.rsc}
	}
	var out []*Resource
	for _, r := range ws.primitives() {
		if r.ID == h.entry.ID || r.cloneName == h.entry.ID {
			out = append(out, r)
		}
	}
	slices.Reverse(out)
	return out
}

// checkActionsFor is process_rsc_history: an orphan's history is deleted
// (unless it is an anonymous clone instance); a changed agent deletes the
// history and, where the resource is active, restarts it; the active
// recurring operations are cancelled in maintenance or when no longer
// configured, and each recurring, start, promote or probe entry since the
// last start is compared with the configuration. A changed definition
// clears the fail count, as the failure was of the old definition.
func (ws *workingSet) checkActionsFor(h rscHistory) {
	r, n := h.rsc, h.node
	if r.orphan {
		if c := cloneOf(r); c == nil || c.unique {
			ws.scheduleCleanup(r, n)
		}
		return
	}
	if !slices.Contains(r.runningOn, n) {
		if h.entry != nil && ws.agentChanged(r, n, h.entry, false) {
			ws.scheduleCleanup(r, n)
		}
		return
	}
	if h.entry != nil && ws.agentChanged(r, n, h.entry, true) {
		ws.scheduleCleanup(r, n)
	}
	start, stop := activeOps(h.ops)
	if start < stop {
		return // not active on this node
	}
	for i := range h.ops {
		op := &h.ops[i]
		if i < start {
			continue
		}
		task := op.x.Operation
		if op.interval > 0 && (ws.inMaintenance(r) || n.Maintenance) {
			ws.scheduleCancel(r, op.x.CallID, task, op.interval, n)
			continue
		}
		if op.interval == 0 && task != "monitor" && task != "start" && task != "promote" && task != "migrate_from" {
			continue
		}
		changed := false
		if op.interval > 0 && !ws.opConfigured(r, task, op.interval) {
			// An orphaned recurring operation (no longer configured).
			if ws.opts.stopOrphanActions {
				ws.scheduleCancel(r, op.x.CallID, task, op.interval, n)
			}
			changed = true
		} else {
			changed = ws.checkActionConfig(r, n, op)
		}
		if changed {
			if fc, _ := ws.failCount(r, n, true); fc != 0 {
				ws.clearFailcount(r, n, "action definition changed")
			}
		}
	}
}

// opConfigured is find_rsc_op_entry's answer: an enabled <op> with this
// name and interval.
func (ws *workingSet) opConfigured(r *Resource, name string, intervalMS int64) bool {
	for _, o := range r.ops {
		if o.name == name && o.intervalMS == intervalMS && o.enabled {
			return true
		}
	}
	return false
}

// scheduleCancel is pcmk__schedule_cancel: cancellations happen after
// the resource's stops.
func (ws *workingSet) scheduleCancel(r *Resource, callID, name string, intervalMS int64, n *Node) {
	cancel := ws.newCancel(r, name, intervalMS, n)
	cancel.cancelCallID = callID
	ws.orderings = append(ws.orderings, orderSpec{firstRsc: r, firstTask: "stop", thenRsc: r, thenAction: cancel, flags: ordOptional})
}

// updateActionsForFailedAssignment is the action half of assigning a
// primitive to no node (native_assign_node with NULL): its existing stops
// become required, its starts unrunnable, and its recurring operations
// (those created so far are all for active roles) unrunnable.
func (ws *workingSet) updateActionsForFailedAssignment(r *Resource) {
	for _, a := range r.actions {
		switch {
		case a.task == "stop":
			a.optional = false
		case a.task == "start":
			a.runnable = false
		case a.intervalMS != 0 && !a.expectsNotRunning:
			a.runnable = false
		}
	}
}
