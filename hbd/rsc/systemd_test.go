package rsc

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"testing"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"
)

// fakeSystemd answers like systemd's manager: jobs complete with a chosen
// result, units have a chosen ActiveState.
type fakeSystemd struct {
	mu        sync.Mutex
	calls     []string
	results   map[string]string // unit → job result ("" = "done")
	callErr   map[string]error  // unit → error from the D-Bus call itself
	active    map[string]string // unit → ActiveState
	noReply   bool              // jobs never complete
	connected bool
	closed    int
}

func newFakeSystemd() *fakeSystemd {
	return &fakeSystemd{results: map[string]string{}, callErr: map[string]error{}, active: map[string]string{}, connected: true}
}

func (f *fakeSystemd) job(kind, name, mode string, ch chan<- string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, kind+" "+name+" "+mode)
	if err := f.callErr[name]; err != nil {
		return 0, err
	}
	if !f.noReply {
		r := f.results[name]
		if r == "" {
			r = "done"
		}
		ch <- r // the agent's channel is buffered; blocking here is its bug
	}
	return 42, nil
}

func (f *fakeSystemd) StartUnitContext(_ context.Context, name, mode string, ch chan<- string) (int, error) {
	return f.job("start", name, mode, ch)
}

func (f *fakeSystemd) StopUnitContext(_ context.Context, name, mode string, ch chan<- string) (int, error) {
	return f.job("stop", name, mode, ch)
}

func (f *fakeSystemd) ListUnitsByNamesContext(_ context.Context, units []string) ([]sd.UnitStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []sd.UnitStatus
	for _, u := range units {
		f.calls = append(f.calls, "list "+u)
		st, ok := f.active[u]
		if !ok {
			out = append(out, sd.UnitStatus{Name: u, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"})
			continue
		}
		out = append(out, sd.UnitStatus{Name: u, LoadState: "loaded", ActiveState: st})
	}
	return out, nil
}

func (f *fakeSystemd) Connected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connected
}

func (f *fakeSystemd) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed++
}

func TestUnitName(t *testing.T) {
	for token, want := range map[string]string{
		"systemd:nginx":          "nginx.service",
		"systemd:nginx.service":  "nginx.service",
		"systemd:data.mount":     "data.mount",
		"systemd:foo@bar":        "foo@bar.service",
		"systemd:foo@bar.socket": "foo@bar.socket",
	} {
		got, err := unitName(resource(t, token))
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", token, got, err, want)
		}
	}
	for _, token := range []string{"systemd:nginx::arg", "systemd:.."} {
		if _, err := unitName(resource(t, token)); !errors.Is(err, ErrBadName) {
			t.Errorf("%s: %v, want ErrBadName", token, err)
		}
	}
}

func TestSystemdAgent(t *testing.T) {
	f := newFakeSystemd()
	dials := 0
	a := &SystemdAgent{Dial: func(context.Context) (SystemdConn, error) { dials++; return f, nil }}
	log := slog.New(newRecorder())
	ctx := t.Context()
	web, db := resource(t, "systemd:web"), resource(t, "systemd:db.service")

	if err := a.Start(ctx, web, log); err != nil {
		t.Errorf("start: %v", err)
	}
	f.results["db.service"] = "failed"
	if err := a.Start(ctx, db, log); err == nil {
		t.Error("start with job result failed succeeded")
	}
	// Stopping a unit systemd does not know is a stop of a stopped thing.
	f.callErr["gone.service"] = dbus.Error{Name: noSuchUnit, Body: []any{"Unit gone.service not loaded."}}
	if err := a.Stop(ctx, resource(t, "systemd:gone"), log); err != nil {
		t.Errorf("stop of an unknown unit: %v", err)
	}
	f.callErr["web.service"] = dbus.Error{Name: "org.freedesktop.DBus.Error.AccessDenied"}
	if err := a.Stop(ctx, web, log); err == nil {
		t.Error("stop failing with AccessDenied succeeded")
	}

	for active, want := range map[string]State{
		"active": Running, "reloading": Running, "inactive": Stopped, "failed": Stopped,
		"activating": Unknown, "deactivating": Unknown,
	} {
		f.active["web.service"] = active
		st, err := a.Status(ctx, web, log)
		if st != want || (err != nil) != (want == Unknown) {
			t.Errorf("ActiveState %s: %v, %v; want %v", active, st, err, want)
		}
	}
	if st, err := a.Status(ctx, resource(t, "systemd:nosuch"), log); st != Stopped {
		t.Errorf("unit not found: %v, %v; want stopped", st, err)
	}
	if dials != 1 {
		t.Errorf("dialled %d times over a healthy connection", dials)
	}
	// A broken connection is replaced.
	f.connected = false
	f.active["web.service"] = "active"
	if _, err := a.Status(ctx, web, log); err != nil {
		t.Error(err)
	}
	if dials != 2 || f.closed != 1 {
		t.Errorf("after disconnect: %d dials, %d closes; want 2, 1", dials, f.closed)
	}
	reg := &Registry{Systemd: a}
	reg.Close()
	if f.closed != 2 {
		t.Errorf("Registry.Close did not close the systemd connection (%d closes)", f.closed)
	}

	want := []string{
		"start web.service replace", "start db.service replace",
		"stop gone.service replace", "stop web.service replace",
	}
	if diff := cmp.Diff(want, f.calls[:4]); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestSystemdJobTimeout(t *testing.T) {
	f := newFakeSystemd()
	f.noReply = true
	a := &SystemdAgent{Dial: func(context.Context) (SystemdConn, error) { return f, nil }}
	ctx, cancel := context.WithCancelCause(t.Context())
	cancel(ErrTimeout)
	if err := a.Start(ctx, resource(t, "systemd:web"), slog.New(newRecorder())); !errors.Is(err, ErrTimeout) {
		t.Errorf("start with no job result: %v, want ErrTimeout", err)
	}
}

// TestSystemdReal talks to the host's systemd without changing anything:
// a unit that does not exist is stopped, and stopping it succeeds.
func TestSystemdReal(t *testing.T) {
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		t.Skip("systemd is not the init system here (/run/systemd/system missing)")
	}
	if os.Geteuid() != 0 {
		t.Skip("systemd's private socket needs root")
	}
	a := &SystemdAgent{}
	t.Cleanup(a.Close)
	log := slog.New(newRecorder())
	r := resource(t, "systemd:hbd-rsc-test-does-not-exist")
	if st, err := a.Status(t.Context(), r, log); st != Stopped {
		t.Errorf("status: %v, %v; want stopped", st, err)
	}
	if err := a.Stop(t.Context(), r, log); err != nil {
		t.Errorf("stop: %v", err)
	}
}
