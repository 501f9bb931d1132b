package takeover

import (
	"fmt"
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
)

// RState is heartbeat's resourcestate (enum hb_rsc_state).
type RState int

const (
	StateInit         RState = iota // HB_R_INIT: comm not up yet
	StateStarting                   // HB_R_STARTING: starting sent
	StateBothStarting               // HB_R_BOTHSTARTING: peer's starting seen too
	StateRscRcvd                    // HB_R_RSCRCVD: a resource message seen
	StateStable                     // HB_R_STABLE
	StateShutdown                   // HB_R_SHUTDOWN
)

func (s RState) String() string {
	return [...]string{"init", "starting", "bothstarting", "rscrcvd", "stable", "shutdown"}[s]
}

// standbyState is enum standby (going_standby).
type standbyState int

const (
	standbyNot standbyState = iota
	standbyMe
	standbyOther
	standbyDone
)

var standbyWords = [...]string{"not", "me", "other", "done"}

// heartbeat's timing constants (hb_resource.c, heartbeat.c).
const (
	rqstDelay        = 10 * time.Second // RQSTDELAY: wait for a stable peer before taking local groups
	standbyInitTO    = 10 * time.Second // STANDBY_INIT_TO_MS: reply to our "me"
	standbyRscTO     = time.Hour        // HB_STANDBY_RSC_TO_MS
	autoFailbackWait = time.Second      // AutoFailbackProc retry
	stonithRetry     = 5 * time.Second  // StonithProcessDied retry
	failedTakeWait   = 30 * time.Second // ResourceManager: (sleep 30; hb_standby …) &
	doneResend       = time.Minute      // ours: re-send a standby "done" (standbyWatch)
	ipRequestRetry   = 30 * time.Second // ours: re-send an unanswered ip-request
)

// GroupState is what the machine knows about one group on this node.
type GroupState int

const (
	Stopped GroupState = iota // not running here
	Taking                    // TakeGroup outstanding
	Held                      // running here
	Giving                    // GiveGroup outstanding
	Stuck                     // a stop failed: still (partly) running
)

func (s GroupState) String() string {
	return [...]string{"stopped", "taking", "held", "giving", "stuck"}[s]
}

type group struct {
	key   string
	local bool
	state GroupState
}

// Machine is the R1 resource manager of one node. It is not safe for
// concurrent use.
type Machine struct {
	cfg    Config
	self   string
	peer   string
	groups []*group // file order
	byKey  map[string]*group
	now    time.Time
	out    []Action

	commUp       bool
	rstate       RState
	iHold        Set  // procinfo->i_hold_resources
	otherHolds   Set  // other_holds_resources (peer's terms)
	otherStable  bool // other_is_stable
	takeoverBusy bool // takeover_in_progress
	goingStandby standbyState
	standbyUntil time.Time    // standby_running (zero: not running)
	standbyType  Set          // standby_rsctype
	standbyEpoch int          // bumped when a standby is cancelled
	standbyRole  standbyState // me or other: whose standby this is
	doneAt       time.Time    // role me: when our "done" went out
	peerStableAt time.Time    // role me, done: when the peer said isstable=1
	otherAt      time.Time    // role other: when our "other" went out, unconfirmed
	// abandonedOther: otherWatch cancelled our part; a late "done" from
	// the requester is still honoured.
	abandonedOther bool
	needsFailback  bool      // rsc_needs_failback
	localDone      bool      // local_takeover_work_done
	foreignDone    bool      // foreign_takeover_work_done
	announced      bool      // init_takeover_announced
	localTakeover  time.Time // local_takeover_time
	startingAt     time.Time // when starting was last sent
	peerRscAt      time.Time // when the peer's last resource message came
	failbackAt     time.Time // AutoFailbackProc timer

	peerStatus string // last status reported by the core ("" = never)
	peerRscGen uint64 // hg and seq of the newest resource message applied
	peerRscSeq uint64
	peerHeard  bool // hip->anypacketsyet
	peerHasRsc bool // hip->has_resources (legacy STONITH decision)
	deadAtInit bool // peer declared dead before comm up
	// legacyReqPending: legacy comm up came while the peer was heard but
	// not active; req_our_resources waits for active or dead.
	legacyReqPending bool
	fencing          bool // Initiate_Reset outstanding or retrying
	fenceRetryAt     time.Time

	failedStandby   Set       // classes whose take failed (StandbyGroupType)
	failedStandbyAt time.Time // the (sleep 30; hb_standby) timer

	shutdownWanted   bool   // Shutdown before comm up
	needsShutdown    bool   // rsc_needs_shutdown
	shutdownBusy     bool   // shutdown_in_progress
	giveupStarted    bool   // resource_shutdown_in_progress
	shutdownDone     bool   // our shutdone came back
	partitionRestart bool   // PartitionRestart emitted
	tookOver         bool   // we recovered the peer's death (this incarnation)
	peerGen          uint64 // newest generation seen in the peer's messages
	// ipRequested holds our unanswered ip-requests (legacy) by key.
	ipRequested      map[string]time.Time
	shutdownReported bool
	halted           bool // a stop failed: the host is being rebooted

	jobs    []*job
	running *job
	// child holds the messages of req_our_resources' child, which heartbeat
	// forks and which therefore speaks after its parent: they are emitted
	// at the end of the step.
	child     []*wire.Message
	childHeld int // pending "resource … info=req_our_resources()" reports
}

// NewMachine returns the machine of cfg.LocalNode in state init.
func NewMachine(cfg Config) (*Machine, error) {
	cfg = cfg.withDefaults()
	peer, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	m := &Machine{cfg: cfg, self: cfg.LocalNode, peer: peer, byKey: map[string]*group{},
		standbyType: All, peerHasRsc: true}
	for _, g := range cfg.Groups {
		gr := &group{key: g.Key, local: strings.ToLower(g.Node) == cfg.LocalNode}
		m.groups = append(m.groups, gr)
		m.byKey[g.Key] = gr
	}
	return m, nil
}

func (m *Machine) nice() bool { return m.cfg.Mode != Legacy }

// Step processes one event and returns the actions to perform, in order.
func (m *Machine) Step(ev Event) []Action {
	m.out = nil
	if t := ev.when(); t.After(m.now) {
		m.now = t
	}
	if m.halted {
		return nil
	}
	// process_clustermsg checks the standby timer before every message;
	// we check it before every event.
	m.checkStandbyTimer()
	switch e := ev.(type) {
	case CommUp:
		m.commUpAction()
	case NodeStatus:
		m.nodeStatus(e)
	case Message:
		m.message(e)
	case GroupOpDone:
		m.opDone(e)
	case FenceDone:
		m.fenceDone(e)
	case Standby:
		m.sendStandbyRequest(e.Which)
	case Takeover:
		msg := newMsg("hb_takeover")
		msg.Add("rsc_hold", e.Which.String())
		m.send(msg)
	case Shutdown:
		if !m.commUp {
			m.shutdownWanted = true
			break
		}
		m.giveupResources()
	case Tick:
		m.tick()
	}
	m.flush()
	m.shutdownIfNeeded()
	m.flush()
	if m.shutdownDone && !m.shutdownReported {
		m.shutdownReported = true
		m.emit(ShutdownDone{})
	}
	out := m.out
	m.out = nil
	return out
}

// NextDeadline is when the next Tick is due; ok is false when no timer is
// armed.
func (m *Machine) NextDeadline() (t time.Time, ok bool) {
	consider := func(d time.Time) {
		if !d.IsZero() && (!ok || d.Before(t)) {
			t, ok = d, true
		}
	}
	consider(m.standbyUntil)
	if m.nice() && m.rstate == StateRscRcvd && !m.localTakeover.IsZero() {
		// polled_input_dispatch compares with ">": one poll later.
		consider(m.localTakeover.Add(time.Millisecond))
	}
	if m.needPeerState() {
		consider(m.lastPeerNews().Add(rqstDelay))
	}
	if d, ok := m.standbyWatchDeadline(); ok {
		consider(d)
	}
	if m.goingStandby == standbyOther && !m.otherAt.IsZero() {
		consider(m.otherAt.Add(standbyInitTO))
	}
	for _, at := range m.ipRequested {
		consider(at.Add(ipRequestRetry))
	}
	consider(m.failbackAt)
	consider(m.fenceRetryAt)
	consider(m.failedStandbyAt)
	return t, ok
}

func (m *Machine) tick() {
	if m.needPeerState() && !m.now.Before(m.lastPeerNews().Add(rqstDelay)) {
		// No news from the peer for RQSTDELAY while we wait for it: its
		// answer may have been lost where retransmission cannot help
		// (right after a restart). heartbeat would wait forever; "starting"
		// asks for its state again. See doc.go.
		m.logf(core.LevelWarn, "No resource message from %s: sending starting again.", m.peer)
		m.startingAt = m.now
		m.send(newMsg("starting"))
	}
	if m.nice() && m.rstate == StateRscRcvd && !m.localTakeover.IsZero() && m.now.After(m.localTakeover) {
		// polled_input_dispatch: nobody became stable within RQSTDELAY.
		m.rstate = StateStable
		m.reqOurResources(false)
		m.logf(core.LevelInfo, "local resource transition completed.")
		m.sendResourcesHeld(true, "")
		m.audit()
	}
	m.standbyWatch()
	m.otherWatch()
	m.retryIPRequests()
	if !m.failbackAt.IsZero() && !m.now.Before(m.failbackAt) {
		m.failbackAt = time.Time{}
		m.performAutoFailback()
	}
	if !m.fenceRetryAt.IsZero() && !m.now.Before(m.fenceRetryAt) {
		m.fenceRetryAt = time.Time{}
		m.emit(Fence{Node: m.peer})
	}
	if !m.failedStandbyAt.IsZero() && !m.now.Before(m.failedStandbyAt) {
		m.failedStandbyAt = time.Time{}
		if m.sendStandbyRequest(m.failedStandby) {
			m.failedStandby = None
		} else {
			m.failedStandbyAt = m.now.Add(failedTakeWait)
		}
	}
}

// checkStandbyTimer is the standby_running check at the top of
// process_clustermsg.
func (m *Machine) checkStandbyTimer() {
	if m.standbyUntil.IsZero() || m.now.Before(m.standbyUntil) {
		return
	}
	m.standbyUntil = time.Time{}
	m.otherStable = true
	m.goingStandby = standbyNot
	m.standbyEpoch++
	m.logf(core.LevelWarn, "No reply to standby request.  Standby request cancelled.")
}

// flush lets the children speak: heartbeat forks req_our_resources,
// go_standby and the rc.d scripts, so what they send comes after
// everything their parent did in the same step. req_our_resources' output
// goes first, then the end of the running job.
func (m *Machine) flush() {
	for {
		switch {
		case len(m.child) > 0:
			msg := m.child[0]
			m.child = m.child[1:]
			m.send(msg)
		case m.childHeld > 0:
			m.childHeld--
			m.sendResourcesHeld(true, "req_our_resources()")
		case m.finishJob():
		default:
			return
		}
	}
}

// ---------------------------------------------------------------------
// Helpers

func newMsg(typ string) *wire.Message {
	m := &wire.Message{}
	m.Add("t", typ)
	return m
}

func (m *Machine) emit(a Action) { m.out = append(m.out, a) }

// send is send_cluster_msg. heartbeat's process_outbound_packet runs our
// own copy through the receive path before the message goes out, so what
// that copy triggers (and sends) comes first; the machine does the same
// and ignores the copy the membership core delivers later.
func (m *Machine) send(msg *wire.Message) {
	m.handle(m.self, msg.Clone())
	m.emit(ClusterSend{Msg: msg})
}

func (m *Machine) logf(l core.Level, format string, args ...any) {
	m.emit(Log{Level: l, Msg: fmt.Sprintf(format, args...)})
}

// sendResourcesHeld is hb_send_resources_held.
func (m *Machine) sendResourcesHeld(stable bool, comment string) {
	if !m.nice() {
		return
	}
	msg := newMsg("resource")
	msg.Add("rsc_hold", m.iHold.String())
	msg.Add("rtype", "full")
	if stable {
		msg.Add("isstable", "1")
	} else {
		msg.Add("isstable", "0")
	}
	if comment != "" {
		msg.Add("info", comment)
	}
	m.send(msg)
}

// sendStonith is send_stonith_msg.
func (m *Machine) sendStonith(node, result string) {
	msg := newMsg("stonith")
	msg.Add("node", node)
	msg.Add("result", result)
	m.send(msg)
}

func (m *Machine) keysOf(s Set) []*group {
	var out []*group
	for _, g := range m.groups {
		if (g.local && s&Local != 0) || (!g.local && s&Foreign != 0) {
			out = append(out, g)
		}
	}
	return out
}

// announce is AnnounceTakeover.
func (m *Machine) announce(reason string) {
	if m.announced || !m.localDone || !m.foreignDone {
		return
	}
	m.logf(core.LevelInfo, "Initial resource acquisition complete (%s)", reason)
	m.announced = true
}
