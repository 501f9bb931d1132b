// Package node is one cluster node's whole decision logic: the membership
// core (package core) and the R1 resource manager (package takeover)
// composed into a single pure state machine. The daemon and the simulator
// both drive a node.Machine, so what the simulator checks is exactly the
// wiring the daemon runs.
//
// Like its parts it has no I/O, no goroutines and no clock: events go in
// with their time, actions come out in the order they must be carried out.
//
//	m, _ := node.New(node.Config{Core: cc, Takeover: &tc})
//	acts := m.Step(core.Start{Time: now})
//	for each input:                      // datagrams, ticks, op results, commands
//		for _, a := range m.Step(ev) {
//			switch a := a.(type) {
//			case core.Send, core.SendPing:           // sign, encode, transmit
//			case takeover.TakeGroup, takeover.GiveGroup: // executor, then GroupOpDone
//			case takeover.Fence:                     // STONITH, then FenceDone
//			case takeover.RecoverFailedStop:         // a group could not be stopped
//			case node.Exit:                          // stop (or restart) the process
//			case core.Log, takeover.Log, …:          // log, report
//			}
//		}
//		arm a timer at m.NextDeadline() and step core.Tick when it fires
//
// # Routing
//
// Inside, the machine passes each part's outputs to the other, one at a
// time through a FIFO, as heartbeat's master control process handles one
// message at a time:
//
//   - core.Deliver becomes takeover.Message (our own looped-back copies
//     included: the resource manager ignores them);
//   - core.NodeStatus for another node becomes takeover.NodeStatus, with
//     Ping set for a ping node. When the change came out of stepping a
//     core.Packet from that very node, Gen is the packet's generation
//     (hg): that is how the resource manager tells a quick restart of the
//     peer from its return after a partition. Otherwise (a death, a ping
//     reply, a packet relayed for another node) Gen stays 0, "unknown";
//   - core.CommUp becomes takeover.CommUp;
//   - takeover.ClusterSend becomes core.ClusterSend;
//   - core.Tick also ticks the resource manager, so NextDeadline covers
//     both parts' timers.
//
// A graceful Shutdown (core.Shutdown and takeover.Shutdown stepped from
// outside count as one too: either alone would leave membership and
// resources out of step) gives resources up first (takeover.Shutdown),
// then ends membership (core.Shutdown) once takeover.ShutdownDone says
// they are released, and Exit follows core.ShutdownReady.
//
// A restart (core.Restart, takeover.PartitionRestart) is heartbeat's
// cause_shutdown_restart: the node keeps running normally (membership,
// messages, group operations) while it gives every group up, and once
// they are released exits for a restart with a new generation, without
// ending membership. The Exit comes after the work already queued, as
// heartbeat's final shutdown runs from its main loop after the message
// being handled. A Shutdown asked during a restart wins: the node ends
// membership and exits for good. Actions that follow Exit are dropped.
//
// The requests of both parts (core.Restart, core.PartitionHealed,
// takeover.PartitionRestart, takeover.ShutdownDone) are still returned,
// for logging; the caller needs no action on them.
package node

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/takeover"
)

// Config configures both parts. Takeover is nil when haresources is not
// in use (pacemaker in ha.cf): the node then runs membership only.
type Config struct {
	Core     core.Config
	Takeover *takeover.Config
}

// Shutdown asks for a graceful stop: release resources, then leave.
type Shutdown struct {
	Time time.Time
}

// Exit tells the caller the node is done: after a graceful Shutdown, or
// (Restart) when heartbeat would restart itself with a new generation.
type Exit struct {
	Restart bool
}

// Event is one of the core's events (core.Start, Tick, Packet, PingReply,
// LinkEvent, ClusterSend), one of the resource manager's external events
// (takeover.GroupOpDone, FenceDone, Standby, Takeover), or Shutdown.
// core.Shutdown and takeover.Shutdown are taken as Shutdown.
type Event any

// Action is any of the parts' actions that reach the outside world, or
// Exit. Messages routed between the parts are not returned.
type Action any

// Machine is the composed decision logic of one node.
type Machine struct {
	core *core.Machine
	tk   *takeover.Machine // nil: no resource management
	now  time.Time

	work []work // handled in order by drain
	out  []Action

	local     string
	stopping  bool // Shutdown was asked
	restart   bool // a restart was asked: give up, then exit for restart
	releasing bool // takeover.Shutdown stepped
	exited    bool
}

// work is an item of the machine's FIFO: coreEvent, tkEvent or exitWork.
type work any

type coreEvent struct{ ev core.Event }
type tkEvent struct{ ev takeover.Event }

// exitWork ends the node when its turn comes in the FIFO.
type exitWork struct{ restart bool }

// New builds the node's machines. Nothing happens until core.Start.
func New(cfg Config) (*Machine, error) {
	c, err := core.NewMachine(cfg.Core)
	if err != nil {
		return nil, err
	}
	m := &Machine{core: c, local: c.Snapshot().Local}
	if cfg.Takeover != nil {
		if m.tk, err = takeover.NewMachine(*cfg.Takeover); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Step feeds one event and returns the actions to carry out, in order.
// After Exit it returns nothing.
func (m *Machine) Step(ev Event) []Action {
	if m.exited {
		return nil
	}
	switch e := ev.(type) {
	case Shutdown:
		m.shutdown(e.Time)
	case core.Shutdown:
		// Stepped alone, the core would announce our departure while we
		// still hold resources, and the peer would take them over.
		m.shutdown(e.Time)
	case takeover.Shutdown:
		// Stepped alone, ShutdownDone would end membership without the
		// node ever exiting.
		m.shutdown(e.Time)
	case core.Tick:
		m.advance(e.Time)
		m.work = append(m.work, coreEvent{e})
		if m.tk != nil {
			m.work = append(m.work, tkEvent{takeover.Tick{Time: e.Time}})
		}
	case core.Event:
		m.advance(eventTime(e))
		m.work = append(m.work, coreEvent{e})
	case takeover.Event:
		if m.tk == nil {
			return nil
		}
		m.advance(tkTime(e))
		m.work = append(m.work, tkEvent{e})
	default:
		panic(fmt.Sprintf("node: unknown event %T", ev))
	}
	m.drain()
	out := m.out
	m.out = nil
	return out
}

// NextDeadline is the earliest time a core.Tick has something to do.
func (m *Machine) NextDeadline() (time.Time, bool) {
	t, ok := m.core.NextDeadline()
	if m.tk != nil {
		if t2, ok2 := m.tk.NextDeadline(); ok2 && (!ok || t2.Before(t)) {
			t, ok = t2, true
		}
	}
	return t, ok
}

// Stopping reports that a graceful Shutdown was asked.
func (m *Machine) Stopping() bool { return m.stopping }

// Restarting reports that a restart was asked (core.Restart or
// takeover.PartitionRestart): the node is giving everything up and will
// exit for a restart.
func (m *Machine) Restarting() bool { return m.restart }

// Exited reports that Exit was returned.
func (m *Machine) Exited() bool { return m.exited }

// RscState is the resource manager's state, cheap to read (unlike
// Snapshot, it copies nothing of the core's).
type RscState struct {
	Status string          // what cl_status rscstatus says
	Stable bool            // hb_rsc_isstable
	State  takeover.RState // resourcestate
	Held   takeover.Set    // i_hold_resources
	Halted bool            // a stop failed: RecoverFailedStop was returned
	// Timer is set while a resource-manager timer is armed (a standby
	// retry, a failback, fencing, a re-sent request): something may
	// still happen without any input but ticks.
	Timer bool
}

// Rsc returns the resource manager's state; ok is false without resource
// management.
func (m *Machine) Rsc() (s RscState, ok bool) {
	if m.tk == nil {
		return RscState{}, false
	}
	_, timer := m.tk.NextDeadline()
	return RscState{Status: m.tk.RscStatus(), Stable: m.tk.IsStable(), State: m.tk.State(),
		Held: m.tk.Held(), Halted: m.tk.Halted(), Timer: timer}, true
}

// Snapshot is the state shown by status commands.
type Snapshot struct {
	core.Snapshot
	// Resources is what cl_status rscstatus says: none, local, foreign,
	// all or transition; "" without resource management.
	Resources string
	Stable    bool
	Groups    []takeover.GroupInfo
	// Stopping and Restarting say the node is leaving (see the methods).
	Stopping, Restarting bool
}

// Snapshot returns a copy of the node's state.
func (m *Machine) Snapshot() Snapshot {
	s := Snapshot{Snapshot: m.core.Snapshot(), Stopping: m.stopping, Restarting: m.restart}
	if m.tk != nil {
		s.Resources = m.tk.RscStatus()
		s.Stable = m.tk.IsStable()
		s.Groups = m.tk.Groups()
	}
	return s
}

func (m *Machine) advance(t time.Time) {
	if t.After(m.now) {
		m.now = t
	}
}

func (m *Machine) shutdown(t time.Time) {
	m.advance(t)
	if !m.stopping {
		m.stopping = true
		m.release()
	}
}

// release starts giving resources up (or, without resource management,
// goes straight to what follows it).
func (m *Machine) release() {
	if m.tk != nil {
		if !m.releasing {
			m.releasing = true
			m.work = append(m.work, tkEvent{takeover.Shutdown{Time: m.now}})
		}
		return
	}
	m.released()
}

// released queues what follows once no group is held: for a restart the
// exit (membership is not ended, as with cause_shutdown_restart), for a
// stop the end of membership.
func (m *Machine) released() {
	if m.restart && !m.stopping {
		m.work = append(m.work, exitWork{restart: true})
		return
	}
	m.work = append(m.work, coreEvent{core.Shutdown{Time: m.now}})
}

func (m *Machine) exit(restart bool) {
	if !m.exited {
		m.exited = true
		m.out = append(m.out, Exit{Restart: restart})
	}
}

func (m *Machine) drain() {
	for len(m.work) > 0 && !m.exited {
		w := m.work[0]
		m.work = m.work[1:]
		switch w := w.(type) {
		case coreEvent:
			m.coreActions(w.ev, m.core.Step(w.ev))
		case tkEvent:
			m.tkActions(m.tk.Step(w.ev))
		case exitWork:
			m.exit(w.restart)
		}
	}
	m.work = nil
}

// coreActions routes the core's actions for event ev.
func (m *Machine) coreActions(ev core.Event, acts []core.Action) {
	src, gen := origin(ev)
	for _, a := range acts {
		switch a := a.(type) {
		case core.Deliver:
			if m.tk != nil {
				m.work = append(m.work, tkEvent{takeover.Message{Time: m.now, Node: a.Node, Msg: a.Msg}})
			}
			continue
		case core.NodeStatus:
			if m.tk != nil && a.Node != m.local {
				ns := takeover.NodeStatus{Time: m.now, Node: a.Node, Old: a.Old, New: a.New,
					Ping: a.Type == core.PingNodeType}
				if !ns.Ping && a.Node == src {
					ns.Gen = gen
				}
				m.work = append(m.work, tkEvent{ns})
			}
		case core.CommUp:
			if m.tk != nil {
				m.work = append(m.work, tkEvent{takeover.CommUp{Time: m.now}})
			}
		case core.Restart:
			m.askRestart()
		case core.ShutdownReady:
			if m.stopping || m.restart {
				m.exit(m.restart && !m.stopping)
				return
			}
			continue
		}
		m.out = append(m.out, a)
	}
}

// origin returns the sender of a packet event, lower-cased as the core
// names nodes, and the generation (hg) it carries; "" and 0 for other
// events or a packet without a readable hg.
func origin(ev core.Event) (src string, gen uint64) {
	p, ok := ev.(core.Packet)
	if !ok || p.Reject != core.Accepted || p.Msg == nil {
		return "", 0
	}
	src, _ = p.Msg.Get("src")
	hg, _ := p.Msg.Get("hg")
	gen, err := strconv.ParseUint(hg, 16, 64)
	if err != nil {
		gen = 0
	}
	return strings.ToLower(src), gen
}

func (m *Machine) tkActions(acts []takeover.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case takeover.ClusterSend:
			m.work = append(m.work, coreEvent{core.ClusterSend{Time: m.now, Msg: a.Msg}})
			continue
		case takeover.PartitionRestart:
			m.askRestart()
		case takeover.ShutdownDone:
			m.released()
		}
		m.out = append(m.out, a)
	}
}

// askRestart handles a restart request from either part: give resources
// up, then exit so the caller restarts with a new generation.
func (m *Machine) askRestart() {
	if m.restart {
		return
	}
	m.restart = true
	m.release()
}

func eventTime(e core.Event) time.Time {
	switch e := e.(type) {
	case core.Start:
		return e.Time
	case core.Packet:
		return e.Time
	case core.PingReply:
		return e.Time
	case core.LinkEvent:
		return e.Time
	case core.ClusterSend:
		return e.Time
	}
	return time.Time{}
}

func tkTime(e takeover.Event) time.Time {
	switch e := e.(type) {
	case takeover.GroupOpDone:
		return e.Time
	case takeover.FenceDone:
		return e.Time
	case takeover.Standby:
		return e.Time
	case takeover.Takeover:
		return e.Time
	}
	return time.Time{}
}
