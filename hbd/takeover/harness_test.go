package takeover

import (
	"container/heap"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
)

// pair is a two-node scenario harness with fake time. It stands in for
// the membership core and the executor: a ClusterSend is looped back to
// the sender at once (as send_cluster_msg does) and delivered to the peer
// after latency while the link is up; group operations finish after
// opTime. Scenarios drive comm up, deaths and commands explicitly and
// assert the resulting message sequence.

var epoch = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

const (
	latency = 20 * time.Millisecond
	opTime  = 300 * time.Millisecond
)

// Two nodes as in the lab: hsa owns hstest::r1, hsb owns hstest::r3.
var labGroups = []haresources.Group{
	{Node: "hsa", Key: "hstest::r1"},
	{Node: "hsb", Key: "hstest::r3"},
}

type hnode struct {
	name     string
	m        *Machine
	up       bool
	running  map[string]bool // executor truth
	failTake map[string]bool // next take of key fails
	stuck    map[string]bool // next give of key leaves it running
	fence    []FenceResult   // scripted fence results, in order
	tickAt   time.Time
	logs     []string
	done     int // ShutdownDone count
	ops      []string
	gen      uint64 // generation of the heartbeat process
}

type hevent struct {
	at   time.Time
	id   int
	node int
	ev   Event
	tick bool
}

type hqueue []*hevent

func (q hqueue) Len() int { return len(q) }
func (q hqueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].id < q[j].id
}
func (q hqueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *hqueue) Push(x any)   { *q = append(*q, x.(*hevent)) }
func (q *hqueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type pair struct {
	t     *testing.T
	now   time.Time
	nodes [2]*hnode
	q     hqueue
	id    int
	link  bool
	wire  []string // every message sent, "node: t=… field=…"
	// stall[i] postpones node i's handling of peer messages until then:
	// a busy master process (in the lab capture hsb answered hsa's
	// starting 465 ms late).
	stall [2]time.Time
	// drop[i][typ] = n loses the n-th next message of type typ that node
	// i sends, on its way to the peer.
	drop [2]map[string]int
}

func newPair(t *testing.T, mode Mode, stonith bool) *pair {
	t.Helper()
	p := &pair{t: t, now: epoch, link: true}
	for i, name := range []string{"hsa", "hsb"} {
		m, err := NewMachine(Config{LocalNode: name, Nodes: []string{"hsa", "hsb"}, Groups: labGroups, Mode: mode, Stonith: stonith})
		if err != nil {
			t.Fatal(err)
		}
		p.nodes[i] = &hnode{name: name, m: m, up: true, running: map[string]bool{},
			failTake: map[string]bool{}, stuck: map[string]bool{}, gen: 1}
	}
	return p
}

func (p *pair) push(at time.Time, node int, ev Event, tick bool) {
	p.id++
	heap.Push(&p.q, &hevent{at: at, id: p.id, node: node, ev: ev, tick: tick})
}

// at schedules ev on node i at epoch+d.
func (p *pair) at(d time.Duration, i int, ev Event) { p.push(epoch.Add(d), i, ev, false) }

// runUntil processes events up to epoch+d.
func (p *pair) runUntil(d time.Duration) {
	end := epoch.Add(d)
	for p.q.Len() > 0 && !p.q[0].at.After(end) {
		e := heap.Pop(&p.q).(*hevent)
		p.now = e.at
		n := p.nodes[e.node]
		if !n.up {
			continue
		}
		if msg, ok := e.ev.(Message); ok && msg.Node != n.name && p.now.Before(p.stall[e.node]) {
			p.push(p.stall[e.node], e.node, e.ev, false)
			continue
		}
		if e.tick {
			if e.ev != nil || !e.at.Equal(n.tickAt) {
				continue // superseded
			}
			n.tickAt = time.Time{}
			p.step(e.node, Tick{Time: p.now})
			continue
		}
		p.step(e.node, withTime(e.ev, p.now))
	}
	p.now = end
}

func withTime(ev Event, t time.Time) Event {
	switch e := ev.(type) {
	case CommUp:
		e.Time = t
		return e
	case NodeStatus:
		e.Time = t
		return e
	case Message:
		e.Time = t
		return e
	case GroupOpDone:
		e.Time = t
		return e
	case FenceDone:
		e.Time = t
		return e
	case Standby:
		e.Time = t
		return e
	case Takeover:
		e.Time = t
		return e
	case Shutdown:
		e.Time = t
		return e
	}
	return ev
}

func (p *pair) step(i int, ev Event) {
	n := p.nodes[i]
	for _, a := range n.m.Step(ev) {
		switch a := a.(type) {
		case ClusterSend:
			p.wire = append(p.wire, n.name+": "+render(a.Msg))
			// The core's looped-back copy is ignored by the machine;
			// pass it anyway, as the daemon may.
			p.push(p.now, i, Message{Node: n.name, Msg: a.Msg.Clone()}, false)
			if p.dropping(i, a.Msg.Type()) {
				break
			}
			if p.link && p.nodes[1-i].up {
				p.push(p.now.Add(latency), 1-i, Message{Node: n.name, Msg: a.Msg.Clone()}, false)
			}
		case TakeGroup:
			n.ops = append(n.ops, "take "+a.Key)
			done := GroupOpDone{Key: a.Key, Op: OpTake, OK: !n.failTake[a.Key]}
			if done.OK {
				n.running[a.Key] = true
			}
			delete(n.failTake, a.Key)
			p.push(p.now.Add(opTime), i, done, false)
		case GiveGroup:
			n.ops = append(n.ops, "give "+a.Key)
			done := GroupOpDone{Key: a.Key, Op: OpGive, OK: true}
			if n.stuck[a.Key] {
				done.OK, done.StillRunning = false, true
			} else {
				delete(n.running, a.Key)
			}
			p.push(p.now.Add(opTime), i, done, false)
		case Fence:
			n.ops = append(n.ops, "fence "+a.Node)
			if len(n.fence) == 0 {
				p.t.Fatalf("%s: unexpected Fence", n.name)
			}
			p.push(p.now.Add(2*time.Second), i, FenceDone{Node: a.Node, Result: n.fence[0]}, false)
			n.fence = n.fence[1:]
		case RecoverFailedStop:
			n.ops = append(n.ops, "reboot "+a.Key)
		case PartitionRestart:
			n.ops = append(n.ops, "restart")
		case ShutdownDone:
			n.done++
		case Log:
			if a.Level != core.LevelDebug {
				n.logs = append(n.logs, a.Msg)
			}
		}
	}
	if d, ok := n.m.NextDeadline(); ok && (n.tickAt.IsZero() || d.Before(n.tickAt)) {
		if d.Before(p.now) {
			d = p.now
		}
		n.tickAt = d
		p.push(d, i, nil, true)
	}
}

// dropping counts down a pending drop of typ for node i.
func (p *pair) dropping(i int, typ string) bool {
	n, ok := p.drop[i][typ]
	if !ok {
		return false
	}
	if n > 1 {
		p.drop[i][typ] = n - 1
		return false
	}
	delete(p.drop[i], typ)
	return true
}

// render prints a message's type and fields in order.
func render(m *wire.Message) string {
	var b strings.Builder
	for i, f := range m.Fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%s", f.Name, f.Value)
	}
	return b.String()
}

// crash stops node i at once (kill -9): no more events, resources lost
// with the host.
func (p *pair) crash(i int) {
	p.nodes[i].up = false
	p.nodes[i].running = map[string]bool{}
}

// wireSince returns the messages sent from index k on.
func (p *pair) wireSince(k int) []string { return append([]string(nil), p.wire[k:]...) }

func (p *pair) hasLog(i int, s string) bool {
	for _, l := range p.nodes[i].logs {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// bothCommUp brings both nodes up d apart, the usual reqnodes way: each
// has seen the other active before comm up.
func (p *pair) startBoth(first, second time.Duration) {
	p.at(first, 0, CommUp{})
	p.at(second, 1, NodeStatus{Node: "hsa", New: core.StatusActive, Gen: 1})
	p.at(second, 0, NodeStatus{Node: "hsb", New: core.StatusActive, Gen: 1})
	p.at(second, 1, CommUp{})
}

func (p *pair) running(i int) []string {
	var out []string
	for _, g := range labGroups {
		if p.nodes[i].running[g.Key] {
			out = append(out, g.Key)
		}
	}
	return out
}

// restart replaces node i by a fresh machine (a new heartbeat process
// with a higher generation), from now on; the caller schedules its comm up.
func (p *pair) restart(i int) {
	m, err := NewMachine(p.nodes[i].m.cfg)
	if err != nil {
		p.t.Fatal(err)
	}
	p.nodes[i] = &hnode{name: p.nodes[i].name, m: m, up: true, running: map[string]bool{},
		failTake: map[string]bool{}, stuck: map[string]bool{}, gen: p.nodes[i].gen + 1}
}
