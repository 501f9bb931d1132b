package cibgen

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Limits of the random clusters (issue part 6).
const (
	MinNodes      = 2
	MaxNodes      = 6
	MaxPrimitives = 20
	// executionDate is the fixed "now" of every generated CIB (2023-11-14),
	// so that failure-timeout expiry does not depend on the wall clock.
	executionDate = 1700000000
)

// Generate returns the random cluster for seed: the same seed and features
// always give the same cluster, so a failing case is replayed by its seed.
func Generate(seed int64, f Features) *Cluster {
	g := &gen{
		rng: rand.New(rand.NewPCG(uint64(seed), 0x6862642d636962)), // "hbd-cib"
		f:   f,
		c:   &Cluster{Seed: seed, ExecutionDate: executionDate},
	}
	g.nodes()
	g.options()
	g.resources()
	if f.Status {
		g.status()
	}
	g.constraints()
	return g.c
}

type gen struct {
	rng    *rand.Rand
	f      Features
	c      *Cluster
	nPrims int
}

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func pick[T any](g *gen, xs ...T) T { return xs[g.rng.IntN(len(xs))] }

// nodes makes 2–6 nodes named node<k> for distinct k in 1..12, so that the
// name order (strcmp: node10 < node2) and the numeric order differ, the tie
// break that most often trips an implementation (pacemaker-engine.md §4.3).
func (g *gen) nodes() {
	n := MinNodes + g.rng.IntN(MaxNodes-MinNodes+1)
	nums := g.rng.Perm(12)[:n]
	slices.Sort(nums)
	for i, k := range nums {
		g.c.Nodes = append(g.c.Nodes, &Node{
			ID: strconv.Itoa(i + 1), Name: fmt.Sprintf("node%d", k+1),
			Online:  !(g.f.OfflineNodes && g.chance(0.12)),
			Standby: g.f.Standby && g.chance(0.12),
		})
	}
	if !slices.ContainsFunc(g.c.Nodes, func(n *Node) bool { return n.Online }) {
		g.c.Nodes[0].Online = true
	}
}

func (g *gen) options() {
	c := g.c
	// Fencing off: with it on and no stonith device every resource would be
	// unmanaged (pacemaker-engine.md §1.11), and tier A has no fencing.
	c.Options = []NV{{"stonith-enabled", "false"}}
	c.HaveQuorum = true
	policy := "ignore"
	if g.f.QuorumPolicies {
		policy = pick(g, "ignore", "ignore", "ignore", "stop", "freeze")
		c.HaveQuorum = g.chance(0.85)
	}
	c.Options = append(c.Options, NV{"no-quorum-policy", policy})
	if g.f.Asymmetric && g.chance(0.12) {
		c.Options = append(c.Options, NV{"symmetric-cluster", "false"})
	}
	if g.f.Stickiness && g.chance(0.4) {
		c.RscDefaults = append(c.RscDefaults, NV{"resource-stickiness", pick(g, "0", "50", "100", "200", "INFINITY")})
	}
	if g.f.MigrationThreshold && g.chance(0.2) {
		c.RscDefaults = append(c.RscDefaults, NV{"migration-threshold", pick(g, "1", "2", "3")})
	}
}

// resources makes 1–20 primitives, some in groups of 2–4 or in clones.
func (g *gen) resources() {
	budget := 1 + g.rng.IntN(MaxPrimitives)
	for budget > 0 {
		var r *Resource
		switch {
		case g.f.Groups && budget >= 2 && g.chance(0.3):
			size := 2 + g.rng.IntN(min(3, budget-1))
			r = &Resource{Kind: Group, ID: fmt.Sprintf("grp%d", len(g.c.Resources)+1)}
			for range size {
				r.Children = append(r.Children, g.primitive(false))
			}
			budget -= size
		case g.f.Clones && g.chance(0.15):
			r = &Resource{Kind: Clone, ID: fmt.Sprintf("cln%d", len(g.c.Resources)+1)}
			child := g.primitive(false)
			r.Children = []*Resource{child}
			if g.chance(0.5) {
				r.Meta = append(r.Meta, NV{"clone-max", strconv.Itoa(1 + g.rng.IntN(len(g.c.Nodes)))})
			}
			if g.f.Promotable && g.chance(0.4) {
				r.Meta = append(r.Meta, NV{"promotable", "true"})
				if g.chance(0.3) {
					r.Meta = append(r.Meta, NV{"promoted-max", "2"})
				}
				child.Type = "Stateful"
				child.PromotedMonitor = child.Monitor + 1000 // must differ from the Unpromoted one
			}
			budget--
		default:
			r = g.primitive(true)
			budget--
		}
		if r.Kind != Primitive {
			g.meta(r, true)
		}
		g.c.Resources = append(g.c.Resources, r)
	}
}

// primitive makes an ocf:pacemaker:Dummy, which takes no parameters, so
// its operation digests are fixed.
func (g *gen) primitive(topLevel bool) *Resource {
	g.nPrims++
	r := &Resource{Kind: Primitive, ID: fmt.Sprintf("rsc%d", g.nPrims),
		Class: "ocf", Provider: "pacemaker", Type: "Dummy",
		Monitor: pick(g, 10000, 15000, 30000)}
	g.meta(r, topLevel)
	return r
}

// meta adds random meta attributes; the ones that change a whole resource's
// fate (target-role, is-managed) go on top-level resources only.
func (g *gen) meta(r *Resource, topLevel bool) {
	if g.f.Stickiness && g.chance(0.25) {
		r.Meta = append(r.Meta, NV{"resource-stickiness", pick(g, "0", "50", "100", "INFINITY")})
	}
	if g.f.Priority && g.chance(0.15) {
		r.Meta = append(r.Meta, NV{"priority", strconv.Itoa(1 + g.rng.IntN(10))})
	}
	if g.f.MigrationThreshold && g.chance(0.25) {
		r.Meta = append(r.Meta, NV{"migration-threshold", pick(g, "1", "2", "3")})
	}
	if g.f.MigrationThreshold && g.chance(0.1) {
		r.Meta = append(r.Meta, NV{"failure-timeout", pick(g, "60s", "300s")})
	}
	if !topLevel {
		return
	}
	if g.f.TargetRoleStopped && g.chance(0.05) {
		r.Meta = append(r.Meta, NV{"target-role", "Stopped"})
	}
	if g.f.Unmanaged && g.chance(0.05) {
		r.Meta = append(r.Meta, NV{"is-managed", "false"})
	}
}

// scores for constraints: both infinities, and finite values that beat or
// lose to the stickiness values used above.
func (g *gen) score() string {
	return pick(g, "INFINITY", "-INFINITY", "500", "200", "100", "50", "10", "-10", "-50", "-200")
}

func (g *gen) constraints() {
	c := g.c
	top := make([]string, len(c.Resources))
	promotable := map[string]bool{}
	for i, r := range c.Resources {
		top[i] = r.ID
		promotable[r.ID] = r.promotable()
	}
	if g.f.Locations {
		for i := range g.rng.IntN(min(2*len(top), 12) + 1) {
			l := Location{ID: fmt.Sprintf("loc%d", i+1), Rsc: pick(g, top...),
				Node: pick(g, c.Nodes...).Name, Score: g.score()}
			l.Rule = g.f.RuleLocs && g.chance(0.25)
			if promotable[l.Rsc] && g.chance(0.5) {
				l.Role = "Promoted"
			}
			c.Locations = append(c.Locations, l)
		}
	}
	if len(top) < 2 {
		return
	}
	// Colocations and orders only go from a later resource to an earlier one
	// of a random permutation (and orders start→start only), so neither can
	// form a cycle, not even with the implicit orderings of groups and
	// anti-colocations; a cycle would make the transition invalid
	// (pacemaker-engine.md §4.2).
	seen := map[[2]string]bool{}
	if g.f.Colocations {
		perm := g.perm(top)
		for i := range g.rng.IntN(min(len(top), 8) + 1) {
			a, b := g.pair(len(perm))
			if seen[[2]string{perm[a], perm[b]}] {
				continue
			}
			seen[[2]string{perm[a], perm[b]}] = true
			o := Colocation{ID: fmt.Sprintf("col%d", i+1), Rsc: perm[b], WithRsc: perm[a], Score: g.score()}
			if promotable[o.WithRsc] && g.chance(0.5) {
				o.WithRscRole = "Promoted"
			}
			if promotable[o.Rsc] && g.chance(0.3) {
				o.RscRole = pick(g, "Promoted", "Unpromoted")
			}
			c.Colocations = append(c.Colocations, o)
		}
	}
	if g.f.Orders {
		// An unmanaged resource, or a group with target-role=Stopped, in an
		// order can leave actions that never run; crm_simulate then fails
		// the transition ("Transition failed: terminated", exit 1) with only
		// a partial revised status (seeds 61 and 320 did). So such resources
		// take no part in orders.
		var managed []string
		for _, r := range c.Resources {
			if !r.hasMeta("is-managed", "false") && !r.hasMeta("target-role", "Stopped") {
				managed = append(managed, r.ID)
			}
		}
		if len(managed) < 2 {
			return
		}
		perm := g.perm(managed)
		clear(seen)
		for i := range g.rng.IntN(min(len(top), 8) + 1) {
			a, b := g.pair(len(perm))
			if seen[[2]string{perm[a], perm[b]}] {
				continue
			}
			seen[[2]string{perm[a], perm[b]}] = true
			o := Order{ID: fmt.Sprintf("ord%d", i+1), First: perm[a], Then: perm[b],
				Kind: pick(g, "Mandatory", "Mandatory", "Optional")}
			if g.chance(0.2) {
				o.Symmetrical = "false"
			}
			c.Orders = append(c.Orders, o)
		}
	}
}

func (g *gen) perm(ids []string) []string {
	out := slices.Clone(ids)
	g.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// pair returns a < b, both in [0, n), n ≥ 2.
func (g *gen) pair(n int) (a, b int) {
	a, b = g.rng.IntN(n), g.rng.IntN(n-1)
	if b >= a {
		b++
	}
	return min(a, b), max(a, b)
}
