package core

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/wire"
)

// Protocol constants of heartbeat 3.0.6 (include/heartbeat.h,
// heartbeat/heartbeat.c).
const (
	maxMsgHist       = 500            // MAXMSGHIST: transmit history slots
	maxMissing       = maxMsgHist     // MAXMISSING: recorded missing seqs per peer
	flowControlLimit = maxMsgHist / 2 // FLOWCONTROL_LIMIT: gap that resets tracking
	ackMsgDiv        = 10             // ACK_MSG_DIV: ACK every 10th seq
	maxRexmitBatch   = 50             // MAX_REXMIT_BATCH: packets served per request
	rexmitMinDelay   = 50 * time.Millisecond
	deadtimeStartAdd = 2000 * time.Millisecond // hb_add_deadtime(2000) at start
	deadtimePopAfter = 5000 * time.Millisecond // hb_pop_deadtime 5 s later
	reqnodesRetry    = 1000 * time.Millisecond // send_reqnodes_msg re-arm
	partitionRestart = 2000 * time.Millisecond // CauseShutdownRestart delay
	msgFreeInterval  = 500 * time.Millisecond  // Gmain_update_msgfree_count
	pollInterval     = 250 * time.Millisecond  // POLL_INTERVAL
	haURL            = "http://linux-ha.org/wiki/"
	noSeqPrefix      = "NS_"
)

// Message types and field names (include/ha_msg.h, hb_api.h).
const (
	tStatus   = "status"
	tNSStatus = "NS_st"
	tAck      = "NS_ackmsg"
	tRexmit   = "NS_rexmit"
	tNak      = "NS_nak_rexmit"
	tReqNodes = "reqnodes"
	tRepNodes = "repnodes"
)

// Machine is the membership state machine of one heartbeat node: the
// master control process of heartbeat.c without its I/O. It is not safe
// for concurrent use; one goroutine owns it.
type Machine struct {
	cfg       Config
	rng       *rand.Rand
	linkNames []string
	mediaDown map[string]bool

	now     time.Time
	started bool
	load    string
	out     []Action

	nodes  []*node
	byName map[string]*node
	self   *node

	seq        uint64 // ha_msg_seq: next seq to use, from 1
	sendLevel  int    // send_cluster_msg_level
	hist       xmitHist
	liveCount  int // live_node_count, "namely us"
	flowCtl    bool
	localState string

	commUp            bool // heartbeat_comm_state == COMM_LINKSUP
	commNowUpDone     bool // linksupbefore in comm_now_up
	gotReqnodesReply  bool
	initDeadPassed    bool
	deadtimeTmpAdd    int
	startupComplete   bool
	shutdownRequested bool
	restarting        bool

	timers   timerHeap
	timerID  uint64
	rexmitTs map[rexmitKey]*timer
	statusT  *timer

	msgFree   [5]uint64 // Gmain_update_msgfree_count's seqarray
	msgFreeAt int
	timerLow  uint64 // timer_lowseq

	stats Stats
}

// NewMachine returns a machine for cfg. Nothing happens until Start.
func NewMachine(cfg Config) (*Machine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	m := &Machine{
		cfg:        cfg,
		rng:        rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		mediaDown:  map[string]bool{},
		byName:     map[string]*node{},
		load:       cfg.LoadAvg,
		seq:        1,
		liveCount:  1,
		flowCtl:    true,
		localState: StatusInit,
		rexmitTs:   map[rexmitKey]*timer{},
		msgFreeAt:  -1,
	}
	seen := map[string]bool{}
	for _, l := range cfg.Links {
		if !seen[l] {
			seen[l] = true
			m.linkNames = append(m.linkNames, l)
		}
	}
	m.hist.init()
	for _, n := range cfg.Nodes {
		m.addNode(n, NormalNode, false)
	}
	for _, p := range cfg.PingNodes {
		m.addNode(p.Name, PingNodeType, p.Group)
	}
	if m.byName[cfg.LocalNode] == nil { // autojoin any
		m.addNode(cfg.LocalNode, NormalNode, false)
	}
	m.self = m.byName[cfg.LocalNode]
	m.self.uuid = cfg.UUID
	m.self.track.generation = 0
	return m, nil
}

// Step feeds one event to the machine and returns what the caller must do,
// in order. The returned slice is owned by the caller.
func (m *Machine) Step(ev Event) []Action {
	if t := ev.when(); t.After(m.now) || m.now.IsZero() {
		m.now = t
	}
	m.out = nil
	switch e := ev.(type) {
	case Start:
		if !m.started {
			m.setLoad(e.Load)
			m.start()
		}
	case Tick:
		if m.started {
			m.setLoad(e.Load)
			m.tick()
		}
	case Packet:
		m.packet(e)
	case PingReply:
		if m.started {
			m.pingReply(e.Node)
		}
	case LinkEvent:
		m.linkEvent(e)
	case ClusterSend:
		if m.started && e.Msg != nil {
			m.sendClusterMsg(e.Msg.Clone())
		}
	case Shutdown:
		m.shutdown()
	default:
		panic(fmt.Sprintf("core: unknown event %T", ev))
	}
	out := m.out
	m.out = nil
	return out
}

func (m *Machine) setLoad(l string) {
	if l != "" {
		m.load = l
	}
}

// NextDeadline is the earliest time at which a Tick changes something: a
// timer fires or a node or link times out. ok is false before Start.
func (m *Machine) NextDeadline() (t time.Time, ok bool) {
	if !m.started {
		return time.Time{}, false
	}
	consider := func(c time.Time) {
		if !ok || c.Before(t) {
			t, ok = c, true
		}
	}
	if m.timers.Len() > 0 {
		consider(m.timers.peek().at)
	}
	for _, n := range m.nodes {
		if n.status != StatusDead || n == m.self {
			// Dead once now - last > threshold: the first instant is
			// one nanosecond after last + threshold.
			consider(n.localLastUpdate.Add(m.deadThreshold(n) + 1))
		}
	}
	lt := m.linkThreshold()
	for _, n := range m.nodes {
		if n == m.self {
			continue
		}
		for _, l := range n.links {
			if l.status != LinkDead {
				consider(l.lastUpdate.Add(lt + 1))
			}
		}
	}
	return t, ok
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

func (m *Machine) logf(l Level, format string, args ...any) {
	m.emit(Log{Level: l, Msg: fmt.Sprintf(format, args...)})
}

// start is the part of master_control_process that runs once the
// children are up.
func (m *Machine) start() {
	m.started = true
	m.addDeadtime(deadtimeStartAdd) // sends st=init with dt = deadtime+2 s
	m.after(deadtimePopAfter, m.popDeadtime)
	m.setLocalStatus(StatusUp)
	m.sendLocalStatus()
	m.statusT = m.after(m.cfg.KeepAlive, m.keepalive)
	m.after(m.cfg.InitDead, func() { m.initDeadPassed = true })
	m.after(msgFreeInterval, m.msgFreeTick)
	// "Reset timeout times to now"
	for _, n := range m.nodes {
		n.localLastUpdate = m.now
		for _, l := range n.links {
			l.lastUpdate = m.now
		}
	}
}

func (m *Machine) tick() {
	// The timeout check runs before the timers so that a caller that
	// stalled for longer than our own deadtime notices it ("No local
	// heartbeat") instead of papering over it with a fresh status.
	m.checkForTimeouts()
	m.runTimers()
	if !m.commUp {
		m.checkCommIsUp()
	}
}

// keepalive is hb_send_local_status on the periodic glib timer.
func (m *Machine) keepalive() {
	m.sendLocalStatus()
	m.statusT = m.after(m.cfg.KeepAlive, m.keepalive)
}

// msgFreeTick is Gmain_update_msgfree_count: timer_lowseq lags hiseq by
// 2-2.5 s so that acked messages stay retransmittable for a while.
func (m *Machine) msgFreeTick() {
	m.msgFreeAt = (m.msgFreeAt + 1) % len(m.msgFree)
	m.timerLow = m.msgFree[m.msgFreeAt]
	m.msgFree[m.msgFreeAt] = m.hist.hiseq
	m.after(msgFreeInterval, m.msgFreeTick)
}

func (m *Machine) linkEvent(e LinkEvent) {
	known := false
	for _, l := range m.linkNames {
		known = known || l == e.Link
	}
	if !known {
		m.logf(LevelErr, "link event for unknown medium %s", e.Link)
		return
	}
	if e.Up == !m.mediaDown[e.Link] {
		return
	}
	if e.Up {
		delete(m.mediaDown, e.Link)
		m.logf(LevelInfo, "Medium %s is up again.", e.Link)
	} else {
		m.mediaDown[e.Link] = true
		m.logf(LevelWarn, "Medium %s is down: not sending on it.", e.Link)
	}
}

func (m *Machine) shutdown() {
	if m.shutdownRequested {
		return
	}
	m.shutdownRequested = true
	if !m.startupComplete {
		m.logf(LevelWarn, "Shutdown delayed until Communication is up.")
		return
	}
	m.finishShutdown()
}

func (m *Machine) finishShutdown() {
	m.sendLocalStatus()
	m.emit(ShutdownReady{})
}

// ---------------------------------------------------------------------
// Sending

// sendClusterMsg is send_cluster_msg → add_control_msg_fields →
// process_outbound_packet: fill the control fields, remember sequenced
// messages, loop the message back through our own receive path, and only
// then send it. The loop-back can send more messages (ACKs, replies), so
// those go out first and seqs appear out of order on the wire, exactly as
// with heartbeat (§2.10 "Loop-back and ordering").
func (m *Machine) sendClusterMsg(msg *wire.Message) {
	m.sendLevel++
	defer func() { m.sendLevel-- }()
	typ := msg.Type()
	if typ == "" {
		m.logf(LevelErr, "Invalid message in send_cluster_msg")
		return
	}
	m.addControlFields(msg)
	var seq uint64
	if s, ok := msg.Get("seq"); ok {
		seq, _ = parseHex(s)
		m.hist.add(m, msg.Clone(), seq)
	}
	m.processClusterMsg(msg, "", true)
	m.sendToAllMedia(msg, false)
	if typ == tStatus {
		m.sendPings(msg)
	}
}

// addControlFields is add_control_msg_fields (§2.5).
func (m *Machine) addControlFields(msg *wire.Message) {
	if to, ok := msg.Get("dest"); ok {
		// nodename2uuid succeeds for any node in the table, even if
		// its uuid is still null.
		if n := m.byName[to]; n != nil {
			msg.SetBinary("destuuid", n.uuid[:])
		}
	} else if f := msg.Field("destuuid"); f != nil && len(f.Value) == 16 {
		var u [16]byte
		copy(u[:], f.Value)
		for _, n := range m.nodes {
			if n.uuid == u && u != ([16]byte{}) {
				msg.Set("dest", n.name)
			}
		}
	}
	noseq := strings.HasPrefix(msg.Type(), noSeqPrefix)
	set := func(name, value string, isSeq bool) {
		if noseq && (isSeq || msg.Field(name) != nil) {
			return
		}
		msg.Set(name, value)
	}
	set("src", m.cfg.LocalNode, false)
	if !noseq || msg.Field("srcuuid") == nil {
		msg.SetBinary("srcuuid", m.cfg.UUID[:])
	}
	if !noseq {
		msg.Set("seq", strconv.FormatUint(m.seq, 16))
		m.seq++
	}
	set("hg", strconv.FormatUint(m.cfg.Generation, 16), false)
	set("ts", strconv.FormatInt(m.now.Unix(), 16), false)
	set("ld", m.load, true)
	set("ttl", strconv.Itoa(m.cfg.HopFudge+len(m.nodes)), false)
}

// sendToAllMedia is send_to_all_media for the heartbeat media.
func (m *Machine) sendToAllMedia(msg *wire.Message, rexmit bool) {
	var links []string
	if len(m.mediaDown) > 0 {
		links = []string{}
		for _, l := range m.linkNames {
			if !m.mediaDown[l] {
				links = append(links, l)
			}
		}
		if len(links) == 0 {
			m.logf(LevelCrit, "send_to_all_media: No working comm channels to write to.")
			return
		}
	}
	m.stats.Sent++
	m.emit(Send{Msg: msg, Links: links, Rexmit: rexmit})
}

// sendPings is the ping/ping_group write path: an NS_st per ping node for
// every status message, with the status's ts (§3.5).
func (m *Machine) sendPings(status *wire.Message) {
	ts, _ := status.Get("ts")
	for _, n := range m.nodes {
		if n.typ != PingNodeType {
			continue
		}
		p := newMessage()
		p.Add("t", tNSStatus)
		p.Add("st", StatusPing)
		if n.group {
			p.Add("info", "ping_group")
		} else {
			p.Add("info", "ping")
		}
		p.Add("src", n.name)
		p.Add("ts", ts)
		m.emit(SendPing{Node: n.name, Msg: p})
	}
}

// sendLocalStatus is send_local_status.
func (m *Machine) sendLocalStatus() {
	msg := newMessage()
	msg.Add("t", tStatus)
	msg.Add("st", m.localState)
	msg.Add("dt", strconv.FormatInt(m.self.deadFor.Milliseconds(), 16))
	if m.flowCtl {
		msg.Add("protocol", "1")
	}
	m.sendClusterMsg(msg)
}

// setLocalStatus is set_local_status.
func (m *Machine) setLocalStatus(s string) {
	if s == m.localState {
		m.logf(LevelInfo, "Unable to set local status to: %s", s)
		return
	}
	old := m.localState
	m.localState = s
	m.self.status = s
	m.sendLocalStatus()
	m.logf(LevelInfo, "Local status now set to: '%s'", s)
	m.emit(NodeStatus{Node: m.self.name, Type: NormalNode, Old: old, New: s})
}

// addDeadtime / popDeadtime are hb_add_deadtime / hb_pop_deadtime: the
// advertised dt is raised while we start up.
func (m *Machine) addDeadtime(inc time.Duration) {
	if d := m.cfg.DeadTime + inc; m.self.deadFor < d {
		m.self.deadFor = d
		m.sendLocalStatus()
	}
	m.deadtimeTmpAdd++
}

func (m *Machine) popDeadtime() {
	m.deadtimeTmpAdd--
	if m.deadtimeTmpAdd <= 0 {
		m.self.deadFor = m.cfg.DeadTime
		m.sendLocalStatus()
		m.deadtimeTmpAdd = 0
	}
}

// ---------------------------------------------------------------------
// Receiving

func (m *Machine) packet(e Packet) {
	switch {
	case e.Reject == AuthFailed:
		m.stats.Drops.AuthFailed++
		return
	case e.Reject != Accepted || e.Msg == nil:
		m.stats.Drops.Malformed++
		return
	}
	m.stats.Received++
	if !m.started {
		m.stats.Drops.NotStarted++
		return
	}
	m.processClusterMsg(e.Msg, e.Link, false)
}

// processClusterMsg is process_clustermsg. link is "" for loop-back.
func (m *Machine) processClusterMsg(msg *wire.Message, linkName string, loopback bool) {
	if loopback {
		// Drop counters describe what others sent us.
		saved := m.stats.Drops
		defer func() { m.stats.Drops = saved }()
	}
	typ, okT := msg.Get("t")
	from, okF := msg.Get("src")
	ts, okTS := msg.Get("ts")
	if !okT || !okF || !okTS {
		m.stats.Drops.BadFields++
		m.logf(LevelErr, "process_clustermsg: missing from/ts/type: iface %s, from %s", ifaceName(linkName), orUnknown(from, okF))
		return
	}
	var seqno uint64
	if cseq, ok := msg.Get("seq"); ok {
		v, ok := parseHex(cseq)
		if !ok {
			m.stats.Drops.BadFields++
			m.logf(LevelErr, "process_clustermsg: has bad cseq: iface %s, from %s", ifaceName(linkName), from)
			return
		}
		seqno = v
	} else if !strings.HasPrefix(typ, noSeqPrefix) {
		m.stats.Drops.BadFields++
		m.logf(LevelErr, "process_clustermsg: missing seqno: iface %s, from %s", ifaceName(linkName), from)
		return
	}
	msgtime, ok := parseHex(ts)
	if !ok || msgtime == 0 {
		m.stats.Drops.BadFields++
		return
	}
	fromUUID := binaryUUID(msg, "srcuuid")
	n := m.lookup(from, fromUUID)
	if n == nil {
		if m.cfg.AutoJoin == AutoJoinNone {
			m.stats.Drops.BadNode++
			m.logf(LevelErr, "process_status_message: bad node [%s] in message", from)
			return
		}
		m.logf(LevelInfo, "process_clustermsg: Adding new node [%s] to configuration.", from)
		n = m.addNode(lowerASCII(from), NormalNode, false)
		n.suppressed = true
		m.learnUUID(from, fromUUID)
		m.emit(NodeAdded{Node: n.name})
		m.stats.Drops.Autojoined++
		return
	}
	n.anyPacketsYet = true
	lnk := n.lookupLink(linkName)
	if linkName == "" {
		lnk = nil
	}

	verdict, _ := m.shouldDropMessage(n, msg, typ, fromUUID)
	switch verdict {
	case dropIt:
		return
	case duplicate, keepIt:
		if lnk != nil {
			lnk.lastUpdate = m.now
			if lnk.status != LinkUp {
				m.changeLinkStatus(n, lnk, LinkUp)
			}
		}
		if verdict == duplicate {
			return
		}
	}
	if !loopback {
		m.stats.Kept++
	}
	m.dispatch(typ, n, int64(msgtime), seqno, linkName, msg)
	if !m.commUp {
		m.checkCommIsUp()
	}
}

// dispatch is HBDoMsgCallback with the handlers main() registers.
func (m *Machine) dispatch(typ string, n *node, msgtime int64, seqno uint64, linkName string, msg *wire.Message) {
	switch typ {
	case tStatus, tNSStatus:
		m.handleStatus(n, msgtime, seqno, msg)
	case tRexmit:
		if n != m.self {
			m.processRexmit(n, msg)
		}
	case tAck:
		if m.flowCtl {
			m.handleAck(n, msg)
		}
	case tReqNodes:
		m.handleReqNodes(n)
	case tRepNodes:
		m.handleRepNodes(n, msg)
	default:
		m.emit(Deliver{Node: n.name, Link: linkName, Msg: msg})
	}
}

func ifaceName(l string) string {
	if l == "" {
		return "?"
	}
	return l
}

func orUnknown(s string, ok bool) string {
	if !ok {
		return "<?>"
	}
	return s
}

func binaryUUID(msg *wire.Message, name string) [16]byte {
	var u [16]byte
	if f := msg.Field(name); f != nil && len(f.Value) == 16 {
		copy(u[:], f.Value)
	}
	return u
}

// parseHex parses like sscanf("%lx"): optional blanks and 0x, then the
// longest run of hex digits.
func parseHex(s string) (uint64, bool) {
	s = strings.TrimLeft(s, " \t\n")
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	end := 0
	for end < len(s) && strings.IndexByte("0123456789abcdefABCDEF", s[end]) >= 0 {
		end++
	}
	if end == 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(s[:end], 16, 64)
	return v, err == nil
}

// parseDec parses like atoi: optional blanks and sign, leading digits;
// anything unparsable is 0.
func parseDec(s string) int64 {
	s = strings.TrimLeft(s, " \t\n")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	v, _ := strconv.ParseInt(s[:end], 10, 64)
	if neg {
		return -v
	}
	return v
}

// newMessage returns an empty message with room for the control fields,
// so that building one does not grow its slice repeatedly.
func newMessage() *wire.Message {
	return &wire.Message{Fields: make([]wire.Field, 0, 14)}
}
