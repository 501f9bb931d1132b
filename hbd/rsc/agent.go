package rsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hbd-project/hbd/haresources"
)

// Op is a resource operation, named as heartbeat's scripts name it.
type Op string

const (
	OpStart  Op = "start"
	OpStop   Op = "stop"
	OpStatus Op = "status"
)

// State is what a status check found.
type State int

const (
	// Unknown: the check could not tell (it failed, timed out, or the
	// script's answer is ambiguous). TakeGroup starts such a resource, as
	// heartbeat starts anything not reported running; after a failed stop
	// it counts as still running.
	Unknown State = iota
	Stopped
	Running
)

func (s State) String() string {
	switch s {
	case Unknown:
		return "unknown"
	case Stopped:
		return "stopped"
	case Running:
		return "running"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Agent performs the operations of one kind of resource. The context's
// deadline is the operation's timeout; an Agent must stop working when the
// context is done. Agents are used from worker goroutines, possibly several
// at once, so they must be safe for concurrent use.
type Agent interface {
	// Start brings r up; nil means it is running.
	Start(ctx context.Context, r haresources.Resource, log *slog.Logger) error
	// Stop takes r down; nil means it is stopped. Stopping a stopped
	// resource must succeed (LSB).
	Stop(ctx context.Context, r haresources.Resource, log *slog.Logger) error
	// Status reports Running or Stopped with a nil error, or Unknown with
	// an error saying why it cannot tell.
	Status(ctx context.Context, r haresources.Resource, log *slog.Logger) (State, error)
}

// Validator is implemented by agents that can reject a resource's name or
// arguments before any operation, so the daemon can refuse a bad
// haresources file at start-up as heartbeat's parse_ha_resources does for
// node names.
type Validator interface {
	Validate(r haresources.Resource) error
}

var (
	// ErrNotFound: no script or agent exists for the resource
	// (ResourceManager: "Cannot locate resource script").
	ErrNotFound = errors.New("cannot locate resource script")
	// ErrBadName: the resource name or an argument cannot be used safely
	// (a path separator, "..", a malformed OCF parameter).
	ErrBadName = errors.New("bad resource name")
	// ErrTimeout: the operation ran longer than its timeout and was killed.
	ErrTimeout = errors.New("timed out")
)

// LevelCrit is heartbeat's CRIT severity, above slog.LevelError: "Giving up
// resources" and a resource left running after a failed stop.
const LevelCrit = slog.LevelError + 4
