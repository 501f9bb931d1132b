package takeover

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/core"
)

// R6: with a STONITH device the dead peer is reset before anything is
// taken; a failed reset is retried every 5 s and blocks the takeover.
func TestStonith(t *testing.T) {
	p := newPair(t, AutoFailback, true)
	p.stall[1] = epoch.Add(465 * time.Millisecond)
	p.startBoth(10*time.Millisecond, 0)
	p.runUntil(20 * time.Second)
	k := len(p.wire)
	p.nodes[0].fence = []FenceResult{FenceBad, FenceBadHost, FenceOK}
	p.crash(1)
	p.at(30*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusDead})
	p.runUntil(40 * time.Second)
	if p.running(0) == nil || len(p.running(0)) != 1 {
		t.Errorf("hsa took hsb's group before the reset succeeded: %v", p.running(0))
	}
	p.runUntil(60 * time.Second)
	// Reset attempts at 30 s, 37 s and 44 s (2 s each, 5 s apart).
	wantWire(t, p, k,
		"hsa: t=stonith node=hsb result=bad",
		"hsa: t=stonith node=hsb result=badhost",
		"hsa: t=stonith node=hsb result=OK",
		"hsa: "+rsc+"all rtype=full isstable=1 info=req_our_resources()",
		"hsa: "+rsc+"foreign info=mach_down",
	)
	if diff := cmp.Diff([]string{"take hstest::r1", "fence hsb", "fence hsb", "fence hsb", "take hstest::r3"}, p.nodes[0].ops); diff != "" {
		t.Errorf("hsa operations (-want +got):\n%s", diff)
	}
	wantLog(t, p, 0, "STONITH of hsb failed.  Retrying...")
	wantState(t, p, both, nil, "all", "down")
}

// A peer that announced "none" before dying needs no reset (§7.3).
func TestDeadPeerHeldNothing(t *testing.T) {
	p := startPair(t, AutoFailback)
	p.at(25*time.Second, 1, Standby{Which: All})
	p.runUntil(40 * time.Second)
	wantState(t, p, both, nil, "all", "none")
	k := len(p.wire)
	p.crash(1)
	p.at(50*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusDead})
	p.runUntil(60 * time.Second)
	wantWire(t, p, k, "hsa: t=stonith node=hsb result=unneeded")
	wantLog(t, p, 0, "Dead node hsb gave up resources.")
	wantState(t, p, both, nil, "all", "down")
}

// §6.3: a failed start gives the group up again and, 30 s later, runs
// hb_standby so that the peer gets it.
func TestFailedTake(t *testing.T) {
	p := newPair(t, AutoFailback, false)
	p.stall[1] = epoch.Add(465 * time.Millisecond)
	p.nodes[1].failTake["hstest::r3"] = true
	p.startBoth(10*time.Millisecond, 0)
	p.runUntil(20 * time.Second)
	wantLog(t, p, 1, "Giving up resources due to failure of hstest::r3")
	wantState(t, p, r1, nil, "local", "local")
	k := len(p.wire)
	p.runUntil(45 * time.Second)
	wantWire(t, p, k,
		"hsb: t=ask_resources rsc_hold=local info=me",
		"hsa: t=ask_resources rsc_hold=local info=other",
		"hsb: "+rsc+"none rtype=full isstable=0 info=standby",
		"hsb: t=ask_resources rsc_hold=local info=done",
		"hsa: "+rsc+"all rtype=full isstable=1",
		"hsa: t=ask_resources rsc_hold=local info=done",
		"hsb: "+rsc+"none rtype=full isstable=1",
		"hsb: "+rsc+"none rtype=full isstable=1",
		"hsa: "+rsc+"all rtype=full isstable=1",
	)
	wantState(t, p, both, nil, "all", "none")
}

// §7.4 from our side, and §6.3's failed stop: a group that cannot be
// stopped is never reported released, and no shutdone goes out.
func TestOwnShutdown(t *testing.T) {
	t.Run("clean", func(t *testing.T) {
		p := takeAll(t, AutoFailback)
		k := len(p.wire)
		p.nodes[0].ops = nil
		p.at(40*time.Second, 0, Shutdown{})
		p.runUntil(45 * time.Second)
		wantWire(t, p, k,
			"hsa: "+rsc+"none rtype=full isstable=0 info=shutdown",
			"hsa: t=shutdone st=dead",
		)
		// File order, each group stopped by the executor right to left.
		if diff := cmp.Diff([]string{"give hstest::r1", "give hstest::r3"}, p.nodes[0].ops); diff != "" {
			t.Errorf("operations (-want +got):\n%s", diff)
		}
		if p.nodes[0].done != 1 {
			t.Errorf("ShutdownDone reported %d times", p.nodes[0].done)
		}
		wantState(t, p, nil, nil, "none", "down")
	})
	t.Run("delayed until stable", func(t *testing.T) {
		p := newPair(t, AutoFailback, false)
		p.at(0, 0, Shutdown{}) // before comm up
		p.startBoth(time.Second, time.Second+10*time.Millisecond)
		p.runUntil(5 * time.Second)
		wantLog(t, p, 0, "Shutdown delayed until current resource activity finishes.")
		if p.nodes[0].done != 0 {
			t.Fatal("shut down while starting")
		}
		p.runUntil(30 * time.Second)
		if p.nodes[0].done != 1 {
			t.Fatal("no ShutdownDone once stable")
		}
		// hsa took its group at +10 s, gave it up, and hsb took it over.
		wantState(t, p, nil, both, "none", "all")
	})
	t.Run("stop fails", func(t *testing.T) {
		p := takeAll(t, AutoFailback)
		k := len(p.wire)
		p.nodes[0].stuck["hstest::r1"] = true
		p.at(40*time.Second, 0, Shutdown{})
		p.runUntil(60 * time.Second)
		wantWire(t, p, k, "hsa: "+rsc+"none rtype=full isstable=0 info=shutdown")
		if p.nodes[0].done != 0 {
			t.Error("ShutdownDone after a failed stop")
		}
		if !p.nodes[0].m.Halted() {
			t.Error("machine not halted")
		}
		if got := p.nodes[0].ops[len(p.nodes[0].ops)-1]; got != "reboot hstest::r1" {
			t.Errorf("last operation %q, want the reboot", got)
		}
		if got := p.nodes[0].m.Groups()[0].State; got != Stuck {
			t.Errorf("hstest::r1 state %v, want stuck", got)
		}
	})
}

// R8 / §7.6: legacy-failback-partition-sha1.pcap.
func TestLegacy(t *testing.T) {
	p := newPair(t, Legacy, false)
	p.crash(1)
	p.at(12*time.Second, 0, NodeStatus{Node: "hsb", New: core.StatusDead})
	p.at(12*time.Second, 0, CommUp{})
	p.runUntil(30 * time.Second)
	// One self-grant from comm up, one from takeover_from_node.
	k := wantWire(t, p, 0,
		"hsa: t=stonith node=hsb result=n_stnth",
		selfR1,
		selfR1,
	)
	wantState(t, p, both, nil, "none", "down")

	rejoin(p, 31*time.Second, 1)
	p.runUntil(40 * time.Second)
	k = wantWire(t, p, k,
		"hsb: t=ip-request ipaddr=hstest::r3",
		"hsa: t=ip-request-resp dest=hsb ipaddr=hstest::r3 weown=yes ok=OK",
	)
	wantState(t, p, r1, r3, "none", "none")

	p.at(41*time.Second, 1, Shutdown{})
	p.runUntil(45 * time.Second)
	p.crash(1)
	p.at(50*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusDead})
	p.runUntil(60 * time.Second)
	wantWire(t, p, k,
		"hsb: t=shutdone st=dead",
		"hsa: t=stonith node=hsb result=unneeded",
	)
	wantState(t, p, both, nil, "none", "down")
}
