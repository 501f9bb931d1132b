package takeover

import (
	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
)

// shutdone handles t=shutdone: HBDoMsg_T_SHUTDONE and the T_SHUTDONE part
// of process_resources.
func (m *Machine) shutdone(msg *wire.Message, fromMe bool) {
	if fromMe {
		// Our giveup child is done: on to the final shutdown phases.
		// hb_mcp_final_shutdown follows a second later: after the
		// shutdone message itself has gone out (see Step).
		m.rstate = StateShutdown
		m.iHold = None
		m.shutdownDone = true
		return
	}
	if m.commUp && m.nice() {
		m.otherStable = true
		m.otherHolds = None
		if m.iHold != All && !m.shutdownBusy {
			var rtype Set
			switch m.iHold {
			case Foreign:
				rtype = Local
			case Local:
				rtype = Foreign
			default:
				rtype = All
			}
			// Take over resources immediately. go_standby names the set
			// in the requester's terms, so this acquires the flipped set;
			// takeover_from_node below takes the rest (see doc.go).
			m.goingStandby = standbyDone
			m.standbyRole = standbyOther
			m.goStandby(standbyOther, rtype)
		}
		m.audit()
	}
	m.peerHasRsc = false
	m.otherStable = false
	m.otherHolds = None
	m.logf(core.LevelInfo, "Received shutdown notice from '%s'.", m.peer)
	m.takeoverFromNode()
}

// shutdownIfNeeded is hb_shutdown_if_needed.
func (m *Machine) shutdownIfNeeded() {
	if m.needsShutdown && !m.halted {
		m.giveupResources()
	}
}

// giveupResources is hb_giveup_resources: once stable, announce the
// shutdown, give every group up in file order, then send shutdone.
func (m *Machine) giveupResources() {
	if !m.IsStable() {
		if !m.needsShutdown {
			m.logf(core.LevelWarn, "Shutdown delayed until current resource activity finishes.")
			m.needsShutdown = true
		}
		return
	}
	m.needsShutdown = false
	m.shutdownBusy = true
	if m.giveupStarted {
		m.logf(core.LevelInfo, "Heartbeat shutdown already underway.")
		return
	}
	m.giveupStarted = true
	m.iHold = None
	m.rstate = StateShutdown
	m.sendResourcesHeld(false, "shutdown")
	m.logf(core.LevelInfo, "Heartbeat shutdown in progress.")
	j := &job{name: "hb_giveup_resources"}
	for _, g := range m.groups {
		j.ops = append(j.ops, groupOp{g: g, op: OpGive})
	}
	m.logf(core.LevelInfo, "Giving up all HA resources.")
	j.done = func() {
		m.logf(core.LevelInfo, "All HA resources relinquished.")
		msg := newMsg("shutdone")
		msg.Add("st", "dead")
		m.send(msg)
	}
	m.enqueue(j)
}
