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
	ok          bool   // Transition Summary identical (the metric)
	detail      string // why not
	current     bool   // "Current cluster status" identical (second metric)
	currentDiff string // how it differs, line by line
	revised     bool   // "Revised Cluster Status" identical (informational)
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
// hbd's rendering, ignoring whitespace; curDiff describes a current-status
// mismatch.
func statusMatches(want string, tr *Transition) (current, revised bool, curDiff string) {
	if i := strings.Index(want, "Transition Summary:"); i >= 0 {
		cur := want[:i]
		if j := strings.Index(cur, "Performing Requested Modifications:"); j >= 0 {
			cur = cur[:j]
		}
		got := tr.CurrentStatus()
		current = squashSpace(cur) == squashSpace(got)
		if !current {
			curDiff = lineDiff(cur, got)
		}
	}
	if i := strings.Index(want, "Revised Cluster Status:"); i >= 0 {
		revised = squashSpace(want[i:]) == squashSpace(tr.RevisedStatus())
	}
	return current, revised, curDiff
}

// lineDiff lists, whitespace-insensitively, the lines of want missing from
// got ("-") and the lines of got not in want ("+"), from a longest common
// subsequence, so a misrendered or misplaced line shows alone.
func lineDiff(want, got string) string {
	split := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if squashSpace(l) != "" {
				out = append(out, strings.TrimSpace(l))
			}
		}
		return out
	}
	w, g := split(want), split(got)
	// lcs[i][j] is the LCS length of w[i:] and g[j:].
	lcs := make([][]int, len(w)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(g)+1)
	}
	for i := len(w) - 1; i >= 0; i-- {
		for j := len(g) - 1; j >= 0; j-- {
			if squashSpace(w[i]) == squashSpace(g[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var b strings.Builder
	i, j := 0, 0
	for i < len(w) || j < len(g) {
		switch {
		case i < len(w) && j < len(g) && squashSpace(w[i]) == squashSpace(g[j]):
			i, j = i+1, j+1
		case j == len(g) || (i < len(w) && lcs[i+1][j] >= lcs[i][j+1]):
			b.WriteString("\n      -" + w[i])
			i++
		default:
			b.WriteString("\n      +" + g[j])
			j++
		}
	}
	return b.String()
}

// runCase schedules one corpus test and compares the output.
func runCase(dir, name string) caseResult {
	var res caseResult
	res.ok, res.detail, res.current, res.revised, res.currentDiff = runCaseDetail(dir, name)
	return res
}

func runCaseDetail(dir, name string) (ok bool, detail string, cur, rev bool, curDiff string) {
	data, err := os.ReadFile(filepath.Join(dir, "xml", name+".xml"))
	if err != nil {
		return false, err.Error(), false, false, ""
	}
	want, err := os.ReadFile(filepath.Join(dir, "summary", name+".summary"))
	if err != nil {
		return false, err.Error(), false, false, ""
	}
	c, err := cib.Parse(data)
	if err != nil {
		return false, "parse: " + err.Error(), false, false, ""
	}
	// crm_simulate falls back to the wall clock without execution-date.
	tr, err := ScheduleWith(c, Options{Now: time.Now().Unix()})
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return false, "unsupported: " + err.Error(), false, false, ""
		}
		return false, "schedule: " + err.Error(), false, false, ""
	}
	cur, rev, curDiff = statusMatches(string(want), tr)
	got := summaryMultiset("Transition Summary:\n" + tr.SummaryText() + "Executing Cluster Transition:\n")
	exp := summaryMultiset(string(want))
	if slices.Equal(got, exp) {
		return true, "", cur, rev, curDiff
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
	return false, fmt.Sprintf("missing %q extra %q", missing, extra), cur, rev, curDiff
}

type expectation struct {
	counts    map[string]int
	identical map[string]bool
	// The same for the "Current cluster status" section.
	currentCounts    map[string]int
	currentIdentical map[string]bool
}

// readExpectation parses the committed floor: "tier T N" lines and
// "pass NAME" lines for every test whose Transition Summary was identical,
// "current T N" and "current-pass NAME" lines for the current status.
func readExpectation(path string) (expectation, error) {
	e := expectation{counts: map[string]int{}, identical: map[string]bool{},
		currentCounts: map[string]int{}, currentIdentical: map[string]bool{}}
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
		case (fields[0] == "tier" || fields[0] == "current") && len(fields) == 3:
			n, err := strconv.Atoi(fields[2])
			if err != nil {
				return e, fmt.Errorf("%s: bad count %q", path, fields[2])
			}
			if fields[0] == "tier" {
				e.counts[fields[1]] = n
			} else {
				e.currentCounts[fields[1]] = n
			}
		case fields[0] == "pass" && len(fields) == 2:
			e.identical[fields[1]] = true
		case fields[0] == "current-pass" && len(fields) == 2:
			e.currentIdentical[fields[1]] = true
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

// TestConformance compares hbd's Transition Summary and "Current cluster
// status" with Pacemaker 2.1.5's for every corpus test and fails on any
// regression against the committed expectation. Set HBD_CONFORMANCE_WRITE=1
// to rewrite the expectation file with the current results.
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
	out.WriteString("# Conformance floor: Transition Summaries (tier, pass) and current status\n")
	out.WriteString("# sections (current, current-pass) identical to Pacemaker 2.1.5.\n")
	out.WriteString("# Regenerate with: HBD_CONFORMANCE_WRITE=1 go test ./hbd/scheduler/ -run TestConformance\n")
	var passes, curPasses []string
	var curCounts strings.Builder
	for _, tier := range order {
		names := tiers[tier]
		n, cur, rev := 0, 0, 0
		var failures, curFailures []string
		for _, name := range names {
			res := runCase(corpusDir, name)
			if res.current {
				cur++
				curPasses = append(curPasses, name)
			} else {
				curFailures = append(curFailures, name+":"+res.currentDiff)
				if exp.currentIdentical[name] {
					t.Errorf("regression: %s (tier %s) current status was identical and is not:%s", name, tier, res.currentDiff)
				}
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
		t.Logf("tier %s: %d of %d identical; current status %d (revised status, informational: %d)", tier, n, len(names), cur, rev)
		if testing.Verbose() {
			for _, f := range failures {
				t.Logf("  FAIL %s", f)
			}
			for _, f := range curFailures {
				t.Logf("  CURRENT STATUS %s", f)
			}
		}
		if want, ok := exp.counts[tier]; ok && n < want {
			t.Errorf("tier %s: %d of %d identical, expectation says at least %d", tier, n, len(names), want)
		}
		if want, ok := exp.currentCounts[tier]; ok && cur < want {
			t.Errorf("tier %s: current status %d of %d identical, expectation says at least %d", tier, cur, len(names), want)
		}
		fmt.Fprintf(&out, "tier %s %d\n", tier, n)
		fmt.Fprintf(&curCounts, "current %s %d\n", tier, cur)
	}
	out.WriteString(curCounts.String())
	slices.Sort(passes)
	for _, p := range passes {
		fmt.Fprintf(&out, "pass %s\n", p)
	}
	slices.Sort(curPasses)
	for _, p := range curPasses {
		fmt.Fprintf(&out, "current-pass %s\n", p)
	}
	if os.Getenv("HBD_CONFORMANCE_WRITE") != "" {
		if err := os.WriteFile(expectationFile, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
