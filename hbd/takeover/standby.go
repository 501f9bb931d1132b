package takeover

import (
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
)

// sendStandbyRequest is the hb_standby tool: it only writes
// "ask_resources rsc_hold=<set> info=me"; our own copy, looped back, does
// the rest (ask_for_resources).
func (m *Machine) sendStandbyRequest(which Set) bool {
	if m.nice() {
		// heartbeat's hb_standby sends the request whatever the state and
		// only our own copy is refused; the peer may accept it and then
		// wait an hour for a "done" that never comes. We refuse before
		// sending, for the reasons ask_for_resources would. See doc.go.
		why := ""
		switch {
		case !m.commUp:
			why = "communication is not up"
		case m.peerStatus != core.StatusActive || m.fencing:
			why = m.peer + " is not active"
		case m.goingStandby != standbyNot || !m.standbyUntil.IsZero():
			why = "standby in progress"
		case !m.otherStable:
			why = "other side is in flux"
		case m.rstate != StateStable:
			why = "local resources in flux"
		}
		if why != "" {
			m.logf(core.LevelWarn, "Standby request [%s] not sent: %s.", which, why)
			return false
		}
	}
	msg := newMsg("ask_resources")
	msg.Add("rsc_hold", which.String())
	msg.Add("info", "me")
	m.send(msg)
	return true
}

// sendStandbyMsg is send_standby_msg: rsc_hold is standby_rsctype at the
// time of sending.
func (m *Machine) sendStandbyMsg(state standbyState, rsctype Set) {
	msg := newMsg("ask_resources")
	msg.Add("rsc_hold", rsctype.String())
	msg.Add("info", standbyWords[state])
	m.send(msg)
}

// askForResources is ask_for_resources: the three-phase standby protocol
// (§7.5).
func (m *Machine) askForResources(msg *wire.Message, from string, fromMe bool) {
	if !m.nice() {
		m.logf(core.LevelInfo, "Standby mode only implemented when nice_failback on")
		return
	}
	if m.rstate == StateShutdown {
		return // standby message ignored during shutdown
	}
	info, okInfo := msg.Get("info")
	rtype := All
	if p, ok := msg.Get("rsc_hold"); ok {
		rtype, _ = ParseSet(p)
	}
	if !okInfo {
		m.logf(core.LevelErr, "Received standby message without info/from")
		return
	}
	if !m.standbyUntil.IsZero() && m.now.Before(m.standbyUntil) && strings.EqualFold(info, "me") {
		left := (m.standbyUntil.Sub(m.now) + time.Second - time.Millisecond) / time.Second
		m.logf(core.LevelWarn, "Standby in progress- new request from %s ignored [%d seconds left]", from, int64(left))
		return
	}
	orig := m.goingStandby
	ignored := false
	switch m.goingStandby {
	case standbyNot:
		if m.abandonedOther && !fromMe && info == "done" {
			// The requester did go on after all (see otherWatch): it has
			// released the groups, so take them.
			m.abandonedOther = false
			m.logf(core.LevelWarn, "Late standby done from %s: acquiring [%s] resources.", from, rtype)
			m.standbyType = rtype
			m.goStandby(standbyOther, rtype)
			m.goingStandby = standbyDone
			m.standbyRole = standbyOther
			m.standbyUntil = m.now.Add(standbyRscTO)
			break
		}
		if !m.otherStable {
			m.logf(core.LevelWarn, "standby message [%s] from %s ignored.  Other side is in flux.", info, from)
			return
		}
		if m.rstate != StateStable {
			m.logf(core.LevelWarn, "standby message [%s] from %s ignored.  local resources in flux.", info, from)
			return
		}
		m.standbyType = rtype
		if !strings.EqualFold(info, "me") {
			ignored = true
			break
		}
		m.otherStable = false
		m.logf(core.LevelInfo, "%s wants to go standby [%s]", from, rtype)
		if fromMe {
			m.standbyUntil = m.now.Add(standbyInitTO)
			m.goingStandby = standbyMe
			m.standbyRole = standbyMe
		} else {
			m.goingStandby = standbyOther
			m.standbyRole = standbyOther
			m.sendStandbyMsg(standbyOther, m.standbyType)
			m.standbyUntil = m.now.Add(standbyRscTO)
			m.otherAt, m.abandonedOther = m.now, false
		}
	case standbyMe:
		switch {
		case !fromMe:
			m.standbyType = rtype
			m.standbyUntil = m.now.Add(standbyRscTO)
			if strings.EqualFold(info, "other") {
				m.logf(core.LevelInfo, "standby: %s can take our %s resources", from, rtype)
				m.goStandby(standbyMe, rtype)
			} else {
				ignored = true
			}
		case strings.EqualFold(info, "done"):
			m.logf(core.LevelInfo, "Local standby process completed [%s].", rtype)
			m.goingStandby = standbyDone
			m.iHold &^= m.standbyType
			m.standbyUntil = m.now.Add(standbyRscTO)
			m.doneAt, m.peerStableAt = m.now, time.Time{}
		default:
			ignored = true
		}
	case standbyOther:
		m.standbyType = rtype
		switch {
		case strings.EqualFold(info, "done"):
			m.standbyUntil = m.now.Add(standbyRscTO)
			if fromMe {
				ignored = true
				break
			}
			m.logf(core.LevelInfo, "standby: acquire [%s] resources from %s", rtype, from)
			m.goStandby(standbyOther, m.standbyType)
			m.goingStandby = standbyDone
			m.standbyRole = standbyOther
		case !fromMe || !strings.EqualFold(info, "other"):
			ignored = true
		}
	case standbyDone:
		if info == "done" && !fromMe && m.standbyRole == standbyOther {
			// Our peer re-sent its "done" (see resendDone): we already
			// act on the first one.
			m.logf(core.LevelWarn, "Duplicate standby done from %s ignored.", from)
			break
		}
		m.standbyType = rtype
		if info != "done" {
			ignored = true
			break
		}
		m.standbyUntil = time.Time{}
		m.goingStandby = standbyNot
		if fromMe {
			m.logf(core.LevelInfo, "Standby resource acquisition done [%s].", rtype)
			if m.cfg.Mode == AutoFailback {
				m.localDone = true
				m.announce("auto_failback")
			}
			m.iHold |= rtype.flip()
		} else {
			m.logf(core.LevelInfo, "Other node completed standby takeover of %s resources.", rtype)
		}
		m.sendResourcesHeld(true, "")
		m.goingStandby = standbyNot
	}
	if ignored {
		m.logf(core.LevelErr, "Ignored standby message '%s' from %s in state %d", info, from, int(orig))
	}
}

// goStandby is go_standby: give up (ME) or acquire (OTHER) a set, in a
// child that reports with "ask_resources … info=done".
func (m *Machine) goStandby(who standbyState, set Set) {
	if set == None {
		m.logf(core.LevelErr, "no resources to %s", map[bool]string{true: "give up", false: "acquire"}[who == standbyMe])
		return
	}
	op, action := OpTake, "acquire"
	act := set.flip() // the set was named in the requester's terms
	if who == standbyMe {
		// They are about to pick up our resources: make sure they know
		// we are not done yet.
		m.otherStable = false
		m.iHold &^= set
		m.sendResourcesHeld(false, "standby")
		op, action, act = OpGive, "give up", set
	}
	j := &job{name: "go_standby"}
	for _, g := range m.keysOf(act) {
		j.ops = append(j.ops, groupOp{g: g, op: op})
	}
	m.logf(core.LevelInfo, "%s %s HA resources (standby).", action, act)
	rsctype := m.standbyType // the child's copy of standby_rsctype
	epoch := m.standbyEpoch
	j.done = func() {
		if op == OpTake {
			m.logf(core.LevelInfo, "%s HA resource acquisition completed (standby).", act)
		} else {
			m.logf(core.LevelInfo, "%s HA resource release completed (standby).", act)
		}
		if epoch != m.standbyEpoch {
			// The standby was cancelled (peer death, timeout) while we
			// worked: a late "done" would be taken as the answer to the
			// next standby request. See doc.go.
			m.logf(core.LevelWarn, "Standby operation was cancelled: not sending done.")
			return
		}
		m.sendStandbyMsg(standbyDone, rsctype)
	}
	m.enqueue(j)
}

// performAutoFailback is PerformAutoFailback.
func (m *Machine) performAutoFailback() {
	if m.shutdownBusy || m.iHold&Foreign == 0 || !m.needsFailback || m.cfg.Mode != AutoFailback {
		m.needsFailback = false
		return
	}
	// heartbeat does not wait for takeover_in_progress: the failback then
	// gives groups away while mach_down is still taking them, and
	// mach_down's late announcement claims them again (see doc.go).
	if m.goingStandby != standbyNot || !m.otherStable || m.rstate != StateStable || m.takeoverBusy {
		m.logf(core.LevelDebug, "Auto failback delayed.")
		if m.failbackAt.IsZero() {
			m.failbackAt = m.now.Add(autoFailbackWait)
		}
		return
	}
	m.logf(core.LevelDebug, "Auto failback triggered.")
	m.standbyType = Foreign
	m.sendStandbyMsg(standbyMe, m.standbyType)
	m.needsFailback = false
}

// standbyWatch guards the end of a standby we asked for against a lost
// "done" (see doc.go): in state done, waiting for the peer's "done",
//   - if the peer announced isstable=1 and its "done" has not followed
//     within RQSTDELAY, its "done" was lost: finish as if it had come;
//   - if the peer said nothing for a minute, our "done" may have been
//     lost: send it again (without running our own copy through
//     ask_for_resources, which already took it).
func (m *Machine) standbyWatch() {
	if m.goingStandby != standbyDone || m.standbyRole != standbyMe || m.doneAt.IsZero() {
		return
	}
	if !m.peerStableAt.IsZero() && !m.now.Before(m.peerStableAt.Add(rqstDelay)) {
		m.logf(core.LevelWarn, "Other node completed standby takeover of %s resources (its done was lost).", m.standbyType)
		m.standbyUntil = time.Time{}
		m.goingStandby = standbyNot
		m.doneAt, m.peerStableAt = time.Time{}, time.Time{}
		m.sendResourcesHeld(true, "")
		return
	}
	if m.peerStableAt.IsZero() && m.peerStatus == core.StatusActive && !m.now.Before(m.doneAt.Add(doneResend)) {
		m.logf(core.LevelWarn, "No standby done from %s: sending ours again.", m.peer)
		m.doneAt = m.now
		msg := newMsg("ask_resources")
		msg.Add("rsc_hold", m.standbyType.String())
		msg.Add("info", standbyWords[standbyDone])
		m.emit(ClusterSend{Msg: msg})
	}
}

func (m *Machine) standbyWatchDeadline() (time.Time, bool) {
	if m.goingStandby != standbyDone || m.standbyRole != standbyMe || m.doneAt.IsZero() {
		return time.Time{}, false
	}
	if !m.peerStableAt.IsZero() {
		return m.peerStableAt.Add(rqstDelay), true
	}
	return m.doneAt.Add(doneResend), true
}

// otherWatch guards our "other" answer (see doc.go): a requester that got
// it announces "resource … info=standby" at once, before giving anything
// up. Without that within STANDBY_INIT_TO, the requester has timed out
// (or died): heartbeat would wait an hour in state other. We cancel, and
// still honour a "done" that comes later (the announcement may have been
// the one thing lost).
func (m *Machine) otherWatch() {
	if m.goingStandby != standbyOther || m.otherAt.IsZero() || m.now.Before(m.otherAt.Add(standbyInitTO)) {
		return
	}
	m.logf(core.LevelWarn, "Standby request from %s was abandoned: cancelling.", m.peer)
	m.goingStandby = standbyNot
	m.standbyUntil = time.Time{}
	m.standbyEpoch++
	m.otherAt = time.Time{}
	m.otherStable = true
	m.abandonedOther = true
}
