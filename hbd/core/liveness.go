package core

import (
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/wire"
)

var zeroTime time.Time

// handleStatus is HBDoMsg_T_STATUS, for both status and NS_st (ping).
func (m *Machine) handleStatus(n *node, msgtime int64, seqno uint64, msg *wire.Message) {
	status, ok := msg.Get("st")
	if !ok {
		m.logf(LevelErr, "HBDoMsg_T_STATUS: status update without st field")
		return
	}
	// Do we already have a newer status?
	if msgtime < n.rmtLastUpdate && seqno < n.statusSeqno {
		return
	}
	if n.typ != PingNodeType && m.flowCtl && msg.Field("protocol") == nil {
		m.logf(LevelInfo, "flow control disabled due to different version heartbeat")
		m.flowCtl = false
	}
	if !n.localLastUpdate.IsZero() {
		iv := m.now.Sub(n.localLastUpdate)
		switch {
		case iv > m.cfg.DeadTime:
			m.stats.LateHeartbeats++
			m.logf(LevelCrit, "Late heartbeat: Node %s: interval %d ms (> deadtime)", n.name, iv.Milliseconds())
			// The poll did not run in time to see it dead; it was
			// not dead after all, but may have seen us dead.
			if n != m.self {
				m.markNodeDead(n)
			}
		case iv > m.cfg.WarnTime:
			m.stats.LateHeartbeats++
			m.logf(LevelWarn, "Late heartbeat: Node %s: interval %d ms", n.name, iv.Milliseconds())
		}
	}
	// The second status from an autojoined node releases the first.
	if n.suppressed && n.saved != nil {
		n.suppressed = false
		m.emit(*n.saved)
		n.saved = nil
	}
	if !strings.EqualFold(n.status, status) && n != m.self {
		m.logf(LevelInfo, "Status update for node %s: status %s", n.name, status)
		if n.typ == NormalNode && n.isUpOrActive() && status == StatusInit {
			m.liveCount-- // restarted faster than deadtime
		}
		if n.typ == NormalNode && (n.status == StatusDead || n.status == StatusInit) &&
			(status == StatusUp || status == StatusActive) {
			m.liveCount++
		}
		ev := NodeStatus{Node: n.name, Type: n.typ, Old: n.status, New: status}
		n.status = status
		if n.suppressed {
			n.saved = &ev
		} else {
			m.emit(ev)
		}
	}
	if dt, ok := msg.Get("dt"); ok {
		if v, ok := parseHex(dt); ok {
			n.deadFor = time.Duration(v) * time.Millisecond
		}
	}
	n.rmtLastUpdate = msgtime
	n.localLastUpdate = m.now
	n.statusSeqno = seqno
}

// pingReply feeds an NS_st echo reply through process_clustermsg's
// KEEPIT path (link up) and HBDoMsg_T_STATUS.
func (m *Machine) pingReply(name string) {
	n := m.byName[lowerASCII(name)]
	if n == nil || n.typ != PingNodeType {
		m.stats.Drops.BadNode++
		m.logf(LevelErr, "process_status_message: bad node [%s] in message", name)
		return
	}
	m.stats.PingReplies++
	n.anyPacketsYet = true
	if l := n.links[0]; true {
		l.lastUpdate = m.now
		if l.status != LinkUp {
			m.changeLinkStatus(n, l, LinkUp)
		}
	}
	msg := newMessage()
	msg.Add("t", tNSStatus)
	msg.Add("st", StatusPing)
	m.handleStatus(n, m.now.Unix(), 0, msg)
	if !m.commUp {
		m.checkCommIsUp()
	}
}

// markNodeDead is mark_node_dead.
func (m *Machine) markNodeDead(n *node) {
	m.logf(LevelWarn, "node %s: is dead", n.name)
	if n == m.self {
		m.logf(LevelErr, "No local heartbeat. Forcing restart.")
		m.logf(LevelInfo, "See URL: %sFAQ#No_Local_Heartbeat", haURL)
		if !m.shutdownRequested {
			m.requestRestart(RestartNoLocalHeartbeat, "")
		}
		return
	}
	if n.typ == NormalNode && n.status != StatusDead && n.status != StatusInit {
		m.liveCount--
	}
	if n.status != StatusDead {
		m.emit(NodeStatus{Node: n.name, Type: n.typ, Old: n.status, New: StatusDead})
	}
	n.status = StatusDead
	m.stats.NodeDeaths++
	n.rmtLastUpdate = 0
	n.anyPacketsYet = false
	m.resetSeqtrack(n)
}

func (m *Machine) requestRestart(r RestartReason, node string) {
	if m.restarting {
		return
	}
	m.restarting = true
	m.emit(Restart{Reason: r, Node: node})
}

// changeLinkStatus is change_link_status.
func (m *Machine) changeLinkStatus(n *node, l *link, status string) {
	l.status = status
	m.logf(LevelInfo, "Link %s:%s %s.", n.name, l.name, status)
	m.emit(LinkStatus{Node: n.name, Link: l.name, Status: status})
}

// deadThreshold is the dead_ticks check_for_timeouts applies to n: initdead
// until comm is up, then the node's own (for peers: advertised) deadtime.
func (m *Machine) deadThreshold(n *node) time.Duration {
	if !m.commUp {
		return m.cfg.InitDead
	}
	return n.deadFor
}

// linkThreshold reproduces a quirk of check_for_timeouts: the link loop
// reuses TooOld from the last iteration of the node loop, so every link
// times out on the threshold of the last node in the table.
func (m *Machine) linkThreshold() time.Duration {
	return m.deadThreshold(m.nodes[len(m.nodes)-1])
}

// checkForTimeouts is check_for_timeouts.
func (m *Machine) checkForTimeouts() {
	for _, n := range append([]*node(nil), m.nodes...) {
		if n.status == StatusDead && n != m.self {
			continue
		}
		if m.now.Sub(n.localLastUpdate) > m.deadThreshold(n) {
			m.markNodeDead(n)
		}
	}
	lt := m.linkThreshold()
	for _, n := range m.nodes {
		if n == m.self {
			continue
		}
		for _, l := range n.links {
			if l.lastUpdate.After(m.now) {
				l.lastUpdate = zeroTime
			}
			if l.status != LinkDead && m.now.Sub(l.lastUpdate) > lt {
				m.changeLinkStatus(n, l, LinkDead)
			}
		}
	}
}

// checkCommIsUp is check_comm_isup.
func (m *Machine) checkCommIsUp() {
	if m.commUp {
		return
	}
	if m.cfg.AutoJoin != AutoJoinNone && !m.initDeadPassed {
		return
	}
	heard := 0
	for _, n := range m.nodes {
		if n.anyPacketsYet || n.status == StatusDead {
			heard++
		}
	}
	if heard < len(m.nodes) {
		return
	}
	m.commUp = true
	if m.flowCtl {
		m.sendReqnodes(0)
	} else {
		m.commNowUp()
	}
}

// sendReqnodes is send_reqnodes_msg: ask the first live peer (from start,
// without wrapping, as heartbeat does) for its node list; retry every
// second until a repnodes arrives or no live peer is left.
func (m *Machine) sendReqnodes(start int) {
	if m.gotReqnodesReply {
		return
	}
	if start >= len(m.nodes) {
		start = 0
	}
	var dest *node
	i := start
	for ; i < len(m.nodes); i++ {
		n := m.nodes[i]
		if n.status != StatusDead && n != m.self && n.typ == NormalNode {
			dest = n
			break
		}
	}
	if dest == nil {
		m.gotReqnodesReply = true
		m.commNowUp()
		return
	}
	msg := newMessage()
	msg.Add("t", tReqNodes)
	msg.Add("dest", dest.name)
	m.sendClusterMsg(msg)
	m.after(reqnodesRetry, func() { m.sendReqnodes(i) })
}

// commNowUp is comm_now_up.
func (m *Machine) commNowUp() {
	if m.commNowUpDone {
		return
	}
	m.commNowUpDone = true
	m.logf(LevelInfo, "Comm_now_up(): updating status to active")
	m.setLocalStatus(StatusActive)
	m.emit(CommUp{})
	if !m.startupComplete {
		m.startupComplete = true
		if m.shutdownRequested {
			m.finishShutdown()
		}
	}
}

// nodeList is get_nodelist: every normal node followed by a space. A
// wrong list makes the real node remove nodes (§12.2 W8), so it is built
// from the node table only.
func (m *Machine) nodeList() string {
	var b strings.Builder
	for _, n := range m.nodes {
		if n.typ == NormalNode {
			b.WriteString(n.name)
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// handleReqNodes is HBDoMsg_T_REQNODES.
func (m *Machine) handleReqNodes(from *node) {
	if from == m.self {
		m.logf(LevelErr, "HBDoMsg_T_REQNODES: get reqnodes msg from myself!")
		return
	}
	msg := newMessage()
	msg.Add("dest", from.name)
	msg.Add("t", tRepNodes)
	msg.Add("nodelist", m.nodeList())
	// get_delnodelist: we keep no deletion list, which heartbeat
	// renders as a single space.
	msg.Add("delnodelist", " ")
	m.sendClusterMsg(msg)
}

// handleRepNodes is HBDoMsg_T_REPNODES: add the nodes we lack, remove
// normal nodes the peer does not list (remove_node refuses live ones),
// then comm_now_up.
func (m *Machine) handleRepNodes(from *node, msg *wire.Message) {
	if from == m.self {
		return
	}
	if list, ok := msg.Get("nodelist"); ok {
		names := strings.Fields(list)
		in := map[string]bool{}
		for _, name := range names {
			in[name] = true
			n := m.byName[name]
			if n == nil {
				m.logf(LevelInfo, "hb_add_one_node: Adding new node[%s] to configuration.", name)
				m.addNode(name, NormalNode, false)
				m.emit(NodeAdded{Node: name})
			} else if n.typ != NormalNode {
				m.logf(LevelErr, "HBDoMsg_T_REPNODES: Incoming repnodes node list contains %s", name)
			}
		}
		for _, n := range append([]*node(nil), m.nodes...) {
			if n.typ != NormalNode || in[n.name] {
				continue
			}
			m.logf(LevelInfo, "Removing node [%s] from configuration.", n.name)
			if n.status != StatusDead && n.status != StatusInit {
				m.logf(LevelErr, "remove_node: node %s is %s. Cannot remove alive node", n.name, n.status)
				continue
			}
			m.removeNode(n)
			m.emit(NodeRemoved{Node: n.name})
		}
		m.gotReqnodesReply = true
	}
	if _, ok := msg.Get("delnodelist"); ok {
		m.gotReqnodesReply = true
	}
	m.commNowUp()
}
