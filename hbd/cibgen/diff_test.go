package cibgen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hbd-project/hbd/hbd/crmoracle"
)

// The differential test's knobs, from the environment so that make can
// pass them through:
//
//	HBD_DIFF_SEEDS=N       number of seeds (default 200)
//	HBD_DIFF_FIRST=S       first seed (default 1)
//	HBD_DIFF_FEATURES=all  generator features: tiera (default) or all
//	HBD_DIFF_STRICT=1      fail on any disagreement instead of reporting
//
// Replay one case with: go test ./hbd/cibgen -run 'TestDifferential/seed=17$' -v
// (the $ keeps seed=170…179 out).
func diffConfig(t *testing.T) (first, n int64, f Features, strict bool) {
	t.Helper()
	num := func(name string, def int64) int64 {
		v := os.Getenv(name)
		if v == "" {
			return def
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 1 {
			t.Fatalf("%s=%q: want a positive integer", name, v)
		}
		return x
	}
	switch v := os.Getenv("HBD_DIFF_FEATURES"); v {
	case "", "tiera":
		f = TierA()
	case "all":
		f = All()
	default:
		t.Fatalf("HBD_DIFF_FEATURES=%q: want tiera or all", v)
	}
	return num("HBD_DIFF_FIRST", 1), num("HBD_DIFF_SEEDS", 200), f, os.Getenv("HBD_DIFF_STRICT") != ""
}

// tally collects the per-seed outcomes of the parallel subtests.
type tally struct {
	mu        sync.Mutex
	cases     int
	placement int // final placement equal
	summary   int // Transition Summary multiset equal
	// unplaced counts cases whose simulated transition crm_simulate could
	// not complete, so it printed no final placement to compare.
	unplaced int
	failing  []failure
	agreed   map[int64]bool // seeds whose placement and summary both agree
}

type failure struct {
	seed int64
	diff string
}

func (ta *tally) add(seed int64, placeOK, sumOK, unplaced bool, diff string) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	ta.cases++
	if placeOK && sumOK {
		if ta.agreed == nil {
			ta.agreed = map[int64]bool{}
		}
		ta.agreed[seed] = true
	}
	if unplaced {
		ta.unplaced++
	}
	if placeOK {
		ta.placement++
	}
	if sumOK {
		ta.summary++
	}
	if !placeOK || !sumOK {
		ta.failing = append(ta.failing, failure{seed, diff})
	}
}

// TestDifferential generates random CIBs and compares hbd's scheduler with
// crm_simulate 2.1.5 on each: the final placement (Revised Cluster Status)
// and the Transition Summary multiset. A case the oracle itself rejects
// (crash, spurious "resource definition change") is a generator bug and
// always fails. Rarely (1 seed in 1000: a group that cannot run as "first"
// of a mandatory order) crm_simulate cannot complete the simulated
// transition ("Transition failed: terminated", exit 1); its Transition
// Summary is still the scheduler's decision and is compared, but there is
// no final placement, so such a case counts as not agreeing on placement
// and is reported. Disagreements fail only with
// HBD_DIFF_STRICT=1 while hbd's scheduler is incomplete; otherwise they are
// counted and listed, with the agreement numbers, in the test log (-v).
func TestDifferential(t *testing.T) {
	if !crmoracle.Available() {
		t.Skip("crm_simulate not installed (Debian package pacemaker-cli-utils): no oracle to compare with")
	}
	first, n, features, strict := diffConfig(t)
	dir := t.TempDir()
	oracle := crmoracle.Runner{ScratchDir: dir}
	ta := &tally{}
	t.Cleanup(func() {
		slices.SortFunc(ta.failing, func(a, b failure) int { return int(a.seed - b.seed) })
		t.Logf("%d of %d agree on placement, %d identical summaries", ta.placement, ta.cases, ta.summary)
		if ta.unplaced > 0 {
			t.Logf("%d cases without a final placement to compare: crm_simulate's transition failed", ta.unplaced)
		}
		for _, f := range ta.failing {
			t.Logf("seed=%d:\n%s", f.seed, indent(f.diff))
		}
		if first == 1 && n == defaultSeeds && features == TierA() && !t.Failed() {
			checkFloor(t, ta)
		}
	})
	for seed := first; seed < first+n; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Parallel()
			c := Generate(seed, features)
			xml := c.XML()
			path := filepath.Join(dir, fmt.Sprintf("case-%d.xml", seed))
			if err := os.WriteFile(path, xml, 0o644); err != nil {
				t.Fatal(err)
			}
			want, complete := oracleSummary(t, oracle, path)
			groups := c.Groups()
			got, err := hbdSimulate(xml)
			if err != nil {
				ta.add(seed, false, false, !complete, err.Error())
				report(t, strict, "%v", err)
				return
			}
			var diff strings.Builder
			pd := "crm_simulate's transition failed: no final placement to compare\n"
			if complete {
				pd = crmoracle.DiffPlacement(want.Revised.Placement(groups), got.Revised.Placement(groups))
			}
			if pd != "" {
				diff.WriteString("placement (-crm_simulate +hbd):\n" + pd)
			}
			sd := crmoracle.DiffLines(want.Transitions, got.Transitions)
			if sd != "" {
				diff.WriteString("transition summary (-crm_simulate +hbd):\n" + sd)
			}
			ta.add(seed, pd == "", sd == "", !complete, diff.String())
			if diff.Len() > 0 {
				report(t, strict, "case %s\n%s", path, diff.String())
			}
		})
	}
}

// oracleSummary runs crm_simulate and insists the case is valid; complete
// is false when the simulated transition failed, leaving no final placement.
func oracleSummary(t *testing.T, r crmoracle.Runner, path string) (s *crmoracle.Summary, complete bool) {
	t.Helper()
	res, err := r.Simulate(context.Background(), path)
	if err != nil {
		t.Fatalf("oracle: %v", err)
	}
	stderr := strings.TrimSpace(res.Stderr)
	switch {
	case res.ExitCode == 0 && res.Summary.Revised != nil && stderr == "":
		complete = true
	case res.ExitCode == 1 && strings.Contains(stderr, "Transition failed"):
	default:
		t.Fatalf("oracle: invalid case (exit %d): %s", res.ExitCode, stderr)
	}
	for _, l := range res.Summary.Transitions {
		// The generator writes Pacemaker's digests; a definition change
		// means they are wrong (pacemaker-engine.md §4.1 item 2).
		if strings.Contains(l, "duetoresourcedefinitionchange") {
			t.Fatalf("oracle: spurious %q: the generated op-digest is wrong", l)
		}
	}
	return res.Summary, complete
}

func report(t *testing.T, strict bool, format string, args ...any) {
	t.Helper()
	if strict {
		t.Errorf(format, args...)
	} else {
		t.Logf(format, args...)
	}
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// defaultSeeds is the number of cases make test runs.
const defaultSeeds = 200

// floorFile records, for the default run, how many cases agreed and which:
// until the scheduler agrees on all of them, the test fails on any
// regression (fewer agreements, or a seed that agreed and no longer does),
// as the conformance floor does. Regenerate it with HBD_DIFF_WRITE=1.
const floorFile = "testdata/diff-expected.txt"

func checkFloor(t *testing.T, ta *tally) {
	t.Helper()
	ta.mu.Lock()
	defer ta.mu.Unlock()
	seeds := make([]int64, 0, len(ta.agreed))
	for s := range ta.agreed {
		seeds = append(seeds, s)
	}
	slices.Sort(seeds)
	if os.Getenv("HBD_DIFF_WRITE") != "" {
		var b strings.Builder
		b.WriteString("# Differential floor: tier-A seeds 1..200 whose placement and Transition\n")
		b.WriteString("# Summary agree with crm_simulate. Regenerate: HBD_DIFF_WRITE=1 go test ./hbd/cibgen -run TestDifferential\n")
		fmt.Fprintf(&b, "placement %d\nsummary %d\n", ta.placement, ta.summary)
		for _, s := range seeds {
			fmt.Fprintf(&b, "agree %d\n", s)
		}
		if err := os.WriteFile(floorFile, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
		return
	}
	data, err := os.ReadFile(floorFile)
	if err != nil {
		t.Errorf("differential floor: %v (create it with HBD_DIFF_WRITE=1)", err)
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		var what string
		var v int64
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if _, err := fmt.Sscanf(line, "%s %d", &what, &v); err != nil {
			t.Errorf("%s: bad line %q", floorFile, line)
			continue
		}
		switch what {
		case "placement":
			if int64(ta.placement) < v {
				t.Errorf("placement agreement fell to %d of %d (floor %d)", ta.placement, ta.cases, v)
			}
		case "summary":
			if int64(ta.summary) < v {
				t.Errorf("identical summaries fell to %d of %d (floor %d)", ta.summary, ta.cases, v)
			}
		case "agree":
			if !ta.agreed[v] {
				t.Errorf("seed=%d agreed with crm_simulate before and no longer does", v)
			}
		}
	}
}
