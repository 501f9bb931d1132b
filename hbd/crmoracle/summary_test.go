package crmoracle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// corpusDir is the shared Pacemaker 2.1.5 regression data; HBD_CORPUS
// overrides it.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HBD_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "testdata", "pacemaker-2.1.5")
	}
	if _, err := os.Stat(filepath.Join(dir, "summary")); err != nil {
		t.Skipf("Pacemaker corpus not found at %s (set HBD_CORPUS)", dir)
	}
	return dir
}

const inc6Revised = `Current cluster status:
  * Node List:
    * Online: [ node1 node2 ]
    * Node node3: standby

  * Full List of Resources:
    * Clone Set: rsc1 [child_rsc1]:
      * Started: [ node1 node2 ]
    * Clone Set: rsc2 [child_rsc2] (unique):
      * child_rsc2:0	(ocf:heartbeat:apache):	 Started node1
      * child_rsc2:1	(ocf:heartbeat:apache):	 Started [ node1 node2 ]
      * child_rsc2:2	(ocf:heartbeat:apache):	 Stopped

Transition Summary:
  * Move       child_rsc2:1     ( node2 -> node1 )
  * Stop       web              ( node2 )  due to node availability

Executing Cluster Transition:
  * Resource action: child_rsc2:1    stop on node2
Using the original execution date of: 2023-11-14 22:13:20Z

Revised Cluster Status:
  * Node List:
    * Online: [ node1 node2 ]
    * OFFLINE: [ node3 ]

  * Full List of Resources:
    * Clone Set: ms [grp] (promotable):
      * Promoted: [ node1 ]
      * Unpromoted: [ node2 ]
    * Resource Group: g1:
      * a	(ocf:pacemaker:Dummy):	 FAILED node2 (blocked)
      * b	(lsb:apache2):	 Stopped (disabled)
    * ip	(ocf:heartbeat:IPaddr2):	 ORPHANED Started node1 (unmanaged)
`

func TestParseSummary(t *testing.T) {
	s, err := ParseSummary(inc6Revised)
	if err != nil {
		t.Fatal(err)
	}
	wantCurrent := &Status{
		Nodes: []NodeState{{"node1", "Online"}, {"node2", "Online"}, {"node3", "standby"}},
		Resources: []*Resource{
			{Kind: Clone, ID: "rsc1", Child: "child_rsc1", Children: []*Resource{
				{Kind: CloneSummary, Role: "Started", Nodes: []string{"node1", "node2"}},
			}},
			{Kind: Clone, ID: "rsc2", Child: "child_rsc2", Flags: []string{"unique"}, Children: []*Resource{
				{Kind: Primitive, ID: "child_rsc2:0", Agent: "ocf:heartbeat:apache", Role: "Started", Nodes: []string{"node1"}},
				{Kind: Primitive, ID: "child_rsc2:1", Agent: "ocf:heartbeat:apache", Role: "Started", Nodes: []string{"node1", "node2"}},
				{Kind: Primitive, ID: "child_rsc2:2", Agent: "ocf:heartbeat:apache", Role: "Stopped"},
			}},
		},
	}
	if diff := cmp.Diff(wantCurrent, s.Current); diff != "" {
		t.Errorf("current status (-want +got):\n%s", diff)
	}
	wantTrans := []string{"*Movechild_rsc2:1(node2->node1)", "*Stopweb(node2)duetonodeavailability"}
	if diff := cmp.Diff(wantTrans, s.Transitions); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"* Resource action: child_rsc2:1    stop on node2"}, s.Executed); diff != "" {
		t.Errorf("executed (-want +got):\n%s", diff)
	}
	wantPlaced := []Placed{
		{Rsc: "a", Node: "node2", Role: "Started", Failed: true},
		{Rsc: "ip", Node: "node1", Role: "Started"},
		{Rsc: "m1", Node: "node1", Role: "Promoted"},
		{Rsc: "m1", Node: "node2", Role: "Unpromoted"},
		{Rsc: "m2", Node: "node1", Role: "Promoted"},
		{Rsc: "m2", Node: "node2", Role: "Unpromoted"},
	}
	got := s.Revised.Placement(map[string][]string{"grp": {"m1", "m2"}})
	if diff := cmp.Diff(wantPlaced, got); diff != "" {
		t.Errorf("revised placement (-want +got):\n%s", diff)
	}
	wantCurPlaced := []Placed{
		{Rsc: "child_rsc1", Node: "node1", Role: "Started"},
		{Rsc: "child_rsc1", Node: "node2", Role: "Started"},
		{Rsc: "child_rsc2", Node: "node1", Role: "Started"},
		{Rsc: "child_rsc2", Node: "node1", Role: "Started"},
		{Rsc: "child_rsc2", Node: "node2", Role: "Started"},
	}
	if diff := cmp.Diff(wantCurPlaced, s.Current.Placement(nil)); diff != "" {
		t.Errorf("current placement (-want +got):\n%s", diff)
	}
	if ip := s.Revised.Resources[2]; !ip.Orphaned || !cmp.Equal(ip.Flags, []string{"unmanaged"}) {
		t.Errorf("ip = %+v, want orphaned and unmanaged", ip)
	}
}

func TestParseSummaryErrors(t *testing.T) {
	for name, text := range map[string]string{
		"not crm_simulate": "hello\n  world\n",
		"empty":            "",
		"bad indent":       "Current cluster status:\n  * Full List of Resources:\n         * x\t(ocf:a:b):\t Started n1\n",
		"no role":          "Current cluster status:\n  * Full List of Resources:\n    * x\t(ocf:a:b):\t Sleeping n1\n",
		"bad agent":        "Current cluster status:\n  * Full List of Resources:\n    * x\tocf:a:b:\t Started n1\n",
		"bad node list":    "Current cluster status:\n  * Node List:\n    * Online: node1\n",
		"twice":            "Transition Summary:\nTransition Summary:\n",
		"summary outside":  "Current cluster status:\n  * Full List of Resources:\n    * Started: [ n1 ]\n",
		"stopped on node":  "Revised Cluster Status:\n  * Full List of Resources:\n    * x\t(ocf:a:b):\t Stopped n1\n",
	} {
		if s, err := ParseSummary(text); err == nil {
			t.Errorf("%s: ParseSummary succeeded (%+v), want an error", name, s)
		}
	}
}

// TestParseCorpusSummaries parses every expected summary of the regression
// corpus and checks what the format guarantees: both statuses present, each
// Transition Summary line an item, every placed node a listed node, and the
// revised status naming no top-level resource the current one lacks (it can
// lack some: orphans are stopped and dropped).
func TestParseCorpusSummaries(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(corpusDir(t), "summary", "*.summary"))
	if len(files) == 0 {
		t.Fatal("no summary files in the corpus")
	}
	var lines, placed int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		s, err := ParseSummary(string(data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if s.Current == nil || s.Revised == nil {
			t.Errorf("%s: missing current or revised status", name)
			continue
		}
		for _, l := range s.Transitions {
			if !strings.HasPrefix(l, "*") {
				t.Errorf("%s: transition line %q is not an item", name, l)
			}
		}
		lines += len(s.Transitions)
		nodes := map[string]bool{}
		for _, n := range s.Revised.Nodes {
			nodes[n.Name] = true
		}
		for _, p := range s.Revised.Placement(nil) {
			if !nodes[p.Node] {
				t.Errorf("%s: %v is on a node not in the node list", name, p)
			}
			placed++
		}
		cur := map[string]bool{}
		for _, id := range topIDs(s.Current) {
			cur[id] = true
		}
		for _, id := range topIDs(s.Revised) {
			if !cur[id] {
				t.Errorf("%s: revised status has %s, the current one does not", name, id)
			}
		}
	}
	t.Logf("%d summaries: %d transition lines, %d placed instances", len(files), lines, placed)
}

func topIDs(s *Status) []string {
	var ids []string
	for _, r := range s.Resources {
		ids = append(ids, r.Kind.String()+" "+r.ID)
	}
	return ids
}

func TestStripInstance(t *testing.T) {
	for in, want := range map[string]string{
		"rsc:0": "rsc", "rsc:12": "rsc", "rsc": "rsc", "a:b": "a:b", "rsc:": "rsc:", "g:1:2": "g:1",
	} {
		if got := stripInstance(in); got != want {
			t.Errorf("stripInstance(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDiff(t *testing.T) {
	want := []Placed{{Rsc: "a", Node: "n1", Role: "Started"}, {Rsc: "b", Node: "n1", Role: "Started"}}
	got := []Placed{{Rsc: "a", Node: "n1", Role: "Started"}, {Rsc: "b", Node: "n2", Role: "Started"}}
	if d := DiffPlacement(want, got); d != "-b Started n1\n+b Started n2\n" {
		t.Errorf("DiffPlacement = %q", d)
	}
	if d := DiffPlacement(want, want); d != "" {
		t.Errorf("DiffPlacement(same) = %q", d)
	}
	if d := DiffLines([]string{"x", "y", "y"}, []string{"y", "x", "z"}); d != "-y\n+z\n" {
		t.Errorf("DiffLines = %q", d)
	}
}
