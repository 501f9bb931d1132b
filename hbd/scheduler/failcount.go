package scheduler

// clearFailcount is pe__clear_failcount: a required cluster action that
// clears the resource's fail count on the node (one per resource and
// node, whatever the number of reasons).
func (ws *workingSet) clearFailcount(r *Resource, n *Node, reason string) *action {
	a := ws.customAction(r, "clear_failcount", n, false)
	a.setReason(reason, false)
	return a
}

// clearExpiredFailure is the fail-count half of check_operation_expiry:
// an expired history entry whose resource still has a (no longer
// effective) fail count gets that count cleared.
func (ws *workingSet) clearExpiredFailure(r *Resource, n *Node) {
	if fc, _ := ws.failCount(r, n, false); fc > 0 {
		ws.clearFailcount(r, n, "it expired")
	}
}
