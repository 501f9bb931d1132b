package scheduler

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hbd-project/hbd/hbd/cib"
)

const executedExpectationFile = "testdata/executed-expected.txt"

// executedSection extracts the lines between "Executing Cluster
// Transition:" and "Revised Cluster Status:", in order, with whitespace
// removed and blank lines dropped.
func executedSection(text string) []string {
	var out []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "Executing Cluster Transition:"):
			in = true
			continue
		case strings.HasPrefix(l, "Revised Cluster Status:"):
			in = false
		}
		if !in {
			continue
		}
		if s := squashSpace(l); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// executedResult is one corpus test's outcome for the executed actions and
// the revised status derived from them.
type executedResult struct {
	executed bool
	revised  bool
	detail   string
}

func runExecutedCase(dir, name string) executedResult {
	data, err := os.ReadFile(filepath.Join(dir, "xml", name+".xml"))
	if err != nil {
		return executedResult{detail: err.Error()}
	}
	want, err := os.ReadFile(filepath.Join(dir, "summary", name+".summary"))
	if err != nil {
		return executedResult{detail: err.Error()}
	}
	c, err := cib.Parse(data)
	if err != nil {
		return executedResult{detail: "parse: " + err.Error()}
	}
	tr, err := ScheduleWith(c, Options{Now: time.Now().Unix()})
	if err != nil {
		if errors.Is(err, ErrUnsupported) {
			return executedResult{detail: "unsupported"}
		}
		return executedResult{detail: "schedule: " + err.Error()}
	}
	var res executedResult
	exp := executedSection(string(want))
	got := executedSection("Executing Cluster Transition:\n" + tr.ExecutedText() + tr.RevisedNotice() + "Revised Cluster Status:\n")
	res.executed = slices.Equal(got, exp)
	if !res.executed {
		res.detail = firstDifference(exp, got)
	}
	if i := strings.Index(string(want), "Revised Cluster Status:"); i >= 0 {
		res.revised = squashSpace(string(want[i:])) == squashSpace(tr.RevisedStatus())
	}
	return res
}

// firstDifference describes where two executed sections part.
func firstDifference(want, got []string) string {
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			return fmt.Sprintf("line %d: want %q got %q (%d vs %d lines)", i+1, w, g, len(want), len(got))
		}
	}
	return ""
}

// TestExecutedConformance compares hbd's executed actions (in order) and
// its revised status with crm_simulate -S for every corpus test, and fails
// on any regression against the committed floor. Set
// HBD_EXECUTED_WRITE=1 to rewrite the floor with the current results.
func TestExecutedConformance(t *testing.T) {
	tiers, order, err := readTiers(corpusDir)
	if err != nil {
		t.Skipf("corpus not available at %s: %v", corpusDir, err)
	}
	write := os.Getenv("HBD_EXECUTED_WRITE") != ""
	exp, err := readExecutedExpectation(executedExpectationFile)
	if err != nil && !write {
		t.Fatalf("reading expectation: %v", err)
	}
	var out strings.Builder
	out.WriteString("# Executed-actions floor: \"Executing Cluster Transition\" sections (ordered) and\n")
	out.WriteString("# \"Revised Cluster Status\" sections identical to Pacemaker 2.1.5's crm_simulate -S.\n")
	out.WriteString("# Regenerate with: HBD_EXECUTED_WRITE=1 go test ./hbd/scheduler/ -run TestExecutedConformance\n")
	var passes []string
	for _, tier := range order {
		names := tiers[tier]
		nExec, nRev := 0, 0
		for _, name := range names {
			res := runExecutedCase(corpusDir, name)
			if res.executed {
				nExec++
				passes = append(passes, "executed "+name)
			} else {
				if exp.pass["executed "+name] {
					t.Errorf("regression: %s (tier %s) executed actions were identical and are not: %s", name, tier, res.detail)
				}
				if testing.Verbose() {
					t.Logf("  EXEC %s: %s", name, res.detail)
				}
			}
			if res.revised {
				nRev++
				passes = append(passes, "revised "+name)
			} else if exp.pass["revised "+name] {
				t.Errorf("regression: %s (tier %s) revised status was identical and is not", name, tier)
			}
		}
		t.Logf("tier %s: %d of %d executed-action sections identical, revised status identical %d", tier, nExec, len(names), nRev)
		if want, ok := exp.counts["executed "+tier]; ok && nExec < want {
			t.Errorf("tier %s: %d executed-action sections identical, floor is %d", tier, nExec, want)
		}
		if want, ok := exp.counts["revised "+tier]; ok && nRev < want {
			t.Errorf("tier %s: %d revised statuses identical, floor is %d", tier, nRev, want)
		}
		fmt.Fprintf(&out, "tier executed %s %d\ntier revised %s %d\n", tier, nExec, tier, nRev)
	}
	slices.Sort(passes)
	for _, p := range passes {
		fmt.Fprintf(&out, "pass %s\n", p)
	}
	if write {
		if err := os.WriteFile(executedExpectationFile, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type executedExpectation struct {
	counts map[string]int  // "executed TIER" / "revised TIER" -> floor
	pass   map[string]bool // "executed NAME" / "revised NAME"
}

// readExecutedExpectation parses the floor: "tier executed|revised T N"
// and "pass executed|revised NAME" lines.
func readExecutedExpectation(path string) (executedExpectation, error) {
	e := executedExpectation{counts: map[string]int{}, pass: map[string]bool{}}
	data, err := os.ReadFile(path)
	if err != nil {
		return e, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch {
		case f[0] == "tier" && len(f) == 4 && (f[1] == "executed" || f[1] == "revised"):
			var n int
			if _, err := fmt.Sscanf(f[3], "%d", &n); err != nil {
				return e, fmt.Errorf("%s: bad count in %q", path, l)
			}
			e.counts[f[1]+" "+f[2]] = n
		case f[0] == "pass" && len(f) == 3 && (f[1] == "executed" || f[1] == "revised"):
			e.pass[f[1]+" "+f[2]] = true
		default:
			return e, fmt.Errorf("%s: bad line %q", path, l)
		}
	}
	return e, nil
}
