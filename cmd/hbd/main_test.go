package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// captureHaCf is the configuration of the shared capture
// mcast-startup-failover-sha1-s3cret.pcap (its README, last row).
const captureHaCf = `logfile /var/log/ha-log
debugfile /var/log/ha-debug
keepalive 500ms
warntime 2
deadtime 3
initdead 6
udpport 694
mcast eth0 239.0.12.1 694 1 0
ping 198.18.0.3
auto_failback on
node node1
node node2
`

// confDir writes a configuration directory; authkeys gets mode perm.
func confDir(t *testing.T, hacf, authkeys string, perm os.FileMode, haresources string) string {
	t.Helper()
	d := t.TempDir()
	for name, body := range map[string]string{"ha.cf": hacf, "authkeys": authkeys, "haresources": haresources} {
		if err := os.WriteFile(filepath.Join(d, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(d, "authkeys"), perm); err != nil {
		t.Fatal(err)
	}
	return d
}

func check(t *testing.T, dir string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := run([]string{"--check", "-c", dir, "--node", "node1"}, &out, &errb)
	return out.String(), errb.String(), rc
}

func TestCheckAcceptsTheExampleAndTheCaptureConfig(t *testing.T) {
	example, err := os.ReadFile("../../ha.cf.example")
	if err != nil {
		t.Fatal(err)
	}
	for name, hacf := range map[string]string{"ha.cf.example": string(example), "capture": captureHaCf} {
		t.Run(name, func(t *testing.T) {
			d := confDir(t, hacf, "auth 1\n1 sha1 s3cret\n", 0o600, "node1 198.18.0.100/24/eth0 Delay::1\n")
			out, errb, rc := check(t, d)
			if rc != 0 {
				t.Fatalf("rc=%d stderr:\n%s", rc, errb)
			}
			// Defaults are filled in and the groups shown canonically.
			for _, want := range []string{"keepalive ", "deadtime ", "initdead ", "warntime ", "udpport 694",
				"auto_failback on", "node1 IPaddr::198.18.0.100/24/eth0 Delay::1", "1 sha1 ****"} {
				if !strings.Contains(out, want) {
					t.Errorf("effective config lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "s3cret") {
				t.Error("--check printed the authkeys secret")
			}
		})
	}
}

// TestCheckRejectsC1Cases covers the invalid configurations of
// heartbeat-spec.md §12.2 C1; each must fail with FILE:LINE.
func TestCheckRejectsC1Cases(t *testing.T) {
	const keys = "auth 1\n1 sha1 s3cret\n"
	const res = "node1 198.18.0.100\n"
	base := func(lines ...string) string {
		return strings.Join(append(lines, "bcast eth0", "node node1 node2", "auto_failback on"), "\n") + "\n"
	}
	tests := []struct {
		name      string
		hacf      string
		keys      string
		perm      os.FileMode
		res       string
		file      string // which file the error must name
		line      int
		msgSubstr string
	}{
		{name: "1s is not a time", hacf: base("keepalive 1s"), file: "ha.cf", line: 1},
		{name: "2000 ms is two values", hacf: base("keepalive 2000 ms"), file: "ha.cf", line: 1},
		{name: "mcast ttl 5", hacf: base("mcast eth0 239.0.0.1 694 5 0"), file: "ha.cf", line: 1},
		{name: "initdead below deadtime", hacf: base("deadtime 10", "initdead 5"), file: "ha.cf"},
		{name: "deadtime not above 2x keepalive", hacf: base("keepalive 2", "deadtime 4"), file: "ha.cf"},
		{name: "unknown directive", hacf: base("frobnicate yes"), file: "ha.cf", line: 1},
		{name: "authkeys 640", keys: keys, perm: 0o640, file: "authkeys", msgSubstr: "permissions"},
		{name: "auth after key", keys: "1 sha1 s3cret\nauth 1\n", file: "authkeys", line: 2},
		{name: "missing key", keys: "auth 2\n1 sha1 s3cret\n", file: "authkeys", line: 1},
		{name: "haresources unknown node", res: "node9 198.18.0.100\n", file: "haresources", line: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.hacf == "" {
				tc.hacf = base()
			}
			if tc.keys == "" {
				tc.keys = keys
			}
			if tc.perm == 0 {
				tc.perm = 0o600
			}
			if tc.res == "" {
				tc.res = res
			}
			d := confDir(t, tc.hacf, tc.keys, tc.perm, tc.res)
			out, errb, rc := check(t, d)
			if rc != 1 {
				t.Fatalf("rc=%d, want 1; stdout:\n%s", rc, out)
			}
			// Every error names its file; those with a line name it too.
			want := regexp.QuoteMeta(filepath.Join(d, tc.file)) + `:`
			if tc.line > 0 {
				want += strconv.Itoa(tc.line) + `:`
			}
			if !regexp.MustCompile(want).MatchString(errb) {
				t.Fatalf("stderr does not match %q:\n%s", want, errb)
			}
			if tc.msgSubstr != "" && !strings.Contains(errb, tc.msgSubstr) {
				t.Errorf("stderr lacks %q:\n%s", tc.msgSubstr, errb)
			}
		})
	}
}

func TestCheckNicefailbackIsLegacy(t *testing.T) {
	d := confDir(t, "nice_failback on\nbcast eth0\nnode node1 node2\n", "auth 1\n1 sha1 k\n", 0o600, "node1 198.18.0.100\n")
	out, errb, rc := check(t, d)
	if rc != 0 {
		t.Fatalf("rc=%d stderr:\n%s", rc, errb)
	}
	if !strings.Contains(out, "auto_failback legacy") {
		t.Fatalf("nice_failback on must become auto_failback legacy, as in heartbeat:\n%s", out)
	}
}
