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

// scheduleFencing is the fencing half of schedule_fencing_and_shutdowns:
// each unclean node that can be fenced gets a required fencing action, and
// the stops of resources active there become pseudo-actions implied by the
// fencing (native_stop_constraints).
func (ws *workingSet) scheduleFencing() {
	for _, n := range ws.nodes {
		if !n.Unclean || !ws.canFence(n) {
			continue
		}
		reason := n.fenceReason
		if reason == "" {
			reason = "node is unclean"
		}
		f := &action{id: len(ws.actions), task: "stonith", node: n, runnable: true, reason: reason, fenceType: "reboot"}
		ws.actions = append(ws.actions, f)
		ws.nodeActions = append(ws.nodeActions, f)
		for _, r := range ws.primitives() {
			for _, a := range r.actions {
				if a.task == "stop" && a.node == n {
					a.pseudo = true
					a.runnable = true
					orderActions(f, a, ordImpliesThen)
				}
			}
		}
	}
}
