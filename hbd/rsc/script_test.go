package rsc

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/haresources"
)

// newTestManager returns a Manager over env whose logs go to rec, with
// short stop retries so that real-script tests stay quick.
func newTestManager(env Env, rec *recorder) *Manager {
	return NewManager(NewRegistry(env, StatusTextThenExitCode), Config{
		Log:            slog.New(rec),
		StopRetryDelay: 10 * time.Millisecond,
	})
}

func TestScriptArgsAndEnvironment(t *testing.T) {
	env := testEnv(t)
	env.Base = []string{"PATH=/usr/bin:/bin", "NOTIFY_SOCKET=/run/systemd/notify", "KEEP=me"}
	env.Extra = []string{"HA_LOGFACILITY=daemon"}
	calls := filepath.Join(t.TempDir(), "calls")
	writeScript(t, env.ResourceDir, "rec", `echo "$*" >>`+calls+`
printf '%s\n' "HA_DIR=$HA_DIR" "HA_FUNCS=$HA_FUNCS" "HA_RESOURCEDIR=$HA_RESOURCEDIR" \
	"OCF_ROOT=$OCF_ROOT" "HA_CURHOST=$HA_CURHOST" "HA_LOGFACILITY=$HA_LOGFACILITY" \
	"KEEP=$KEEP" "NOTIFY_SOCKET=${NOTIFY_SOCKET-unset}" >`+calls+`.env
`)
	m := newTestManager(env, newRecorder())
	res := m.TakeGroup(t.Context(), group(t, "node1 rec::a::b"))
	if res.Outcome != Done {
		t.Fatalf("outcome %v: %v", res.Outcome, res.Err)
	}
	if diff := cmp.Diff("a b status\na b start\n", readFile(t, calls)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	wantEnv := strings.Join([]string{
		"HA_DIR=" + env.HADir,
		"HA_FUNCS=" + filepath.Join(env.HADir, "shellfuncs"),
		"HA_RESOURCEDIR=" + env.ResourceDir,
		"OCF_ROOT=" + env.OCFRoot,
		"HA_CURHOST=node1",
		"HA_LOGFACILITY=daemon",
		"KEEP=me",
		"NOTIFY_SOCKET=unset",
	}, "\n") + "\n"
	if diff := cmp.Diff(wantEnv, readFile(t, calls+".env")); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
}

func TestScriptLookup(t *testing.T) {
	env := testEnv(t)
	a := &ScriptAgent{Env: env}
	inRD := writeScript(t, env.ResourceDir, "both", "")
	writeScript(t, env.InitDir, "both", "")
	inInit := writeScript(t, env.InitDir, "initonly", "")
	// Not executable in resource.d: heartbeat's "test -x" skips it.
	writeScript(t, env.ResourceDir, "noexec", "")
	if err := os.Chmod(filepath.Join(env.ResourceDir, "noexec"), 0o644); err != nil {
		t.Fatal(err)
	}
	noexecInit := writeScript(t, env.InitDir, "noexec", "")
	// A directory is not a regular file.
	if err := os.MkdirAll(filepath.Join(env.ResourceDir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A symlink to a script elsewhere is followed, as "test -f" does.
	target := writeScript(t, t.TempDir(), "real", "")
	if err := os.Symlink(target, filepath.Join(env.ResourceDir, "linked")); err != nil {
		t.Fatal(err)
	}

	for name, want := range map[string]string{
		"both":     inRD,
		"initonly": inInit,
		"noexec":   noexecInit,
		"linked":   filepath.Join(env.ResourceDir, "linked"),
	} {
		got, err := a.Lookup(name)
		if err != nil || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"adir", "missing"} {
		if got, err := a.Lookup(name); !errors.Is(err, ErrNotFound) {
			t.Errorf("Lookup(%q) = %q, %v; want ErrNotFound", name, got, err)
		}
	}
}

func TestScriptTraversalRejected(t *testing.T) {
	env := testEnv(t)
	marker := filepath.Join(t.TempDir(), "ran")
	// Scripts a traversing name would reach.
	writeScript(t, env.HADir, "evil", "touch "+marker+"\n")
	writeScript(t, filepath.Join(env.ResourceDir, "sub"), "evil", "touch "+marker+"\n")
	a := &ScriptAgent{Env: env}
	log := slog.New(newRecorder())
	for _, name := range []string{"../evil", "sub/evil", "..", ".", "", "/bin/true", "a\x00b"} {
		r := haresources.Resource{Name: name, Token: name}
		if err := a.Start(t.Context(), r, log); !errors.Is(err, ErrBadName) {
			t.Errorf("Start(%q) = %v, want ErrBadName", name, err)
		}
		if st, err := a.Status(t.Context(), r, log); st != Unknown || !errors.Is(err, ErrBadName) {
			t.Errorf("Status(%q) = %v, %v; want Unknown, ErrBadName", name, st, err)
		}
		if err := a.Validate(r); !errors.Is(err, ErrBadName) {
			t.Errorf("Validate(%q) = %v, want ErrBadName", name, err)
		}
	}
	if fileExists(marker) {
		t.Fatal("a traversing name ran a script")
	}
}

func TestScriptStatusByStdout(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		name string
		body string
		rule StatusRule
		want State
	}{
		{"says-running", "echo 'foo is running'; exit 3\n", StatusTextThenExitCode, Running},
		{"says-ok", "echo OK\n", StatusTextThenExitCode, Running},
		{"says-not-running", "echo 'foo is not running'; exit 0\n", StatusTextThenExitCode, Stopped},
		{"says-stopped", "echo stopped; exit 0\n", StatusTextOnly, Stopped},
		{"says-stopped-default", "echo stopped; exit 0\n", StatusTextThenExitCode, Stopped},
		{"stderr-running", "echo running >&2; exit 3\n", StatusTextThenExitCode, Stopped}, // stderr is not matched
		{"silent-3", "exit 3\n", StatusTextThenExitCode, Stopped},
		{"silent-0", "exit 0\n", StatusTextThenExitCode, Unknown},
		{"silent-0-text-only", "exit 0\n", StatusTextOnly, Stopped},
		{"killed", "kill -9 $$\n", StatusTextOnly, Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writeScript(t, env.ResourceDir, tc.name, `[ "$1" = status ] || exit 1
`+tc.body)
			a := &ScriptAgent{Env: env, Rule: tc.rule}
			st, err := a.Status(t.Context(), haresources.Resource{Name: tc.name, Token: tc.name}, slog.New(newRecorder()))
			if st != tc.want {
				t.Errorf("got %v (%v), want %v", st, err, tc.want)
			}
			if (err != nil) != (st == Unknown) {
				t.Errorf("state %v with error %v", st, err)
			}
		})
	}
}

func TestScriptOutputLogged(t *testing.T) {
	env := testEnv(t)
	writeScript(t, env.ResourceDir, "chatty", `echo "out one"
echo "err one" >&2
printf 'no newline'
exit 1
`)
	rec := newRecorder()
	a := &ScriptAgent{Env: env}
	err := a.Start(t.Context(), resource(t, "chatty::x"), slog.New(rec).With("rsc", "chatty::x"))
	var xe *ExitError
	if !errors.As(err, &xe) || xe.Code != 1 {
		t.Fatalf("err = %v, want exit code 1", err)
	}
	type line struct{ Msg, Stream, Rsc, Op string }
	var got []line
	for _, r := range rec.records() {
		if s := r.Attrs["stream"]; s != "" {
			got = append(got, line{r.Msg, s, r.Attrs["rsc"], r.Attrs["op"]})
		}
	}
	want := []line{
		{"out one", "stdout", "chatty::x", "start"},
		{"err one", "stderr", "chatty::x", "start"},
		{"no newline", "stdout", "chatty::x", "start"},
	}
	// stdout and stderr are separate pipes: only each stream's own order
	// is guaranteed.
	byStream := func(ls []line, s string) []line {
		var out []line
		for _, l := range ls {
			if l.Stream == s {
				out = append(out, l)
			}
		}
		return out
	}
	for _, s := range []string{"stdout", "stderr"} {
		if diff := cmp.Diff(byStream(want, s), byStream(got, s)); diff != "" {
			t.Errorf("%s lines (-want +got):\n%s", s, diff)
		}
	}
	if len(rec.find("Running "+filepath.Join(env.ResourceDir, "chatty")+" x start")) != 1 {
		t.Errorf("no heartbeat-style \"Running SCRIPT ARGS OP\" line in %v", rec.records())
	}
}

// TestScriptTimeoutKillsProcessGroup runs a start that never ends and has
// a child of its own: the timeout must kill both.
func TestScriptTimeoutKillsProcessGroup(t *testing.T) {
	env := testEnv(t)
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	writeScript(t, env.ResourceDir, "hang", `case $1 in status) echo stopped; exit 0;; stop) exit 0;; esac
sleep 300 &
echo $! >`+pidFile+`
echo started
wait
`)
	rec := newRecorder()
	m := NewManager(NewRegistry(env, StatusTextThenExitCode), Config{
		Log:            slog.New(rec),
		Timeouts:       Timeouts{Start: 500 * time.Millisecond},
		StopRetryDelay: 10 * time.Millisecond,
	})
	g := group(t, "node1 hang")
	begin := time.Now()
	res := m.TakeGroup(t.Context(), g)
	if elapsed := time.Since(begin); elapsed > 30*time.Second {
		t.Errorf("took %v", elapsed)
	}
	if res.Outcome != GaveUp || !errors.Is(res.Err, ErrTimeout) {
		t.Fatalf("outcome %v, err %v; want GaveUp with ErrTimeout", res.Outcome, res.Err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	if err != nil {
		t.Fatal(err)
	}
	// The orphaned child is reaped by whoever is pid 1; until then it is a
	// zombie, which counts as dead.
	deadline := time.Now().Add(20 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("child %d of the timed-out script is still alive", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// processGone reports whether pid has exited (absent or a zombie).
func processGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// pid (comm) STATE ...; comm may contain spaces, so look after ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// TestScriptBackgroundDaemonKeepsPipe: a start that leaves a daemon
// holding stdout must still complete, and the daemon must survive.
func TestScriptBackgroundDaemonKeepsPipe(t *testing.T) {
	env := testEnv(t)
	pidFile := filepath.Join(t.TempDir(), "daemon.pid")
	writeScript(t, env.ResourceDir, "daemonize", `sleep 300 &
echo $! >`+pidFile+`
exit 0
`)
	a := &ScriptAgent{Env: env}
	rec := newRecorder()
	if err := a.Start(t.Context(), resource(t, "daemonize"), slog.New(rec)); err != nil {
		t.Fatalf("start: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(readFile(t, pidFile)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscallKill(pid) })
	if processGone(pid) {
		t.Error("the started daemon was killed")
	}
	if len(rec.find("kept stdout/stderr open")) != 1 {
		t.Error("no warning about the held pipe")
	}
}

func TestScriptGroupSemantics(t *testing.T) {
	env := testEnv(t)
	dir := t.TempDir()
	// A well-behaved script keeping its state in a file.
	svc := `f=` + dir + `/$1
case $2 in
start) touch $f;;
stop) rm -f $f;;
status) [ -e $f ] && echo running || echo stopped;;
esac
`
	writeScript(t, env.ResourceDir, "svc", svc)
	// Its start always fails.
	writeScript(t, env.ResourceDir, "badstart", `case $1 in start) echo boom >&2; exit 1;; status) echo stopped;; esac
`)
	// Its stop fails twice, then succeeds.
	writeScript(t, env.ResourceDir, "flakystop", `n=`+dir+`/flaky.count
case $1 in
stop) c=$(cat $n 2>/dev/null || echo 0); echo $((c+1)) >$n; [ $c -ge 2 ];;
status) echo stopped;;
esac
`)
	rec := newRecorder()
	m := newTestManager(env, rec)

	t.Run("take gives up", func(t *testing.T) {
		res := m.TakeGroup(t.Context(), group(t, "node1 svc::a badstart svc::b"))
		want := []string{
			"svc::a status=stopped", "svc::a start",
			"badstart status=stopped", "badstart start failed",
			"svc::b stop", "badstart stop", "svc::a stop",
		}
		if diff := cmp.Diff(want, steps(res.Trace)); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
		if res.Outcome != GaveUp || res.Failed != "badstart" {
			t.Errorf("outcome %v failed %q", res.Outcome, res.Failed)
		}
		if fileExists(filepath.Join(dir, "a")) {
			t.Error("svc::a still running after giving up")
		}
		crit := rec.find("Giving up resources due to failure of badstart")
		if len(crit) != 1 || crit[0].Level != LevelCrit {
			t.Errorf("CRIT give-up line: %v", crit)
		}
	})

	t.Run("give retries stop", func(t *testing.T) {
		res := m.GiveGroup(t.Context(), group(t, "node1 svc::c flakystop"))
		want := []string{
			"flakystop stop failed", "flakystop stop#2 failed", "flakystop stop#3",
			"svc::c stop",
		}
		if diff := cmp.Diff(want, steps(res.Trace)); diff != "" {
			t.Errorf("trace (-want +got):\n%s", diff)
		}
		if res.Outcome != Done {
			t.Errorf("outcome %v: %v", res.Outcome, res.Err)
		}
	})
}

func syscallKill(pid int) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
