package scheduler

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/hbd-project/hbd/hbd/cib"
)

// corpusDir is the shared Pacemaker 2.1.5 regression corpus, a sibling of
// the repository.
var corpusDir = filepath.Join("..", "..", "..", "shared", "testdata", "pacemaker-2.1.5")

const expectationFile = "testdata/conformance-expected.txt"

// summaryMultiset extracts the lines between "Transition Summary:" and
// "Executing Cluster Transition:", with all whitespace removed, sorted.
func summaryMultiset(text string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "Transition Summary:"):
			in = true
			continue
		case strings.HasPrefix(l, "Executing Cluster Transition:"):
			in = false
		}
		if !in {
			continue
		}
		s := strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, l)
		if s != "" {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// caseResult is the outcome of one corpus test.
type caseResult struct {
	ok      bool   // Transition Summary identical (the metric)
	detail  string // why not
	current bool   // "Current cluster status" identical (informational)
	revised bool   // "Revised Cluster Status" identical (informational)
}

func squashSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// statusMatches compares the status sections of the expected output with
// hbd's rendering, ignoring whitespace.
func statusMatches(want string, tr *Transition) (current, revised bool) {
	if i := strings.Index(want, "Transition Summary:"); i >= 0 {
		cur := want[:i]
		if j := strings.Index(cur, "Performing Requested Modifications:"); j >= 0 {
			cur = cur[:j]
		}
		current = squashSpace(cur) == squashSpace(tr.CurrentStatus())
	}
	if i := strings.Index(want, "Revised Cluster Status:"); i >= 0 {
		revised = squashSpace(want[i:]) == squashSpace(tr.RevisedStatus())
	}
	return current, revised
}

// runCase schedules one corpus test and compares the output.
func runCase(dir, name string) caseResult {
	ok, detail, cur, rev := runCaseDetail(dir, name)
	return caseResult{ok: ok, detail: detail, current: cur, revised: rev}
}

func runCaseDetail(dir, name string) (ok bool, detail string, cur, rev bool) {
	data, err := os.ReadFile(filepath.Join(dir, "xml", name+".xml"))
	if err != nil {
		return false, err.Error(), false, false
	}
	want, err := os.ReadFile(filepath.Join(dir, "summary", name+".summary"))
	if err != nil {
		return false, err.Error(), false, false
	}
	c, err := cib.Parse(data)
	if err != nil {
		return false, "parse: " + err.Error(), false, false
	}
	// crm_simulate falls back to the wall clock without execution-date.
	tr, err := ScheduleWith(c, Options{Now: time.Now().Unix()})
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return false, "unsupported: " + err.Error(), false, false
		}
		return false, "schedule: " + err.Error(), false, false
	}
	cur, rev = statusMatches(string(want), tr)
	got := summaryMultiset("Transition Summary:\n" + tr.SummaryText() + "Executing Cluster Transition:\n")
	exp := summaryMultiset(string(want))
	if slices.Equal(got, exp) {
		return true, "", cur, rev
	}
	var missing, extra []string
	for _, l := range exp {
		if !slices.Contains(got, l) {
			missing = append(missing, l)
		}
	}
	for _, l := range got {
		if !slices.Contains(exp, l) {
			extra = append(extra, l)
		}
	}
	return false, fmt.Sprintf("missing %q extra %q", missing, extra), cur, rev
}

type expectation struct {
	counts    map[string]int
	identical map[string]bool
}

// readExpectation parses the committed floor: "tier T N" lines and
// "pass NAME" lines for every test that was identical.
func readExpectation(path string) (expectation, error) {
	e := expectation{counts: map[string]int{}, identical: map[string]bool{}}
	f, err := os.Open(path)
	if err != nil {
		return e, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch {
		case fields[0] == "tier" && len(fields) == 3:
			n, err := strconv.Atoi(fields[2])
			if err != nil {
				return e, fmt.Errorf("%s: bad count %q", path, fields[2])
			}
			e.counts[fields[1]] = n
		case fields[0] == "pass" && len(fields) == 2:
			e.identical[fields[1]] = true
		default:
			return e, fmt.Errorf("%s: bad line %q", path, sc.Text())
		}
	}
	return e, sc.Err()
}

func readTiers(dir string) (map[string][]string, []string, error) {
	data, err := os.ReadFile(filepath.Join(dir, "TIERS.tsv"))
	if err != nil {
		return nil, nil, err
	}
	tiers := map[string][]string{}
	var order []string
	for i, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Split(l, "\t")
		if i == 0 || len(f) != 2 {
			continue
		}
		if _, ok := tiers[f[0]]; !ok {
			order = append(order, f[0])
		}
		tiers[f[0]] = append(tiers[f[0]], f[1])
	}
	return tiers, order, nil
}

// TestConformance compares hbd's Transition Summary with Pacemaker 2.1.5's
// for every corpus test and fails on any regression against the committed
// expectation. Set HBD_CONFORMANCE_WRITE=1 to rewrite the expectation file
// with the current results.
func TestConformance(t *testing.T) {
	tiers, order, err := readTiers(corpusDir)
	if err != nil {
		t.Skipf("corpus not available at %s: %v", corpusDir, err)
	}
	exp, err := readExpectation(expectationFile)
	if err != nil && os.Getenv("HBD_CONFORMANCE_WRITE") == "" {
		t.Fatalf("reading expectation: %v", err)
	}
	var out strings.Builder
	out.WriteString("# Conformance floor: Transition Summaries identical to Pacemaker 2.1.5.\n")
	out.WriteString("# Regenerate with: HBD_CONFORMANCE_WRITE=1 go test ./hbd/scheduler/ -run TestConformance\n")
	var passes []string
	for _, tier := range order {
		names := tiers[tier]
		n, cur, rev := 0, 0, 0
		var failures []string
		for _, name := range names {
			res := runCase(corpusDir, name)
			if res.current {
				cur++
			}
			if res.revised {
				rev++
			}
			if res.ok {
				n++
				passes = append(passes, name)
				continue
			}
			failures = append(failures, name+": "+res.detail)
			if exp.identical[name] {
				t.Errorf("regression: %s (tier %s) was identical and is not: %s", name, tier, res.detail)
			}
		}
		t.Logf("tier %s: %d of %d identical (status sections, informational: current %d, revised %d)", tier, n, len(names), cur, rev)
		if testing.Verbose() {
			for _, f := range failures {
				t.Logf("  FAIL %s", f)
			}
		}
		if want, ok := exp.counts[tier]; ok && n < want {
			t.Errorf("tier %s: %d of %d identical, expectation says at least %d", tier, n, len(names), want)
		}
		fmt.Fprintf(&out, "tier %s %d\n", tier, n)
	}
	slices.Sort(passes)
	for _, p := range passes {
		fmt.Fprintf(&out, "pass %s\n", p)
	}
	if os.Getenv("HBD_CONFORMANCE_WRITE") != "" {
		if err := os.WriteFile(expectationFile, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
