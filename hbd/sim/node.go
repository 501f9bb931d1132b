package sim

import (
	"strconv"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/takeover"
)

// node is one simulated host: a heartbeat process (membership core plus
// resource manager) when up, and the resources running on the host.
type node struct {
	s    *sim
	idx  int
	name string
	gen  uint64
	inc  int // incarnation: bumped at every boot and crash
	up   bool

	core *core.Machine
	tk   *takeover.Machine
	// work is the node's FIFO of pending machine inputs: the daemon's
	// loop feeds a machine's outputs to the other machine one at a time.
	work     []any
	draining bool

	coreTickAt, tkTickAt time.Time
	view                 string // the peer's status in this node's core
	healed               bool   // core.PartitionHealed: a restart is coming
	giveup               bool   // giving up after core.Restart or a stop
	stopping             bool   // graceful stop: go down when done
	shutdownDone         bool

	running map[string][]bool // group key → resource running, per resource
	op      *execOp
}

// work items
type coreIn struct{ ev core.Event }
type tkIn struct{ ev takeover.Event }
type exitIn struct{ delay time.Duration } // heartbeat exits (after what is queued)

// boot starts a fresh heartbeat process with the next generation.
func (n *node) boot() {
	s := n.s
	if n.up {
		return
	}
	n.gen++
	n.inc++
	n.up = true
	n.view, n.healed, n.giveup, n.stopping, n.shutdownDone = "", false, false, false, false
	n.coreTickAt, n.tkTickAt = time.Time{}, time.Time{}
	n.work = nil
	n.op = nil
	if n.running == nil {
		n.running = map[string][]bool{}
	}
	var err error
	n.core, err = core.NewMachine(core.Config{
		LocalNode: n.name, Nodes: nodeNames, Links: []string{"eth0"},
		KeepAlive: keepalive, DeadTime: deadtime, InitDead: initdead, HopFudge: 1,
		UUID: uuidOf(n.name), Generation: n.gen, ManageResources: true,
		Seed: s.cfg.Seed*31 + uint64(n.inc)*2 + uint64(n.idx),
	})
	if err != nil {
		s.failf("core: %v", err)
		return
	}
	n.tk, err = takeover.NewMachine(takeover.Config{LocalNode: n.name, Nodes: nodeNames, Groups: groups,
		Mode: s.cfg.Mode, Stonith: s.cfg.Stonith})
	if err != nil {
		s.failf("takeover: %v", err)
		return
	}
	s.tracef("%s boots (generation %d)", n.name, n.gen)
	n.coreStep(core.Start{Time: s.now, Load: "0.00 0.00 0.00 1/1 1"})
}

// crash kills the host's heartbeat at once; the host's resources die with
// it (a reboot or power loss) and it boots again after delay.
func (n *node) crash(why string, delay time.Duration) {
	if !n.up {
		return
	}
	s := n.s
	s.tracef("%s crashes (%s)", n.name, why)
	n.up = false
	n.inc++
	n.work = nil
	n.op = nil
	n.running = map[string][]bool{}
	s.push(&event{at: s.now.Add(delay), node: n.idx, kind: evBoot})
}

// down ends a heartbeat that shut down cleanly; it boots again after delay.
func (n *node) down(delay time.Duration) {
	s := n.s
	s.tracef("%s heartbeat exits", n.name)
	n.up = false
	n.inc++
	n.work = nil
	s.push(&event{at: s.now.Add(delay), node: n.idx, kind: evBoot})
}

func (n *node) coreStep(ev core.Event) { n.work = append(n.work, coreIn{ev}); n.drain() }
func (n *node) tkStep(ev takeover.Event) {
	n.work = append(n.work, tkIn{ev})
	n.drain()
}

func (n *node) drain() {
	if n.draining {
		return
	}
	n.draining = true
	defer func() { n.draining = false }()
	for len(n.work) > 0 && n.up && n.s.err == nil {
		w := n.work[0]
		n.work = n.work[1:]
		switch w := w.(type) {
		case coreIn:
			n.coreActions(w.ev, n.core.Step(w.ev))
		case tkIn:
			n.tkActions(n.tk.Step(w.ev))
		case exitIn:
			n.down(w.delay)
		}
	}
}

// coreActions is the daemon's handling of the membership core's output.
func (n *node) coreActions(ev core.Event, acts []core.Action) {
	s := n.s
	peer := nodeNames[1-n.idx]
	// The generation of the packet being stepped, for NodeStatus.Gen.
	var gen uint64
	if p, ok := ev.(core.Packet); ok {
		if src, _ := p.Msg.Get("src"); src == peer {
			hg, _ := p.Msg.Get("hg")
			gen, _ = strconv.ParseUint(hg, 16, 64)
		}
	}
	for _, a := range acts {
		switch a := a.(type) {
		case core.Send:
			s.transmit(n.idx, a.Msg)
		case core.NodeStatus:
			if a.Node == peer {
				n.view = a.New
				s.tracef("%s: node %s %s → %s", n.name, a.Node, a.Old, a.New)
				n.work = append(n.work, tkIn{takeover.NodeStatus{Time: s.now, Node: a.Node, Old: a.Old, New: a.New, Gen: gen}})
			}
		case core.CommUp:
			s.tracef("%s: comm up", n.name)
			n.work = append(n.work, tkIn{takeover.CommUp{Time: s.now}})
		case core.Deliver:
			if s.cfg.Trace && a.Node != n.name {
				s.tracef("%s ← %s: %s", n.name, a.Node, render(a.Msg))
			}
			n.work = append(n.work, tkIn{takeover.Message{Time: s.now, Node: a.Node, Msg: a.Msg}})
		case core.PartitionHealed:
			s.tracef("%s: %s returning after partition", n.name, a.Node)
			n.healed = true
		case core.Restart:
			s.tracef("%s: core asks for a restart (%s)", n.name, a.Reason)
			if !n.giveup {
				n.giveup = true
				n.work = append(n.work, tkIn{takeover.Shutdown{Time: s.now}})
			}
		case core.Log:
			if a.Level >= core.LevelWarn {
				s.tracef("%s core %v: %s", n.name, a.Level, a.Msg)
			}
		case core.ShutdownReady:
			n.down(s.randDur(time.Second, 5*time.Second))
			return
		}
	}
}

// tkActions is the daemon's handling of the resource manager's output.
func (n *node) tkActions(acts []takeover.Action) {
	s := n.s
	for _, a := range acts {
		switch a := a.(type) {
		case takeover.ClusterSend:
			if s.cfg.Trace {
				s.tracef("%s → %s", n.name, render(a.Msg))
			}
			n.work = append(n.work, coreIn{core.ClusterSend{Time: s.now, Msg: a.Msg}})
		case takeover.TakeGroup:
			n.startOp(a.Key, takeover.OpTake)
		case takeover.GiveGroup:
			n.startOp(a.Key, takeover.OpGive)
		case takeover.Fence:
			// The reset happens when the operation completes (evFenceDone).
			s.tracef("%s fences %s", n.name, a.Node)
			s.push(&event{at: s.now.Add(s.randDur(500*time.Millisecond, 3*time.Second)), node: n.idx, kind: evFenceDone, inc: n.inc})
		case takeover.PartitionRestart:
			s.tracef("%s: takeover asks for a restart (%s returned)", n.name, a.Node)
			n.healed = true
			if !n.giveup {
				n.giveup = true
				n.work = append(n.work, tkIn{takeover.Shutdown{Time: s.now}})
			}
		case takeover.RecoverFailedStop:
			n.crash("RecoverFromFailedStop reboot", s.randDur(5*time.Second, 15*time.Second))
			return
		case takeover.ShutdownDone:
			s.tracef("%s: resources given up", n.name)
			n.shutdownDone = true
			if n.giveup && !n.stopping {
				// cause_shutdown_restart: exit and start again.
				n.work = append(n.work, exitIn{s.randDur(time.Second, 3*time.Second)})
				continue
			}
			n.work = append(n.work, coreIn{core.Shutdown{Time: s.now}})
		case takeover.Log:
			if a.Level >= core.LevelWarn {
				s.tracef("%s log %v: %s", n.name, a.Level, a.Msg)
			}
		}
	}
}

// schedule arms the node's timers.
func (n *node) schedule() {
	if !n.up {
		return
	}
	s := n.s
	if d, ok := n.core.NextDeadline(); ok && (n.coreTickAt.IsZero() || d.Before(n.coreTickAt)) {
		if d.Before(s.now) {
			d = s.now
		}
		n.coreTickAt = d
		s.push(&event{at: d, node: n.idx, kind: evCoreTick, inc: n.inc})
	}
	if d, ok := n.tk.NextDeadline(); ok && (n.tkTickAt.IsZero() || d.Before(n.tkTickAt)) {
		if d.Before(s.now) {
			d = s.now
		}
		n.tkTickAt = d
		s.push(&event{at: d, node: n.idx, kind: evTkTick, inc: n.inc})
	}
}
