package lab

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in tests/testdata/lab")

const goldenDir = "../testdata/lab"

func requireStockHaDir(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/etc/ha.d/resource.d/IPaddr"); err != nil {
		t.Skipf("skipping: heartbeat's /etc/ha.d is not installed: %v", err)
	}
}

// golden compares got with testdata/lab/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), got); d != "" {
		t.Errorf("%s (-want +got):\n%s", name, d)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLabWriteHaDir(t *testing.T) {
	requireStockHaDir(t)
	base := t.TempDir()
	dir, logDir := filepath.Join(base, "ha.d"), filepath.Join(base, "log")
	cfg := Config{
		HaCf:        "keepalive 500ms\ndeadtime 3\nbcast eth0\nnode hsa hsb\n",
		Haresources: "hsa hbdtest::r1\n",
		Scripts:     map[string]string{"mine": "#!/bin/sh\nexit 0\n"},
	}
	if err := writeHaDir(dir, logDir, cfg); err != nil {
		t.Fatal(err)
	}
	golden(t, "ha.cf", strings.ReplaceAll(readFile(t, filepath.Join(dir, "ha.cf")), logDir, "LOGDIR"))
	golden(t, "guard-IPaddr", readFile(t, filepath.Join(dir, "resource.d", "IPaddr")))

	got := map[string]string{
		"authkeys":    readFile(t, filepath.Join(dir, "authkeys")),
		"haresources": readFile(t, filepath.Join(dir, "haresources")),
		// the stock script, untouched, behind the guard
		"IPaddr": readFile(t, filepath.Join(dir, "resource.real", "IPaddr")),
		// sourced by the stock scripts, so not wrapped
		"hto-mapfuncs": readFile(t, filepath.Join(dir, "resource.d", "hto-mapfuncs")),
		"mine":         readFile(t, filepath.Join(dir, "resource.real", "mine")),
		"harc":         readFile(t, filepath.Join(dir, "harc")),
	}
	want := map[string]string{
		"authkeys":     "auth 1\n1 sha1 s3cr3t\n",
		"haresources":  "hsa hbdtest::r1\n",
		"IPaddr":       readFile(t, "/etc/ha.d/resource.d/IPaddr"),
		"hto-mapfuncs": readFile(t, "/etc/ha.d/resource.d/hto-mapfuncs"),
		"mine":         "#!/bin/sh\nexit 0\n",
		"harc":         readFile(t, "/etc/ha.d/harc"),
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}

	modes := map[string]os.FileMode{}
	for _, p := range []string{"authkeys", "ha.cf", "resource.d/hbdtest", "resource.d/mine", "resource.real/hbdtest"} {
		st, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		modes[p] = st.Mode()
	}
	st, err := os.Stat(logDir)
	if err != nil {
		t.Fatal(err)
	}
	modes["log"] = st.Mode()
	wantModes := map[string]os.FileMode{
		"authkeys":              0o600, // heartbeat rejects anything group/other-readable
		"ha.cf":                 0o644,
		"resource.d/hbdtest":    0o755,
		"resource.d/mine":       0o755,
		"resource.real/hbdtest": 0o755,
		"log":                   os.ModeDir | os.ModeSticky | 0o777,
	}
	if d := cmp.Diff(wantModes, modes); d != "" {
		t.Errorf("modes (-want +got):\n%s", d)
	}

	if err := writeHaDir(filepath.Join(base, "bad"), logDir, Config{Scripts: map[string]string{"../x": ""}}); err == nil {
		t.Error("a script name with a slash was accepted")
	}
}

// run runs a script and returns its output and exit status.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	default:
		t.Fatal(err)
		return "", 0
	}
}

func TestLabResourceGuard(t *testing.T) {
	requireStockHaDir(t)
	base := t.TempDir()
	dir, logDir := filepath.Join(base, "ha.d"), filepath.Join(base, "log")
	// A script that fails every operation and leaves a trace of each.
	bad := "#!/bin/sh\necho \"$@\" >> " + filepath.Join(base, "calls") + "\nexit 7\n"
	if err := writeHaDir(dir, logDir, Config{Scripts: map[string]string{"bad": bad}}); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "resource.d", "bad")
	type result struct {
		Op   string
		Exit int
	}
	var got []result
	for _, op := range []string{"start", "stop", "status"} {
		_, rc := run(t, script, "arg1", op)
		got = append(got, result{op, rc})
	}
	want := []result{{"start", 7}, {"stop", 0}, {"status", 7}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("exit codes through the guard (-want +got):\n%s", d)
	}
	if d := cmp.Diff("arg1 start\narg1 stop\narg1 status\n", readFile(t, filepath.Join(base, "calls"))); d != "" {
		t.Errorf("calls reaching the real script (-want +got):\n%s", d)
	}

	// hbdtest through its guard: status follows start and stop, as
	// ResourceManager's stdout matching expects.
	hbdtest := filepath.Join(dir, "resource.d", "hbdtest")
	var states []string
	for _, op := range []string{"status", "start", "status", "stop", "status"} {
		out, rc := run(t, hbdtest, "r1", op)
		if rc != 0 {
			t.Errorf("hbdtest r1 %s: exit %d", op, rc)
		}
		if op == "status" {
			states = append(states, strings.TrimSpace(out))
		}
	}
	if d := cmp.Diff([]string{"stopped", "running", "stopped"}, states); d != "" {
		t.Errorf("hbdtest status (-want +got):\n%s", d)
	}
}

func TestLabHbdFiles(t *testing.T) {
	requireStockHaDir(t)
	base := t.TempDir()
	h := &Hbd{}
	if err := h.writeFiles(base, Config{HaCf: "node hsa\n"}); err != nil {
		t.Fatal(err)
	}
	got := []string{h.ConfDir, h.StateDir, h.RunDir, h.LogFile}
	want := []string{base + "/hbd/ha.d", base + "/hbd/state", base + "/hbd/run", base + "/log/ha-log"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("layout (-want +got):\n%s", d)
	}
	// A restart rewrites the config but keeps the daemon's state.
	if err := os.WriteFile(filepath.Join(h.StateDir, "hb_generation"), []byte("7"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := h.writeFiles(base, Config{HaCf: "node hsb\n"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(readFile(t, filepath.Join(h.ConfDir, "ha.cf")), "use_logd no\nnode hsb\n") {
		t.Errorf("ha.cf not rewritten:\n%s", readFile(t, filepath.Join(h.ConfDir, "ha.cf")))
	}
	if got := readFile(t, filepath.Join(h.StateDir, "hb_generation")); got != "7" {
		t.Errorf("state lost across restart: hb_generation = %q", got)
	}
}

func TestLabReadPcap(t *testing.T) {
	// Little-endian microsecond pcap: file header, one 3-byte packet.
	b := []byte{
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
		10, 0, 0, 0, 0x20, 0xa1, 0x07, 0, 3, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c',
	}
	path := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	frames, err := ReadPcap(path)
	if err != nil {
		t.Fatal(err)
	}
	type f struct {
		Unix, Micro int64
		Data        string
	}
	var got []f
	for _, fr := range frames {
		got = append(got, f{fr.Time.Unix(), int64(fr.Time.Nanosecond() / 1000), string(fr.Data)})
	}
	if d := cmp.Diff([]f{{10, 500000, "abc"}}, got); d != "" {
		t.Errorf("frames (-want +got):\n%s", d)
	}
	if err := os.WriteFile(path, b[:len(b)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadPcap(path); err == nil {
		t.Error("truncated packet accepted")
	}
}
