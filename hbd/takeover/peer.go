package takeover

import (
	"time"

	"github.com/hbd-project/hbd/hbd/core"
)

// This file follows the peer: comm up, its status changes, restarts,
// returns from the dead and silences.

// commUpAction is comm_up_resource_action.
func (m *Machine) commUpAction() {
	if m.commUp {
		return
	}
	m.commUp = true
	if m.peerStatus != core.StatusDead {
		// If all nodes are up we won't have to acquire anyone else's
		// resources.
		m.foreignDone = true
	}
	if m.nice() {
		m.send(newMsg("starting"))
		m.rstate = StateStarting
		m.startingAt = m.now
	} else if m.peerStatus == core.StatusDead && m.cfg.Stonith {
		// The recovery below fences the peer first and then claims our
		// groups (takeover_from_node); see doc.go.
	} else if m.peerStatus == core.StatusActive || m.peerStatus == core.StatusDead {
		m.reqOurResources(false)
	} else {
		// See doc.go: wait until we know whether to ask the peer.
		m.legacyReqPending = true
	}
	if m.deadAtInit {
		// See doc.go: a peer declared dead before comm up is recovered
		// now, after starting, rather than before it.
		m.deadAtInit = false
		m.recoverDeadResources()
	}
	if m.shutdownWanted {
		m.shutdownWanted = false
		m.giveupResources()
	}
}

// nodeStatus feeds the peer's status changes.
func (m *Machine) nodeStatus(e NodeStatus) {
	if e.Ping || e.Node != m.peer {
		return
	}
	old, prevGen := m.peerStatus, m.peerGen
	m.peerStatus = e.New
	if e.Gen != 0 {
		m.observeGeneration(e.Gen)
	}
	if e.New != core.StatusDead {
		m.peerHeard = true
		m.deadAtInit = false // back before we could recover it
		if old == core.StatusDead || old == "" {
			m.peerHasRsc = true
		}
		if old == core.StatusDead {
			// Back from the dead: the same process (a partition) or a new
			// one? The generation says; without one, a new heartbeat
			// reports init or up first, one that kept running active.
			same := e.New == core.StatusActive
			if e.Gen != 0 && prevGen != 0 {
				same = e.Gen == prevGen
			}
			if same {
				m.peerReturned()
			}
		}
		if m.legacyReqPending && e.New == core.StatusActive {
			m.legacyReqPending = false
			m.reqOurResources(false)
		}
		return
	}
	m.legacyReqPending = false // recovery claims our groups
	if old == core.StatusDead {
		return
	}
	if !m.commUp {
		m.deadAtInit = true
		return
	}
	m.recoverDeadResources()
}

// observeGeneration watches the peer's generation (hg), from its messages
// and status changes. A higher one is a new heartbeat process: if we did
// not see the old one die, it restarted before we declared it dead, and
// whatever it held went with it. heartbeat only logs "Heartbeat restart on
// node"; we recover the old incarnation as if it had died (see doc.go).
// Status transitions alone cannot tell: a late status (same second, see
// HBDoMsg_T_STATUS) can take a peer from active back to up.
func (m *Machine) observeGeneration(hg uint64) {
	if hg <= m.peerGen {
		return
	}
	first := m.peerGen == 0
	m.peerGen = hg
	if first {
		return
	}
	m.peerRestarted()
	m.cancelStandby() // with the old incarnation
	// What we took belonged to the old incarnation, unless a reset is
	// still on its way: it will kill this one too, and the next one must
	// not be taken for another unexplained restart (and fenced again).
	m.tookOver = m.fencing
}

// peerRestarted recovers the peer's previous incarnation unless we saw it
// die.
func (m *Machine) peerRestarted() {
	if !m.commUp || m.tookOver || m.peerStatus == core.StatusDead {
		return
	}
	m.logf(core.LevelWarn, "Node %s restarted before it was declared dead: recovering its resources.", m.peer)
	m.recoverDeadResources()
}

// peerReturned handles a peer that was dead and is alive again without
// having restarted. Both sides may have taken everything; heartbeat only
// notices when the generation is one it saw before (core.Restart). We
// restart the same way whenever we recovered its death meanwhile.
func (m *Machine) peerReturned() {
	if !m.commUp || m.shutdownBusy || m.partitionRestart || !m.tookOver {
		return
	}
	m.logf(core.LevelCrit, "Cluster node %s returning after partition.", m.peer)
	m.restartForPartition()
}

// restartForPartition asks the daemon for a cause_shutdown_restart: give
// everything up, then start again with a new generation.
func (m *Machine) restartForPartition() {
	if m.partitionRestart || m.shutdownBusy {
		return
	}
	m.partitionRestart = true
	m.logf(core.LevelCrit, "Giving up all resources and restarting to resolve the split with %s.", m.peer)
	m.emit(PartitionRestart{Node: m.peer})
}

// needPeerState reports that we wait for a resource message from a live
// peer: while starting, or while we believe it unstable outside a standby.
func (m *Machine) needPeerState() bool {
	if !m.nice() || !m.commUp || m.shutdownBusy || m.peerStatus != core.StatusActive {
		return false
	}
	switch m.rstate {
	case StateStarting, StateBothStarting:
		return true
	case StateRscRcvd, StateStable:
		return !m.otherStable && m.goingStandby == standbyNot
	}
	return false
}

func (m *Machine) lastPeerNews() time.Time {
	if m.peerRscAt.After(m.startingAt) {
		return m.peerRscAt
	}
	return m.startingAt
}
