package rsc

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/haresources"
)

func TestParseOCF(t *testing.T) {
	s, err := parseOCF(resource(t, "ocf:heartbeat:Dummy::state=/tmp/x::fake=a=b"))
	if err != nil {
		t.Fatal(err)
	}
	if s.provider != "heartbeat" || s.typ != "Dummy" {
		t.Errorf("provider %q type %q", s.provider, s.typ)
	}
	if diff := cmp.Diff([]string{"OCF_RESKEY_state=/tmp/x", "OCF_RESKEY_fake=a=b"}, s.params); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(s.instance, "Dummy-") || len(s.instance) != len("Dummy-")+8 {
		t.Errorf("instance %q, want Dummy-XXXXXXXX", s.instance)
	}
	other, err := parseOCF(resource(t, "ocf:heartbeat:Dummy::state=/tmp/y"))
	if err != nil {
		t.Fatal(err)
	}
	if other.instance == s.instance {
		t.Errorf("differently configured instances share the name %q", s.instance)
	}
	plain, err := parseOCF(resource(t, "ocf:heartbeat:Dummy"))
	if err != nil || plain.instance != "Dummy" || len(plain.params) != 0 {
		t.Errorf("no arguments: %+v, %v", plain, err)
	}

	for _, bad := range []haresources.Resource{
		resource(t, "ocf:heartbeat:Dummy::state"),               // not NAME=VALUE
		resource(t, "ocf:heartbeat:Dummy::1x=y"),                // not an identifier
		resource(t, "ocf:heartbeat:Dummy::a-b=y"),               // not an identifier
		resource(t, "ocf:heartbeat:Dummy::state=a::state=b"),    // twice
		resource(t, "ocf:heartbeat"),                            // no type
		{Name: "ocf:..:Dummy", Token: "ocf:..:Dummy"},           // traversal
		{Name: "ocf:heartbeat:..", Token: "ocf:heartbeat:.."},   // traversal
		{Name: "ocf:heartbeat:a/b", Token: "ocf:heartbeat:a/b"}, // path
	} {
		if _, err := parseOCF(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("%q %q: err %v, want ErrBadName", bad.Name, bad.Args, err)
		}
	}
}

// TestOCFCallingConvention uses a fake agent that records its environment
// and answers with a chosen exit code.
func TestOCFCallingConvention(t *testing.T) {
	env := testEnv(t)
	dir := t.TempDir()
	writeScript(t, filepath.Join(env.OCFRoot, "resource.d", "test"), "Rec", `echo "$*" >>`+dir+`/calls
env | grep -E '^(OCF_|HA_CURHOST)' | sort >`+dir+`/env.$1
exit $(cat `+dir+`/rc.$1 2>/dev/null || echo 0)
`)
	setRC := func(action, rc string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, "rc."+action), []byte(rc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a := &OCFAgent{Env: env}
	r := resource(t, "ocf:test:Rec::ip=10.0.0.1::cidr_netmask=24")
	log := slog.New(newRecorder())
	spec, err := parseOCF(r)
	if err != nil {
		t.Fatal(err)
	}

	if err := a.Start(t.Context(), r, log); err != nil {
		t.Fatalf("start: %v", err)
	}
	var gotEnv []string
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(dir, "env.start"))), "\n") {
		if !strings.HasPrefix(l, "OCF_RESKEY_CRM_meta_timeout=") { // value depends on the clock
			gotEnv = append(gotEnv, l)
		}
	}
	wantEnv := []string{
		"HA_CURHOST=node1",
		"OCF_RA_VERSION_MAJOR=1",
		"OCF_RA_VERSION_MINOR=0",
		"OCF_RESKEY_cidr_netmask=24",
		"OCF_RESKEY_ip=10.0.0.1",
		"OCF_RESOURCE_INSTANCE=" + spec.instance,
		"OCF_RESOURCE_PROVIDER=test",
		"OCF_RESOURCE_TYPE=Rec",
		"OCF_ROOT=" + env.OCFRoot,
	}
	if diff := cmp.Diff(wantEnv, gotEnv); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}

	for _, tc := range []struct {
		rc   string
		want State
	}{{"0", Running}, {"8", Running}, {"7", Stopped}, {"1", Unknown}, {"5", Unknown}} {
		setRC("monitor", tc.rc)
		st, err := a.Status(t.Context(), r, log)
		if st != tc.want || (err != nil) != (st == Unknown) {
			t.Errorf("monitor exit %s: %v, %v; want %v", tc.rc, st, err, tc.want)
		}
	}
	setRC("stop", "7")
	if err := a.Stop(t.Context(), r, log); err != nil {
		t.Errorf("stop exiting 7 (not running): %v, want success", err)
	}
	setRC("stop", "1")
	var xe *ExitError
	if err := a.Stop(t.Context(), r, log); !errors.As(err, &xe) || xe.Code != 1 {
		t.Errorf("stop exiting 1: %v", err)
	}
	if diff := cmp.Diff("start\nmonitor\nmonitor\nmonitor\nmonitor\nmonitor\nstop\nstop\n", readFile(t, filepath.Join(dir, "calls"))); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}

	missing := resource(t, "ocf:test:Missing")
	if err := a.Start(t.Context(), missing, log); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing agent: %v, want ErrNotFound", err)
	}
}

// TestOCFDummy runs resource-agents' ocf:heartbeat:Dummy through a whole
// take/give cycle.
func TestOCFDummy(t *testing.T) {
	const dummy = DefaultOCFRoot + "/resource.d/heartbeat/Dummy"
	if _, err := os.Stat(dummy); err != nil {
		t.Skipf("%s not installed (Debian package resource-agents): %v", dummy, err)
	}
	state := filepath.Join(t.TempDir(), "dummy.state")
	env := Env{ResourceDir: t.TempDir(), InitDir: t.TempDir(), CurHost: "node1",
		Extra: []string{"HA_RSCTMP=" + t.TempDir()}}
	rec := newRecorder()
	m := newTestManager(env, rec)
	g := group(t, "node1 ocf:heartbeat:Dummy::state="+state)

	if res := m.CheckGroup(t.Context(), g); res.State != Stopped {
		t.Fatalf("before start: %v (%v)", res.State, res.Err)
	}
	if res := m.TakeGroup(t.Context(), g); res.Outcome != Done {
		t.Fatalf("take: %v: %v", res.Outcome, res.Err)
	}
	if !fileExists(state) {
		t.Error("Dummy's state file was not created: the state parameter did not arrive")
	}
	if res := m.CheckGroup(t.Context(), g); res.State != Running {
		t.Errorf("after start: %v (%v)", res.State, res.Err)
	}
	res := m.GiveGroup(t.Context(), g)
	if res.Outcome != Done {
		t.Fatalf("give: %v: %v", res.Outcome, res.Err)
	}
	if fileExists(state) {
		t.Error("Dummy's state file is still there after stop")
	}
	if res := m.CheckGroup(t.Context(), g); res.State != Stopped {
		t.Errorf("after stop: %v (%v)", res.State, res.Err)
	}
}
