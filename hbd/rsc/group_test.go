package rsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/haresources"
)

// fakeAgent is an in-memory agent for "fake::ID" resources, scriptable per
// ID, for testing the group semantics without processes.
type fakeAgent struct {
	mu           sync.Mutex
	running      map[string]bool
	failStart    map[string]bool
	stopFailures map[string]int   // failures left before stop works; <0: never works
	status       map[string]State // forced status answer
	hang         map[string]Op    // this op blocks until its context ends
	panics       map[string]Op
	started      chan string // if set, receives the ID of every start
}

func newFake() *fakeAgent {
	return &fakeAgent{
		running: map[string]bool{}, failStart: map[string]bool{}, stopFailures: map[string]int{},
		status: map[string]State{}, hang: map[string]Op{}, panics: map[string]Op{},
	}
}

// enter applies the hang and panic settings for op on id.
func (f *fakeAgent) enter(ctx context.Context, id string, op Op) error {
	f.mu.Lock()
	hang, pan := f.hang[id] == op, f.panics[id] == op
	f.mu.Unlock()
	if pan {
		panic("fake agent: " + id + " " + string(op))
	}
	if hang {
		<-ctx.Done()
		return context.Cause(ctx)
	}
	return nil
}

func (f *fakeAgent) Start(ctx context.Context, r haresources.Resource, _ *slog.Logger) error {
	id := r.Args[0]
	if f.started != nil {
		f.started <- id
	}
	if err := f.enter(ctx, id, OpStart); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failStart[id] {
		return errors.New("start failed")
	}
	f.running[id] = true
	return nil
}

func (f *fakeAgent) Stop(ctx context.Context, r haresources.Resource, _ *slog.Logger) error {
	id := r.Args[0]
	if err := f.enter(ctx, id, OpStop); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch n := f.stopFailures[id]; {
	case n < 0:
		return errors.New("stop failed")
	case n > 0:
		f.stopFailures[id] = n - 1
		return errors.New("stop failed")
	}
	f.running[id] = false
	return nil
}

func (f *fakeAgent) Status(ctx context.Context, r haresources.Resource, _ *slog.Logger) (State, error) {
	id := r.Args[0]
	if err := f.enter(ctx, id, OpStatus); err != nil {
		return Unknown, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if st, ok := f.status[id]; ok {
		if st == Unknown {
			return Unknown, errors.New("cannot tell")
		}
		return st, nil
	}
	if f.running[id] {
		return Running, nil
	}
	return Stopped, nil
}

func (f *fakeAgent) isRunning(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.running[id]
}

// fakeManager returns a Manager whose only agent is f, registered as
// "fake", with the default timeouts and retries (run it under synctest).
func fakeManager(t *testing.T, f *fakeAgent, rec *recorder) *Manager {
	t.Helper()
	reg := &Registry{}
	if err := reg.Register("fake", f); err != nil {
		t.Fatal(err)
	}
	return NewManager(reg, Config{Log: slog.New(rec)})
}

func TestTakeGroup(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(f *fakeAgent)
		want      []string
		outcome   Outcome
		failed    string
		stuck     []string
		running   []string // IDs left running
		errIs     error
		giveUpLog bool
	}{
		{
			name: "all started left to right",
			want: []string{
				"fake::r1 status=stopped", "fake::r1 start",
				"fake::r2 status=stopped", "fake::r2 start",
				"fake::r3 status=stopped", "fake::r3 start",
			},
			outcome: Done,
			running: []string{"r1", "r2", "r3"},
		},
		{
			name:  "running resources are skipped",
			setup: func(f *fakeAgent) { f.running["r2"] = true },
			want: []string{
				"fake::r1 status=stopped", "fake::r1 start",
				"fake::r2 status=running",
				"fake::r3 status=stopped", "fake::r3 start",
			},
			outcome: Done,
			running: []string{"r1", "r2", "r3"},
		},
		{
			name:  "unknown status is started",
			setup: func(f *fakeAgent) { f.status["r1"] = Unknown },
			want: []string{
				"fake::r1 status=unknown", "fake::r1 start",
				"fake::r2 status=stopped", "fake::r2 start",
				"fake::r3 status=stopped", "fake::r3 start",
			},
			outcome: Done,
			running: []string{"r1", "r2", "r3"},
		},
		{
			name:  "failed start gives the whole group up",
			setup: func(f *fakeAgent) { f.failStart["r2"] = true },
			want: []string{
				"fake::r1 status=stopped", "fake::r1 start",
				"fake::r2 status=stopped", "fake::r2 start failed",
				"fake::r3 stop", "fake::r2 stop", "fake::r1 stop",
			},
			outcome:   GaveUp,
			failed:    "fake::r2",
			giveUpLog: true,
		},
		{
			name: "start timeout gives up",
			setup: func(f *fakeAgent) {
				f.hang["r1"] = OpStart
			},
			want: []string{
				"fake::r1 status=stopped", "fake::r1 start failed",
				"fake::r3 stop", "fake::r2 stop", "fake::r1 stop",
			},
			outcome:   GaveUp,
			failed:    "fake::r1",
			errIs:     ErrTimeout,
			giveUpLog: true,
		},
		{
			name:  "panicking agent fails its operation",
			setup: func(f *fakeAgent) { f.panics["r3"] = OpStart },
			want: []string{
				"fake::r1 status=stopped", "fake::r1 start",
				"fake::r2 status=stopped", "fake::r2 start",
				"fake::r3 status=stopped", "fake::r3 start failed",
				"fake::r3 stop", "fake::r2 stop", "fake::r1 stop",
			},
			outcome:   GaveUp,
			failed:    "fake::r3",
			giveUpLog: true,
		},
		{
			name: "giving up with a stop that fails escalates",
			setup: func(f *fakeAgent) {
				f.failStart["r3"] = true
				f.stopFailures["r1"] = -1
			},
			want: append([]string{
				"fake::r1 status=stopped", "fake::r1 start",
				"fake::r2 status=stopped", "fake::r2 start",
				"fake::r3 status=stopped", "fake::r3 start failed",
				"fake::r3 stop", "fake::r2 stop",
			}, append(stopTries("fake::r1", 10), "fake::r1 status=running")...),
			outcome:   StopFailed,
			failed:    "fake::r3",
			stuck:     []string{"fake::r1"},
			running:   []string{"r1"},
			giveUpLog: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake()
				if tc.setup != nil {
					tc.setup(f)
				}
				rec := newRecorder()
				res := fakeManager(t, f, rec).TakeGroup(t.Context(), group(t, "node1 fake::r1 fake::r2 fake::r3"))
				if diff := cmp.Diff(tc.want, steps(res.Trace)); diff != "" {
					t.Errorf("trace (-want +got):\n%s", diff)
				}
				if res.Outcome != tc.outcome || res.Failed != tc.failed || !cmp.Equal(res.Stuck, tc.stuck) {
					t.Errorf("outcome %v failed %q stuck %q; want %v %q %q (err %v)",
						res.Outcome, res.Failed, res.Stuck, tc.outcome, tc.failed, tc.stuck, res.Err)
				}
				if tc.errIs != nil && !errors.Is(res.Err, tc.errIs) {
					t.Errorf("err %v, want %v", res.Err, tc.errIs)
				}
				if (tc.outcome == Done) != (res.Err == nil) {
					t.Errorf("outcome %v with err %v", res.Outcome, res.Err)
				}
				if res.OK() != (tc.outcome == Done) || res.StillRunning() != (tc.stuck != nil) {
					t.Errorf("OK() %v StillRunning() %v for outcome %v", res.OK(), res.StillRunning(), res.Outcome)
				}
				var running []string
				for _, id := range []string{"r1", "r2", "r3"} {
					if f.isRunning(id) {
						running = append(running, id)
					}
				}
				if !cmp.Equal(running, tc.running) {
					t.Errorf("running %q, want %q", running, tc.running)
				}
				crit := rec.find("Giving up resources due to failure of")
				if tc.giveUpLog != (len(crit) == 1) || len(crit) == 1 && crit[0].Level != LevelCrit {
					t.Errorf("give-up log lines: %v", crit)
				}
			})
		})
	}
}

// stopTries is a stop tried n times, failing each time.
func stopTries(token string, n int) []string {
	out := []string{token + " stop failed"}
	for i := 2; i <= n; i++ {
		out = append(out, fmt.Sprintf("%s stop#%d failed", token, i))
	}
	return out
}

func TestGiveGroup(t *testing.T) {
	tests := []struct {
		name     string
		setup    func(f *fakeAgent)
		want     []string
		outcome  Outcome
		stuck    []string
		elapsed  time.Duration // fake time, from the 1 s retry delays
		logs     []string
		critLogs int
	}{
		{
			name:    "right to left",
			want:    []string{"fake::r3 stop", "fake::r2 stop", "fake::r1 stop"},
			outcome: Done,
		},
		{
			name:    "stop retried 1 s apart until it works",
			setup:   func(f *fakeAgent) { f.stopFailures["r2"] = 3 },
			want:    []string{"fake::r3 stop", "fake::r2 stop failed", "fake::r2 stop#2 failed", "fake::r2 stop#3 failed", "fake::r2 stop#4", "fake::r1 stop"},
			outcome: Done,
			elapsed: 3 * time.Second,
		},
		{
			name: "failed stop but status stopped is not LSB-compliant",
			setup: func(f *fakeAgent) {
				f.stopFailures["r2"] = -1
				f.status["r2"] = Stopped
			},
			want:    append(append([]string{"fake::r3 stop"}, stopTries("fake::r2", 10)...), "fake::r2 status=stopped", "fake::r1 stop"),
			outcome: Done,
			elapsed: 9 * time.Second,
			logs:    []string{"probably not LSB-compliant", "Machine reboot narrowly avoided!"},
		},
		{
			name: "failed stop with the resource running escalates and releases the rest",
			setup: func(f *fakeAgent) {
				f.running["r2"] = true
				f.stopFailures["r2"] = -1
			},
			want:     append(append([]string{"fake::r3 stop"}, stopTries("fake::r2", 10)...), "fake::r2 status=running", "fake::r1 stop"),
			outcome:  StopFailed,
			stuck:    []string{"fake::r2"},
			elapsed:  9 * time.Second,
			logs:     []string{"Resource STOP failure: fake::r2"},
			critLogs: 1,
		},
		{
			name: "failed stop with status unknown escalates",
			setup: func(f *fakeAgent) {
				f.stopFailures["r3"] = -1
				f.status["r3"] = Unknown
			},
			want:     append(append(stopTries("fake::r3", 10), "fake::r3 status=unknown"), "fake::r2 stop", "fake::r1 stop"),
			outcome:  StopFailed,
			stuck:    []string{"fake::r3"},
			elapsed:  9 * time.Second,
			critLogs: 1,
		},
		{
			name: "stop timeouts are failures and retried",
			setup: func(f *fakeAgent) {
				f.running["r1"] = true
				f.hang["r1"] = OpStop
			},
			want:     append(append([]string{"fake::r3 stop", "fake::r2 stop"}, stopTries("fake::r1", 10)...), "fake::r1 status=running"),
			outcome:  StopFailed,
			stuck:    []string{"fake::r1"},
			elapsed:  10*DefaultTimeouts.Stop + 9*time.Second,
			critLogs: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f := newFake()
				if tc.setup != nil {
					tc.setup(f)
				}
				rec := newRecorder()
				begin := time.Now()
				res := fakeManager(t, f, rec).GiveGroup(t.Context(), group(t, "node1 fake::r1 fake::r2 fake::r3"))
				if elapsed := time.Since(begin); elapsed != tc.elapsed {
					t.Errorf("took %v of fake time, want %v", elapsed, tc.elapsed)
				}
				if diff := cmp.Diff(tc.want, steps(res.Trace)); diff != "" {
					t.Errorf("trace (-want +got):\n%s", diff)
				}
				if res.Outcome != tc.outcome || !cmp.Equal(res.Stuck, tc.stuck) {
					t.Errorf("outcome %v stuck %q, want %v %q (err %v)", res.Outcome, res.Stuck, tc.outcome, tc.stuck, res.Err)
				}
				if (res.Outcome == Done) != (res.Err == nil) {
					t.Errorf("outcome %v with err %v", res.Outcome, res.Err)
				}
				for _, l := range tc.logs {
					if len(rec.find(l)) != 1 {
						t.Errorf("log line %q missing", l)
					}
				}
				crit := 0
				for _, r := range rec.records() {
					if r.Level == LevelCrit {
						crit++
					}
				}
				if crit != tc.critLogs {
					t.Errorf("%d CRIT lines, want %d", crit, tc.critLogs)
				}
			})
		})
	}
}

func TestCheckGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		m := fakeManager(t, f, newRecorder())
		g := group(t, "node1 fake::r1 fake::r2")
		f.running["r2"] = true // only the first resource counts
		if res := m.CheckGroup(t.Context(), g); res.State != Stopped || res.Outcome != Done || res.Err != nil {
			t.Errorf("got %v %v %v, want stopped", res.State, res.Outcome, res.Err)
		}
		f.running["r1"] = true
		res := m.CheckGroup(t.Context(), g)
		if res.State != Running || res.Err != nil {
			t.Errorf("got %v %v, want running", res.State, res.Err)
		}
		if diff := cmp.Diff([]string{"fake::r1 status=running"}, steps(res.Trace)); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
	})
}

func TestTakeGroupAborted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.hang["r2"] = OpStart
		f.started = make(chan string, 3)
		m := fakeManager(t, f, newRecorder())
		ctx, cancel := context.WithCancelCause(t.Context())
		cause := errors.New("daemon exiting")
		done := make(chan Result)
		go func() { done <- m.TakeGroup(ctx, group(t, "node1 fake::r1 fake::r2 fake::r3")) }()
		for id := range f.started {
			if id == "r2" {
				break
			}
		}
		cancel(cause)
		res := <-done
		if res.Outcome != Aborted || !errors.Is(res.Err, cause) || !res.StillRunning() {
			t.Errorf("outcome %v err %v, want Aborted by %v", res.Outcome, res.Err, cause)
		}
		// Aborting runs nothing more: no give-up on a dead context.
		want := []string{"fake::r1 status=stopped", "fake::r1 start", "fake::r2 status=stopped", "fake::r2 start failed"}
		if diff := cmp.Diff(want, steps(res.Trace)); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
	})
}
