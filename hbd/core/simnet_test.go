package core

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hbd-project/hbd/hbd/wire"
)

// simnet is a deterministic simulated cluster: N machines joined by
// several media, each with its own seeded loss, delay and partitions.
// Everything runs on one goroutine in simulated time; a seed fixes the
// whole run.

type medium struct {
	name     string
	loss     float64
	minDelay time.Duration
	maxDelay time.Duration
	rng      *rand.Rand
	cut      map[[2]int]bool // partitioned (from, to) pairs
}

type simNode struct {
	name    string
	m       *Machine
	stopped bool
	tickAt  time.Time // the tick currently queued, zero if none
	// observers of the machine's output
	statuses []statusChange
	logs     []Log
	healed   int
}

type statusChange struct {
	at       time.Time
	node     string
	old, new string
}

type simEvent struct {
	at   time.Time
	id   uint64
	node int
	tick bool
	link string
	msg  *wire.Message
}

type eventQueue []*simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].id < q[j].id
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type simnet struct {
	t      testing.TB
	now    time.Time
	nodes  []*simNode
	media  []*medium
	queue  eventQueue
	nextID uint64
	// hooks
	onStep func(i int, before, after time.Time) // peer liveness probe
	sent   uint64
	lost   uint64
}

type simConfig struct {
	nodes     []string
	media     []medium
	keepalive time.Duration
	deadtime  time.Duration
	seed      uint64
}

func newSimnet(t testing.TB, sc simConfig) *simnet {
	s := &simnet{t: t, now: epoch}
	var links []string
	for i, md := range sc.media {
		md := md
		md.rng = rand.New(rand.NewPCG(sc.seed, uint64(i)+1))
		md.cut = map[[2]int]bool{}
		s.media = append(s.media, &md)
		links = append(links, md.name)
	}
	for i, name := range sc.nodes {
		s.nodes = append(s.nodes, &simNode{name: name})
		s.nodes[i].m = s.newMachine(sc, name, links, 0x1000, uint64(i))
	}
	return s
}

func (s *simnet) newMachine(sc simConfig, name string, links []string, gen, i uint64) *Machine {
	m, err := NewMachine(Config{
		LocalNode: name, Nodes: sc.nodes, Links: links,
		KeepAlive: sc.keepalive, DeadTime: sc.deadtime, HopFudge: 1,
		UUID: uuidOf(name), Generation: gen, Seed: sc.seed*1000 + i, ManageResources: true,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return m
}

func (s *simnet) push(e *simEvent) {
	s.nextID++
	e.id = s.nextID
	heap.Push(&s.queue, e)
}

// step runs one event on node i and routes its actions.
func (s *simnet) step(i int, ev Event) {
	n := s.nodes[i]
	if n.stopped {
		return
	}
	var before time.Time
	if s.onStep != nil {
		before = s.peerLastHeard(i)
	}
	acts := n.m.Step(ev)
	if s.onStep != nil {
		s.onStep(i, before, s.peerLastHeard(i))
	}
	for _, a := range acts {
		switch a := a.(type) {
		case Send:
			s.transmit(i, a)
		case NodeStatus:
			n.statuses = append(n.statuses, statusChange{s.now, a.Node, a.Old, a.New})
		case Log:
			n.logs = append(n.logs, a)
		case PartitionHealed:
			n.healed++
		}
	}
	s.scheduleTick(i)
}

// peerLastHeard is node i's local_lastupdate of the other node of a
// two-node cluster.
func (s *simnet) peerLastHeard(i int) time.Time {
	peer := s.nodes[1-i].name
	if p := s.nodes[i].m.byName[peer]; p != nil {
		return p.localLastUpdate
	}
	return time.Time{}
}

func (s *simnet) scheduleTick(i int) {
	n := s.nodes[i]
	d, ok := n.m.NextDeadline()
	if !ok || n.stopped {
		return
	}
	if d.Before(s.now) {
		d = s.now
	}
	if !n.tickAt.IsZero() && !d.Before(n.tickAt) {
		return // an earlier or equal tick is already queued
	}
	n.tickAt = d
	s.push(&simEvent{at: d, node: i, tick: true})
}

// transmit models broadcast media: every node on the medium, the sender
// included (it hears its own broadcast; that copy is never lost).
func (s *simnet) transmit(from int, a Send) {
	for _, md := range s.media {
		if a.Links != nil && !contains(a.Links, md.name) {
			continue
		}
		for to := range s.nodes {
			if to != from {
				s.sent++
				if md.cut[[2]int{from, to}] || md.rng.Float64() < md.loss {
					s.lost++
					continue
				}
			}
			delay := md.minDelay
			if span := md.maxDelay - md.minDelay; span > 0 {
				delay += time.Duration(md.rng.Int64N(int64(span) + 1))
			}
			s.push(&simEvent{at: s.now.Add(delay), node: to, link: md.name, msg: a.Msg})
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (s *simnet) start() {
	for i := range s.nodes {
		s.step(i, Start{Time: s.now, Load: "0.00 0.00 0.00 1/1 1"})
	}
}

// run processes events until the clock reaches end.
func (s *simnet) run(end time.Time) {
	for s.queue.Len() > 0 {
		e := s.queue[0]
		if e.at.After(end) {
			break
		}
		heap.Pop(&s.queue)
		s.now = e.at
		n := s.nodes[e.node]
		if e.tick {
			if !e.at.Equal(n.tickAt) {
				continue // superseded
			}
			n.tickAt = time.Time{}
			s.step(e.node, Tick{Time: s.now})
			continue
		}
		s.step(e.node, Packet{Time: s.now, Link: e.link, Msg: e.msg})
	}
	s.now = end
}

func (s *simnet) partition(medium int, a, b int, cut bool) {
	s.media[medium].cut[[2]int{a, b}] = cut
	s.media[medium].cut[[2]int{b, a}] = cut
}

func deaths(n *simNode, peer string, after time.Time) []statusChange {
	var out []statusChange
	for _, c := range n.statuses {
		if c.node == peer && c.new == StatusDead && !c.at.Before(after) {
			out = append(out, c)
		}
	}
	return out
}

func lossyTwoMedia(seed uint64) simConfig {
	return simConfig{
		nodes: []string{"alpha", "beta"},
		media: []medium{
			{name: "eth0", loss: 0.30, minDelay: 200 * time.Microsecond, maxDelay: 3 * time.Millisecond},
			{name: "eth1", loss: 0.30, minDelay: 500 * time.Microsecond, maxDelay: 8 * time.Millisecond},
		},
		keepalive: 100 * time.Millisecond,
		deadtime:  time.Second,
		seed:      seed,
	}
}

// TestSimLossyMediaNeverFalselyDead is the acceptance test: two media each
// losing 30 % of packets independently, keepalive 100 ms, deadtime 1 s. A
// live peer is never declared dead in 10 000 simulated seconds, and a peer
// that stops is declared dead within deadtime + keepalive.
func TestSimLossyMediaNeverFalselyDead(t *testing.T) {
	simSeconds := 10000
	if testing.Short() {
		simSeconds = 1000
	}
	sc := lossyTwoMedia(20261123)
	s := newSimnet(t, sc)
	var maxGap [2]time.Duration
	var gaps [2]int
	s.onStep = func(i int, before, after time.Time) {
		if !before.IsZero() && after.After(before) {
			gaps[i]++
			if g := after.Sub(before); g > maxGap[i] {
				maxGap[i] = g
			}
		}
	}
	s.start()
	end := epoch.Add(time.Duration(simSeconds) * time.Second)
	s.run(end)

	for i, n := range s.nodes {
		peer := s.nodes[1-i].name
		if d := deaths(n, peer, epoch); len(d) > 0 {
			t.Errorf("%s declared live %s dead %d times, first at %v", n.name, peer, len(d), d[0].at.Sub(epoch))
		}
		if snap := n.m.Snapshot(); !snap.CommUp || snap.Status != StatusActive {
			t.Errorf("%s: comm up %v, status %s", n.name, snap.CommUp, snap.Status)
		}
	}

	// Stop beta between two of its heartbeats and time alpha's verdict.
	stopAt := s.now.Add(37 * time.Millisecond)
	s.run(stopAt)
	s.nodes[1].stopped = true
	s.run(stopAt.Add(5 * time.Second))
	d := deaths(s.nodes[0], "beta", stopAt)
	if len(d) != 1 {
		t.Fatalf("alpha saw beta die %d times after it stopped", len(d))
	}
	latency := d[0].at.Sub(stopAt)
	if limit := sc.deadtime + sc.keepalive; latency > limit {
		t.Errorf("detection took %v, want <= %v", latency, limit)
	}

	st := [2]Stats{s.nodes[0].m.Stats(), s.nodes[1].m.Stats()}
	var late, linkFlaps int
	for _, n := range s.nodes {
		for _, l := range n.logs {
			switch {
			case len(l.Msg) > 14 && l.Msg[:14] == "Late heartbeat":
				late++
			case l.Level == LevelInfo && len(l.Msg) > 5 && l.Msg[:5] == "Link " && l.Msg[len(l.Msg)-5:] == "dead.":
				linkFlaps++
			}
		}
	}
	t.Logf("simulated %d s, seed %d, 2 media × 30%% loss, keepalive %v, deadtime %v",
		simSeconds, sc.seed, sc.keepalive, sc.deadtime)
	t.Logf("datagrams between nodes %d, lost %d (%.1f%%)", s.sent, s.lost, 100*float64(s.lost)/float64(s.sent))
	t.Logf("max gap between accepted statuses: alpha←beta %v, beta←alpha %v (%d/%d statuses)",
		maxGap[0], maxGap[1], gaps[0], gaps[1])
	t.Logf("late-heartbeat logs %d, link dead transitions %d", late, linkFlaps)
	for i, n := range s.nodes {
		t.Logf("%s: lost pkts %d, rexmit requested %d served %d naked %d, naks recv %d, acks sent %d recv %d, dup %d stale %d",
			n.name, st[i].LostPackets, st[i].RexmitRequested, st[i].RexmitServed, st[i].RexmitNaked,
			st[i].NaksReceived, st[i].AcksSent, st[i].AcksReceived, st[i].Drops.Duplicate, st[i].Drops.Stale)
	}
	t.Logf("beta stopped at +%v, alpha declared it dead after %v (limit %v)",
		stopAt.Sub(epoch), latency, sc.deadtime+sc.keepalive)
	if maxGap[0] >= sc.deadtime || maxGap[1] >= sc.deadtime {
		t.Errorf("a gap reached deadtime without a death: %v %v", maxGap[0], maxGap[1])
	}
}

// TestSimDeterministic: the same seed gives the same run.
func TestSimDeterministic(t *testing.T) {
	run := func() string {
		s := newSimnet(t, lossyTwoMedia(99))
		s.start()
		s.run(epoch.Add(60 * time.Second))
		a, b := s.nodes[0].m.Stats(), s.nodes[1].m.Stats()
		return fmt.Sprintf("%d %d %+v %+v", s.sent, s.lost, a, b)
	}
	if x, y := run(), run(); x != y {
		t.Errorf("two runs with one seed differ:\n%s\n%s", x, y)
	}
}

// TestSimPartitionHeals cuts both media for longer than deadtime: each side
// declares the other dead; when the cut heals each sees the other
// "returning after partition" (same generation) and asks for a restart.
func TestSimPartitionHeals(t *testing.T) {
	sc := lossyTwoMedia(7)
	for i := range sc.media {
		sc.media[i].loss = 0.05
	}
	s := newSimnet(t, sc)
	s.start()
	s.run(epoch.Add(20 * time.Second))
	cutAt := s.now
	for md := range s.media {
		s.partition(md, 0, 1, true)
	}
	s.run(cutAt.Add(3 * time.Second))
	for i, n := range s.nodes {
		if d := deaths(n, s.nodes[1-i].name, cutAt); len(d) != 1 {
			t.Fatalf("%s: %d deaths during the partition", n.name, len(d))
		}
	}
	for md := range s.media {
		s.partition(md, 0, 1, false)
	}
	s.run(s.now.Add(5 * time.Second))
	for _, n := range s.nodes {
		if n.healed != 1 {
			t.Errorf("%s: healed partitions %d, want 1", n.name, n.healed)
		}
		found := false
		for _, l := range n.logs {
			found = found || l.Level == LevelCrit && l.Msg == fmt.Sprintf("Cluster node %s returning after partition.", s.nodes[0].name) ||
				l.Level == LevelCrit && l.Msg == fmt.Sprintf("Cluster node %s returning after partition.", s.nodes[1].name)
		}
		if !found {
			t.Errorf("%s: no 'returning after partition' log", n.name)
		}
	}
}

// TestSimRestartWithNewGeneration restarts beta with hg+1 faster than
// deadtime: alpha logs "Heartbeat restart on node beta" and never
// declares it dead; beta comes back active.
func TestSimRestartWithNewGeneration(t *testing.T) {
	sc := lossyTwoMedia(11)
	s := newSimnet(t, sc)
	s.start()
	s.run(epoch.Add(10 * time.Second))
	restartAt := s.now
	s.nodes[1].m = s.newMachine(sc, "beta", []string{"eth0", "eth1"}, 0x1001, 1)
	s.nodes[1].tickAt = time.Time{}
	s.step(1, Start{Time: s.now})
	s.run(restartAt.Add(20 * time.Second))
	if d := deaths(s.nodes[0], "beta", restartAt); len(d) != 0 {
		t.Errorf("alpha declared beta dead at %v", d[0].at.Sub(restartAt))
	}
	found := false
	for _, l := range s.nodes[0].logs {
		found = found || l.Msg == "Heartbeat restart on node beta"
	}
	if !found {
		t.Error("alpha did not log the restart")
	}
	if st := s.nodes[1].m.Snapshot(); st.Status != StatusActive {
		t.Errorf("restarted beta is %s", st.Status)
	}
	if got := s.nodes[0].m.Stats().Restarts; got != 1 {
		t.Errorf("alpha counted %d restarts", got)
	}
}

// TestSimSeveralSeeds repeats a shorter lossy run with other seeds.
func TestSimSeveralSeeds(t *testing.T) {
	secs := 300
	if testing.Short() {
		secs = 60
	}
	for seed := uint64(1); seed <= 5; seed++ {
		s := newSimnet(t, lossyTwoMedia(seed))
		s.start()
		s.run(epoch.Add(time.Duration(secs) * time.Second))
		for i, n := range s.nodes {
			if d := deaths(n, s.nodes[1-i].name, epoch); len(d) > 0 {
				t.Errorf("seed %d: %s declared %s dead at %v", seed, n.name, s.nodes[1-i].name, d[0].at.Sub(epoch))
			}
		}
	}
}
