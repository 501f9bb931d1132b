package sim

import (
	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/takeover"
)

// hearEachOther reports whether both heartbeats run and each one's
// membership view has the other alive, with neither giving everything up
// (after a healed partition: core.PartitionHealed, core.Restart 2 s
// later, or takeover.PartitionRestart, then the give-up; or in a graceful
// stop): the situation in which heartbeat must never let both own a
// group. A node giving up starts nothing, so a duplicate left over from a
// split ends with its give-up.
func (s *sim) hearEachOther() bool {
	a, b := s.nodes[0], s.nodes[1]
	alive := func(v string) bool { return v == core.StatusUp || v == core.StatusActive }
	return a.up && b.up && alive(a.view) && alive(b.view) && !a.leaving() && !b.leaving()
}

// checkSafety runs after every event.
func (s *sim) checkSafety() {
	s.rep.Checks++
	if !s.hearEachOther() {
		return
	}
	for _, g := range groups {
		if s.nodes[0].owns(g.Key) && s.nodes[1].owns(g.Key) {
			s.failf("both nodes own %s while they hear each other", g.Key)
			return
		}
	}
}

// settled reports a quiet point: both heartbeats up and hearing each
// other, no group operation running, both resource managers stable with
// no timer armed (no standby retry, failback or fencing pending).
func (s *sim) settled() bool {
	if !s.hearEachOther() || s.inflight > 0 {
		return false
	}
	for _, n := range s.nodes {
		if r := n.rsc(); n.op != nil || r.Halted || !r.Stable || r.Timer {
			return false
		}
	}
	return true
}

// checkConverged runs at the first settled point after the quiet period.
func (s *sim) checkConverged() {
	s.rep.Checks++
	for _, n := range s.nodes {
		if !n.up {
			s.failf("%s is still down at the end", n.name)
			return
		}
		r := n.rsc()
		if n.op != nil || r.Halted {
			s.failf("%s is still busy at the end", n.name)
			return
		}
		if !r.Stable {
			s.failf("%s is not stable at the end (rscstatus %s, state %v)", n.name, r.Status, r.State)
			return
		}
	}
	if !s.hearEachOther() {
		s.failf("the nodes do not see each other at the end (views %q, %q)", s.nodes[0].view, s.nodes[1].view)
		return
	}
	for _, g := range groups {
		var owners []string
		for _, n := range s.nodes {
			if n.owns(g.Key) {
				if !n.holds(g.Key) {
					s.failf("%s runs %s only partly: %v", n.name, g.Key, n.running[g.Key])
					return
				}
				owners = append(owners, n.name)
			}
		}
		switch {
		case len(owners) == 1:
		case len(owners) == 0 && s.failed[g.Key]:
			// §6.3: heartbeat leaves a group whose start failed stopped;
			// its standby request may have been refused.
		default:
			s.failf("group %s is owned by %v at the end", g.Key, owners)
			return
		}
	}
	if s.cfg.Mode == takeover.Legacy {
		return
	}
	// What cl_status rscstatus reports must match what runs.
	for _, n := range s.nodes {
		var want takeover.Set
		for _, class := range []takeover.Set{takeover.Local, takeover.Foreign} {
			all, exempt := true, false
			for _, g := range groups {
				if (g.Node == n.name) != (class == takeover.Local) {
					continue
				}
				exempt = exempt || s.failed[g.Key]
				all = all && n.holds(g.Key)
			}
			if all {
				want |= class
			} else if exempt && n.rsc().Held&class != 0 {
				want |= class // heartbeat keeps the bit after a failed start
			}
		}
		if got := n.rsc().Status; got != want.String() {
			s.failf("%s reports rscstatus %s, but runs %s", n.name, got, want)
			return
		}
	}
}
