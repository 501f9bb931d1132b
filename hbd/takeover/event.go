package takeover

import (
	"time"

	"github.com/hbd-project/hbd/hbd/wire"
)

// Event is an input to Machine.Step. Every event carries the time at which
// it happened; the machine never reads a clock.
type Event interface {
	when() time.Time
}

// CommUp is the membership core's CommUp action (comm_now_up →
// comm_up_resource_action).
type CommUp struct {
	Time time.Time
}

// NodeStatus is the membership core's NodeStatus action for a peer. A
// change to "dead" is mark_node_dead → hb_rsc_recover_dead_resources; any
// other status tells the machine that the peer has been heard from
// (anypacketsyet). Ping nodes must not be passed (or pass Ping: heartbeat
// ignores them for takeover).
type NodeStatus struct {
	Time     time.Time
	Node     string
	Old, New string
	Ping     bool
	// Gen is the generation (hg) of the peer's status message that caused
	// the change, when the daemon knows it (the Packet it just stepped
	// came from Node); 0 when unknown, as for a death. A higher generation
	// than before is a restart of the peer.
	Gen uint64
}

// Message is the membership core's Deliver action: a kept cluster message
// of a type the core does not handle, from the peer. Our own looped-back
// copies may be passed too; they are ignored, because the machine ran each
// of its messages through its handlers when it sent it (as heartbeat's
// process_outbound_packet does).
type Message struct {
	Time time.Time
	Node string // sender
	Msg  *wire.Message
}

// Op is a group operation run by the executor.
type Op int

const (
	OpTake Op = iota + 1 // ResourceManager takegroup
	OpGive               // ResourceManager givegroup
)

func (o Op) String() string {
	switch o {
	case OpTake:
		return "take"
	case OpGive:
		return "give"
	}
	return "?"
}

// GroupOpDone reports the end of a TakeGroup or GiveGroup action.
//
// A take that fails must already have been rolled back by the executor, as
// ResourceManager's acquireresourcegroup does (giveupresourcegroup on the
// whole group); OK=false then means the group is stopped. StillRunning
// means some resource could not be stopped (after a failed take's rollback
// or a give): heartbeat's RecoverFromFailedStop case.
type GroupOpDone struct {
	Time         time.Time
	Key          string
	Op           Op
	OK           bool
	StillRunning bool
}

// FenceResult is a STONITH reset outcome, as sent in "stonith result=".
type FenceResult string

const (
	FenceOK      FenceResult = "OK"      // S_OK
	FenceBadHost FenceResult = "badhost" // S_BADHOST
	FenceBad     FenceResult = "bad"     // anything else
)

// FenceDone reports the end of a Fence action (Initiate_Reset's child).
type FenceDone struct {
	Time   time.Time
	Node   string
	Result FenceResult
}

// Standby is the local hb_standby command: give up the given set to the
// peer ("failback" is Foreign). It sends ask_resources info=me.
type Standby struct {
	Time  time.Time
	Which Set
}

// Takeover is the local hb_takeover command: ask the peer to go standby.
// It sends hb_takeover rsc_hold=Which; the peer's rc.d/hb_takeover runs
// hb_standby with the set flipped to its terms.
type Takeover struct {
	Time  time.Time
	Which Set
}

// Shutdown asks for the graceful shutdown of the resource side
// (hb_giveup_resources). It waits for comm up and for stability, gives
// every group up in file order, sends shutdone, and reports ShutdownDone
// once its own shutdone has looped back.
type Shutdown struct {
	Time time.Time
}

// Tick advances time; deliver it at Machine.NextDeadline (or more often).
type Tick struct {
	Time time.Time
}

func (e CommUp) when() time.Time      { return e.Time }
func (e NodeStatus) when() time.Time  { return e.Time }
func (e Message) when() time.Time     { return e.Time }
func (e GroupOpDone) when() time.Time { return e.Time }
func (e FenceDone) when() time.Time   { return e.Time }
func (e Standby) when() time.Time     { return e.Time }
func (e Takeover) when() time.Time    { return e.Time }
func (e Shutdown) when() time.Time    { return e.Time }
func (e Tick) when() time.Time        { return e.Time }
