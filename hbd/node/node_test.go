package node

import (
	"testing"
	"time"

	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/takeover"
	"github.com/hbd-project/hbd/hbd/wire"
)

// pair is two nodes on a perfect wire with executors that finish at once:
// enough to check the routing between the parts, not heartbeat's timing
// corner cases (package sim does those).
type pair struct {
	t      *testing.T
	now    time.Time
	m      [2]*Machine
	names  [2]string
	held   [2]map[string]bool
	exited [2]*Exit
	inbox  [2][]*wire.Message
}

var groups = []haresources.Group{
	{Node: "node1", Key: "r1", Resources: []haresources.Resource{{Name: "r1"}}},
	{Node: "node2", Key: "r2", Resources: []haresources.Resource{{Name: "r2"}}},
}

func newPair(t *testing.T, mode takeover.Mode) *pair {
	p := &pair{t: t, now: time.Unix(1_700_000_000, 0), names: [2]string{"node1", "node2"}}
	for i, n := range p.names {
		tc := takeover.Config{LocalNode: n, Nodes: p.names[:], Groups: groups, Mode: mode}
		m, err := New(Config{
			Core: core.Config{LocalNode: n, Nodes: p.names[:], Links: []string{"eth0"},
				KeepAlive: 200 * time.Millisecond, DeadTime: time.Second, InitDead: 2 * time.Second,
				HopFudge: 1, UUID: [16]byte{byte(i + 1)}, Generation: 10, ManageResources: true, Seed: uint64(i)},
			Takeover: &tc,
		})
		if err != nil {
			t.Fatal(err)
		}
		p.m[i] = m
		p.held[i] = map[string]bool{}
	}
	return p
}

// step feeds node i one event and carries out its actions.
func (p *pair) step(i int, ev Event) {
	if p.exited[i] != nil {
		return
	}
	for _, a := range p.m[i].Step(ev) {
		switch a := a.(type) {
		case core.Send:
			p.inbox[1-i] = append(p.inbox[1-i], a.Msg.Clone())
		case takeover.TakeGroup:
			p.held[i][a.Key] = true
			defer p.step(i, takeover.GroupOpDone{Time: p.now, Key: a.Key, Op: takeover.OpTake, OK: true})
		case takeover.GiveGroup:
			delete(p.held[i], a.Key)
			defer p.step(i, takeover.GroupOpDone{Time: p.now, Key: a.Key, Op: takeover.OpGive, OK: true})
		case Exit:
			p.exited[i] = &a
		}
	}
}

// run advances time by d in 50 ms steps, delivering messages and ticks.
func (p *pair) run(d time.Duration) {
	for end := p.now.Add(d); p.now.Before(end); {
		p.now = p.now.Add(50 * time.Millisecond)
		for i := range p.m {
			msgs := p.inbox[i]
			p.inbox[i] = nil
			for _, msg := range msgs {
				p.step(i, core.Packet{Time: p.now, Link: "eth0", Msg: msg})
			}
			p.step(i, core.Tick{Time: p.now})
		}
	}
}

func (p *pair) start() {
	for i := range p.m {
		p.step(i, core.Start{Time: p.now})
	}
}

func keys(m map[string]bool) string {
	s := ""
	for _, k := range []string{"r1", "r2"} {
		if m[k] {
			s += k
		}
	}
	return s
}

func TestEachNodeTakesItsGroupAndShutdownHandsOver(t *testing.T) {
	p := newPair(t, takeover.AutoFailback)
	p.start()
	p.run(20 * time.Second)
	if got := keys(p.held[0]) + "/" + keys(p.held[1]); got != "r1/r2" {
		t.Fatalf("after start-up held %s, want r1/r2", got)
	}
	if s := p.m[0].Snapshot(); s.Resources != "local" || !s.Stable {
		t.Fatalf("node1 rscstatus %q stable %v, want local and stable", s.Resources, s.Stable)
	}

	// A graceful stop of node1 gives r1 up first, then node1 exits and
	// node2 holds everything without waiting for deadtime.
	p.step(0, Shutdown{Time: p.now})
	p.run(3 * time.Second)
	if p.exited[0] == nil || p.exited[0].Restart {
		t.Fatalf("node1 exit = %+v, want a plain exit", p.exited[0])
	}
	if got := keys(p.held[0]) + "/" + keys(p.held[1]); got != "/r1r2" {
		t.Fatalf("after node1's shutdown held %s, want /r1r2", got)
	}
	if s := p.m[1].Snapshot(); s.Resources != "all" {
		t.Fatalf("node2 rscstatus %q, want all", s.Resources)
	}
}

func TestPeerDeathTakesItsGroup(t *testing.T) {
	p := newPair(t, takeover.AutoFailback)
	p.start()
	p.run(20 * time.Second)
	p.exited[1] = &Exit{} // node2 loses power: it sends nothing more
	p.held[1] = map[string]bool{}
	p.run(5 * time.Second)
	if got := keys(p.held[0]); got != "r1r2" {
		t.Fatalf("node1 holds %q after node2 died, want r1r2", got)
	}
}

func TestWithoutResourceManagementShutdownEndsMembership(t *testing.T) {
	m, err := New(Config{Core: core.Config{LocalNode: "node1", Nodes: []string{"node1"}, Links: []string{"eth0"},
		KeepAlive: 200 * time.Millisecond, DeadTime: time.Second, InitDead: 2 * time.Second,
		HopFudge: 1, UUID: [16]byte{1}, Generation: 1}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	m.Step(core.Start{Time: now})
	var exit *Exit
	for i := 0; i < 200 && exit == nil; i++ {
		now = now.Add(50 * time.Millisecond)
		ev := Event(core.Tick{Time: now})
		if i == 60 {
			ev = Shutdown{Time: now}
		}
		for _, a := range m.Step(ev) {
			if e, ok := a.(Exit); ok {
				exit = &e
			}
		}
	}
	if exit == nil || exit.Restart {
		t.Fatalf("exit = %+v, want a plain exit after Shutdown", exit)
	}
	if got := m.Step(core.Tick{Time: now.Add(time.Second)}); got != nil {
		t.Fatalf("actions after Exit: %v", got)
	}
}
