package takeover

import (
	"strconv"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
)

// message dispatches a delivered cluster message the way heartbeat's
// registered handlers and rc.d scripts do.
// Our own messages were handled when we sent them (see send); the copy
// the membership core loops back is ignored.
func (m *Machine) message(e Message) {
	if e.Msg == nil || e.Node == m.self || e.Node != m.peer {
		return
	}
	if hg, ok := hexField(e.Msg, "hg"); ok {
		m.observeGeneration(hg)
	}
	m.handle(e.Node, e.Msg)
}

func (m *Machine) handle(from string, msg *wire.Message) {
	fromMe := from == m.self
	typ := msg.Type()
	if !m.commUp {
		// comm_up_resource_action registers these handlers (and the
		// default one that runs rc.d scripts) only when comm comes up.
		// heartbeat registers the shutdone handler earlier and would take
		// everything over before it even negotiated; we ignore shutdone
		// until comm is up too (the peer is then recovered as dead): see
		// doc.go.
		return
	}
	switch typ {
	case "starting", "resource":
		if !fromMe && m.stale(msg) {
			return
		}
		fallthrough
	case "ask_resources":
		if !fromMe {
			m.peerRscAt = m.now // news from the peer: see needPeerState
		}
	}
	switch typ {
	case "starting", "resource":
		m.processResources(typ, msg, fromMe)
	case "shutdone":
		m.shutdone(msg, fromMe)
	case "ask_resources":
		m.askForResources(msg, from, fromMe)
	case "ip-request":
		if !fromMe {
			m.ipRequest(msg, from)
		}
	case "ip-request-resp":
		m.ipRequestResp(msg, fromMe)
	case "hb_takeover":
		if !fromMe {
			// rc.d/hb_takeover on the other node runs hb_standby with the
			// set in its own terms.
			which, _ := msg.Get("rsc_hold")
			s, ok := ParseSet(which)
			if !ok {
				s = All
			}
			m.sendStandbyRequest(s.flip())
		}
	}
}

// stale reports a peer starting or resource message older (by seq, same
// generation) than one already applied: a retransmission arriving after
// newer news (see doc.go). ask_resources steps are never stale: each one
// moves the standby protocol on. heartbeat applies it, which can
// leave other_is_stable wrong until the next announcement.
func (m *Machine) stale(msg *wire.Message) bool {
	hg, ok1 := hexField(msg, "hg")
	seq, ok2 := hexField(msg, "seq")
	if !ok1 || !ok2 {
		return false
	}
	if hg == m.peerRscGen && seq < m.peerRscSeq {
		m.logf(core.LevelWarn, "Ignoring stale %s message from %s (seq %x < %x).", msg.Type(), m.peer, seq, m.peerRscSeq)
		return true
	}
	if hg >= m.peerRscGen {
		m.peerRscGen, m.peerRscSeq = hg, seq
	}
	return false
}

func hexField(msg *wire.Message, name string) (uint64, bool) {
	v, ok := msg.Get(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 16, 64)
	return n, err == nil
}

// processResources is process_resources for starting and resource
// messages (T_SHUTDONE is handled in shutdone).
func (m *Machine) processResources(typ string, msg *wire.Message, fromMe bool) {
	if !m.nice() {
		return
	}
	newState := m.rstate
	if typ == "starting" && !fromMe {
		switch m.rstate {
		case StateRscRcvd, StateStable, StateShutdown:
		case StateStarting:
			newState = StateBothStarting
			m.foreignDone = true
			m.announce("HB_R_BOTHSTARTING")
		default:
			m.logf(core.LevelErr, "Received 'starting' message in state %d", int(m.rstate))
			return
		}
		m.otherStable = false
		if m.takeoverBusy {
			m.logf(core.LevelWarn, "T_STARTING received during takeover.")
		}
		m.sendResourcesHeld(m.rstate == StateStable, "")
	}
	if typ == "resource" {
		p, ok := msg.Get("rsc_hold")
		if !ok {
			m.logf(core.LevelErr, "resource message without rsc_hold field.")
			return
		}
		n, known := ParseSet(p)
		if !known {
			m.logf(core.LevelErr, "encode_resources: bad resource type [%s]", p)
		}
		rt, _ := msg.Get("rtype")
		full := rt == "full"
		switch m.rstate {
		case StateBothStarting, StateStarting:
			newState = StateRscRcvd
			if m.cfg.Mode == NiceFailback {
				m.foreignDone = true
				m.announce("T_RESOURCES")
			}
		case StateRscRcvd, StateStable, StateShutdown:
		default:
			m.logf(core.LevelErr, "resource message received in state %d", int(m.rstate))
			return
		}
		if !fromMe {
			if info, _ := msg.Get("info"); info == "standby" {
				m.otherAt = time.Time{} // the requester got our "other"
			}
			m.otherHolds = updateHeld(full, m.otherHolds, n)
			if st, ok := msg.Get("isstable"); ok {
				if st == "1" && m.goingStandby == standbyDone && m.standbyRole == standbyMe {
					m.peerStableAt = m.now // see standbyWatch
				}
				if st == "1" {
					if !m.otherStable {
						m.logf(core.LevelInfo, "remote resource transition completed.")
						m.otherStable = true
						m.sendResourcesHeld(m.rstate == StateStable, "")
						m.performAutoFailback()
					}
				} else {
					m.otherStable = false
				}
			}
			if m.rstate != StateStable && m.rstate != StateShutdown && m.otherStable {
				m.logf(core.LevelInfo, "remote resource transition completed.")
				m.reqOurResources(false)
				newState = StateStable
				m.sendResourcesHeld(true, "")
				m.performAutoFailback()
				m.foreignDone = true
				if m.cfg.Mode != AutoFailback && m.otherHolds&Foreign != 0 {
					m.localDone = true
				}
				m.announce("T_RESOURCES(them)")
			}
		} else {
			m.iHold = updateHeld(full, m.iHold, n)
			if m.iHold&Local != 0 {
				m.localDone = true
				m.announce("T_RESOURCES(us)")
			}
			if info, ok := msg.Get("info"); ok {
				switch info {
				case "mach_down":
					m.logf(core.LevelInfo, "mach_down takeover complete.")
					m.takeoverBusy = false
					m.iHold |= Foreign
					m.needsFailback = true
					m.otherStable = true
					m.foreignDone = true
					m.announce("mach_down")
				case "shutdown":
					newState = StateShutdown
				}
			}
		}
	}
	m.rstate = newState
	if m.rstate == StateRscRcvd && m.localTakeover.IsZero() {
		m.localTakeover = m.now.Add(rqstDelay)
	}
	m.audit()
}

// audit is AuditResources.
func (m *Machine) audit() {
	if !m.nice() {
		return
	}
	dup := false
	if m.iHold&Local != 0 && m.otherHolds&Foreign != 0 {
		m.logf(core.LevelErr, "Both machines own our resources!")
		dup = true
	}
	if m.otherHolds&Local != 0 && m.iHold&Foreign != 0 {
		m.logf(core.LevelErr, "Both machines own foreign resources!")
		dup = true
	}
	if dup && m.commUp && m.peerStatus == core.StatusActive {
		// A split brain we can see, e.g. a one-way partition: the peer
		// never heard us and took everything. heartbeat only logs it;
		// see doc.go.
		m.restartForPartition()
	}
	if m.IsStable() && !m.shutdownBusy && m.rstate != StateShutdown {
		if m.iHold&Local == 0 && m.otherHolds&Foreign == 0 {
			m.logf(core.LevelErr, "No one owns our local resources!")
		}
		if m.otherHolds&Local == 0 && m.iHold&Foreign == 0 {
			m.logf(core.LevelErr, "No one owns foreign resources!")
		}
	}
}
