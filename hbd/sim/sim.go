package sim

import (
	"container/heap"
	"crypto/md5"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/takeover"
	"github.com/hbd-project/hbd/hbd/wire"
)

// Config describes one schedule. Zero fields take the defaults below.
type Config struct {
	Seed uint64
	// Mode is the takeover mode; ModeFromSeed picks one per seed.
	Mode takeover.Mode
	// FaultPhase is how long faults are injected (default 25 s); Quiet is
	// the fault-free time after it (default 10 s) before the run looks for
	// the first settled point (at most settleLimit later) to check
	// convergence.
	FaultPhase, Quiet time.Duration
	// MaxFaults bounds the faults injected (default 3).
	MaxFaults int
	// TakeFailProb is the chance that a start fails during the fault
	// phase (default 0.05); StuckProb that a stop fails (default 0.01).
	TakeFailProb, StuckProb float64
	// Stonith configures a STONITH device: fencing resets the peer.
	Stonith bool
	// Trace records a human-readable trace in Report.Trace.
	Trace bool
}

// Report summarises a schedule.
type Report struct {
	Seed     uint64
	Mode     takeover.Mode
	Steps    int // events processed
	Faults   int // faults injected
	Checks   int // invariant evaluations
	Messages int // cluster messages sent
	Trace    []string
}

const (
	keepalive = 2 * time.Second
	deadtime  = 8 * time.Second
	initdead  = 16 * time.Second
)

// settleLimit bounds how long after the quiet period the cluster may take
// to settle.
const settleLimit = 2 * time.Minute

// holdDown is how long the cluster must stay settled before convergence
// is checked: several keepalives, so that lost messages are retransmitted.
const holdDown = 6 * time.Second

var epoch = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

var nodeNames = []string{"hsa", "hsb"}

// The haresources of the simulated cluster: two groups for hsa (to
// exercise the one-at-a-time queue), one for hsb.
var groups = []haresources.Group{
	{Node: "hsa", Key: "IPaddr::10.0.0.1", Resources: res("IPaddr::10.0.0.1", "Filesystem::/dev/sda1::/a", "apache")},
	{Node: "hsb", Key: "IPaddr::10.0.0.2", Resources: res("IPaddr::10.0.0.2", "mysql")},
	{Node: "hsa", Key: "IPaddr::10.0.0.3", Resources: res("IPaddr::10.0.0.3")},
}

func res(tokens ...string) []haresources.Resource {
	out := make([]haresources.Resource, len(tokens))
	for i, t := range tokens {
		out[i] = haresources.Resource{Name: strings.SplitN(t, "::", 2)[0], Token: t}
	}
	return out
}

func groupOf(key string) haresources.Group {
	for _, g := range groups {
		if g.Key == key {
			return g
		}
	}
	panic("unknown group " + key)
}

// ModeFromSeed spreads the modes over seeds: auto_failback on, off, legacy.
func ModeFromSeed(seed uint64) takeover.Mode {
	return [...]takeover.Mode{takeover.AutoFailback, takeover.NiceFailback, takeover.Legacy}[seed%3]
}

type sim struct {
	cfg    Config
	rng    *rand.Rand
	now    time.Time
	end    time.Time
	nodes  [2]*node
	q      queue
	id     uint64
	cut    [2]bool      // cut[i]: packets from node i are lost
	last   [2]time.Time // last delivery time from node i: the link is FIFO
	loss   float64
	rep    Report
	err    error
	failed map[string]bool // group whose latest start anywhere failed
	// inflight counts resource-layer datagrams on the wire: the cluster
	// is not settled while one may still change something.
	inflight int
}

// Run executes one schedule.
func Run(cfg Config) (Report, error) {
	if cfg.FaultPhase == 0 {
		cfg.FaultPhase = 25 * time.Second
	}
	if cfg.Quiet == 0 {
		cfg.Quiet = 10 * time.Second
	}
	if cfg.MaxFaults == 0 {
		cfg.MaxFaults = 3
	}
	if cfg.TakeFailProb == 0 {
		cfg.TakeFailProb = 0.05
	}
	if cfg.StuckProb == 0 {
		cfg.StuckProb = 0.01
	}
	s := &sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed)), now: epoch, failed: map[string]bool{}}
	s.rep = Report{Seed: cfg.Seed, Mode: cfg.Mode}
	s.end = epoch.Add(cfg.FaultPhase + cfg.Quiet)
	s.loss = s.rng.Float64() * 0.02
	for i, name := range nodeNames {
		s.nodes[i] = &node{s: s, idx: i, name: name, gen: 0x100}
		// Start times spread so that sometimes initdead expires first.
		s.push(&event{at: epoch.Add(s.randDur(0, 10*time.Second)), node: i, kind: evBoot})
	}
	s.planFaults()
	// Run to the end, then on until the first point where the cluster is
	// settled (a late fault, such as a false death under loss, may still
	// be playing out), and check convergence there.
	limit := s.end.Add(settleLimit)
	settled := false
	var quietSince time.Time
	for s.q.Len() > 0 && s.err == nil && !settled {
		e := heap.Pop(&s.q).(*event)
		if e.at.After(limit) {
			break
		}
		s.now = e.at
		s.rep.Steps++
		s.dispatch(e)
		if s.err == nil {
			s.checkSafety()
		}
		// Settled for holdDown in a row: a lost message has been
		// retransmitted by then.
		switch {
		case s.err != nil || s.now.Before(s.end) || !s.settled():
			quietSince = time.Time{}
		case quietSince.IsZero():
			quietSince = s.now
		default:
			settled = s.now.Sub(quietSince) >= holdDown
		}
	}
	if s.err == nil && !settled {
		s.failf("not settled %v after the faults stopped", s.cfg.Quiet+settleLimit)
	}
	if s.err == nil {
		s.checkConverged()
	}
	if s.err != nil {
		return s.rep, fmt.Errorf("seed %d (mode %v) at %v: %w", cfg.Seed, cfg.Mode, s.now.Sub(epoch), s.err)
	}
	return s.rep, nil
}

func (s *sim) randDur(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)))
}

func (s *sim) tracef(format string, args ...any) {
	if s.cfg.Trace {
		s.rep.Trace = append(s.rep.Trace, fmt.Sprintf("%9.3fs ", s.now.Sub(epoch).Seconds())+fmt.Sprintf(format, args...))
	}
}

func (s *sim) failf(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf(format, args...)
		s.tracef("VIOLATION: %v", s.err)
	}
}

// ---------------------------------------------------------------------
// Events

type evKind int

const (
	evBoot      evKind = iota // a node (re)starts
	evPacket                  // a datagram arrives
	evTick                    // the node machine's NextDeadline
	evExec                    // the executor's next resource step
	evFenceDone               // a STONITH reset finished
	evFault                   // inject a fault
	evHeal                    // end a partition
)

type event struct {
	at   time.Time
	id   uint64
	node int
	kind evKind
	inc  int // the node's incarnation the event belongs to
	msg  *wire.Message
	f    fault
}

type queue []*event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].id < q[j].id
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

func (s *sim) push(e *event) {
	s.id++
	e.id = s.id
	heap.Push(&s.q, e)
}

func (s *sim) dispatch(e *event) {
	n := s.nodes[e.node]
	switch e.kind {
	case evBoot:
		n.boot()
	case evFault:
		s.inject(e.f)
	case evHeal:
		s.cut = [2]bool{}
		s.tracef("network healed")
	default:
		if e.kind == evPacket && resourceMsg(e.msg) {
			s.inflight--
		}
		if !n.up || e.inc != n.inc {
			return // addressed to a previous incarnation
		}
		switch e.kind {
		case evPacket:
			n.step(core.Packet{Time: s.now, Link: "eth0", Msg: e.msg})
		case evTick:
			if e.at.Equal(n.tickAt) {
				n.tickAt = time.Time{}
				n.step(core.Tick{Time: s.now, Load: "0.00 0.00 0.00 1/1 1"})
			}
		case evExec:
			n.execStep()
		case evFenceDone:
			s.nodes[1-n.idx].crash("reset by STONITH", s.randDur(5*time.Second, 15*time.Second))
			n.step(takeover.FenceDone{Time: s.now, Node: s.nodes[1-n.idx].name, Result: takeover.FenceOK})
		}
	}
	for _, nn := range s.nodes {
		nn.schedule()
	}
}

// transmit broadcasts a datagram from node i.
func (s *sim) transmit(from int, msg *wire.Message) {
	s.rep.Messages++
	to := 1 - from
	if s.cut[from] || s.rng.Float64() < s.loss {
		if s.cfg.Trace {
			s.tracef("lost: %s → %s", nodeNames[from], render(msg))
		}
		return
	}
	at := s.now.Add(s.randDur(200*time.Microsecond, 5*time.Millisecond))
	if at.Before(s.last[from]) {
		at = s.last[from] // one Ethernet segment does not reorder
	}
	s.last[from] = at
	if resourceMsg(msg) {
		s.inflight++
	}
	s.push(&event{at: at, node: to, kind: evPacket, inc: s.nodes[to].inc, msg: msg.Clone()})
}

// resourceMsg reports a message for the resource layer (not membership).
func resourceMsg(m *wire.Message) bool {
	switch t := m.Type(); {
	case t == "status", t == "reqnodes", t == "repnodes", strings.HasPrefix(t, "NS_"):
		return false
	}
	return true
}

func uuidOf(name string) [16]byte { return md5.Sum([]byte("uuid:" + name)) }
