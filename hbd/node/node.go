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
// message at a time: core.Deliver becomes takeover.Message, a peer's
// core.NodeStatus becomes takeover.NodeStatus, core.CommUp becomes
// takeover.CommUp, and takeover.ClusterSend becomes core.ClusterSend. A
// shutdown gives up resources first (takeover.Shutdown), then ends
// membership (core.Shutdown) once they are released; a restart
// (core.Restart, takeover.PartitionRestart) gives resources up and exits
// for a restart, as cause_shutdown_restart does.
package node

import (
	"fmt"
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
// LinkEvent), one of the resource manager's external events
// (takeover.GroupOpDone, FenceDone, Standby, Takeover), or Shutdown.
type Event any

// Action is any of the parts' actions that reach the outside world, or
// Exit. Messages routed between the parts are not returned.
type Action any

// Machine is the composed decision logic of one node.
type Machine struct {
	core *core.Machine
	tk   *takeover.Machine // nil: no resource management
	now  time.Time

	work []any // coreEvent or tkEvent, handled in order
	out  []Action

	local     string
	stopping  bool // Shutdown was asked
	restart   bool // a restart was asked: give up, then exit for restart
	releasing bool // takeover.Shutdown stepped
	exited    bool
}

type coreEvent struct{ ev core.Event }
type tkEvent struct{ ev takeover.Event }

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
		m.advance(e.Time)
		if !m.stopping {
			m.stopping = true
			m.release()
		}
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

// Snapshot is the state shown by status commands.
type Snapshot struct {
	core.Snapshot
	// Resources is what cl_status rscstatus says: none, local, foreign,
	// all or transition; "" without resource management.
	Resources string
	Stable    bool
	Groups    []takeover.GroupInfo
}

// Snapshot returns a copy of the node's state.
func (m *Machine) Snapshot() Snapshot {
	s := Snapshot{Snapshot: m.core.Snapshot()}
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

// release starts giving resources up (or, without resource management,
// ends membership at once).
func (m *Machine) release() {
	if m.tk != nil {
		if !m.releasing {
			m.releasing = true
			m.work = append(m.work, tkEvent{takeover.Shutdown{Time: m.now}})
		}
		return
	}
	if m.restart && !m.stopping {
		m.exit(true)
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
			m.coreActions(m.core.Step(w.ev))
		case tkEvent:
			m.tkActions(m.tk.Step(w.ev))
		}
	}
	m.work = nil
}

func (m *Machine) coreActions(acts []core.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case core.Deliver:
			if m.tk != nil {
				m.work = append(m.work, tkEvent{takeover.Message{Time: m.now, Node: a.Node, Msg: a.Msg}})
			}
			continue
		case core.NodeStatus:
			if m.tk != nil && a.Node != m.local {
				m.work = append(m.work, tkEvent{takeover.NodeStatus{Time: m.now, Node: a.Node,
					Old: a.Old, New: a.New, Ping: a.Type == core.PingNodeType}})
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

func (m *Machine) tkActions(acts []takeover.Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case takeover.ClusterSend:
			m.work = append(m.work, coreEvent{core.ClusterSend{Time: m.now, Msg: a.Msg}})
			continue
		case takeover.PartitionRestart:
			m.askRestart()
		case takeover.ShutdownDone:
			if m.restart && !m.stopping {
				// cause_shutdown_restart: resources are released; go.
				m.exit(true)
				return
			}
			m.work = append(m.work, coreEvent{core.Shutdown{Time: m.now}})
			continue
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
	case core.Shutdown:
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
