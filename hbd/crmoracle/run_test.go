package crmoracle

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func needSimulate(t *testing.T) {
	t.Helper()
	if !Available() {
		t.Skip("crm_simulate not installed (Debian package pacemaker-cli-utils)")
	}
}

// TestSimulateMatchesCorpus runs the live crm_simulate on corpus inputs of
// every tier and checks that its parsed output equals the parsed expected
// summary: Transition Summary multiset, current and final placement.
func TestSimulateMatchesCorpus(t *testing.T) {
	needSimulate(t)
	dir := corpusDir(t)
	r := Runner{ScratchDir: t.TempDir()}
	for _, name := range []string{
		"simple1", "group1", "rec-rsc-1", "coloc-group", "bug-n-385265-2", "order5",
		"inc6", "promoted-0", "rec-node-5", "orphan-1", "bug-5028-detach",
	} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "summary", name+".summary"))
			if err != nil {
				t.Skipf("not in the corpus: %v", err)
			}
			want, err := ParseSummary(string(data))
			if err != nil {
				t.Fatal(err)
			}
			res, err := r.Simulate(context.Background(), filepath.Join(dir, "xml", name+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != 0 {
				t.Errorf("exit %d, stderr %q", res.ExitCode, res.Stderr)
			}
			got := res.Summary
			if d := DiffLines(want.Transitions, got.Transitions); d != "" {
				t.Errorf("Transition Summary differs:\n%s", d)
			}
			if d := DiffPlacement(want.Current.Placement(nil), got.Current.Placement(nil)); d != "" {
				t.Errorf("current placement differs:\n%s", d)
			}
			if d := DiffPlacement(want.Revised.Placement(nil), got.Revised.Placement(nil)); d != "" {
				t.Errorf("final placement differs:\n%s", d)
			}
			if diff := cmp.Diff(want.Revised.Nodes, got.Revised.Nodes); diff != "" {
				t.Errorf("revised node list (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRun checks -R: the same decisions as -S, no revised status.
func TestRun(t *testing.T) {
	needSimulate(t)
	dir := corpusDir(t)
	data, err := os.ReadFile(filepath.Join(dir, "summary", "rec-rsc-1.summary"))
	if err != nil {
		t.Skip(err)
	}
	want, err := ParseSummary(string(data))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Runner{}.Run(context.Background(), filepath.Join(dir, "xml", "rec-rsc-1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if d := DiffLines(want.Transitions, res.Summary.Transitions); d != "" || len(want.Transitions) == 0 {
		t.Errorf("Transition Summary differs or is empty:\n%s", d)
	}
	if res.Summary.Revised != nil {
		t.Error("-R printed a revised status")
	}
}

func TestTimeGraph(t *testing.T) {
	needSimulate(t)
	dir := corpusDir(t)
	out := filepath.Join(t.TempDir(), "graph.xml")
	d, err := Runner{}.TimeGraph(context.Background(), filepath.Join(dir, "xml", "group1.xml"), out)
	if err != nil {
		t.Fatal(err)
	}
	graph, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(graph), "<transition_graph") || d <= 0 {
		t.Errorf("TimeGraph took %v and wrote %.200q, want a transition graph", d, graph)
	}
}

func TestSimulateErrors(t *testing.T) {
	needSimulate(t)
	r := Runner{}
	if _, err := r.Simulate(context.Background(), filepath.Join(t.TempDir(), "missing.xml")); err == nil {
		t.Error("Simulate(missing file) succeeded")
	}
}

func TestVerify(t *testing.T) {
	if !VerifyAvailable() {
		t.Skip("crm_verify not installed")
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.xml")
	bad := filepath.Join(dir, "bad.xml")
	const cib = `<cib validate-with="pacemaker-3.9" crm_feature_set="3.16.1" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/></nodes>
    <resources>%s</resources>
    <constraints/>
  </configuration>
  <status/>
</cib>`
	write := func(path, rsc string) {
		if err := os.WriteFile(path, []byte(strings.Replace(cib, "%s", rsc, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(good, `<primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/>`)
	write(bad, `<primitive id="r" class="lsb" provider="heartbeat" type="x"/>`) // lsb takes no provider
	r := Runner{}
	if err := r.Verify(context.Background(), good); err != nil {
		t.Errorf("Verify(good): %v", err)
	}
	if err := r.Verify(context.Background(), bad); err == nil {
		t.Error("Verify(lsb with provider) succeeded, want a schema error")
	}
}
