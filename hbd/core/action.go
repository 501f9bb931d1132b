package core

import (
	"fmt"

	"github.com/hbd-project/hbd/hbd/wire"
)

// Action is an output of Machine.Step for the caller to carry out, in order.
type Action interface {
	isAction()
}

// Send asks the I/O layer to sign, encode and transmit Msg on every medium
// in Links. The control fields (destuuid, src, srcuuid, seq, hg, ts, ld,
// ttl) are already in place in heartbeat's order; the I/O layer adds only
// the auth field/trailer. Msg must not be modified.
type Send struct {
	Msg *wire.Message
	// Links lists the media to use; nil means all of them. It is a
	// subset only while some medium is down (LinkEvent).
	Links []string
	// Rexmit is set for a retransmission from the history; the message
	// is byte-for-byte the original (same seq and ts).
	Rexmit bool
}

// SendPing asks the ping medium of ping node Node to send Msg (t=NS_st) as
// the payload of an ICMP echo request (to every member for a ping_group).
// One is produced per ping node for every status message sent.
type SendPing struct {
	Node string
	Msg  *wire.Message
}

// NodeStatus reports a node status change (init, up, active, dead, ping).
type NodeStatus struct {
	Node     string
	Type     NodeType
	Old, New string
}

// LinkStatus reports a link (node × medium) status change: up or dead.
type LinkStatus struct {
	Node, Link, Status string
}

// CommUp reports comm_now_up: every node was heard from or declared dead
// and the reqnodes exchange finished. The local status is now active.
type CommUp struct{}

// PartitionHealed reports a peer that was declared dead coming back with
// the same generation ("Cluster node X returning after partition.").
type PartitionHealed struct {
	Node string
}

// RestartReason says why heartbeat would call cause_shutdown_restart.
type RestartReason string

const (
	RestartNoLocalHeartbeat RestartReason = "no local heartbeat"
	RestartHealedPartition  RestartReason = "healed partition"
)

// Restart asks the daemon to do what cause_shutdown_restart does: give up
// resources, wait, and restart with a new generation. Emitted at most once.
type Restart struct {
	Reason RestartReason
	Node   string // the returning node, for RestartHealedPartition
}

// Deliver hands a kept message of a type the membership core does not
// handle (starting, resource, ip-request, …) to the layer above
// (HBDoMsg_default / heartbeat_monitor). Own messages are delivered too.
type Deliver struct {
	Node string
	Link string // "" for our own looped-back messages
	Msg  *wire.Message
}

// NodeAdded / NodeRemoved report dynamic membership changes (autojoin,
// repnodes).
type NodeAdded struct{ Node string }
type NodeRemoved struct{ Node string }

// ShutdownReady reports that the membership side of a requested shutdown
// is done (comm was up and our final status was sent).
type ShutdownReady struct{}

// Level is a log severity, named as heartbeat's cl_log levels.
type Level int

const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarn
	LevelErr
	LevelCrit
)

func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "WARN"
	case LevelErr:
		return "ERROR"
	case LevelCrit:
		return "CRIT"
	}
	return fmt.Sprintf("Level(%d)", int(l))
}

// Log is a log line, worded as heartbeat words it where it has one.
type Log struct {
	Level Level
	Msg   string
}

func (Send) isAction()            {}
func (SendPing) isAction()        {}
func (NodeStatus) isAction()      {}
func (LinkStatus) isAction()      {}
func (CommUp) isAction()          {}
func (PartitionHealed) isAction() {}
func (Restart) isAction()         {}
func (Deliver) isAction()         {}
func (NodeAdded) isAction()       {}
func (NodeRemoved) isAction()     {}
func (ShutdownReady) isAction()   {}
func (Log) isAction()             {}
