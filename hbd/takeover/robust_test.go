package takeover

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/core"
)

// These scenarios cover the deliberate differences of doc.go: each is a
// situation found by the simulator where heartbeat 3.0.6 stays wrong.

func wantRestart(t *testing.T, p *pair, i int, want bool) {
	t.Helper()
	if got := slices.Contains(p.nodes[i].ops, "restart"); got != want {
		t.Errorf("%s asked for a restart: %v, want %v (ops %v)", p.nodes[i].name, got, want, p.nodes[i].ops)
	}
}

// A partition longer than deadtime: both take everything; when it heals
// the peer is back without a new generation, and both give everything up
// to restart (heartbeat: only if it knew the generation before).
func TestPartitionReturn(t *testing.T) {
	p := startPair(t, AutoFailback)
	p.link = false
	p.at(30*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusDead})
	p.at(30*time.Second, 1, NodeStatus{Node: "hsa", Old: core.StatusActive, New: core.StatusDead})
	p.runUntil(40 * time.Second)
	if diff := cmp.Diff([][]string{both, both}, [][]string{p.running(0), p.running(1)}); diff != "" {
		t.Fatalf("split brain expected (-want +got):\n%s", diff)
	}
	wantRestart(t, p, 0, false)
	p.link = true
	p.at(41*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusDead, New: core.StatusActive, Gen: 1})
	p.at(41*time.Second, 1, NodeStatus{Node: "hsa", Old: core.StatusDead, New: core.StatusActive, Gen: 1})
	p.runUntil(42 * time.Second)
	wantRestart(t, p, 0, true)
	wantRestart(t, p, 1, true)
	wantLog(t, p, 0, "Cluster node hsb returning after partition.")
}

// A peer that never heard us took everything (a one-way partition); its
// announcements and ours overlap: we restart.
func TestSplitBrainSeenInAnnouncements(t *testing.T) {
	p := takeAll(t, AutoFailback)
	rejoin(p, 31*time.Second, 1)
	p.runUntil(40 * time.Second)
	wantRestart(t, p, 0, false)
	claim := newMsg("resource")
	claim.Add("rsc_hold", "all")
	claim.Add("rtype", "full")
	claim.Add("isstable", "1")
	p.at(41*time.Second, 0, Message{Node: "hsb", Msg: claim})
	p.runUntil(42 * time.Second)
	wantLog(t, p, 0, "Both machines own our resources!")
	wantRestart(t, p, 0, true)
}

// hsb restarts faster than deadtime (a new generation, never declared
// dead): its old incarnation's group is recovered.
func TestQuickRestartRecovered(t *testing.T) {
	p := startPair(t, AutoFailback)
	k := len(p.wire)
	p.crash(1)
	p.restart(1)
	p.at(25*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusInit, Gen: 2})
	p.at(25*time.Second, 1, NodeStatus{Node: "hsa", New: core.StatusActive, Gen: 1})
	p.at(25*time.Second, 1, CommUp{})
	p.at(26*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusInit, New: core.StatusActive, Gen: 2})
	p.runUntil(50 * time.Second)
	wantLog(t, p, 0, "Node hsb restarted before it was declared dead: recovering its resources.")
	if got := p.wireSince(k)[0]; got != "hsa: t=stonith node=hsb result=n_stnth" {
		t.Errorf("first message %q, want the stonith notice", got)
	}
	// hsa got hsb's group through mach_down and handed it back.
	wantState(t, p, r1, r3, "local", "local")
}

// A lost standby "done" in either direction.
func TestStandbyDoneLost(t *testing.T) {
	t.Run("taker's done", func(t *testing.T) {
		p := startPair(t, AutoFailback)
		p.drop[1] = map[string]int{"ask_resources": 2} // "other" goes, "done" is lost
		p.at(30*time.Second, 0, Standby{Which: All})
		p.runUntil(35 * time.Second)
		if got := p.nodes[0].m.RscStatus(); got != "transition" {
			t.Fatalf("hsa rscstatus %q before the watch fires", got)
		}
		p.runUntil(50 * time.Second)
		wantLog(t, p, 0, "Other node completed standby takeover of all resources (its done was lost).")
		wantState(t, p, nil, both, "none", "all")
	})
	t.Run("requester's done", func(t *testing.T) {
		p := startPair(t, AutoFailback)
		p.drop[0] = map[string]int{"ask_resources": 2} // "me" goes, "done" is lost
		p.at(30*time.Second, 0, Standby{Which: All})
		p.runUntil(80 * time.Second)
		if got := p.nodes[1].m.RscStatus(); got != "transition" {
			t.Fatalf("hsb rscstatus %q while waiting for the done", got)
		}
		p.runUntil(100 * time.Second)
		wantLog(t, p, 0, "No standby done from hsb: sending ours again.")
		wantState(t, p, nil, both, "none", "all")
	})
}

// legacy: hsb's ip-request is lost; it asks again 30 s later.
func TestIPRequestRetried(t *testing.T) {
	p := takeAll(t, Legacy)
	p.drop[1] = map[string]int{"ip-request": 1}
	rejoin(p, 31*time.Second, 1)
	p.runUntil(50 * time.Second)
	wantState(t, p, both, nil, "none", "none")
	p.runUntil(70 * time.Second)
	wantLog(t, p, 1, "No answer to ip-request for hstest::r3: asking again.")
	wantState(t, p, r1, r3, "none", "none")
}

// hsb's answer to our starting is lost: we ask again after RQSTDELAY
// instead of staying in transition.
func TestStartingResent(t *testing.T) {
	p := takeAll(t, AutoFailback)
	p.drop[0] = map[string]int{"resource": 1}
	rejoin(p, 31*time.Second, 1)
	p.runUntil(40 * time.Second)
	if got := p.nodes[1].m.RscStatus(); got != "transition" {
		t.Fatalf("hsb rscstatus %q without an answer", got)
	}
	p.runUntil(60 * time.Second)
	wantLog(t, p, 1, "No resource message from hsa: sending starting again.")
	wantState(t, p, r1, r3, "local", "local")
}

// hsb asks to go standby; hsa's "other" is lost. hsb times out after
// 10 s; hsa, with no "resource … info=standby" from hsb, cancels too
// instead of waiting an hour in state other.
func TestStandbyAbandoned(t *testing.T) {
	p := startPair(t, AutoFailback)
	p.drop[0] = map[string]int{"ask_resources": 1}
	p.at(30*time.Second, 1, Standby{Which: All})
	p.runUntil(35 * time.Second)
	if got := p.nodes[0].m.RscStatus(); got != "transition" {
		t.Fatalf("hsa rscstatus %q while waiting", got)
	}
	p.runUntil(45 * time.Second)
	wantLog(t, p, 1, "No reply to standby request.  Standby request cancelled.")
	wantLog(t, p, 0, "Standby request from hsb was abandoned: cancelling.")
	wantState(t, p, r1, r3, "local", "local")
	// And the next standby goes through.
	p.at(50*time.Second, 1, Standby{Which: All})
	p.runUntil(60 * time.Second)
	wantState(t, p, both, nil, "all", "none")
}
