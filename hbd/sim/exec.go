package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/takeover"
	"github.com/hbd-project/hbd/hbd/wire"
)

// execOp is the executor working on one group: ResourceManager takegroup
// (start left to right; on a failure stop what was started, right to
// left) or givegroup (stop right to left).
type execOp struct {
	key      string
	op       takeover.Op
	idx      int   // next resource to act on
	rollback bool  // a start failed: stopping again
	stopped  []int // resources stopped by this op, in order
	failAt   int   // resource whose start fails, -1 for none
	stuckAt  int   // resource whose stop fails, -1 for none
	ok       bool
	still    bool
}

func (n *node) startOp(key string, op takeover.Op) {
	s := n.s
	if n.op != nil {
		s.failf("%s: %s %s while %s %s is outstanding", n.name, op, key, n.op.op, n.op.key)
		return
	}
	g := groupOf(key)
	if n.running[key] == nil {
		n.running[key] = make([]bool, len(g.Resources))
	}
	o := &execOp{key: key, op: op, failAt: -1, stuckAt: -1, ok: true}
	faulty := s.now.Before(epoch.Add(s.cfg.FaultPhase))
	if op == takeover.OpTake {
		if faulty && s.rng.Float64() < s.cfg.TakeFailProb {
			o.failAt = s.rng.IntN(len(g.Resources))
		}
	} else {
		o.idx = len(g.Resources) - 1
		if faulty && s.rng.Float64() < s.cfg.StuckProb {
			o.stuckAt = s.rng.IntN(len(g.Resources))
		}
	}
	n.op = o
	s.tracef("%s executor: %s %s", n.name, op, key)
	s.push(&event{at: s.now.Add(s.randDur(20*time.Millisecond, 400*time.Millisecond)), node: n.idx, kind: evExec, inc: n.inc})
}

// execStep performs the next resource step of the current op.
func (n *node) execStep() {
	s := n.s
	o := n.op
	if o == nil {
		return
	}
	rs := n.running[o.key]
	stop := func(i int) {
		if o.stuckAt == i {
			o.still, o.ok = true, false
			return
		}
		rs[i] = false
		o.stopped = append(o.stopped, i)
	}
	switch {
	case o.op == takeover.OpTake && !o.rollback:
		if o.idx == o.failAt {
			// The start fails: giveupresourcegroup stops the whole group,
			// right to left, members never started included.
			o.ok, o.rollback = false, true
			s.failed[o.key] = true
			o.idx = len(rs) - 1
		} else {
			rs[o.idx] = true
			o.idx++
			if o.idx == len(rs) {
				s.failed[o.key] = false
				n.finishOp()
				return
			}
		}
	default: // stopping: a give, or a failed take's rollback
		stop(o.idx)
		o.idx--
		if o.idx < 0 || o.still {
			n.finishOp()
			return
		}
	}
	s.push(&event{at: s.now.Add(s.randDur(20*time.Millisecond, 400*time.Millisecond)), node: n.idx, kind: evExec, inc: n.inc})
}

// finishOp reports the op, after checking that a released group is fully
// stopped and was stopped right to left.
func (n *node) finishOp() {
	s := n.s
	o := n.op
	n.op = nil
	rs := n.running[o.key]
	released := o.op == takeover.OpGive || !o.ok
	if released && !o.still {
		s.rep.Checks++
		if slices.Contains(rs, true) {
			s.failf("%s reports %s released with resources running: %v", n.name, o.key, rs)
			return
		}
		want := make([]int, 0, len(rs))
		for i := len(rs) - 1; i >= 0; i-- {
			want = append(want, i)
		}
		if !slices.Equal(o.stopped, want) {
			s.failf("%s stopped %s in order %v, want %v", n.name, o.key, o.stopped, want)
			return
		}
	}
	s.tracef("%s executor: %s %s ok=%v stillRunning=%v", n.name, o.op, o.key, o.ok, o.still)
	n.step(takeover.GroupOpDone{Time: s.now, Key: o.key, Op: o.op, OK: o.ok, StillRunning: o.still})
}

// owns reports whether any resource of key runs on the node.
func (n *node) owns(key string) bool { return slices.Contains(n.running[key], true) }

// holds reports whether every resource of key runs on the node.
func (n *node) holds(key string) bool {
	rs := n.running[key]
	return len(rs) > 0 && !slices.Contains(rs, false)
}

// render prints a message without its control fields (dest is kept: it
// is part of ip-request-resp).
func render(m *wire.Message) string {
	var parts []string
	for _, f := range m.Fields {
		switch f.Name {
		case "src", "srcuuid", "destuuid", "seq", "hg", "ts", "ld", "ttl":
			continue
		}
		parts = append(parts, fmt.Sprintf("%s=%s", f.Name, f.Value))
	}
	return strings.Join(parts, " ")
}
