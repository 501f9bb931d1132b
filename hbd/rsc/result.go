package rsc

import (
	"fmt"
	"strconv"
)

// GroupOp is an operation on a whole resource group.
type GroupOp int

const (
	// Take acquires the group (ResourceManager takegroup).
	Take GroupOp = iota + 1
	// Give releases the group (ResourceManager givegroup).
	Give
	// Check asks whether the group is held (ResourceManager status KEY):
	// the status of its first resource.
	Check
)

func (o GroupOp) String() string {
	switch o {
	case Take:
		return "takegroup"
	case Give:
		return "givegroup"
	case Check:
		return "status"
	}
	return fmt.Sprintf("GroupOp(%d)", int(o))
}

// Outcome is how a group operation ended.
type Outcome int

const (
	// Done: Take left every resource running, Give left every resource
	// stopped, Check answered (see Result.State).
	Done Outcome = iota + 1
	// GaveUp: a start failed and the group was stopped again ("Giving up
	// resources due to failure of …"). The daemon should let the peer
	// have the group, as heartbeat's hb_standby foreign did.
	GaveUp
	// StopFailed: a resource could not be stopped and its status does not
	// say stopped (Result.Stuck). heartbeat would reboot the node here
	// (RecoverFromFailedStop); the daemon must at least not treat the group
	// as released.
	StopFailed
	// Aborted: the caller's context ended mid-operation; the group is in
	// an unknown, possibly partial state.
	Aborted
)

func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case GaveUp:
		return "gave up"
	case StopFailed:
		return "stop failed, resource still running"
	case Aborted:
		return "aborted"
	}
	return fmt.Sprintf("Outcome(%d)", int(o))
}

// Step is one agent call of a group operation, in the order run.
type Step struct {
	Resource string // the haresources token
	Op       Op
	Attempt  int   // 1, or the try number of a retried stop
	State    State // status steps only
	Err      error
}

// String is a compact form for logs and tests: "r1 status=stopped",
// "r2 start", "r2 start failed", "r3 stop#2 failed".
func (s Step) String() string {
	out := s.Resource + " " + string(s.Op)
	if s.Attempt > 1 {
		out += "#" + strconv.Itoa(s.Attempt)
	}
	if s.Op == OpStatus {
		return out + "=" + s.State.String()
	}
	if s.Err != nil {
		out += " failed"
	}
	return out
}

// Result reports one group operation.
type Result struct {
	ID      uint64 // Executor.Submit's id; 0 from Manager's direct calls
	Op      GroupOp
	Key     string
	Outcome Outcome
	// State is Check's answer: the first resource's state.
	State State
	// Failed is the resource whose start failed (GaveUp, or StopFailed
	// after giving up).
	Failed string
	// Stuck lists the resources that could not be stopped, right to left.
	Stuck []string
	// Err is the error that decided the outcome: the failed start, the
	// first stuck resource's stop error, Check's status error, or the
	// context's cause when Aborted.
	Err   error
	Trace []Step
}

// OK reports whether the operation did what it was asked: Take left every
// resource running, Give left every resource stopped, Check answered.
func (r Result) OK() bool { return r.Outcome == Done }

// StillRunning reports whether a resource may be left running after a
// failure: a stop failed (heartbeat's RecoverFromFailedStop case), or the
// operation was aborted midway and nothing can be assumed. A GaveUp take
// stopped the group again, so it is not StillRunning.
func (r Result) StillRunning() bool { return r.Outcome == StopFailed || r.Outcome == Aborted }
