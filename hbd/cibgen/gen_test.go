package cibgen

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/crmoracle"
)

func TestGenerateDeterministic(t *testing.T) {
	for _, seed := range []int64{1, 17, 200} {
		a, b := Generate(seed, All()).XML(), Generate(seed, All()).XML()
		if !bytes.Equal(a, b) {
			t.Errorf("seed %d: two generations differ", seed)
		}
	}
	if bytes.Equal(Generate(1, All()).XML(), Generate(2, All()).XML()) {
		t.Error("seeds 1 and 2 give the same CIB")
	}
}

// TestGenerateShape checks the bounds and the references of many clusters:
// 2–6 nodes, 1–20 primitives, unique ids, constraints naming existing
// top-level resources and nodes, and colocations and orders acyclic.
func TestGenerateShape(t *testing.T) {
	seen := map[string]bool{} // features that occurred at least once
	for seed := int64(1); seed <= 1000; seed++ {
		c := Generate(seed, All())
		if n := len(c.Nodes); n < MinNodes || n > MaxNodes {
			t.Fatalf("seed %d: %d nodes", seed, n)
		}
		ids := map[string]bool{}
		nodes := map[string]bool{}
		for _, n := range c.Nodes {
			nodes[n.Name] = true
			if n.Standby {
				seen["standby"] = true
			}
			if !n.Online {
				seen["offline"] = true
			}
			for _, f := range n.FailCounts {
				seen["failcount-"+f.Op] = true
			}
			for _, h := range n.History {
				seen[fmt.Sprint("history-", h.State)] = true
			}
		}
		prims := 0
		top := map[string]bool{}
		var walk func(r *Resource)
		walk = func(r *Resource) {
			if ids[r.ID] {
				t.Fatalf("seed %d: duplicate id %s", seed, r.ID)
			}
			ids[r.ID] = true
			seen[fmt.Sprint("kind-", r.Kind)] = true
			if r.promotable() {
				seen["promotable"] = true
			}
			if r.Kind == Primitive {
				prims++
			}
			for _, ch := range r.Children {
				walk(ch)
			}
		}
		for _, r := range c.Resources {
			top[r.ID] = true
			walk(r)
		}
		if prims < 1 || prims > MaxPrimitives {
			t.Fatalf("seed %d: %d primitives", seed, prims)
		}
		for _, l := range c.Locations {
			if !top[l.Rsc] || !nodes[l.Node] {
				t.Errorf("seed %d: location %+v names an unknown resource or node", seed, l)
			}
		}
		var edges [][2]string
		for _, o := range c.Colocations {
			if !top[o.Rsc] || !top[o.WithRsc] || o.Rsc == o.WithRsc {
				t.Errorf("seed %d: bad colocation %+v", seed, o)
			}
			edges = append(edges, [2]string{o.WithRsc, o.Rsc})
		}
		if cyclic(edges) {
			t.Errorf("seed %d: colocations form a cycle", seed)
		}
		edges = nil
		for _, o := range c.Orders {
			if !top[o.First] || !top[o.Then] || o.First == o.Then {
				t.Errorf("seed %d: bad order %+v", seed, o)
			}
			edges = append(edges, [2]string{o.First, o.Then})
		}
		if cyclic(edges) {
			t.Errorf("seed %d: orders form a cycle", seed)
		}
		if len(c.Locations) > 0 {
			seen["location"] = true
		}
		if len(c.Colocations) > 0 {
			seen["colocation"] = true
		}
		if len(c.Orders) > 0 {
			seen["order"] = true
		}
	}
	for _, f := range []string{"standby", "offline", "failcount-monitor", "failcount-start",
		"history-0", "history-1", "history-2", "history-3", "history-4", "kind-0", "kind-1", "kind-2",
		"promotable", "location", "colocation", "order"} {
		if !seen[f] {
			t.Errorf("1000 seeds never produced %s", f)
		}
	}
}

// cyclic reports whether the directed graph of edges has a cycle.
func cyclic(edges [][2]string) bool {
	adj := map[string][]string{}
	for _, e := range edges {
		adj[e[0]] = append(adj[e[0]], e[1])
	}
	state := map[string]int{} // 0 new, 1 on the stack, 2 done
	var visit func(string) bool
	visit = func(v string) bool {
		state[v] = 1
		for _, w := range adj[v] {
			if state[w] == 1 || state[w] == 0 && visit(w) {
				return true
			}
		}
		state[v] = 2
		return false
	}
	for v := range adj {
		if state[v] == 0 && visit(v) {
			return true
		}
	}
	return false
}

// TestFeaturesOff checks that a feature that is off never appears.
func TestFeaturesOff(t *testing.T) {
	for seed := int64(1); seed <= 200; seed++ {
		c := Generate(seed, Features{})
		if len(c.Locations)+len(c.Colocations)+len(c.Orders) > 0 {
			t.Fatalf("seed %d: constraints generated with every feature off", seed)
		}
		for _, r := range c.Resources {
			if r.Kind != Primitive || len(r.Meta) > 0 {
				t.Fatalf("seed %d: %s is not a plain primitive", seed, r.ID)
			}
		}
		for _, n := range c.Nodes {
			if len(n.History) > 0 || len(n.FailCounts) > 0 || !n.Online || n.Standby {
				t.Fatalf("seed %d: node %s has state with every feature off", seed, n.Name)
			}
		}
		if len(c.RscDefaults) > 0 || len(c.Options) != 2 || !c.HaveQuorum {
			t.Fatalf("seed %d: options %v, defaults %v", seed, c.Options, c.RscDefaults)
		}
	}
}

// TestOpDigest checks the digests against ones crm_simulate 2.1.5 wrote
// into a CIB (-S -O) for a Dummy with no parameters and an IPaddr2 with
// ip=192.0.2.1, each with a 10 s monitor and the default 20 s timeout.
func TestOpDigest(t *testing.T) {
	dummy := &Resource{ID: "r1"}
	ip := &Resource{ID: "r2", Params: []NV{{"ip", "192.0.2.1"}}}
	for _, tc := range []struct {
		r        *Resource
		interval int
		want     string
	}{
		{dummy, 0, "f2317cad3d54cec5d7d7aa7d0bf35cf8"},
		{dummy, 10000, "4811cef7f7f94e3a35a70be7916cb2fd"},
		{ip, 0, "41005c9a2565afb987cfccc1bc5521b9"},
		{ip, 10000, "6a7a3db6b0cee48917245e80983722f0"},
	} {
		if got := opDigest(tc.r, tc.interval); got != tc.want {
			t.Errorf("opDigest(%s, %d) = %s, want %s", tc.r.ID, tc.interval, got, tc.want)
		}
	}
}

func TestBench(t *testing.T) {
	c := Bench(16, 1000)
	if len(c.Nodes) != 16 || len(c.Resources) != 250 || len(c.Locations) != 250 {
		t.Fatalf("Bench(16, 1000): %d nodes, %d groups, %d locations", len(c.Nodes), len(c.Resources), len(c.Locations))
	}
	for _, g := range c.Resources {
		if g.Kind != Group || len(g.Children) != 4 {
			t.Fatalf("%s: kind %v with %d members, want groups of four", g.ID, g.Kind, len(g.Children))
		}
	}
	if got := c.Locations[17].Node; got != "node2" {
		t.Errorf("group 18 prefers %s, want node2 (round robin)", got)
	}
	odd := Bench(2, 6)
	if got := []int{len(odd.Resources[0].Children), len(odd.Resources[1].Children)}; !cmp.Equal(got, []int{4, 2}) {
		t.Errorf("Bench(2, 6) group sizes %v, want [4 2]", got)
	}
	if x := string(c.XML()); strings.Contains(x, "<lrm") || strings.Count(x, "<node_state") != 16 {
		t.Error("benchmark CIB is not a cold start with 16 online nodes")
	}
}

// forSeeds runs fn for seeds 1..n with a few workers (crm_verify and
// crm_simulate are single-threaded processes) and returns the failures.
func forSeeds(n int, fn func(seed int64) error) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		next = make(chan int64)
	)
	for range 4 {
		wg.Go(func() {
			for s := range next {
				if err := fn(s); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("seed %d: %w", s, err))
					mu.Unlock()
				}
			}
		})
	}
	for s := int64(1); s <= int64(n); s++ {
		next <- s
	}
	close(next)
	wg.Wait()
	return errs
}

// TestCrmVerify checks that crm_verify -x accepts the CIBs of seeds 1..200,
// with every feature on and in tier A, and a benchmark CIB.
func TestCrmVerify(t *testing.T) {
	if !crmoracle.VerifyAvailable() {
		t.Skip("crm_verify not installed (Debian package pacemaker-cli-utils)")
	}
	dir := t.TempDir()
	r := crmoracle.Runner{ScratchDir: dir}
	ctx := context.Background()
	for name, f := range map[string]Features{"all": All(), "tiera": TierA()} {
		errs := forSeeds(200, func(seed int64) error {
			path := filepath.Join(dir, name+"-"+strconv.FormatInt(seed, 10)+".xml")
			if err := os.WriteFile(path, Generate(seed, f).XML(), 0o644); err != nil {
				return err
			}
			return r.Verify(ctx, path)
		})
		for _, err := range errs {
			t.Errorf("%s: %v", name, err)
		}
		t.Logf("features %s: %d of 200 CIBs pass crm_verify", name, 200-len(errs))
	}
	path := filepath.Join(dir, "bench.xml")
	if err := os.WriteFile(path, Bench(16, 100).XML(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := r.Verify(ctx, path); err != nil {
		t.Error(err)
	}
}
