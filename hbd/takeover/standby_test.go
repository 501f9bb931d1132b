package takeover

import (
	"strings"
	"testing"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
)

// rejoin restarts node i after a crash and brings it up at d.
func rejoin(p *pair, d time.Duration, i int) {
	p.restart(i)
	other := p.nodes[1-i].name
	// A new heartbeat: init, then active, with its new generation.
	p.at(d, 1-i, NodeStatus{Node: p.nodes[i].name, Old: core.StatusDead, New: core.StatusInit, Gen: p.nodes[i].gen})
	p.at(d, 1-i, NodeStatus{Node: p.nodes[i].name, Old: core.StatusInit, New: core.StatusActive, Gen: p.nodes[i].gen})
	p.at(d, i, NodeStatus{Node: other, New: core.StatusActive, Gen: p.nodes[1-i].gen})
	p.at(d, i, CommUp{})
}

// takeAll crashes hsb after a normal start so that hsa holds everything.
func takeAll(t *testing.T, mode Mode) *pair {
	p := startPair(t, mode)
	p.crash(1)
	p.at(26*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusDead})
	p.runUntil(30 * time.Second)
	status := "all"
	if mode == Legacy {
		status = "none" // heartbeat does not track held sets in legacy mode
	}
	wantState(t, p, both, nil, status, "down")
	return p
}

// R2 with auto_failback off: the returning node finds the survivor stable
// and holding everything, is stable at once, and nothing moves.
func TestNoFailbackWhenOff(t *testing.T) {
	p := takeAll(t, NiceFailback)
	k := len(p.wire)
	rejoin(p, 31*time.Second, 1)
	p.runUntil(31*time.Second + 500*time.Millisecond)
	// Stable well before RQSTDELAY: the peer said isstable=1.
	wantState(t, p, both, nil, "all", "none")
	p.runUntil(80 * time.Second)
	wantWire(t, p, k,
		"hsb: t=starting",
		"hsa: "+rsc+"all rtype=full isstable=1",
		"hsb: "+rsc+"none rtype=full isstable=0",
		"hsb: "+rsc+"none rtype=full isstable=1",
		"hsa: "+rsc+"all rtype=full isstable=1",
	)
	wantState(t, p, both, nil, "all", "none")
	wantLog(t, p, 1, "Local Resource acquisition completed. (none)")
	wantLog(t, p, 1, "Initial resource acquisition complete (T_RESOURCES(them))")
}

// R4 the other way round: hb_takeover on hsa asks hsb to go standby; hsb's
// rc.d/hb_takeover runs hb_standby with the set in its own terms.
func TestTakeoverCommand(t *testing.T) {
	p := startPair(t, AutoFailback)
	k := len(p.wire)
	p.at(30*time.Second, 0, Takeover{Which: Foreign})
	p.runUntil(40 * time.Second)
	wantWire(t, p, k,
		"hsa: t=hb_takeover rsc_hold=foreign",
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

// R4: standby is refused while either side is in flux, and a request
// nobody answers is cancelled after 10 s.
func TestStandbyRefused(t *testing.T) {
	t.Run("both starting", func(t *testing.T) {
		p := newPair(t, AutoFailback, false)
		p.startBoth(0, 10*time.Millisecond)
		p.at(2*time.Second, 0, Standby{Which: All})
		p.runUntil(30 * time.Second)
		wantLog(t, p, 0, "Standby request [all] not sent: other side is in flux.")
		for _, w := range p.wire {
			if strings.Contains(w, "ask_resources") {
				t.Errorf("standby message sent while starting: %s", w)
			}
		}
		wantState(t, p, r1, r3, "local", "local")
	})
	t.Run("local resources in flux", func(t *testing.T) {
		// Alone after initdead: the dead peer counts as stable, but we
		// stay in RSCRCVD for RQSTDELAY. A request of ours is not even
		// sent; one from a (heartbeat) peer that sends anyway is refused
		// by ask_for_resources.
		p := newPair(t, AutoFailback, false)
		p.crash(1)
		p.at(12*time.Second, 0, NodeStatus{Node: "hsb", New: core.StatusDead})
		p.at(12*time.Second, 0, CommUp{})
		p.at(15*time.Second, 0, Standby{Which: All})
		ask := newMsg("ask_resources")
		ask.Add("rsc_hold", "all")
		ask.Add("info", "me")
		p.at(16*time.Second, 0, Message{Node: "hsb", Msg: ask})
		p.runUntil(30 * time.Second)
		wantLog(t, p, 0, "Standby request [all] not sent: hsb is not active.")
		wantLog(t, p, 0, "standby message [me] from hsb ignored.  local resources in flux.")
		wantState(t, p, both, nil, "all", "down")
	})
	t.Run("other side in flux", func(t *testing.T) {
		p := startPair(t, AutoFailback)
		p.link = false // hsb never hears the request
		p.at(30*time.Second, 0, Standby{Which: All})
		p.at(31*time.Second, 0, Standby{Which: Local})
		p.runUntil(35 * time.Second)
		if got := p.nodes[0].m.RscStatus(); got != "transition" {
			t.Errorf("rscstatus during standby = %q, want transition", got)
		}
		wantLog(t, p, 0, "Standby request [local] not sent: standby in progress.")
		p.runUntil(45 * time.Second)
		wantLog(t, p, 0, "No reply to standby request.  Standby request cancelled.")
		wantState(t, p, r1, r3, "local", "local")
		// Back to normal: the next request works.
		p.link = true
		k := len(p.wire)
		p.at(50*time.Second, 0, Standby{Which: Local})
		p.runUntil(60 * time.Second)
		wantWire(t, p, k,
			"hsa: t=ask_resources rsc_hold=local info=me",
			"hsb: t=ask_resources rsc_hold=local info=other",
			"hsa: "+rsc+"none rtype=full isstable=0 info=standby",
			"hsa: t=ask_resources rsc_hold=local info=done",
			"hsb: "+rsc+"all rtype=full isstable=1",
			"hsb: t=ask_resources rsc_hold=local info=done",
			"hsa: "+rsc+"none rtype=full isstable=1",
			"hsa: "+rsc+"none rtype=full isstable=1",
			"hsb: "+rsc+"all rtype=full isstable=1",
		)
		wantState(t, p, nil, both, "none", "all")
	})
	t.Run("legacy", func(t *testing.T) {
		p := newPair(t, Legacy, false)
		p.startBoth(0, 10*time.Millisecond)
		p.at(5*time.Second, 0, Standby{Which: All})
		p.runUntil(10 * time.Second)
		wantLog(t, p, 0, "Standby mode only implemented when nice_failback on")
		wantState(t, p, r1, r3, "none", "none")
	})
}
