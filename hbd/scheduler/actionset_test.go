package scheduler

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hbd-project/hbd/hbd/cib"
)

// executedMultiset extracts the "Executing Cluster Transition:" lines of a
// crm_simulate summary, whitespace removed and sorted: the set of actions
// Pacemaker put in the transition graph, order aside.
func executedMultiset(text string) []string {
	var out []string
	for _, l := range executedSection(text) {
		if strings.HasPrefix(l, "Usingtheoriginal") {
			continue // the execution-date notice, not an action
		}
		if s := strings.TrimPrefix(l, "*"); s != "" {
			out = append(out, dropInstance(s))
		}
	}
	slices.Sort(out)
	return out
}

// instanceSuffix matches a clone instance number.
var instanceSuffix = regexp.MustCompile(`:[0-9]+`)

// dropInstance removes clone instance numbers: crm_simulate names an
// anonymous instance by its configured id or its instance name depending
// on the node's history (the transition graph's business), while this
// measure is about which actions exist.
func dropInstance(line string) string { return instanceSuffix.ReplaceAllString(line, "") }

// simulateLine formats an action as crm_simulate prints it while executing
// the transition (pcmk_simulate.c), whitespace removed.
func simulateLine(a *action) string {
	switch {
	case a.task == "stonith":
		return squashSpace(fmt.Sprintf("Fencing %s (%s)", a.node.Name, a.fenceType))
	case a.pseudo:
		return squashSpace("Pseudo action: " + a.key())
	case a.task == "do_shutdown":
		return squashSpace("Cluster action: do_shutdown on " + a.node.Name)
	case a.task == "clear_failcount":
		return squashSpace(fmt.Sprintf("Cluster action: clear_failcount for %s on %s", a.rsc.ID, a.node.Name))
	}
	task := a.task
	if a.intervalMS > 0 {
		task += "=" + strconv.FormatInt(a.intervalMS, 10)
	}
	return squashSpace(fmt.Sprintf("Resource action: %s %s on %s", a.rsc.ID, task, a.node.Name))
}

// executedActions is hbd's counterpart of executedMultiset.
func executedActions(tr *Transition) []string {
	var out []string
	for _, a := range tr.ws.actions {
		if shouldAddActionToGraph(a) {
			out = append(out, dropInstance(simulateLine(a)))
		}
	}
	slices.Sort(out)
	return out
}

// diffMultisets lists the lines only in want (missing) and only in got
// (extra), counting duplicates.
func diffMultisets(want, got []string) (missing, extra []string) {
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || (i < len(want) && want[i] < got[j]):
			missing = append(missing, want[i])
			i++
		case i == len(want) || got[j] < want[i]:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	return missing, extra
}

func runActionSetCase(name string) (bool, string) {
	return runActionSetIn(corpusDir, name)
}

// runActionSetIn compares DIR/xml/NAME.xml's executed actions with the
// crm_simulate output in DIR/summary/NAME.summary.
func runActionSetIn(dir, name string) (bool, string) {
	data, err := os.ReadFile(filepath.Join(dir, "xml", name+".xml"))
	if err != nil {
		return false, err.Error()
	}
	want, err := os.ReadFile(filepath.Join(dir, "summary", name+".summary"))
	if err != nil {
		return false, err.Error()
	}
	c, err := cib.Parse(data)
	if err != nil {
		return false, "parse: " + err.Error()
	}
	tr, err := ScheduleWith(c, Options{Now: time.Now().Unix()})
	if err != nil {
		return false, "schedule: " + err.Error()
	}
	missing, extra := diffMultisets(executedMultiset(string(want)), executedActions(tr))
	if len(missing) == 0 && len(extra) == 0 {
		return true, ""
	}
	return false, fmt.Sprintf("missing %q extra %q", missing, extra)
}

const actionSetExpectationFile = "testdata/actionset-expected.txt"

// TestExecutedActionSets measures how many corpus tests get exactly
// Pacemaker's set of executed actions and fails on any regression against
// the committed floor. HBD_ACTIONSET_WRITE=1 rewrites the floor;
// HBD_ACTIONSET_CASE=name runs one test only (no floor check).
func TestExecutedActionSets(t *testing.T) {
	tiers, order, err := readTiers(corpusDir)
	if err != nil {
		t.Skipf("corpus not available at %s: %v", corpusDir, err)
	}
	only := os.Getenv("HBD_ACTIONSET_CASE")
	write := os.Getenv("HBD_ACTIONSET_WRITE") != ""
	exp, err := readExpectation(actionSetExpectationFile)
	if err != nil && !write && only == "" {
		t.Fatalf("reading expectation: %v", err)
	}
	var out strings.Builder
	out.WriteString("# Executed-action sets identical to Pacemaker 2.1.5 (order aside).\n")
	out.WriteString("# Regenerate with: HBD_ACTIONSET_WRITE=1 go test ./hbd/scheduler/ -run 'TestExecutedActionSets$'\n")
	var passes []string
	for _, tier := range order {
		n, total := 0, 0
		var failures []string
		for _, name := range tiers[tier] {
			if only != "" && name != only {
				continue
			}
			total++
			ok, detail := runActionSetCase(name)
			if ok {
				n++
				passes = append(passes, name)
				continue
			}
			failures = append(failures, name+": "+detail)
			if only == "" && exp.identical[name] {
				t.Errorf("regression: %s (tier %s) had Pacemaker's executed actions and has not: %s", name, tier, detail)
			}
		}
		t.Logf("tier %s: %d of %d identical executed-action sets", tier, n, total)
		if testing.Verbose() {
			for _, f := range failures {
				t.Logf("  FAIL %s", f)
			}
		}
		if want, ok := exp.counts[tier]; ok && only == "" && n < want {
			t.Errorf("tier %s: %d of %d identical executed-action sets, expectation says at least %d", tier, n, total, want)
		}
		fmt.Fprintf(&out, "tier %s %d\n", tier, n)
	}
	slices.Sort(passes)
	for _, p := range passes {
		fmt.Fprintf(&out, "pass %s\n", p)
	}
	if write && only == "" {
		if err := os.WriteFile(actionSetExpectationFile, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestExecutedActionSetsDir is TestExecutedActionSets for a directory of
// generated cases (HBD_ACTIONSET_DIR, with xml/ and summary/ holding
// crm_simulate -S output); a development aid, skipped otherwise.
func TestExecutedActionSetsDir(t *testing.T) {
	dir := os.Getenv("HBD_ACTIONSET_DIR")
	if dir == "" {
		t.Skip("set HBD_ACTIONSET_DIR to a directory with xml/ and summary/")
	}
	files, err := filepath.Glob(filepath.Join(dir, "summary", "*.summary"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".summary")
		if ok, detail := runActionSetIn(dir, name); ok {
			n++
		} else {
			t.Logf("FAIL %s: %s", name, detail)
		}
	}
	t.Logf("%d of %d identical executed-action sets", n, len(files))
}
