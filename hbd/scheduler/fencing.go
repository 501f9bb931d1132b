package scheduler

// canFence is pe_can_fence.
func (ws *workingSet) canFence(n *Node) bool {
	switch {
	case !ws.opts.stonithEnabled, !ws.opts.haveStonithResource:
		return false
	case ws.opts.haveQuorum, ws.opts.noQuorum == noQuorumIgnore:
		return true
	case n == nil:
		return false
	}
	return n.Online
}

// scheduleFencing is schedule_fencing_and_shutdowns, node by node: each
// unclean node that can be fenced gets a required fencing action, and the
// stops of resources active there become pseudo-actions implied by the
// fencing (native_stop_constraints); each online node shutting down gets
// a shutdown action after the stops there.
func (ws *workingSet) scheduleFencing() {
	for _, n := range ws.nodes {
		switch {
		case n.Unclean && ws.canFence(n):
			ws.scheduleNodeFencing(n)
		case !n.Unclean && n.Online && n.Shutdown:
			ws.newShutdownAction(n)
		}
	}
}

func (ws *workingSet) scheduleNodeFencing(n *Node) {
	reason := n.fenceReason
	if reason == "" {
		reason = "node is unclean"
	}
	f := &action{id: len(ws.actions), task: "stonith", node: n, runnable: true, reason: reason, fenceType: "reboot"}
	ws.actions = append(ws.actions, f)
	ws.nodeActions = append(ws.nodeActions, f)
	for _, r := range ws.primitives() {
		for _, a := range r.actions {
			switch {
			case a.node != n || a.intervalMS != 0:
			case a.task == "stop":
				a.pseudo = true
				a.runnable = true
				orderActions(f, a, ordImpliesThen)
			case a.task == "demote" && r.managed && (!n.Online || n.Unclean || r.failed):
				// order_stop_vs_fencing: the demote would never
				// complete, it is implied by the fencing.
				a.pseudo = true
				a.runnable = true
				orderActions(f, a, ordOptional)
			}
		}
	}
}

// newShutdownAction is pcmk__new_shutdown_action with
// pcmk__order_stops_before_shutdown: the node's shutdown waits for the
// stops of the resources there (which become required), and cannot
// happen if one of them cannot.
func (ws *workingSet) newShutdownAction(n *Node) *action {
	down := &action{id: len(ws.actions), task: "do_shutdown", node: n, runnable: true}
	// Not in ws.nodeActions: that list holds the fencing actions the
	// summary and status report.
	ws.actions = append(ws.actions, down)
	if n.Maintenance {
		return down
	}
	// Pacemaker walks data_set->actions newest first.
	for i := len(ws.actions) - 1; i >= 0; i-- {
		a := ws.actions[i]
		if a.rsc == nil || a.node != n || a.task != "stop" {
			continue
		}
		// Pacemaker 2.1.5 means to leave unmanaged and blocked resources
		// alone, but its test skips only resources that are neither
		// managed nor blocked: a blocked resource's stop still holds the
		// shutdown back.
		if ws.inMaintenance(a.rsc) || (!a.rsc.managed && !a.rsc.blocked) {
			continue
		}
		a.optional = false
		orderActions(a, down, ordOptional|ordRunnableLeft)
	}
	return down
}

// unfencingEnabled is pe_flag_enable_unfencing: fencing is enabled and a
// fencing device provides unfencing (fence_scsi and the like).
func (ws *workingSet) unfencingEnabled() bool {
	if !ws.opts.stonithEnabled {
		return false
	}
	for _, r := range ws.primitives() {
		if r.isStonith && r.meta["provides"] == "unfencing" {
			return true
		}
	}
	return false
}

// needsUnfencing is pe_rsc_needs_unfencing: with unfencing enabled, a
// resource other than a fencing device requires unfencing unless it says
// otherwise.
func (ws *workingSet) needsUnfencing(r *Resource) bool {
	if r.isStonith || !ws.unfencingEnabled() {
		return false
	}
	v, ok := r.meta["requires"]
	return !ok || v == "unfencing"
}

// nodeUnfenced is pcmk__node_unfenced: the #node-unfenced attribute is
// set to something other than 0.
func nodeUnfenced(n *Node) bool {
	v, ok := n.attrs["#node-unfenced"]
	return ok && v != "0"
}

// unfenceOp is pe_fence_op(node, "on", ...): the node's unfencing action,
// created optional; required when asked for and the node can be fenced.
func (ws *workingSet) unfenceOp(n *Node, optional bool, reason string) *action {
	var u *action
	for _, a := range ws.actions {
		if a.rsc == nil && a.task == "stonith" && a.node == n && a.fenceType == "on" {
			u = a
			break
		}
	}
	if u == nil {
		u = &action{id: len(ws.actions), task: "stonith", node: n, runnable: true, optional: true, fenceType: "on"}
		ws.actions = append(ws.actions, u)
	}
	if !optional && ws.canFence(n) {
		u.optional = false
		u.setReason(reason, false)
	}
	return u
}

// triggerUnfencing is trigger_unfencing for a node (without a resource):
// unfence an online, clean node that is not shutting down.
func (ws *workingSet) triggerUnfencing(n *Node, reason string) {
	if !ws.unfencingEnabled() {
		return
	}
	if n != nil && n.Online && !n.Unclean && !n.Shutdown {
		ws.unfenceOp(n, false, reason)
	}
}

// orderVsUnfence is pcmk__order_vs_unfence: probes and starts of
// resources that need unfencing (and of fencing devices, when unfencing
// is in use) come after the node's unfencing, which is required only if
// the node has never been unfenced.
func (ws *workingSet) orderVsUnfence(r *Resource, n *Node, a *action, flags orderFlags) {
	if n == nil || !((r.isStonith && ws.unfencingEnabled()) || ws.needsUnfencing(r)) {
		return
	}
	u := ws.unfenceOp(n, true, "")
	orderActions(u, a, flags)
	if !nodeUnfenced(n) {
		ws.triggerUnfencing(n, "required by "+r.ID+" "+a.task)
	}
}
