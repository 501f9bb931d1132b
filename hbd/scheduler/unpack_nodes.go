package scheduler

import (
	"fmt"

	"github.com/hbd-project/hbd/hbd/cib"
)

// unpackNodes builds the node list from <nodes> (unpack_nodes) and applies
// the status section's node_state entries (unpack_node_state,
// determine_online_status).
func (ws *workingSet) unpackNodes(c *cib.CIB) error {
	byID := map[string]*Node{}
	for _, cn := range c.Nodes {
		if _, dup := byID[cn.ID]; dup {
			return fmt.Errorf("scheduler: node id %q defined twice", cn.ID)
		}
		n := &Node{Name: cn.Uname, ID: cn.ID, index: len(ws.nodes), attrs: map[string]string{}}
		attrs := map[string]string{}
		flattenSets(cn.Attributes, attrs)
		for k, v := range attrs {
			n.attrs[k] = v
		}
		// handle_startup_fencing: a node is unclean until its status entry
		// has been seen, when startup fencing applies.
		n.Unseen = true
		if ws.opts.stonithEnabled && ws.opts.startupFencing {
			n.Unclean = true
			n.fenceReason = "node is unclean"
		}
		ws.nodes = append(ws.nodes, n)
		byID[cn.ID] = n
		ws.nodeByName[n.Name] = n
	}
	for i := range c.Status {
		st := &c.Status[i]
		n := byID[st.ID]
		if n == nil {
			continue
		}
		for _, p := range st.Transient {
			n.attrs[p.Name] = p.Value
		}
		n.Unseen = false
		n.Unclean = false
		n.fenceReason = ""
		n.ExpectedUp = st.Expected == "member"
		if v := n.attrs["shutdown"]; v != "" && v != "0" {
			n.Shutdown = true
		}
		if ws.opts.stonithEnabled {
			n.Online = ws.onlineWithFencing(n, st)
		} else {
			n.Online = ws.onlineWithoutFencing(n, st)
		}
		ws.nodeState[n] = st
	}
	for _, n := range ws.nodes {
		n.attrs["#uname"] = n.Name
		n.attrs["#id"] = n.ID
		n.attrs["#kind"] = "cluster"
		if c.DCUUID != "" && c.DCUUID == n.ID {
			n.attrs["#is_dc"] = "true"
		} else {
			n.attrs["#is_dc"] = "false"
		}
		if isTrue(n.attrs["standby"]) {
			n.Standby = true
		}
		if isTrue(n.attrs["maintenance"]) {
			n.Maintenance = true
		}
	}
	return nil
}

// fence is pe_fence_node: mark the node unclean, remembering the first
// reason (later reasons do not replace it).
func (ws *workingSet) fence(n *Node, reason string) {
	if !n.Unclean {
		n.Unclean = true
		n.fenceReason = reason
	} else if n.fenceReason == "" {
		n.fenceReason = reason
	}
}

// onlineWithoutFencing is determine_online_status_no_fencing.
func (ws *workingSet) onlineWithoutFencing(n *Node, st *cib.NodeState) bool {
	switch {
	case !isTrue(st.InCCM):
		return false
	case st.Crmd == "online":
		return st.Join == "member"
	case !n.ExpectedUp:
		return false
	default:
		ws.fence(n, "peer is unexpectedly down")
		return false
	}
}

// onlineWithFencing is determine_online_status_fencing.
func (ws *workingSet) onlineWithFencing(n *Node, st *cib.NodeState) bool {
	terminate := isTrue(n.attrs["terminate"])
	inCCM := isTrue(st.InCCM)
	crmdOnline := st.Crmd == "online"
	switch {
	case inCCM && crmdOnline && st.Join == "member":
		if terminate {
			ws.fence(n, "termination was requested")
		}
		return true
	case st.InCCM == "":
		ws.fence(n, "peer has not been seen by the cluster")
	case st.Join == "nack":
		ws.fence(n, "peer failed Pacemaker membership criteria")
	case !terminate && !n.ExpectedUp:
		// Not expected up (expected="down", or never set): not ready,
		// rather than lost.
		if inCCM || crmdOnline {
			n.Standby = true
			n.Pending = true
		}
	case terminate && st.Join == "down" && !inCCM && !crmdOnline:
		// just shot
	case !inCCM:
		ws.fence(n, "peer is no longer part of the cluster")
	case !crmdOnline:
		// Still a cluster member: crm_simulate shows it "UNCLEAN (online)".
		n.displayOnline = true
		ws.fence(n, "peer process is no longer available")
	case terminate:
		ws.fence(n, "termination was requested")
	case st.Join == "member":
	case st.Join == "pending" || st.Join == "down":
		n.Standby = true
		n.Pending = true
	default:
		ws.fence(n, "peer was in an unknown state")
	}
	return false
}
