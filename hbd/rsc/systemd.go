package rsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"

	"github.com/hbd-project/hbd/haresources"
)

// systemdPrefix marks a systemd unit token: "systemd:UNIT".
const systemdPrefix = "systemd:"

// SystemdConn is the part of go-systemd's *dbus.Conn the agent uses; tests
// substitute a fake.
type SystemdConn interface {
	StartUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	StopUnitContext(ctx context.Context, name, mode string, ch chan<- string) (int, error)
	ListUnitsByNamesContext(ctx context.Context, units []string) ([]sd.UnitStatus, error)
	Connected() bool
	Close()
}

var _ SystemdConn = (*sd.Conn)(nil)

// SystemdAgent starts and stops "systemd:UNIT" resources through systemd's
// D-Bus API: a "replace" job, waited for until systemd reports its result.
// UNIT without a type suffix is a service ("systemd:nginx" is
// nginx.service), as in Pacemaker's systemd class.
type SystemdAgent struct {
	// Dial connects to systemd; nil uses its private socket
	// (NewSystemdConnectionContext: root only, works without dbus-daemon).
	Dial func(ctx context.Context) (SystemdConn, error)

	mu   sync.Mutex
	conn SystemdConn
}

// Close drops the connection, if any; the next operation reconnects.
func (a *SystemdAgent) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn != nil {
		a.conn.Close()
		a.conn = nil
	}
}

// connection returns a live connection, dialling when there is none or
// the old one broke (systemd re-executed, for instance).
func (a *SystemdAgent) connection(ctx context.Context) (SystemdConn, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn != nil && a.conn.Connected() {
		return a.conn, nil
	}
	if a.conn != nil {
		a.conn.Close()
		a.conn = nil
	}
	dial := a.Dial
	if dial == nil {
		dial = func(ctx context.Context) (SystemdConn, error) { return sd.NewSystemdConnectionContext(ctx) }
	}
	c, err := dial(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to systemd: %w", err)
	}
	a.conn = c
	return c, nil
}

var unitSuffixes = []string{
	".service", ".socket", ".target", ".mount", ".automount", ".swap",
	".path", ".timer", ".slice", ".scope", ".device",
}

// unitName returns the unit of a "systemd:UNIT" resource.
func unitName(r haresources.Resource) (string, error) {
	unit, ok := strings.CutPrefix(r.Name, systemdPrefix)
	if !ok || unit == "" {
		return "", fmt.Errorf("%w %q: want systemd:UNIT", ErrBadName, r.Name)
	}
	if err := checkName(unit); err != nil {
		return "", err
	}
	if len(r.Args) > 0 {
		return "", fmt.Errorf("%w: %s takes no arguments (got %q)", ErrBadName, r.Name, r.Args)
	}
	for _, s := range unitSuffixes {
		if strings.HasSuffix(unit, s) {
			return unit, nil
		}
	}
	return unit + ".service", nil
}

func (a *SystemdAgent) Validate(r haresources.Resource) error {
	_, err := unitName(r)
	return err
}

func (a *SystemdAgent) Start(ctx context.Context, r haresources.Resource, log *slog.Logger) error {
	return a.job(ctx, r, OpStart, log)
}

// Stop treats a unit systemd does not know as stopped.
func (a *SystemdAgent) Stop(ctx context.Context, r haresources.Resource, log *slog.Logger) error {
	return a.job(ctx, r, OpStop, log)
}

// Status maps the unit's ActiveState: active and reloading are Running,
// inactive and failed (the unit's processes are gone) are Stopped, the
// transitional activating and deactivating are Unknown.
func (a *SystemdAgent) Status(ctx context.Context, r haresources.Resource, log *slog.Logger) (State, error) {
	unit, err := unitName(r)
	if err != nil {
		return Unknown, err
	}
	c, err := a.connection(ctx)
	if err != nil {
		return Unknown, err
	}
	st, err := c.ListUnitsByNamesContext(ctx, []string{unit})
	if err != nil {
		return Unknown, fmt.Errorf("systemd status of %s: %w", unit, err)
	}
	if len(st) == 0 {
		return Unknown, fmt.Errorf("systemd status of %s: no answer for the unit", unit)
	}
	log.Debug("systemd unit state", "unit", unit, "load", st[0].LoadState, "active", st[0].ActiveState, "sub", st[0].SubState)
	switch st[0].ActiveState {
	case "active", "reloading", "refreshing":
		return Running, nil
	case "inactive", "failed":
		return Stopped, nil
	}
	return Unknown, fmt.Errorf("systemd unit %s is %s (%s)", unit, st[0].ActiveState, st[0].SubState)
}

// noSuchUnit is systemd's D-Bus error for a unit it has not loaded.
const noSuchUnit = "org.freedesktop.systemd1.NoSuchUnit"

func (a *SystemdAgent) job(ctx context.Context, r haresources.Resource, op Op, log *slog.Logger) error {
	unit, err := unitName(r)
	if err != nil {
		return err
	}
	c, err := a.connection(ctx)
	if err != nil {
		return err
	}
	// Buffered: go-systemd's signal dispatcher blocks on this send, and
	// after a timeout nobody is left to receive it.
	done := make(chan string, 1)
	var id int
	if op == OpStart {
		id, err = c.StartUnitContext(ctx, unit, "replace", done)
	} else {
		id, err = c.StopUnitContext(ctx, unit, "replace", done)
	}
	if err != nil {
		if de, ok := errors.AsType[dbus.Error](err); ok && de.Name == noSuchUnit && op == OpStop {
			log.Info("systemd does not know the unit; nothing to stop", "unit", unit)
			return nil
		}
		return fmt.Errorf("systemd %s %s: %w", op, unit, err)
	}
	log.Info("systemd job queued", "unit", unit, "op", op, "job", id)
	select {
	case result := <-done:
		// done|canceled|timeout|failed|dependency|skipped
		if result != "done" {
			return fmt.Errorf("systemd %s %s: job %d %s", op, unit, id, result)
		}
		log.Info("systemd job done", "unit", unit, "op", op, "job", id)
		return nil
	case <-ctx.Done():
		// systemd keeps running the job; the next status tells its outcome.
		return fmt.Errorf("systemd %s %s: job %d: %w", op, unit, id, context.Cause(ctx))
	}
}
