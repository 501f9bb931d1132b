package node

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	mode   takeover.Mode
	m      [2]*Machine
	gen    [2]uint64
	names  [2]string
	held   [2]map[string]bool
	exited [2]*Exit
	inbox  [2][]*wire.Message
	// drop, when set, loses the datagrams it returns true for.
	drop func(from int, msg *wire.Message) bool
	// reboot restarts a heartbeat that exited for a restart, with the
	// next generation, as the daemon's caller does.
	reboot bool
	// log records, per node, the group operations and exits in order.
	log [2][]string
	// slowOps makes group operations finish at the next 50 ms step
	// instead of at once.
	slowOps bool
	done    [2][]takeover.GroupOpDone
}

var groups = []haresources.Group{
	{Node: "node1", Key: "r1", Resources: []haresources.Resource{{Name: "r1"}}},
	{Node: "node2", Key: "r2", Resources: []haresources.Resource{{Name: "r2"}}},
}

func newPair(t *testing.T, mode takeover.Mode) *pair {
	p := &pair{t: t, now: time.Unix(1_700_000_000, 0), mode: mode, names: [2]string{"node1", "node2"}}
	for i := range p.m {
		p.held[i] = map[string]bool{}
		p.boot(i, 10)
	}
	return p
}

// boot builds a fresh heartbeat for node i with generation gen; the
// host's running groups are kept.
func (p *pair) boot(i int, gen uint64) {
	p.t.Helper()
	n := p.names[i]
	tc := takeover.Config{LocalNode: n, Nodes: p.names[:], Groups: groups, Mode: p.mode}
	m, err := New(Config{Core: coreConfig(n, p.names[:], i, gen), Takeover: &tc})
	if err != nil {
		p.t.Fatal(err)
	}
	p.m[i], p.gen[i], p.exited[i] = m, gen, nil
}

func coreConfig(local string, nodes []string, i int, gen uint64) core.Config {
	return core.Config{LocalNode: local, Nodes: nodes, Links: []string{"eth0"},
		KeepAlive: 200 * time.Millisecond, DeadTime: time.Second, InitDead: 2 * time.Second,
		HopFudge: 1, UUID: [16]byte{byte(i + 1)}, Generation: gen, ManageResources: true, Seed: uint64(i)}
}

// step feeds node i one event and carries out its actions.
func (p *pair) step(i int, ev Event) {
	if p.exited[i] != nil {
		return
	}
	for _, a := range p.m[i].Step(ev) {
		switch a := a.(type) {
		case core.Send:
			if p.drop == nil || !p.drop(i, a.Msg) {
				p.inbox[1-i] = append(p.inbox[1-i], a.Msg.Clone())
			}
		case takeover.TakeGroup:
			p.held[i][a.Key] = true
			p.log[i] = append(p.log[i], "take "+a.Key)
			defer p.opDone(i, a.Key, takeover.OpTake)
		case takeover.GiveGroup:
			delete(p.held[i], a.Key)
			p.log[i] = append(p.log[i], "give "+a.Key)
			defer p.opDone(i, a.Key, takeover.OpGive)
		case Exit:
			p.exited[i] = &a
			p.log[i] = append(p.log[i], fmt.Sprintf("exit restart=%v holding %q", a.Restart, keys(p.held[i])))
		}
	}
}

func (p *pair) opDone(i int, key string, op takeover.Op) {
	done := takeover.GroupOpDone{Time: p.now, Key: key, Op: op, OK: true}
	if p.slowOps {
		p.done[i] = append(p.done[i], done)
		return
	}
	p.step(i, done)
}

// run advances time by d in 50 ms steps, delivering messages and ticks.
func (p *pair) run(d time.Duration) {
	for end := p.now.Add(d); p.now.Before(end); {
		p.now = p.now.Add(50 * time.Millisecond)
		for i := range p.m {
			if p.reboot && p.exited[i] != nil && p.exited[i].Restart {
				p.boot(i, p.gen[i]+1)
				p.step(i, core.Start{Time: p.now})
			}
			done := p.done[i]
			p.done[i] = nil
			for _, d := range done {
				d.Time = p.now
				p.step(i, d)
			}
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

// settle starts the pair and runs it until each node holds its own group.
func (p *pair) settle() {
	p.t.Helper()
	p.start()
	p.run(20 * time.Second)
	if got := keys(p.held[0]) + "/" + keys(p.held[1]); got != "r1/r2" {
		p.t.Fatalf("after start-up held %s, want r1/r2", got)
	}
	p.log = [2][]string{}
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

// statusOf returns a drop rule for node i's status messages: those whose
// st is not keep are lost.
func statusOf(i int, keep string) func(int, *wire.Message) bool {
	return func(from int, msg *wire.Message) bool {
		typ, _ := msg.Get("t")
		st, _ := msg.Get("st")
		return from == i && typ == "status" && st != keep
	}
}

// A peer that restarts is told from one that returns after a partition
// by its generation, even when the first status we keep from the new
// process is already "active" (its init and up were lost): the status
// change carries the hg of the packet that caused it.
func TestQuickRestartOfPeerIsNotTakenForAPartition(t *testing.T) {
	p := newPair(t, takeover.AutoFailback)
	p.settle()

	// node2 loses power; node1 declares it dead and takes r2.
	p.exited[1] = &Exit{}
	p.held[1] = map[string]bool{}
	p.run(3 * time.Second)

	// A new heartbeat on node2 whose init and up statuses are lost.
	p.drop = statusOf(1, core.StatusActive)
	p.boot(1, 11)
	p.step(1, core.Start{Time: p.now})
	p.run(30 * time.Second)

	// Without the generation node1 would see a node back from the dead,
	// still active: a healed partition, and give everything up.
	want := [2][]string{{"take r2", "give r2"}, {"take r2"}}
	if diff := cmp.Diff(want, p.log); diff != "" {
		t.Errorf("group operations and exits (-want +got):\n%s", diff)
	}
	if p.m[0].Restarting() {
		t.Error("node1 is restarting after a plain restart of node2")
	}
}

// After a healed partition (both sides took everything over) each side
// gives every group up, still heartbeating, and only then exits for a
// restart (cause_shutdown_restart); restarted, they share the groups
// again.
func TestHealedPartitionGivesEverythingUpThenRestarts(t *testing.T) {
	p := newPair(t, takeover.AutoFailback)
	p.settle()
	cut := true
	p.drop = func(int, *wire.Message) bool { return cut }
	p.run(4 * time.Second)
	cut = false
	p.reboot = true
	p.run(30 * time.Second)

	want := [2][]string{
		{"take r2", "give r1", "give r2", `exit restart=true holding ""`, "take r1"},
		{"take r1", "give r1", "give r2", `exit restart=true holding ""`, "take r2"},
	}
	if diff := cmp.Diff(want, p.log); diff != "" {
		t.Errorf("group operations and exits (-want +got):\n%s", diff)
	}
	for i, m := range p.m {
		if s := m.Snapshot(); s.Generation != 11 || s.Restarting || s.Resources != "local" {
			t.Errorf("%s after the restart: generation %d restarting %v rscstatus %q, want 11, false, local",
				p.names[i], s.Generation, s.Restarting, s.Resources)
		}
	}
}

// A stop asked while a restart is giving resources up wins: the node ends
// membership and exits for good, and the peer ends with everything.
func TestShutdownDuringRestartExitsForGood(t *testing.T) {
	p := newPair(t, takeover.AutoFailback)
	p.settle()
	cut := true
	p.drop = func(int, *wire.Message) bool { return cut }
	p.run(4 * time.Second)
	cut = false
	p.reboot = true
	p.slowOps = true // leave time to ask for the stop
	for i := 0; i < 200 && !p.m[0].Restarting(); i++ {
		p.run(50 * time.Millisecond)
	}
	if !p.m[0].Restarting() || p.exited[0] != nil {
		t.Fatalf("node1 restarting %v, exited %+v: want a restart under way", p.m[0].Restarting(), p.exited[0])
	}
	p.step(0, Shutdown{Time: p.now})
	p.run(30 * time.Second)
	if p.exited[0] == nil || p.exited[0].Restart {
		t.Fatalf("node1 exit = %+v, want a plain exit", p.exited[0])
	}
	if got := keys(p.held[0]) + "/" + keys(p.held[1]); got != "/r1r2" {
		t.Errorf("held %s, want /r1r2", got)
	}
}

// The parts' own shutdown events, stepped from outside, are a graceful
// stop too: alone, core.Shutdown would announce the departure while r1 is
// still held, and takeover.Shutdown would end membership without an Exit.
func TestShutdownEventsOfThePartsAreAGracefulStop(t *testing.T) {
	for _, tc := range []struct {
		name string
		ev   func(time.Time) Event
	}{
		{"node.Shutdown", func(t time.Time) Event { return Shutdown{Time: t} }},
		{"core.Shutdown", func(t time.Time) Event { return core.Shutdown{Time: t} }},
		{"takeover.Shutdown", func(t time.Time) Event { return takeover.Shutdown{Time: t} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPair(t, takeover.AutoFailback)
			p.settle()
			p.step(0, tc.ev(p.now))
			if !p.m[0].Stopping() {
				t.Error("node1 is not stopping")
			}
			p.run(5 * time.Second)
			want := [2][]string{{"give r1", `exit restart=false holding ""`}, {"take r1"}}
			if diff := cmp.Diff(want, p.log); diff != "" {
				t.Errorf("group operations and exits (-want +got):\n%s", diff)
			}
		})
	}
}

// newMachine is a started node1 of node1/node2 with a ping node, with
// resource management unless bare.
func newMachine(t *testing.T, now time.Time, bare bool) *Machine {
	t.Helper()
	cc := coreConfig("node1", []string{"node1", "node2"}, 0, 10)
	cc.PingNodes = []core.PingNode{{Name: "10.0.0.254"}}
	cfg := Config{Core: cc}
	if !bare {
		cfg.Takeover = &takeover.Config{LocalNode: "node1", Nodes: []string{"node1", "node2"},
			Groups: groups, Mode: takeover.AutoFailback}
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	m.Step(core.Start{Time: now})
	return m
}

// The resource manager hears of a status change with the generation of
// the packet that caused it only when that packet came from the node
// itself; ping nodes are marked and never get one.
func TestNodeStatusRouting(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	packet := func(src, hg string) core.Packet {
		msg := &wire.Message{}
		msg.Add("t", "status")
		msg.Add("src", src)
		msg.Add("hg", hg)
		return core.Packet{Time: now, Link: "eth0", Msg: msg}
	}
	status := func(node string, typ core.NodeType, old, new string) core.NodeStatus {
		return core.NodeStatus{Node: node, Type: typ, Old: old, New: new}
	}
	routed := func(node, old, new string, ping bool, gen uint64) []work {
		return []work{tkEvent{takeover.NodeStatus{Time: now, Node: node, Old: old, New: new, Ping: ping, Gen: gen}}}
	}
	for _, tc := range []struct {
		name string
		ev   core.Event
		act  core.NodeStatus
		want []work
	}{
		{"packet from the node", packet("node2", "1a"), status("node2", core.NormalNode, "up", "active"),
			routed("node2", "up", "active", false, 0x1a)},
		{"src in capitals", packet("NODE2", "1A"), status("node2", core.NormalNode, "dead", "active"),
			routed("node2", "dead", "active", false, 0x1a)},
		{"packet from another node", packet("node3", "1a"), status("node2", core.NormalNode, "up", "active"),
			routed("node2", "up", "active", false, 0)},
		{"unreadable hg", packet("node2", "x1"), status("node2", core.NormalNode, "up", "active"),
			routed("node2", "up", "active", false, 0)},
		{"death on a tick", core.Tick{Time: now}, status("node2", core.NormalNode, "active", "dead"),
			routed("node2", "active", "dead", false, 0)},
		{"ping node", core.PingReply{Time: now, Node: "10.0.0.254"}, status("10.0.0.254", core.PingNodeType, "init", "ping"),
			routed("10.0.0.254", "init", "ping", true, 0)},
		{"ping node named as a packet's sender", packet("10.0.0.254", "1a"), status("10.0.0.254", core.PingNodeType, "ping", "dead"),
			routed("10.0.0.254", "ping", "dead", true, 0)},
		{"own status", packet("node1", "a"), status("node1", core.NormalNode, "up", "active"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMachine(t, now, false)
			m.coreActions(tc.ev, []core.Action{tc.act})
			if diff := cmp.Diff(tc.want, m.work, cmp.AllowUnexported(tkEvent{})); diff != "" {
				t.Errorf("routed (-want +got):\n%s", diff)
			}
			// The status change is reported to the caller as well.
			if diff := cmp.Diff([]Action{tc.act}, m.out); diff != "" {
				t.Errorf("returned (-want +got):\n%s", diff)
			}
		})
	}
}

// names lists the actions' types, and the type of a sent message.
func names(acts []Action) []string {
	var out []string
	for _, a := range acts {
		switch a := a.(type) {
		case core.Send:
			// The core's acknowledgements depend on its ack trigger.
			if typ, _ := a.Msg.Get("t"); !strings.HasPrefix(typ, "NS_") {
				out = append(out, "send "+typ)
			}
		case Exit:
			out = append(out, fmt.Sprintf("exit restart=%v", a.Restart))
		default:
			out = append(out, fmt.Sprintf("%T", a))
		}
	}
	return out
}

// Once the groups are released for a restart, the exit comes after the
// work already queued (a message on its way out is still sent), and what
// the resource manager said besides is still returned; nothing comes
// after the Exit.
func TestExitForRestartComesAfterQueuedWork(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := newMachine(t, now, false)
	// As askRestart and the resource manager's give-up leave them.
	m.restart, m.releasing = true, true
	msg := &wire.Message{}
	msg.Add("t", "queued")
	m.work = []work{coreEvent{core.ClusterSend{Time: now, Msg: msg}}}
	m.tkActions([]takeover.Action{takeover.ShutdownDone{}, takeover.Log{Level: core.LevelInfo, Msg: "given up"}})
	m.drain()
	want := []string{"takeover.ShutdownDone", "takeover.Log", "send queued", "exit restart=true"}
	if diff := cmp.Diff(want, names(m.out)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if got := m.Step(core.Tick{Time: now.Add(time.Second)}); got != nil {
		t.Errorf("actions after Exit: %v", names(got))
	}
}

// Without resource management a restart has nothing to give up: the node
// exits for a restart once the core's actions are handled, and the Exit
// is the last action.
func TestWithoutResourceManagementRestartExits(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	m := newMachine(t, now, true)
	m.coreActions(core.Tick{Time: now}, []core.Action{
		core.Restart{Reason: core.RestartNoLocalHeartbeat},
		core.Log{Level: core.LevelCrit, Msg: "restarting"},
	})
	m.drain()
	want := []string{"core.Restart", "core.Log", "exit restart=true"}
	if diff := cmp.Diff(want, names(m.out)); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if !m.Restarting() || !m.Exited() {
		t.Errorf("restarting %v exited %v, want both", m.Restarting(), m.Exited())
	}
}
