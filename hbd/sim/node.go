package sim

import (
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	hbnode "github.com/hbd-project/hbd/hbd/node"
	"github.com/hbd-project/hbd/hbd/takeover"
)

// node is one simulated host: a heartbeat process when up, which is the
// daemon's own composition of membership core and resource manager
// (hbnode.Machine, so the schedules test the wiring the daemon runs), and
// the host around it: the resources running, the executor, crashes and
// reboots. Like the daemon, the host only carries out the machine's
// external actions.
type node struct {
	s    *sim
	idx  int
	name string
	gen  uint64
	inc  int // incarnation: bumped at every boot and crash
	up   bool

	m      *hbnode.Machine
	tickAt time.Time // the tick event armed for m.NextDeadline
	view   string    // the peer's status in this node's core
	healed bool      // core.PartitionHealed: a restart is coming

	running map[string][]bool // group key → resource running, per resource
	op      *execOp
}

// boot starts a fresh heartbeat process with the next generation.
func (n *node) boot() {
	s := n.s
	if n.up {
		return
	}
	n.gen++
	n.inc++
	n.up = true
	n.view, n.healed = "", false
	n.tickAt = time.Time{}
	n.op = nil
	if n.running == nil {
		n.running = map[string][]bool{}
	}
	var err error
	n.m, err = hbnode.New(hbnode.Config{
		Core: core.Config{
			LocalNode: n.name, Nodes: nodeNames, Links: []string{"eth0"},
			KeepAlive: keepalive, DeadTime: deadtime, InitDead: initdead, HopFudge: 1,
			UUID: uuidOf(n.name), Generation: n.gen, ManageResources: true,
			Seed: s.cfg.Seed*31 + uint64(n.inc)*2 + uint64(n.idx),
		},
		Takeover: &takeover.Config{LocalNode: n.name, Nodes: nodeNames, Groups: groups,
			Mode: s.cfg.Mode, Stonith: s.cfg.Stonith},
	})
	if err != nil {
		n.up = false
		s.failf("node: %v", err)
		return
	}
	s.tracef("%s boots (generation %d)", n.name, n.gen)
	n.step(core.Start{Time: s.now, Load: "0.00 0.00 0.00 1/1 1"})
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
	n.op = nil
	n.running = map[string][]bool{}
	s.push(&event{at: s.now.Add(delay), node: n.idx, kind: evBoot})
}

// down ends a heartbeat that exited (hbnode.Exit); the host and whatever
// still runs on it stay, and heartbeat starts again after delay.
func (n *node) down(delay time.Duration) {
	s := n.s
	s.tracef("%s heartbeat exits", n.name)
	n.up = false
	n.inc++
	s.push(&event{at: s.now.Add(delay), node: n.idx, kind: evBoot})
}

// leaving reports a heartbeat that is giving everything up: restarting
// (after a healed partition: core.PartitionHealed, core.Restart 2 s later,
// or takeover.PartitionRestart) or in a graceful stop that got as far as
// releasing its groups.
func (n *node) leaving() bool {
	if n.healed || n.m.Restarting() {
		return true
	}
	r, _ := n.m.Rsc()
	return n.m.Stopping() && r.State == takeover.StateShutdown
}

// rsc is the resource manager's state.
func (n *node) rsc() hbnode.RscState {
	r, _ := n.m.Rsc()
	return r
}

// step feeds the heartbeat one event and carries out its actions, as the
// daemon's handle does; the host's side (executor, fencing, reboots) is
// modelled here.
func (n *node) step(ev hbnode.Event) {
	s := n.s
	if !n.up || s.err != nil {
		return
	}
	peer := nodeNames[1-n.idx]
	for _, a := range n.m.Step(ev) {
		switch a := a.(type) {
		case core.Send:
			s.transmit(n.idx, a.Msg)
		case core.NodeStatus:
			if a.Node == peer {
				n.view = a.New
				s.tracef("%s: node %s %s → %s", n.name, a.Node, a.Old, a.New)
			}
		case core.CommUp:
			s.tracef("%s: comm up", n.name)
		case core.Deliver:
			if s.cfg.Trace && a.Node != n.name {
				s.tracef("%s ← %s: %s", n.name, a.Node, render(a.Msg))
			}
		case core.PartitionHealed:
			s.tracef("%s: %s returning after partition", n.name, a.Node)
			n.healed = true
		case core.Restart:
			s.tracef("%s: core asks for a restart (%s)", n.name, a.Reason)
		case core.Log:
			if a.Level >= core.LevelWarn {
				s.tracef("%s core %v: %s", n.name, a.Level, a.Msg)
			}
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
		case takeover.RecoverFailedStop:
			// ResourceManager's RecoverFromFailedStop: the host reboots at
			// once and the resource dies with it; nothing after this goes
			// out.
			n.crash("RecoverFromFailedStop reboot", s.randDur(5*time.Second, 15*time.Second))
			return
		case takeover.ShutdownDone:
			s.tracef("%s: resources given up", n.name)
		case takeover.Log:
			if a.Level >= core.LevelWarn {
				s.tracef("%s log %v: %s", n.name, a.Level, a.Msg)
			}
		case hbnode.Exit:
			if a.Restart {
				// cause_shutdown_restart: heartbeat starts again shortly.
				n.down(s.randDur(time.Second, 3*time.Second))
			} else {
				n.down(s.randDur(time.Second, 5*time.Second))
			}
			return
		}
		if s.err != nil {
			return
		}
	}
}

// schedule arms the node's tick for the machine's next deadline.
func (n *node) schedule() {
	if !n.up {
		return
	}
	s := n.s
	if d, ok := n.m.NextDeadline(); ok && (n.tickAt.IsZero() || d.Before(n.tickAt)) {
		if d.Before(s.now) {
			d = s.now
		}
		n.tickAt = d
		s.push(&event{at: d, node: n.idx, kind: evTick, inc: n.inc})
	}
}
