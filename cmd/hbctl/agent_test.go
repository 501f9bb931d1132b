package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/link/netnstest"
)

type agentResult struct {
	Code   int
	Stdout string
}

func agentCmd(args ...string) (agentResult, string) {
	var out, errb bytes.Buffer
	code := dispatch(append([]string{"agent"}, args...), &out, &errb)
	return agentResult{code, out.String()}, errb.String()
}

func TestAgentUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{nil, "want AGENT ARG OPERATION, got 0"},
		{[]string{"IPaddr", "198.18.0.1"}, "got 2"},
		{[]string{"IPaddr", "198.18.0.1", "x", "start"}, "got 4"},
		{[]string{"IPaddr", "198.18.0.1", "restart"}, `unknown operation "restart"`},
		{[]string{"Filesystem", "x", "start"}, `unknown agent "Filesystem"`},
		{[]string{"IPaddr", "2001:2::1", "start"}, "IPaddr::2001:2::1"},
		{[]string{"IPaddr2", "198.18.0.1/24/eth0:", "status"}, "bad interface label"},
		{[]string{"SendArp", "198.18.0.1", "start"}, "want ip/nic"},
		{[]string{"--no-such-flag", "IPaddr", "198.18.0.1", "start"}, "unknown flag"},
	}
	for _, tt := range tests {
		got, stderr := agentCmd(tt.args...)
		if diff := cmp.Diff(agentResult{Code: exitUsage}, got); diff != "" {
			t.Errorf("agent %q (-want +got):\n%s", tt.args, diff)
		}
		if !strings.Contains(stderr, tt.err) {
			t.Errorf("agent %q: stderr %q, want %q in it", tt.args, stderr, tt.err)
		}
	}
	if got, stderr := agentCmd("--help"); got.Code != exitOK || !strings.Contains(stderr, "usage: hbctl agent") {
		t.Errorf("agent --help: %+v, %q", got, stderr)
	}
}

// TestAgentSendArpState needs no network: SendArp's status and stop only
// look at its state file.
func TestAgentSendArpState(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "SendArp-198.18.0.9")
	run := func(op string) agentResult {
		got, _ := agentCmd("--state-dir", dir, "SendArp", "198.18.0.9/eth0", op)
		return got
	}
	if diff := cmp.Diff(agentResult{exitStopped, "stopped\n"}, run("status")); diff != "" {
		t.Errorf("status before start (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(agentResult{exitNotRunning, "stopped\n"}, run("monitor")); diff != "" {
		t.Errorf("monitor before start (-want +got):\n%s", diff)
	}
	if err := os.WriteFile(state, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(agentResult{exitOK, "running\n"}, run("status")); diff != "" {
		t.Errorf("status with the state file (-want +got):\n%s", diff)
	}
	for range 2 { // stop is idempotent
		if diff := cmp.Diff(agentResult{exitOK, ""}, run("stop")); diff != "" {
			t.Errorf("stop (-want +got):\n%s", diff)
		}
	}
	if _, err := os.Stat(state); !os.IsNotExist(err) {
		t.Errorf("state file after stop: %v", err)
	}
}

// TestRootAgent runs the agent as heartbeat would, inside a throwaway
// namespace (the command acts in the namespace of the thread running it).
func TestRootAgent(t *testing.T) {
	netnstest.Root(t)
	node, peer := netnstest.New(t, "vp-cli"), netnstest.New(t, "vp-clipeer")
	netnstest.Veth(t, node, "a0", "198.18.8.1/24", peer, "b0", "198.18.8.2/24")
	conf := t.TempDir()
	if err := os.WriteFile(filepath.Join(conf, "arp_config"), []byte("ARP_REPEAT=3\nARP_INTERVAL_MS=200\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	in := func(args ...string) agentResult {
		t.Helper()
		var got agentResult
		node.Do(t, func() error {
			var stderr string
			got, stderr = agentCmd(append([]string{"-q", "--conf-dir", conf, "--state-dir", state}, args...)...)
			if stderr != "" {
				t.Logf("agent %q: %s", args, stderr)
			}
			return nil
		})
		return got
	}
	addr := func() string {
		return strings.Join(strings.Fields(node.IP(t, "-4", "-o", "addr", "show", "dev", "a0")), " ")
	}
	steps := []struct {
		args  []string
		want  agentResult
		burst bool // start stays for the burst: 3 repeats, the last reply at 500 ms
	}{
		{[]string{"IPaddr", "198.18.8.100", "status"}, agentResult{exitStopped, "stopped\n"}, false},
		{[]string{"IPaddr", "198.18.8.100", "start"}, agentResult{exitOK, ""}, true},
		{[]string{"IPaddr", "198.18.8.100", "start"}, agentResult{exitOK, ""}, false}, // already running
		{[]string{"IPaddr", "198.18.8.100", "status"}, agentResult{exitOK, "running\n"}, false},
		{[]string{"IPaddr", "198.18.8.100/24/a0", "monitor"}, agentResult{exitOK, "running\n"}, false},
		{[]string{"IPaddr2", "198.18.8.101/24/a0:web", "start"}, agentResult{exitOK, ""}, true},
		{[]string{"IPaddr2", "198.18.8.101/24/a0:web", "status"}, agentResult{exitOK, "running\n"}, false},
		{[]string{"IPaddr", "198.18.8.100", "stop"}, agentResult{exitOK, ""}, false},
		{[]string{"IPaddr", "198.18.8.100", "stop"}, agentResult{exitOK, ""}, false},
		{[]string{"IPaddr", "198.18.8.100", "status"}, agentResult{exitStopped, "stopped\n"}, false},
		{[]string{"IPaddr", "198.18.8.100", "monitor"}, agentResult{exitNotRunning, "stopped\n"}, false},
		{[]string{"IPaddr", "198.18.8.1", "status"}, agentResult{exitStopped, "stopped\n"}, false}, // not an alias
		{[]string{"IPaddr", "198.19.0.1", "start"}, agentResult{exitFailed, ""}, false},            // no route: findif fails
		{[]string{"SendArp", "198.18.8.1/a0", "start"}, agentResult{exitOK, ""}, true},
		{[]string{"SendArp", "198.18.8.1/a0", "status"}, agentResult{exitOK, "running\n"}, false},
		{[]string{"SendArp", "198.18.8.1/a0", "stop"}, agentResult{exitOK, ""}, false},
		{[]string{"SendArp", "198.18.8.1/a0", "status"}, agentResult{exitStopped, "stopped\n"}, false},
		{[]string{"IPaddr2", "198.18.8.101/24/a0:web", "stop"}, agentResult{exitOK, ""}, false},
	}
	for _, s := range steps {
		begin := time.Now()
		got := in(s.args...)
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Fatalf("agent %q (-want +got):\n%s\nip addr: %s", s.args, diff, addr())
		}
		if took := time.Since(begin); s.burst && took < 500*time.Millisecond {
			t.Errorf("agent %q returned after %v, before its burst ended", s.args, took)
		}
		switch strings.Join(s.args, " ") {
		case "IPaddr 198.18.8.100 start":
			if a := addr(); !strings.Contains(a, "inet 198.18.8.100/24 brd 198.18.8.255 scope global secondary a0:0") {
				t.Errorf("after start: %s", a)
			}
		case "IPaddr2 198.18.8.101/24/a0:web start":
			if a := addr(); !strings.Contains(a, "inet 198.18.8.101/24 brd 198.18.8.255 scope global secondary a0:web") {
				t.Errorf("after start: %s", a)
			}
		}
	}
	if a := addr(); strings.Contains(a, "198.18.8.10") || !strings.Contains(a, "198.18.8.1/24") {
		t.Errorf("at the end: %s, want only the interface's own address", a)
	}
}

// TestResourceShims runs resource.d's scripts against a stand-in hbctl
// that prints its arguments: heartbeat's calling convention must reach
// "hbctl agent" unchanged.
func TestResourceShims(t *testing.T) {
	bin := t.TempDir()
	fake := "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n"
	if err := os.WriteFile(filepath.Join(bin, "hbctl"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	for agent, arg := range map[string]string{
		"IPaddr": "198.18.0.1/24/eth0", "IPaddr2": "198.18.0.1/24/eth0:web x",
		"IPv6addr": "2001:2::1/64", "SendArp": "198.18.0.1/eth0",
	} {
		cmd := exec.Command(filepath.Join("..", "..", "resource.d", agent), arg, "status")
		cmd.Env = append(os.Environ(), "PATH="+bin+":/usr/bin:/bin")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("resource.d/%s: %v: %s", agent, err, out)
			continue
		}
		if want := "[agent][" + agent + "][" + arg + "][status]"; string(out) != want {
			t.Errorf("resource.d/%s ran hbctl %s, want %s", agent, out, want)
		}
	}
}
