package rsc

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hbd-project/hbd/haresources"
)

// Timeouts bound each agent call. heartbeat had none: a hung script hung
// the resource manager until someone killed it.
type Timeouts struct {
	Start, Stop, Status time.Duration
}

// DefaultTimeouts: generous for start and stop (a database may take a
// while), short for status, which only looks.
var DefaultTimeouts = Timeouts{Start: 60 * time.Second, Stop: 60 * time.Second, Status: 20 * time.Second}

const (
	// DefaultStopAttempts is HA_STOPRETRYMAX: stop is tried this many times.
	DefaultStopAttempts = 10
	// DefaultStopRetryDelay is ResourceManager's "sleep 1" between tries.
	DefaultStopRetryDelay = time.Second
)

// Config tunes a Manager; zero fields take the defaults.
type Config struct {
	Log            *slog.Logger // nil: slog.Default()
	Timeouts       Timeouts
	StopAttempts   int
	StopRetryDelay time.Duration
}

// Manager runs group operations with heartbeat's semantics. Its methods
// block until the operation ends; Executor runs them in a worker.
type Manager struct {
	reg      *Registry
	log      *slog.Logger
	timeouts Timeouts
	attempts int
	delay    time.Duration
}

// NewManager returns a Manager resolving agents through reg.
func NewManager(reg *Registry, cfg Config) *Manager {
	m := &Manager{reg: reg, log: cfg.Log, timeouts: cfg.Timeouts, attempts: cfg.StopAttempts, delay: cfg.StopRetryDelay}
	if m.log == nil {
		m.log = slog.Default()
	}
	d := DefaultTimeouts
	if m.timeouts.Start <= 0 {
		m.timeouts.Start = d.Start
	}
	if m.timeouts.Stop <= 0 {
		m.timeouts.Stop = d.Stop
	}
	if m.timeouts.Status <= 0 {
		m.timeouts.Status = d.Status
	}
	if m.attempts <= 0 {
		m.attempts = DefaultStopAttempts
	}
	if m.delay <= 0 {
		m.delay = DefaultStopRetryDelay
	}
	return m
}

// Do runs op on g.
func (m *Manager) Do(ctx context.Context, op GroupOp, g haresources.Group) Result {
	switch op {
	case Take:
		return m.TakeGroup(ctx, g)
	case Give:
		return m.GiveGroup(ctx, g)
	case Check:
		return m.CheckGroup(ctx, g)
	}
	return Result{Op: op, Key: g.Key, Outcome: Aborted, Err: fmt.Errorf("unknown group operation %v", op)}
}

// TakeGroup acquires g as acquireresourcegroup does: left to right, a
// resource whose status says Running is left alone, any other is started.
// The first failed start is logged at CRIT as "Giving up resources due to
// failure of R" and the whole group is then released right to left,
// members never started included, exactly like giveupresourcegroup.
func (m *Manager) TakeGroup(ctx context.Context, g haresources.Group) Result {
	res := Result{Op: Take, Key: g.Key}
	log := m.log.With("group", g.Key)
	log.Info("Acquiring resource group: " + groupLine(g))
	for _, r := range g.Resources {
		rlog := log.With("rsc", r.Token)
		st, err := m.call(ctx, &res, r, OpStatus, 1, rlog)
		if ctx.Err() != nil {
			return aborted(ctx, res)
		}
		switch st {
		case Running:
			rlog.Info("Resource is running already; not starting it")
			continue
		case Unknown:
			// we_own_resource says "not owned" to anything but a running
			// answer; starting is safe because start must be idempotent.
			rlog.Warn("Status unknown; starting", "err", err)
		}
		if _, err := m.call(ctx, &res, r, OpStart, 1, rlog); err != nil {
			if ctx.Err() != nil {
				return aborted(ctx, res)
			}
			rlog.Log(ctx, LevelCrit, "Giving up resources due to failure of "+r.Token, "err", err)
			res.Outcome, res.Failed, res.Err = GaveUp, r.Token, err
			m.release(ctx, &res, g, log)
			return res
		}
	}
	res.Outcome = Done
	return res
}

// GiveGroup releases g as giveupresourcegroup does: right to left, each
// resource stopped with retries. A resource that cannot be stopped does
// not stop the release of the others: the earlier members (an address,
// typically) are released even so, and the result is StopFailed.
func (m *Manager) GiveGroup(ctx context.Context, g haresources.Group) Result {
	res := Result{Op: Give, Key: g.Key}
	log := m.log.With("group", g.Key)
	log.Info("Releasing resource group: " + groupLine(g))
	res.Outcome = Done
	m.release(ctx, &res, g, log)
	return res
}

// CheckGroup answers ResourceManager's "status KEY": heartbeat considers a
// group held when its first resource's status says so (req_resource).
func (m *Manager) CheckGroup(ctx context.Context, g haresources.Group) Result {
	res := Result{Op: Check, Key: g.Key}
	if len(g.Resources) == 0 {
		res.Outcome, res.Err = Done, fmt.Errorf("group %s has no resources", g.Key)
		return res
	}
	r := g.Resources[0]
	st, err := m.call(ctx, &res, r, OpStatus, 1, m.log.With("group", g.Key, "rsc", r.Token))
	if ctx.Err() != nil {
		return aborted(ctx, res)
	}
	res.Outcome, res.State, res.Err = Done, st, err
	return res
}

// release stops g's resources right to left into res. It leaves Outcome
// alone unless a resource is stuck (StopFailed) or ctx ends (Aborted).
func (m *Manager) release(ctx context.Context, res *Result, g haresources.Group, log *slog.Logger) {
	for i := len(g.Resources) - 1; i >= 0; i-- {
		r := g.Resources[i]
		err := m.stop(ctx, res, r, log.With("rsc", r.Token))
		if ctx.Err() != nil {
			*res = aborted(ctx, *res)
			return
		}
		if err != nil {
			res.Stuck = append(res.Stuck, r.Token)
			if res.Err == nil { // a failed start stays the deciding error
				res.Err = err
			}
			res.Outcome = StopFailed
		}
	}
}

// stop is giveupresourcegroup's inner loop for one resource: stop, retried
// while it fails, up to m.attempts tries m.delay apart. When it never
// succeeds, status decides. Stopped means the script is merely not
// LSB-compliant (it must succeed when asked to stop a stopped resource),
// and the resource counts as stopped. Anything else is heartbeat's
// RecoverFromFailedStop, which would "pkill -9 heartbeat; pkill -9 ipfail;
// pkill -9 ccm" and "reboot -nf"; hbd logs CRIT and returns the error so
// the daemon decides, and never counts the resource as released.
func (m *Manager) stop(ctx context.Context, res *Result, r haresources.Resource, log *slog.Logger) error {
	var err error
	for attempt := 1; ; attempt++ {
		if _, err = m.call(ctx, res, r, OpStop, attempt, log); err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return err
		}
		log.Error("Stop failed", "attempt", attempt, "of", m.attempts, "err", err)
		if attempt >= m.attempts {
			break
		}
		if sleep(ctx, m.delay) != nil {
			return err
		}
	}
	st, serr := m.call(ctx, res, r, OpStatus, 1, log)
	if ctx.Err() != nil {
		return err
	}
	if st == Stopped {
		log.Warn("Resource script for " + r.Token + " probably not LSB-compliant.")
		log.Warn("It (" + r.Token + ") MUST succeed on a stop when already stopped.")
		log.Warn("Machine reboot narrowly avoided!")
		return nil
	}
	log.Log(ctx, LevelCrit, "Resource STOP failure: "+r.Token+" may still be running after "+
		fmt.Sprint(m.attempts)+" stop attempts; heartbeat would now pkill -9 heartbeat and reboot -nf "+
		"(RecoverFromFailedStop); hbd leaves the decision to the daemon",
		"status", st, "status_err", serr, "err", err)
	return fmt.Errorf("%s: stop failed %d times and status is %s: %w", r.Token, m.attempts, st, err)
}

// call runs one agent operation under its timeout and records it in the
// trace. A panicking agent fails the operation instead of the daemon.
func (m *Manager) call(ctx context.Context, res *Result, r haresources.Resource, op Op, attempt int, log *slog.Logger) (st State, err error) {
	step := Step{Resource: r.Token, Op: op, Attempt: attempt}
	defer func() {
		if p := recover(); p != nil {
			log.Error("Agent panicked", "op", op, "panic", p, "stack", string(debug.Stack()))
			st, err = Unknown, fmt.Errorf("%s %s: agent panicked: %v", r.Token, op, p)
		}
		step.State, step.Err = st, err
		res.Trace = append(res.Trace, step)
	}()
	a, err := m.reg.Agent(r)
	if err != nil {
		return Unknown, err
	}
	d := m.timeout(op)
	opCtx, cancel := context.WithTimeoutCause(ctx, d, fmt.Errorf("%s %s %w after %v", r.Token, op, ErrTimeout, d))
	defer cancel()
	switch op {
	case OpStart:
		err = a.Start(opCtx, r, log)
	case OpStop:
		err = a.Stop(opCtx, r, log)
	default:
		st, err = a.Status(opCtx, r, log)
	}
	return st, err
}

func (m *Manager) timeout(op Op) time.Duration {
	switch op {
	case OpStart:
		return m.timeouts.Start
	case OpStop:
		return m.timeouts.Stop
	}
	return m.timeouts.Status
}

func aborted(ctx context.Context, res Result) Result {
	res.Outcome, res.Err = Aborted, context.Cause(ctx)
	return res
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// groupLine is the group as heartbeat logs it: node and resources.
func groupLine(g haresources.Group) string {
	parts := make([]string, 0, len(g.Resources)+1)
	parts = append(parts, g.Node)
	for _, r := range g.Resources {
		parts = append(parts, r.Token)
	}
	return strings.Join(parts, " ")
}
