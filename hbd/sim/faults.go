package sim

import (
	"time"

	hbnode "github.com/hbd-project/hbd/hbd/node"

	"github.com/hbd-project/hbd/hbd/takeover"
)

type faultKind int

const (
	faultCrash     faultKind = iota // kill -9, reboot later
	faultStop                       // graceful stop, start later
	faultPartition                  // cut both directions
	faultOneWay                     // cut one direction
	faultStandby                    // hb_standby
	faultTakeover                   // hb_takeover
	numFaults
)

var faultNames = [...]string{"crash", "stop", "partition", "one-way partition", "hb_standby", "hb_takeover"}

type fault struct {
	kind faultKind
	node int
	dur  time.Duration // outage or partition length
	set  takeover.Set
}

// planFaults draws up to MaxFaults faults in the fault phase.
func (s *sim) planFaults() {
	n := s.rng.IntN(s.cfg.MaxFaults + 1)
	for range n {
		f := fault{
			kind: faultKind(s.rng.IntN(int(numFaults))),
			node: s.rng.IntN(2),
			dur:  s.randDur(time.Second, 15*time.Second),
			set:  takeover.Set(1 + s.rng.IntN(3)),
		}
		at := epoch.Add(s.randDur(5*time.Second, s.cfg.FaultPhase))
		s.push(&event{at: at, node: f.node, kind: evFault, f: f})
	}
}

func (s *sim) inject(f fault) {
	n := s.nodes[f.node]
	s.rep.Faults++
	s.tracef("FAULT %s on %s (%v, %v)", faultNames[f.kind], n.name, f.dur, f.set)
	switch f.kind {
	case faultCrash:
		n.crash("kill -9", f.dur)
	case faultStop:
		if n.up {
			n.step(hbnode.Shutdown{Time: s.now})
		}
	case faultPartition:
		s.cut = [2]bool{true, true}
		s.push(&event{at: s.now.Add(f.dur), kind: evHeal})
	case faultOneWay:
		s.cut[f.node] = true
		s.push(&event{at: s.now.Add(f.dur), kind: evHeal})
	case faultStandby:
		if n.up {
			n.step(takeover.Standby{Time: s.now, Which: f.set})
		}
	case faultTakeover:
		if n.up {
			n.step(takeover.Takeover{Time: s.now, Which: f.set})
		}
	}
}
