package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/hbd-project/hbd/tests/lab"
)

// pingStatus reads what hbd says of one node through its control socket.
func pingStatus(h *lab.Hbd, name string) (*ctl.Node, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var st ctl.Status
	if err := ctl.NewClient(h.RunDir).Do(ctx, "GET", "/v1/status", nil, &st); err != nil {
		return nil, err
	}
	n := st.FindNode(name)
	if n == nil {
		return nil, fmt.Errorf("no node %s in status", name)
	}
	return n, nil
}

// TestPingNodeLifecycle: a ping node (the observer, which answers ICMP
// echoes with heartbeat's signed NS_st payload echoed back) is reported
// "ping" while it answers, "dead" after deadping once its cable is
// pulled, and "ping" again when it comes back, with heartbeat's log
// wording.
func TestPingNodeLifecycle(t *testing.T) {
	lab.Require(t)
	if _, err := lab.HbdBinary(); err != nil {
		t.Skip(err)
	}
	l, err := lab.New(t, lab.Options{Nodes: []string{"node1"}})
	if err != nil {
		t.Fatal(err)
	}
	obs := l.Observer()
	target := obs.Addr(0).String()
	h, err := l.StartHbd(l.Node("node1"), lab.Config{
		// node2 never starts: node1 runs alone, which is all a ping node
		// needs. deadping 1 s against keepalive 200 ms.
		HaCf: "keepalive 200ms\ndeadtime 1\ndeadping 1\ninitdead 2\nudpport 694\nbcast eth0\n" +
			"ping " + target + "\nauto_failback on\nnode node1 node2\n",
		Haresources: "node1 hbdtest::r1\n",
	}, "")
	if err != nil {
		t.Fatal(err)
	}

	wait := func(want string, timeout time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		err := lab.Eventually(timeout, func() error {
			n, err := pingStatus(h, target)
			if err != nil {
				return err
			}
			if n.Type != "ping" || n.Status != want {
				return fmt.Errorf("ping node %s is %s/%s, want ping/%s", target, n.Type, n.Status, want)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("%v\nlog:\n%s", err, h.Log())
		}
		return time.Since(start)
	}

	wait("ping", 15*time.Second)
	if _, err := h.WaitLog(`Status update for node `+target+`: status ping`, 5*time.Second); err != nil {
		t.Fatalf("heartbeat's status line: %v", err)
	}

	// Before comm is up every node, ping nodes included, is judged by
	// initdead (2 s here), as in heartbeat; measure deadping after it.
	if err := lab.Eventually(10*time.Second, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var st ctl.Status
		if err := ctl.NewClient(h.RunDir).Do(ctx, "GET", "/v1/status", nil, &st); err != nil {
			return err
		}
		if !st.CommUp {
			return fmt.Errorf("comm not up yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	pulled := time.Now()
	if err := obs.LinkDown("eth0"); err != nil {
		t.Fatal(err)
	}
	wait("dead", 10*time.Second)
	line, err := h.WaitLog(`node `+target+`: is dead`, 5*time.Second)
	if err != nil {
		t.Fatalf("heartbeat's death line: %v", err)
	}
	// Measured from the daemon's own timestamp, not from this test's
	// polling: the last reply came at most one keepalive before the pull,
	// so death is due between deadping-keepalive and deadping after it.
	at, err := logTime(line)
	if err != nil {
		t.Fatal(err)
	}
	took := at.Sub(pulled)
	t.Logf("ping node declared dead %v after its cable was pulled (deadping 1s, keepalive 200ms)", took.Round(time.Millisecond))
	if took < 800*time.Millisecond || took > 1200*time.Millisecond+schedSlack {
		t.Errorf("ping node declared dead %v after the pull, want deadping ±keepalive", took)
	}

	if err := obs.LinkUp("eth0"); err != nil {
		t.Fatal(err)
	}
	wait("ping", 10*time.Second)
}

// schedSlack allows for a loaded 2-core machine running the lab's
// processes and this test at once: timer wake-ups and the switch-side
// cable pull itself can each lag by tens of milliseconds.
const schedSlack = 150 * time.Millisecond

// logTime reads the time= field of one of hbd's slog text lines.
func logTime(line string) (time.Time, error) {
	_, rest, ok := strings.Cut(line, "time=")
	if !ok {
		return time.Time{}, fmt.Errorf("no time= in %q", line)
	}
	ts, _, _ := strings.Cut(rest, " ")
	return time.Parse(time.RFC3339Nano, ts)
}
