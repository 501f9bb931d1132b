package scheduler

import "testing"

// TestCloneOrderingFlagsOnNode: a clone instance starting on node2 makes
// the clone's start required, but a group ordered after the clone and
// running on node1 sees the clone's flags on node1 only
// (action_flags_for_ordering), where nothing changes: it must not restart
// (bug-lf-2581).
func TestCloneOrderingFlagsOnNode(t *testing.T) {
	checkSummary(t, miniCIB{
		quorum: true,
		nodes:  []string{"node1", "node2"},
		resources: `<clone id="a-clone">` + dummy("a") + `</clone>` +
			`<group id="g">` + dummy("b") + dummy("c") + `</group>`,
		constraints: `<rsc_colocation id="g-with-a" rsc="g" with-rsc="a-clone" score="INFINITY"/>` +
			`<rsc_order id="a-then-g" first="a-clone" then="g"/>`,
		lrm: map[string]string{
			"node1": lrmOp("a", "start", 0, 1) + lrmOp("b", "start", 0, 2) + lrmOp("c", "start", 0, 3),
			"node2": lrmOp("b", "monitor", 7, 1) + lrmOp("c", "monitor", 7, 2),
		},
	}, "  * Start      a:1     ( node2 )\n")
}
