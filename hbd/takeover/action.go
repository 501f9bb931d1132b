package takeover

import (
	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
)

// Action is an output of Machine.Step, to be carried out in order.
type Action interface {
	isAction()
}

// ClusterSend asks the caller to step core.ClusterSend with Msg. The core
// adds the control fields and loops the message back (Deliver), which
// the caller passes back as a Message event.
type ClusterSend struct {
	Msg *wire.Message
}

// TakeGroup asks the executor to start group Key, left to right, skipping
// resources already running (ResourceManager takegroup). At most one group
// operation is outstanding at a time; the machine waits for GroupOpDone.
type TakeGroup struct {
	Key string
}

// GiveGroup asks the executor to stop group Key, right to left
// (ResourceManager givegroup).
type GiveGroup struct {
	Key string
}

// Fence asks the STONITH worker to reset Node (Initiate_Reset). The
// result comes back as FenceDone.
type Fence struct {
	Node string
}

// RecoverFailedStop reports that a group could not be stopped. heartbeat's
// ResourceManager then kills heartbeat and reboots the host
// (RecoverFromFailedStop, §6.3 and §11 item 10); the daemon must do the
// equivalent (at least stop announcing anything and fence itself). The
// machine never reports such a group as released.
type RecoverFailedStop struct {
	Key string
}

// PartitionRestart asks the daemon to do what it does for core.Restart:
// step Shutdown, and once ShutdownDone comes, restart with a new
// generation. It is emitted once, for a split brain the core's generation
// check cannot see: the peer came back from the dead without a restart
// after we recovered its death, or its announcements claim groups we hold.
// See doc.go.
type PartitionRestart struct {
	Node string
}

// ShutdownDone reports that every group was given up and our shutdone
// message went out and came back: the daemon may now step core.Shutdown
// and exit (hb_mcp_final_shutdown).
type ShutdownDone struct{}

// Log is a log line worded as heartbeat words it.
type Log struct {
	Level core.Level
	Msg   string
}

func (ClusterSend) isAction()       {}
func (TakeGroup) isAction()         {}
func (GiveGroup) isAction()         {}
func (Fence) isAction()             {}
func (RecoverFailedStop) isAction() {}
func (PartitionRestart) isAction()  {}
func (ShutdownDone) isAction()      {}
func (Log) isAction()               {}
