package takeover

import (
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
)

// recoverDeadResources is hb_rsc_recover_dead_resources for the peer.
func (m *Machine) recoverDeadResources() {
	m.cancelStandby()
	// We can get confused by a dead node when we're not fully started.
	if m.shutdownBusy {
		switch m.rstate {
		case StateShutdown, StateStable:
			return
		case StateInit, StateBothStarting, StateRscRcvd, StateStarting:
		default:
			m.logf(core.LevelErr, "recover_dead_resources() during shutdown: state %d", int(m.rstate))
		}
		m.giveupResources()
		return
	}
	m.needsFailback = true
	m.tookOver = true

	// If we haven't heard anything from them, they might be holding
	// resources: we have no way of knowing.
	needStonith := true
	if m.peerHeard {
		if m.nice() {
			needStonith = m.otherHolds != None
		} else {
			needStonith = m.peerHasRsc
		}
	}
	m.peerHeard = false // the core resets anypacketsyet on death

	if needStonith {
		if m.cfg.Stonith {
			if !m.fencing { // one reset at a time; its result takes over
				m.fencing = true
				m.emit(Fence{Node: m.peer})
			}
			return // fenceDone calls takeoverFromNode
		}
		m.sendStonith(m.peer, "n_stnth")
		m.logf(core.LevelWarn, "No STONITH device configured.")
		m.logf(core.LevelWarn, "Shared disks are not protected.")
		m.takeoverFromNode()
		return
	}
	m.logf(core.LevelInfo, "Dead node %s gave up resources.", m.peer)
	m.sendStonith(m.peer, "unneeded")
	if !m.nice() {
		m.takeoverFromNode()
		return
	}
	if m.iHold == All {
		m.otherStable = true
		return
	}
	// These might happen due to timing weirdnesses.
	if m.iHold&Local == 0 {
		m.reqOurResources(true)
	}
	if m.iHold&Foreign == 0 {
		m.takeoverFromNode()
	}
}

// cancelStandby is the standby part of hb_rsc_recover_dead_resources: the
// peer of a standby in progress is gone.
func (m *Machine) cancelStandby() {
	m.abandonedOther = false
	if m.goingStandby == standbyNot {
		return
	}
	m.logf(core.LevelInfo, "Cancelling pending standby operation")
	m.goingStandby = standbyNot
	m.standbyEpoch++
	m.standbyUntil = time.Time{}
	m.doneAt, m.peerStableAt, m.otherAt = time.Time{}, time.Time{}, time.Time{}
	if !m.otherStable && m.iHold == All {
		m.otherStable = true
	}
}

// fenceDone is StonithProcessDied (the child already sent nothing: the
// stonith message is sent here, as Initiate_Reset's child does).
func (m *Machine) fenceDone(e FenceDone) {
	if !m.fencing || e.Node != m.peer {
		m.logf(core.LevelErr, "Unexpected STONITH result for %s", e.Node)
		return
	}
	switch e.Result {
	case FenceOK:
		m.logf(core.LevelInfo, "node %s now reset.", e.Node)
	case FenceBadHost:
		m.logf(core.LevelErr, "Device cannot reset host %s.", e.Node)
	default:
		e.Result = FenceBad
		m.logf(core.LevelErr, "Host %s not reset!", e.Node)
	}
	m.sendStonith(e.Node, string(e.Result))
	if e.Result != FenceOK {
		m.logf(core.LevelErr, "STONITH of %s failed.  Retrying...", e.Node)
		m.fenceRetryAt = m.now.Add(stonithRetry)
		return
	}
	m.fencing = false
	m.takeoverFromNode()
}

// takeoverFromNode is takeover_from_node: queue rc.d/status with a fake
// "st=dead" (mach_down takes the dead node's groups), then claim our own.
func (m *Machine) takeoverFromNode() {
	if m.shutdownBusy {
		m.logf(core.LevelInfo, "Resource takeover cancelled - shutdown in progress.")
		return
	}
	m.logf(core.LevelInfo, "Resources being acquired from %s.", m.peer)
	m.enqueue(m.machDownJob())
	if m.nice() {
		// mach_down is out there acquiring foreign resources; we must
		// note it now, or the other side might come back and think it
		// can own its resources from an interim resource message.
		m.iHold |= Foreign
		m.otherHolds = None
		m.otherStable = true
		m.takeoverBusy = true
	}
	m.reqOurResources(true)
	m.peerHeard = true // takeover_from_node sets anypacketsyet
}

// machDownJob is rc.d/status → mach_down <node>: takegroup for each of the
// dead node's keys, then (nice_failback) announce the foreign groups.
func (m *Machine) machDownJob() *job {
	j := &job{name: "status"}
	for _, g := range m.groups {
		if !g.local {
			j.ops = append(j.ops, groupOp{g: g, op: OpTake})
		}
	}
	peer := m.peer
	j.done = func() {
		m.logf(core.LevelInfo, "mach_down takeover complete for node %s.", peer)
		if m.nice() {
			msg := newMsg("resource")
			msg.Add("rsc_hold", Foreign.String())
			msg.Add("info", "mach_down")
			m.send(msg)
		}
	}
	return j
}

// reqOurResources is req_our_resources plus the req_resource script it
// runs for each of our keys.
func (m *Machine) reqOurResources(getAnyway bool) {
	if m.shutdownBusy {
		return
	}
	if m.nice() {
		if (m.otherHolds&Foreign != 0 || m.iHold&Local != 0) && !getAnyway {
			if m.goingStandby == standbyNot {
				// Someone already owns our resources.
				m.logf(core.LevelInfo, "Local Resource acquisition completed. (none)")
				return
			}
		}
		m.iHold |= Local
	}
	// Are we all alone in the world? (countbystatus(ACTIVESTATUS) with
	// ourselves counted.)
	// A peer that sent shutdone holds nothing and is leaving: asking it
	// would get no answer (heartbeat still counts it active and asks).
	// getAnyway comes from the recovery of a dead, fenced or restarted
	// peer: there is nobody to ask even if its status still says active.
	dontAsk := m.nice() || getAnyway || m.peerStatus != core.StatusActive || !m.peerHasRsc
	n := 0
	for _, g := range m.groups {
		if !g.local {
			continue
		}
		n++
		if g.state == Held {
			continue // ResourceManager status <key> succeeded
		}
		var msg = newMsg("ip-request")
		if dontAsk {
			// Pretend the current owner gave it up peacefully.
			msg = newMsg("ip-request-resp")
			msg.Add("dest", m.self)
			msg.Add("ipaddr", g.key)
			msg.Add("weown", "yes")
			msg.Add("ok", "OK")
		} else {
			msg.Add("ipaddr", g.key)
			if m.ipRequested == nil {
				m.ipRequested = map[string]time.Time{}
			}
			m.ipRequested[g.key] = m.now
		}
		m.child = append(m.child, msg)
	}
	if n == 0 {
		m.logf(core.LevelInfo, "No local resources [/usr/share/heartbeat/ResourceManager listkeys %s] to acquire.", m.self)
	} else {
		m.logf(core.LevelInfo, "Local Resource acquisition completed.")
	}
	// The child reports what it finds in i_hold_resources (shared memory)
	// when it gets there: by then the parent's step is over.
	m.childHeld++
	m.localDone = true
	m.announce("req_our_resources")
}

// ipRequest is rc.d/ip-request on the owner: give the group up if we hold
// it, then tell the requester.
func (m *Machine) ipRequest(msg *wire.Message, from string) {
	key, _ := msg.Get("ipaddr")
	g := m.byKey[key]
	if g == nil {
		m.logf(core.LevelErr, "ip-request for unknown resource group %s", key)
		return
	}
	// The script runs when its turn in the queue comes: whether we own
	// the group is known then (ResourceManager status), not now.
	j := &job{name: "ip-request", ops: []groupOp{{g: g, op: OpGive}}}
	j.done = func() {
		resp := newMsg("ip-request-resp")
		resp.Add("dest", from)
		resp.Add("ipaddr", key)
		if j.issued > 0 {
			resp.Add("weown", "yes")
		} else {
			resp.Add("weown", "no")
		}
		resp.Add("ok", "OK")
		m.send(resp)
	}
	m.enqueue(j)
}

// ipRequestResp is rc.d/ip-request-resp: the requester takes the group.
func (m *Machine) ipRequestResp(msg *wire.Message, fromMe bool) {
	dest, _ := msg.Get("dest")
	ok, _ := msg.Get("ok")
	if dest != m.self || ok != "OK" {
		return
	}
	key, _ := msg.Get("ipaddr")
	if _, asked := m.ipRequested[key]; !fromMe && !asked {
		// An answer to a request of a previous incarnation of ours (or a
		// duplicate): heartbeat would take the group; see doc.go.
		m.logf(core.LevelWarn, "Ignoring ip-request-resp for %s: not requested.", key)
		return
	}
	delete(m.ipRequested, key)
	g := m.byKey[key]
	if g == nil {
		m.logf(core.LevelErr, "ip-request-resp for unknown resource group %s", key)
		return
	}
	m.enqueue(&job{name: "ip-request-resp", ops: []groupOp{{g: g, op: OpTake}}})
}

// retryIPRequests re-sends an ip-request that got no answer for 30 s while
// the peer is active (see doc.go): heartbeat's req_resource asks once (its
// timeout fallback is disabled), so a lost request or reply, or an owner
// that restarted meanwhile, leaves the group stopped for good.
func (m *Machine) retryIPRequests() {
	for _, g := range m.groups {
		at, ok := m.ipRequested[g.key]
		if !ok || m.now.Before(at.Add(ipRequestRetry)) {
			continue
		}
		if g.state != Stopped || m.shutdownBusy || m.peerStatus != core.StatusActive {
			delete(m.ipRequested, g.key)
			continue
		}
		m.logf(core.LevelWarn, "No answer to ip-request for %s: asking again.", g.key)
		m.ipRequested[g.key] = m.now
		msg := newMsg("ip-request")
		msg.Add("ipaddr", g.key)
		m.send(msg)
	}
}
