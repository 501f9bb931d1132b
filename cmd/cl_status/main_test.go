package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/ctl"
)

// twoNodes is the state of the spec's observed cluster (§10.1): hsa local,
// hsb the peer, one bcast link hs0, plus a dead ping node.
func twoNodes() *ctl.Status {
	return &ctl.Status{
		Version: "3.0.6-hbd", Node: "hsa", ManagedBy: "haresources", Resources: "local",
		Nodes: []ctl.Node{
			{Name: "hsb", Type: "normal", Status: "active", Weight: 100, Links: []ctl.Link{{Name: "hs0", Status: "up"}}},
			{Name: "hsa", Type: "normal", Status: "active", Local: true, Weight: 100, Links: []ctl.Link{{Name: "hs0", Status: "up"}}},
			{Name: "198.18.0.3", Type: "ping", Status: "dead", Weight: 100, Links: []ctl.Link{{Name: "198.18.0.3", Status: "dead"}}},
		},
		Parameters: map[string]string{"deadtime": "6", "keepalive": "1"},
	}
}

func TestOutputsMatchHeartbeat(t *testing.T) {
	tests := []struct {
		args     []string
		out, err string
		rc       int
	}{
		{args: []string{"hbstatus"}, out: "Heartbeat is running on this machine.\n"},
		{args: []string{"hbstatus", "-v"}, out: "version:\t3.0.6-hbd\nmanaged by:\t\"haresources\"\n" +
			"\nhsb\tactive\t(nodetype: normal)\n\ths0\tup\n" +
			"\nhsa\tactive\t(nodetype: normal)\n\ths0\tup\n" +
			"\n198.18.0.3\tdead\t(nodetype: ping)\n\t198.18.0.3\tdead\n"},
		{args: []string{"listnodes"}, out: "hsb\nhsa\n198.18.0.3\n"},
		{args: []string{"listnodes", "-n"}, out: "hsb\nhsa\n"},
		{args: []string{"listnodes", "-p"}, out: "198.18.0.3\n"},
		{args: []string{"listnodes", "-p", "-n"}, out: "hsb\nhsa\n198.18.0.3\n"},
		{args: []string{"nodestatus", "hsb"}, out: "active\n"},
		{args: []string{"nodestatus", "-m", "hsb"}, out: "The cluster node hsb is active\n"},
		{args: []string{"nodestatus", "198.18.0.3"}, out: "dead\n", rc: 1},
		{args: []string{"nodestatus", "nosuch"}, err: "Error. May be due to incorrect node name\n", rc: 11},
		{args: []string{"nodestatus"}, err: "Not enough parameters.\n", rc: 11},
		{args: []string{"nodetype", "hsb"}, out: "normal\n"},
		{args: []string{"nodetype", "198.18.0.3"}, out: "ping\n"},
		{args: []string{"nodeweight", "hsb"}, out: "100\n"},
		{args: []string{"nodesite", "hsb"}, out: "\n"},
		{args: []string{"listhblinks", "hsb"}, out: "\ths0\n"},
		{args: []string{"listhblinks", "-v", "hsb"}, out: "\ths0\tup\n"},
		{args: []string{"hblinkstatus", "hsb", "hs0"}, out: "up\n"},
		{args: []string{"hblinkstatus", "198.18.0.3", "198.18.0.3"}, out: "dead\n", rc: 1},
		{args: []string{"rscstatus"}, out: "local\n"},
		{args: []string{"rscstatus", "-m"}, out: "This node is holding local resources.\n"},
		{args: []string{"hbparameter", "-p", "deadtime"}, out: "6\n"},
		{args: []string{"hbparameter", "-p", "nosuch"}, rc: 1,
			err: "cl_status: ERROR: Cannot get parameter nosuch's value\ncl_status: ERROR: REASON: parameter not set\n"},
		{args: []string{"bogus"}, err: "cl_status: ERROR: bogus: invalid sub-command.\n", rc: 11},
		{args: []string{"clientstatus", "hsb", "ipfail"}, rc: 13,
			err: "cl_status: ERROR: Cannot get heartbeat client ipfail's status\ncl_status: ERROR: REASON: No timely response.\n"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			var out, errb bytes.Buffer
			rc := run(tc.args, &out, &errb, func() (*ctl.Status, error) { return twoNodes(), nil })
			if rc != tc.rc {
				t.Errorf("rc = %d, want %d", rc, tc.rc)
			}
			if diff := cmp.Diff(tc.out, out.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.err, errb.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDaemonStopped(t *testing.T) {
	down := func() (*ctl.Status, error) { return nil, fmt.Errorf("%w (no daemon)", ctl.ErrNotRunning) }
	var out, errb bytes.Buffer
	if rc := run([]string{"hbstatus"}, &out, &errb, down); rc != 1 || out.String() != "Heartbeat is stopped on this machine.\n" {
		t.Fatalf("hbstatus: rc=%d out=%q", rc, out.String())
	}
	out.Reset()
	if rc := run([]string{"nodestatus", "hsb"}, &out, &errb, down); rc != 1 || out.Len() != 0 ||
		!bytes.Contains(errb.Bytes(), []byte("Cannot signon with heartbeat")) {
		t.Fatalf("nodestatus: rc=%d out=%q err=%q", rc, out.String(), errb.String())
	}
	slow := func() (*ctl.Status, error) { return nil, context.DeadlineExceeded }
	if rc := run([]string{"listnodes"}, &out, &errb, slow); rc != 12 {
		t.Fatalf("timeout rc=%d, want 12", rc)
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if rc := run(nil, &out, &out, func() (*ctl.Status, error) { return nil, errors.New("unused") }); rc != 0 ||
		!bytes.HasPrefix(out.Bytes(), []byte("Usage: cl_status <sub-command>")) {
		t.Fatalf("rc=%d out=%q", rc, out.String())
	}
}
