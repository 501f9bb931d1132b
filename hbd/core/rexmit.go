package core

import (
	"strconv"
	"time"

	"github.com/hbd-project/hbd/hbd/wire"
)

// This file is hb_rexmit.c (asking for lost packets) and the history half
// of heartbeat.c (add2_xmit_hist, process_rexmit, nak_rexmit,
// HBDoMsg_T_ACKMSG, update_ackseq).

type rexmitKey struct {
	node *node
	seq  uint64
}

// requestMsgRexmit is request_msg_rexmit: one timer per missing seq.
func (m *Machine) requestMsgRexmit(n *node, low, high uint64) {
	for s := low; s <= high; s++ {
		m.scheduleRexmit(n, s, 0)
	}
}

// rexmitDelay is the first delay of schedule_rexmit_request: random in
// [50, max_rexmit_delay] ms ([0, max] when max < 100), so that packets
// merely reordered arrive before we ask for them.
func (m *Machine) rexmitDelay() time.Duration {
	maxMs := m.cfg.MaxRexmitDelay.Milliseconds()
	var minMs int64
	if maxMs >= 100 {
		minMs = rexmitMinDelay.Milliseconds()
	}
	return time.Duration(minMs+m.rng.Int64N(maxMs-minMs+1)) * time.Millisecond
}

// scheduleRexmit is schedule_rexmit_request; delay 0 means random.
func (m *Machine) scheduleRexmit(n *node, seq uint64, delay time.Duration) {
	if delay == 0 {
		delay = m.rexmitDelay()
	}
	k := rexmitKey{n, seq}
	m.cancel(m.rexmitTs[k])
	m.rexmitTs[k] = m.after(delay, func() { m.sendRexmitRequest(n, seq) })
}

// sendRexmitRequest is send_rexmit_request: ask only while the peer is up
// or active, then ask again every max_rexmit_delay.
func (m *Machine) sendRexmitRequest(n *node, seq uint64) {
	k := rexmitKey{n, seq}
	delete(m.rexmitTs, k)
	if !n.isUpOrActive() {
		return
	}
	msg := newMessage()
	msg.Add("t", tRexmit)
	msg.Add("dest", n.name)
	// ha_msg_add_int: decimal, unlike every other number (§0 item 3).
	msg.Add("firstseq", strconv.FormatUint(seq, 10))
	msg.Add("lastseq", strconv.FormatUint(seq, 10))
	m.stats.RexmitRequested++
	m.sendClusterMsg(msg)
	m.scheduleRexmit(n, seq, m.cfg.MaxRexmitDelay)
}

// removeRexmit is remove_msg_rexmit.
func (m *Machine) removeRexmit(n *node, seq uint64) {
	k := rexmitKey{n, seq}
	if t, ok := m.rexmitTs[k]; ok {
		m.cancel(t)
		delete(m.rexmitTs, k)
	}
}

// xmitHist is struct msg_xmit_hist: the last MAXMSGHIST sequenced messages
// we sent, for retransmission.
type xmitHist struct {
	msgs       [maxMsgHist]*wire.Message
	seqs       [maxMsgHist]uint64
	lastRexmit [maxMsgHist]time.Time
	lastmsg    int
	hiseq      uint64
	lowseq     uint64 // one less than the lowest seq present
	ackseq     uint64
	lowestAck  *node
}

func (h *xmitHist) init() {
	h.lastmsg = maxMsgHist - 1
}

func (h *xmitHist) free(slot int) {
	if h.msgs[slot] != nil {
		h.lowseq = h.seqs[slot]
		h.msgs[slot] = nil
	}
}

// add is add2_xmit_hist.
func (h *xmitHist) add(m *Machine, msg *wire.Message, seq uint64) {
	slot := h.lastmsg + 1
	if slot >= maxMsgHist {
		slot = 0
	}
	h.hiseq = seq
	h.free(slot)
	h.msgs[slot] = msg
	h.seqs[slot] = seq
	h.lastRexmit[slot] = time.Time{}
	h.lastmsg = slot
	if m.flowCtl && h.hiseq-h.ackseq > flowControlLimit && m.liveCount < 2 {
		// Nobody left to ACK: let the history go (API clients
		// would be paused here with two or more live nodes).
		m.updateAckseq(h.hiseq - (flowControlLimit - 1))
	}
}

// processRexmit is process_rexmit: serve a peer's NS_rexmit.
func (m *Machine) processRexmit(from *node, msg *wire.Message) {
	h := &m.hist
	cf, ok1 := msg.Get("firstseq")
	cl, ok2 := msg.Get("lastseq")
	fseq, lseq := parseDec(cf), parseDec(cl)
	if !ok1 || !ok2 || fseq <= 0 || lseq <= 0 || fseq > lseq {
		m.logf(LevelErr, "Invalid rexmit seqnos")
		return
	}
	firstslot := h.lastmsg - 1
	count := 0
	for this := uint64(fseq); this <= uint64(lseq); this++ {
		if this <= from.track.ackseq {
			continue // already ACKed by the requester
		}
		if this <= h.lowseq {
			m.nakRexmit(this, from.name, "seqno too low")
			continue
		}
		if this > h.hiseq {
			m.logf(LevelWarn, "Rexmit of seq %d requested. %d is max.", this, h.hiseq)
			continue
		}
		found, skipped := false, false
		// heartbeat searches downwards from the slot before the newest
		// and stops before reaching the newest slot again, so the most
		// recent message is never found; we keep that.
		for slot := firstslot; !found && slot != firstslot+1; slot-- {
			if slot < 0 {
				if firstslot == maxMsgHist-1 {
					break
				}
				slot = maxMsgHist - 1
			}
			if h.msgs[slot] == nil || h.seqs[slot] != this {
				continue
			}
			if last := h.lastRexmit[slot]; !last.IsZero() && m.now.Sub(last) < m.cfg.MaxRexmitDelay-10*time.Millisecond {
				skipped = true
				break
			}
			count++
			if count > maxRexmitBatch {
				return
			}
			firstslot = slot - 1
			found = true
			h.lastRexmit[slot] = m.now
			m.stats.RexmitServed++
			m.sendToAllMedia(h.msgs[slot].Clone(), true)
		}
		if !found && !skipped {
			m.nakRexmit(this, from.name, "seqno not found")
		}
	}
}

// nakRexmit is nak_rexmit.
func (m *Machine) nakRexmit(seq uint64, to, reason string) {
	m.logf(LevelErr, "Cannot rexmit pkt %d for %s: %s", seq, to, reason)
	msg := newMessage()
	msg.Add("t", tNak)
	msg.Add("firstseq", strconv.FormatUint(seq, 16))
	msg.Add("dest", to)
	msg.Add("info", reason)
	m.stats.RexmitNaked++
	m.sendClusterMsg(msg)
}

// handleAck is HBDoMsg_T_ACKMSG: track the lowest ACK of the live nodes
// and free history up to it.
func (m *Machine) handleAck(from *node, msg *wire.Message) {
	h := &m.hist
	to, ok := msg.Get("dest")
	if !ok || m.byName[lowerASCII(to)] != m.self {
		return
	}
	if from != m.self {
		m.stats.AcksReceived++
	}
	s, _ := msg.Get("ackseq")
	ackseq, ok := parseHex(s)
	if !ok || ackseq == from.track.ackseq || ackseq <= h.ackseq {
		return
	}
	if ackseq > h.hiseq {
		m.logf(LevelErr, "HBDoMsg_T_ACK: corrupted ackseq current hiseq = %d ackseq =%d in this message", h.hiseq, ackseq)
		return
	}
	if ackseq < from.track.ackseq {
		return
	}
	from.track.ackseq = ackseq
	if h.lowestAck != nil && h.lowestAck.status == StatusDead {
		h.lowestAck = nil
	}
	newAck := h.ackseq
	if h.lowestAck == nil || h.lowestAck == from {
		var minNode *node
		for _, n := range m.nodes {
			if n.typ == PingNodeType || n.status == StatusDead {
				continue
			}
			if minNode == nil || n.track.ackseq < minNode.track.ackseq {
				minNode = n
			}
		}
		if minNode == nil {
			return
		}
		h.lowestAck = nil
		if m.liveCount < 2 {
			if h.hiseq-newAck >= flowControlLimit {
				newAck = h.hiseq - (flowControlLimit - 1)
			}
		} else {
			if minNode.track.ackseq > 0 {
				newAck = minNode.track.ackseq
			}
			h.lowestAck = minNode
		}
	}
	m.updateAckseq(newAck)
}

// updateAckseq is update_ackseq: free history slots up to the ACKed seq,
// but never newer than timer_lowseq (what hiseq was 2-2.5 s ago).
func (m *Machine) updateAckseq(newAck uint64) {
	h := &m.hist
	old := h.ackseq
	if newAck <= old {
		return
	}
	h.ackseq = newAck
	start := h.lowseq
	count := int64(h.ackseq) - int64(h.lowseq) - int64(m.sendLevel)
	if old == 0 {
		count--
	}
	for ; count > 0; count-- {
		if start > m.timerLow {
			break
		}
		h.free(int(start % maxMsgHist))
		start++
	}
}
