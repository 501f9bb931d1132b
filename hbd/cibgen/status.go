package cibgen

import "strconv"

// status decides where each resource currently runs and writes the history
// that says so: every primitive gets a record on every online node, as after
// the probes a real cluster runs, so the scheduler schedules no probes of
// its own and the case is about placement. Resources run only on online
// nodes (standby ones included: they must move away).
func (g *gen) status() {
	var online []*Node
	for _, n := range g.c.Nodes {
		if n.Online {
			online = append(online, n)
		}
	}
	// where[primitive id] = the nodes it currently runs on; promoted[…] the
	// ones of those where a promotable clone's instance is promoted.
	where := map[string][]*Node{}
	promoted := map[string][]*Node{}
	for _, r := range g.c.Resources {
		switch r.Kind {
		case Primitive:
			if g.chance(0.65) {
				where[r.ID] = []*Node{pick(g, online...)}
			}
		case Group:
			if g.chance(0.6) {
				n := pick(g, online...)
				members := len(r.Children)
				if g.chance(0.15) {
					members = 1 + g.rng.IntN(members-1) // a partially started group
				}
				for _, m := range r.Children[:members] {
					where[m.ID] = []*Node{n}
				}
			}
		case Clone:
			limit := len(g.c.Nodes)
			for _, m := range r.Meta {
				if m.Name == "clone-max" {
					limit, _ = strconv.Atoi(m.Value)
				}
			}
			child := r.Children[0]
			for _, n := range online {
				if len(where[child.ID]) < limit && g.chance(0.6) {
					where[child.ID] = append(where[child.ID], n)
				}
			}
			if r.promotable() {
				g.promote(r, where[child.ID], online, promoted)
			}
		}
	}
	cloned := map[*Resource]bool{}
	for _, r := range g.c.Resources {
		if r.Kind == Clone {
			cloned[r.Children[0]] = true
		}
	}
	fails := map[[2]string]int{} // (node, rsc) → index of its monitor fail count in the node's FailCounts
	for _, n := range online {
		for _, top := range g.c.Resources {
			for _, p := range top.Primitives() {
				h := History{Rsc: p, State: Probed}
				if containsNode(promoted[p.ID], n) {
					h.State = Promoted
				} else if containsNode(where[p.ID], n) {
					h.State = Running
				}
				if g.f.Failures {
					g.fail(n, &h, fails, cloned[p])
				}
				n.History = append(n.History, h)
			}
		}
	}
}

// fail sometimes turns a history into a failure and adds fail counts:
// a monitor that found a running resource gone, a start that failed (fail
// count INFINITY, as start-failure-is-fatal makes the controller set), or
// monitor failures in the past that were recovered in place. A failed start
// counts as an active instance, so a clone at clone-max would get an orphan
// instance (which crm_verify flags); clone instances only fail monitors.
func (g *gen) fail(n *Node, h *History, fails map[[2]string]int, cloned bool) {
	last := g.c.ExecutionDate - int64(10+g.rng.IntN(600))
	monitor := func(count int) {
		key := [2]string{n.Name, h.Rsc.ID}
		if i, ok := fails[key]; ok {
			prev, _ := strconv.Atoi(n.FailCounts[i].Count)
			n.FailCounts[i].Count = strconv.Itoa(prev + count)
			return
		}
		fails[key] = len(n.FailCounts)
		n.FailCounts = append(n.FailCounts, FailCount{Rsc: h.Rsc.ID, Op: "monitor",
			IntervalMS: h.Rsc.Monitor, Count: strconv.Itoa(count), LastFailure: last})
	}
	switch {
	case h.State == Running && g.chance(0.08):
		h.State = MonitorFailed
		monitor(1)
	case h.State == Probed && !cloned && g.chance(0.03):
		h.State = StartFailed
		n.FailCounts = append(n.FailCounts, FailCount{Rsc: h.Rsc.ID, Op: "start",
			Count: "INFINITY", LastFailure: last})
	case g.chance(0.06):
		monitor(1 + g.rng.IntN(3))
	}
}

// promote picks the promoted instances of a promotable clone among the
// nodes it runs on (at most promoted-max) and gives nodes promotion scores
// (master-<rsc>), without which an instance is never promoted.
func (g *gen) promote(r *Resource, running, online []*Node, promoted map[string][]*Node) {
	child := r.Children[0]
	limit := 1
	if r.hasMeta("promoted-max", "2") {
		limit = 2
	}
	for _, n := range running {
		if len(promoted[child.ID]) < limit && g.chance(0.5) {
			promoted[child.ID] = append(promoted[child.ID], n)
		}
	}
	for _, n := range online {
		if g.chance(0.6) {
			n.Transient = append(n.Transient, NV{"master-" + child.ID, pick(g, "5", "10", "50", "100")})
		}
	}
}

func containsNode(ns []*Node, n *Node) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}
