package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const wireCaptures = "../../../shared/testdata/heartbeat-3.0.6"

func wireCapture(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(wireCaptures, name)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("shared captures not available: %v", err)
	}
	return path
}

func writeAuthkeys(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "authkeys")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return path
}

func runHbctl(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = dispatch(args, &out, &errb)
	return code, out.String(), errb.String()
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// The expected numbers were counted independently with tcpdump and the
// reference decoder hbwire.py.
func TestWireDecodeCaptures(t *testing.T) {
	s3cr3t := "auth 1\n1 sha1 s3cr3t\n"
	tests := []struct {
		capture, keys string
		extra         []string
		summary       string
	}{
		{"bcast-startup-shutdown-sha1.pcap", s3cr3t, nil, "76 packets, 76 authentic, 0 rejected"},
		{"bcast-2node-standby-failover-rexmit-sha1.pcap", s3cr3t, nil, "1141 packets, 1141 authentic, 0 rejected"},
		// One datagram is the malformed one of heartbeat-spec.md §0.7.
		{"legacy-failback-partition-sha1.pcap", s3cr3t, nil, "408 packets, 407 authentic, 1 rejected"},
		// The last packet is cut short by the capture.
		{"mcast-startup-failover-sha1-s3cret.pcap", "auth 1\n1 sha1 s3cret\n", nil, "173 packets, 172 authentic, 1 rejected"},
		// 51 ucast datagrams on 694 and 164 ICMP echoes; the mcast medium
		// uses port 695.
		{"ucast-mcast-ping-pinggroup-sha1.pcap", s3cr3t, nil, "215 packets, 215 authentic, 0 rejected"},
		{"ucast-mcast-ping-pinggroup-sha1.pcap", s3cr3t, []string{"--port", "694", "--port", "695"}, "266 packets, 266 authentic, 0 rejected"},
		{"IPaddr-garp.pcap", s3cr3t, nil, "0 packets, 0 authentic, 0 rejected"},
		// With the other capture's key nothing is authentic.
		{"bcast-startup-shutdown-sha1.pcap", "auth 1\n1 sha1 s3cret\n", nil, "76 packets, 0 authentic, 76 rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.capture+strings.Join(tt.extra, ""), func(t *testing.T) {
			path := wireCapture(t, tt.capture)
			keys := writeAuthkeys(t, tt.keys, 0o600)
			args := append([]string{"wire", "decode", "--authkeys", keys}, tt.extra...)
			code, out, errs := runHbctl(append(args, path)...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, stderr %q", code, errs)
			}
			if got := lastLine(out); got != tt.summary {
				t.Errorf("summary %q, want %q", got, tt.summary)
			}
		})
	}
}

func TestWireDecodeOutput(t *testing.T) {
	path := wireCapture(t, "legacy-failback-partition-sha1.pcap")
	keys := writeAuthkeys(t, "auth 1\n1 sha1 s3cr3t\n", 0o600)
	_, out, _ := runHbctl("wire", "decode", "--authkeys", keys, path)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	wantFirst := "2026-11-23T00:19:59.387893Z 198.18.0.1:54641 > 198.18.0.255:694 udp netstring auth=ok inner=ok " +
		"t=status st=init dt=1f40 protocol=1 src=hsa srcuuid=<23835fd97b1e4b51a8a03d9ccb21a769> seq=1 hg=6b03834b " +
		`ts=6b0386ae ld="1.05 1.06 0.92 2/91 27575" ttl=3 auth="1 b91995e6c68c423e46376343abcf6ebf8d2513d9"`
	if diff := cmp.Diff(wantFirst, lines[0]); diff != "" {
		t.Errorf("first line (-want +got):\n%s", diff)
	}
	var bad []string
	for _, l := range lines {
		if strings.Contains(l, " error: ") {
			bad = append(bad, l)
		}
	}
	if len(bad) != 1 || !strings.Contains(bad[0], "missing (T) type prefix") {
		t.Errorf("error lines: %q, want one with the missing type prefix", bad)
	}
	// hsb runs with msgfmt netstring: trailer but no inner field.
	if !strings.Contains(out, "auth=ok inner=none t=status st=init dt=1770 protocol=1 src=hsb ") {
		t.Error("no packet shown with auth=ok inner=none")
	}
}

func TestWireDecodeTruncatedCapture(t *testing.T) {
	path := wireCapture(t, "mcast-startup-failover-sha1-s3cret.pcap")
	keys := writeAuthkeys(t, "auth 1\n1 sha1 s3cret\n", 0o600)
	_, out, _ := runHbctl("wire", "decode", "--authkeys", keys, path)
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	last := lines[len(lines)-2]
	if !strings.Contains(last, "error: wire: ") || !strings.Contains(last, "truncated") || !strings.HasSuffix(last, "(packet truncated by the capture)") {
		t.Errorf("last packet line %q, want a truncation error", last)
	}
}

func TestWireDecodeErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeAuthkeys(t, "auth 1\n1 sha1 s3cr3t\n", 0o600)
	notPcap := filepath.Join(dir, "notes.txt")
	os.WriteFile(notPcap, []byte("this is not a capture file\n"), 0o644)
	open := writeAuthkeys(t, "auth 1\n1 sha1 s3cr3t\n", 0o644)
	broken := writeAuthkeys(t, "auth 3\n1 sha1 s3cr3t\n", 0o600)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no subcommand", []string{"wire"}, 2, "usage: hbctl wire decode"},
		{"unknown subcommand", []string{"wire", "encode"}, 2, `unknown subcommand "encode"`},
		{"no authkeys flag", []string{"wire", "decode", notPcap}, 2, "--authkeys is required"},
		{"no capture", []string{"wire", "decode", "--authkeys", good}, 2, "no capture file"},
		{"bad flag", []string{"wire", "decode", "--bogus"}, 2, "unknown flag: --bogus"},
		{"bad port", []string{"wire", "decode", "--authkeys", good, "--port", "70000", notPcap}, 2, "not a port number"},
		{"missing capture", []string{"wire", "decode", "--authkeys", good, filepath.Join(dir, "nope.pcap")}, 1, "no such file"},
		{"not a capture", []string{"wire", "decode", "--authkeys", good, notPcap}, 1, "not a capture file"},
		{"missing authkeys", []string{"wire", "decode", "--authkeys", filepath.Join(dir, "nope"), notPcap}, 1, "no such file"},
		{"authkeys readable by others", []string{"wire", "decode", "--authkeys", open, notPcap}, 1, "bad permissions"},
		{"authkeys without active key", []string{"wire", "decode", "--authkeys", broken, notPcap}, 1, "key 3 not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runHbctl(tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errs)
			}
			if !strings.Contains(errs, tt.stderr) {
				t.Errorf("stderr %q, want it to mention %q", errs, tt.stderr)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
	if code, out, _ := runHbctl("wire", "decode", "--help"); code != 0 || !strings.Contains(out, "--authkeys") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
	if code, out, _ := runHbctl("wire", "help"); code != 0 || !strings.Contains(out, "usage: hbctl wire decode") {
		t.Errorf("wire help: exit %d, stdout %q", code, out)
	}
}
