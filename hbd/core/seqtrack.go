package core

import (
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/wire"
)

// seqtrack is struct seqtrack: what we know of one sender's sequence.
type seqtrack struct {
	generation   uint64
	lastSeq      uint64
	hasLast      bool     // false is NOSEQUENCE
	missing      []uint64 // seqmissing[0:nmissing]; 0 marks a filled hole
	firstMissing uint64   // first_missing_seq, 0 if none
	ackTrigger   uint64   // rand()%ACK_MSG_DIV
	ackseq       uint64   // the highest seq this node ACKed to us
}

func (t *seqtrack) reset() {
	t.missing = t.missing[:0]
	t.firstMissing = 0
	t.hasLast = false
	t.lastSeq = 0
	t.ackseq = 0
}

// cancelAll removes the rexmit timers of every recorded missing seq.
func (t *seqtrack) cancelAll(m *Machine, n *node) {
	for _, s := range t.missing {
		if s != 0 {
			m.removeRexmit(n, s)
		}
	}
}

// resetSeqtrack is reset_seqtrack.
func (m *Machine) resetSeqtrack(n *node) {
	n.track.cancelAll(m, n)
	n.track.reset()
}

type verdict int

const (
	dropIt verdict = iota
	duplicate
	keepIt
)

// shouldDropMessage is should_drop_message (§2.10), rule by rule.
func (m *Machine) shouldDropMessage(n *node, msg *wire.Message, typ string, fromUUID [16]byte) (verdict, bool) {
	t := &n.track
	to, hasTo := msg.Get("dest")
	from, _ := msg.Get("src")
	m.learnUUID(from, fromUUID)

	// 1. NS_ types carry no sequence number.
	if strings.HasPrefix(typ, noSeqPrefix) {
		if strings.EqualFold(typ, tNak) {
			cn, _ := msg.Get("firstseq")
			nseq, ok := parseHex(cn)
			if !ok || nseq == 0 {
				m.stats.Drops.BadFields++
				m.logf(LevelErr, "should_drop_message: bad nak seq number")
				return dropIt, false
			}
			if !hasTo {
				m.logf(LevelWarn, "should_drop_message: tonodename not found heartbeat version not matching?")
			}
			if !hasTo || to == m.cfg.LocalNode {
				m.stats.NaksReceived++
				m.logf(LevelErr, "Irretrievably lost packet: node %s seq %d", n.name, nseq)
			}
			m.isLostPacket(n, nseq)
			return dropIt, false
		}
		if !hasTo || to == m.cfg.LocalNode {
			return keepIt, false
		}
		m.stats.Drops.NotForUs++
		return dropIt, false
	}
	isStatus := strings.EqualFold(typ, tStatus)

	// 2. A valid seq and generation.
	cseq, _ := msg.Get("seq")
	seq, ok := parseHex(cseq)
	if !ok || seq == 0 {
		m.stats.Drops.BadFields++
		m.logf(LevelErr, "should_drop_message: bad sequence number")
		return dropIt, false
	}
	var gen uint64
	if cgen, ok := msg.Get("hg"); ok {
		if gen, ok = parseHex(cgen); !ok {
			m.stats.Drops.BadFields++
			m.logf(LevelErr, "should_drop_message: bad generation number")
			return dropIt, false
		}
	}

	// 3. Is it for us? destuuid wins when present and not null.
	var isToUs bool
	if tu := binaryUUID(msg, "destuuid"); tu != ([16]byte{}) {
		isToUs = tu == m.cfg.UUID
	} else {
		isToUs = !hasTo || to == m.cfg.LocalNode
	}
	keepIfToUs := func() verdict {
		if isToUs {
			return keepIt
		}
		m.stats.Drops.NotForUs++
		return dropIt
	}

	// 4. Replay, restart and healed-partition detection. Sequence
	// processing happens for every packet, even those not for us.
	isRestart, isHealed := false, false
	if gen < t.generation {
		m.stats.Drops.OldGeneration++
		m.logf(LevelErr, "should_drop_message: attempted replay attack [%s]? [gen = %d, curgen = %d]",
			n.name, gen, t.generation)
		return dropIt, false
	} else if isStatus {
		if gen == t.generation && gen > 0 {
			if n.status == StatusDead {
				if seq <= n.statusSeqno {
					m.stats.Drops.StaleStatus++
					return dropIt, false
				}
				m.logf(LevelCrit, "Cluster node %s returning after partition.", n.name)
				m.logf(LevelInfo, "For information on cluster partitions, See URL: %sSplit_Brain", haURL)
				m.logf(LevelWarn, "Deadtime value may be too small.")
				m.logf(LevelInfo, "See FAQ for information on tuning deadtime.")
				m.logf(LevelInfo, "URL: %sFAQ#Heavy_Load", haURL)
				m.stats.HealedPartitions++
				m.emit(PartitionHealed{Node: n.name})
				if m.cfg.ManageResources {
					m.sendLocalStatus()
					m.after(partitionRestart, func() { m.requestRestart(RestartHealedPartition, n.name) })
				}
				isHealed = true
			}
		} else if gen > t.generation {
			isRestart = true
			if t.generation > 0 {
				m.stats.Restarts++
				m.logf(LevelInfo, "Heartbeat restart on node %s", n.name)
			}
			m.resetSeqtrack(n)
			n.rmtLastUpdate = 0
			n.localLastUpdate = zeroTime
			n.statusSeqno = 0
		}
		t.generation = gen
	}

	// 5. In order.
	if !t.hasLast || seq == t.lastSeq+1 {
		t.lastSeq, t.hasLast = seq, true
		m.sendAckIfNeeded(n, seq)
		return keepIfToUs(), false
	}
	// 6. Same as the last one: refreshes the link only.
	if seq == t.lastSeq {
		m.stats.Drops.Duplicate++
		return duplicate, false
	}
	// 7. A gap.
	if seq > t.lastSeq {
		nlost := seq - (t.lastSeq + 1)
		m.stats.LostPackets += nlost
		m.logf(LevelWarn, "%d lost packet(s) for [%s] [%d:%d]", nlost, n.name, t.lastSeq, seq)
		if nlost > flowControlLimit {
			m.resetSeqtrack(n)
			t.lastSeq, t.hasLast = seq, true
			m.logf(LevelErr, "lost a lot of packets!")
			return keepIfToUs(), false
		}
		m.requestMsgRexmit(n, t.lastSeq+1, seq-1)
		if t.firstMissing == 0 || t.firstMissing > t.lastSeq+1 {
			t.firstMissing = t.lastSeq + 1
		}
		for k := t.lastSeq + 1; k < seq; k++ {
			t.recordMissing(k)
		}
		t.lastSeq = seq
		return keepIfToUs(), false
	}
	// 8. Older than the last one: a recorded missing packet?
	if m.isLostPacket(n, seq) {
		return keepIfToUs(), true
	}
	if isHealed || isRestart {
		m.sendAckIfNeeded(n, seq)
		m.resetSeqtrack(n)
		t.lastSeq, t.hasLast = seq, true
		return keepIfToUs(), false
	}
	m.stats.Drops.Stale++
	return dropIt, false
}

// recordMissing appends k to seqmissing, or replaces the first filled hole
// or the lowest recorded seq when the list is full (MAXMISSING-1 entries).
func (t *seqtrack) recordMissing(k uint64) {
	if len(t.missing) < maxMissing-1 {
		t.missing = append(t.missing, k)
		return
	}
	at := -1
	for j, s := range t.missing {
		if s == 0 {
			at = j
			break
		}
		if at < 0 || s < t.missing[at] {
			at = j
		}
	}
	t.missing[at] = k
}

// isLostPacket is is_lost_packet: a recorded missing seq arrived (or was
// NAKed). It cancels the rexmit timer and, when the first hole closes,
// sends the ACK the hole held back.
func (m *Machine) isLostPacket(n *node, seq uint64) bool {
	t := &n.track
	found := false
	for j, s := range t.missing {
		if s != seq {
			continue
		}
		m.removeRexmit(n, seq)
		t.missing[j] = 0
		for len(t.missing) > 0 && t.missing[len(t.missing)-1] == 0 {
			t.missing = t.missing[:len(t.missing)-1]
		}
		if len(t.missing) == 0 {
			m.logf(LevelInfo, "No pkts missing from %s!", n.name)
			t.firstMissing = 0
		}
		found = true
		break
	}
	if !m.flowCtl || !found || seq != t.firstMissing {
		return found
	}
	old := t.firstMissing
	t.firstMissing = 0
	for _, s := range t.missing {
		if s != 0 && (t.firstMissing == 0 || s < t.firstMissing) {
			t.firstMissing = s
		}
	}
	last := int64(t.lastSeq)
	if t.firstMissing != 0 {
		last = int64(t.firstMissing) - 1
	}
	// The highest seq <= last with seq%10 == ack_trigger.
	trig := int64(t.ackTrigger)
	ack := last/ackMsgDiv*ackMsgDiv + trig
	if last%ackMsgDiv < trig {
		ack -= ackMsgDiv
	}
	if ack > 0 && uint64(ack) >= old {
		m.sendAckIfNeeded(n, uint64(ack))
	}
	return true
}

// sendAckIfNeeded is send_ack_if_needed: ACK every seq with
// seq%10 == ack_trigger unless an earlier seq is still missing.
func (m *Machine) sendAckIfNeeded(n *node, seq uint64) {
	if !m.flowCtl {
		return
	}
	fm := n.track.firstMissing
	if (fm != 0 && seq > fm) || seq%ackMsgDiv != n.track.ackTrigger {
		return
	}
	msg := newMessage()
	msg.Add("t", tAck)
	msg.Add("dest", n.name)
	msg.Add("ackseq", strconv.FormatUint(seq, 16))
	m.stats.AcksSent++
	m.sendClusterMsg(msg)
}
