package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const simulateCIB = `<cib validate-with="pacemaker-3.9" have-quorum="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/>
      <primitive id="web" class="lsb" type="apache2"/>
    </resources>
    <constraints>
      <rsc_location id="l" rsc="ip" node="node2" score="100"/>
      <rsc_colocation id="c" rsc="web" with-rsc="ip" score="INFINITY"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>`

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cib.xml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSimulate(t *testing.T) {
	var out, errb bytes.Buffer
	code := dispatch([]string{"simulate", "-x", writeTemp(t, simulateCIB), "--show-scores"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	got := out.String()
	_, summary, ok := strings.Cut(got, "Transition Summary:\n")
	if !ok {
		t.Fatalf("no Transition Summary in:\n%s", got)
	}
	summary, _, _ = strings.Cut(summary, "\n\n")
	want := "  * Start      ip      ( node2 )\n  * Start      web     ( node2 )"
	if d := cmp.Diff(want, summary); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	for _, s := range []string{"Current cluster status:", "Revised Cluster Status:",
		"pcmk__primitive_assign: ip allocation score on node2: 100",
		"    * web\t(lsb:apache2):\t Started node2"} {
		if !strings.Contains(got, s) {
			t.Errorf("output lacks %q:\n%s", s, got)
		}
	}
}

func TestSimulateErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no file flag", []string{"simulate"}, 2},
		{"missing file", []string{"simulate", "-x", filepath.Join(t.TempDir(), "nope.xml")}, 1},
		{"malformed", []string{"simulate", "-x", writeTemp(t, "<cib><configuration>")}, 1},
		{"unsupported", []string{"simulate", "-x", writeTemp(t, strings.Replace(simulateCIB, "</resources>", `<bundle id="b"/></resources>`, 1))}, 2},
		{"save-graph to a missing directory", []string{"simulate", "-x", writeTemp(t, simulateCIB), "--save-graph", filepath.Join(t.TempDir(), "no", "g.xml")}, 1},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(tc.args, &out, &errb); code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, errb.String())
		}
	}
}

// TestSimulateExecutesAndSavesGraph checks the executed actions, printed
// in crm_simulate's execution order between the summary and the revised
// status, and the graph saved with -G.
func TestSimulateExecutesAndSavesGraph(t *testing.T) {
	graph := filepath.Join(t.TempDir(), "graph.xml")
	var out, errb bytes.Buffer
	code := dispatch([]string{"simulate", "-x", writeTemp(t, simulateCIB), "-G", graph}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	_, rest, ok := strings.Cut(out.String(), "Executing Cluster Transition:\n")
	if !ok {
		t.Fatalf("no executed actions in:\n%s", out.String())
	}
	executed, revised, ok := strings.Cut(rest, "\nRevised Cluster Status:\n")
	if !ok {
		t.Fatalf("no revised status after the executed actions:\n%s", rest)
	}
	// Probes first (newest first: node2's), then ip's start, then web's,
	// which is colocated with ip and so waits for it.
	want := strings.Join([]string{
		"  * Resource action: ip              monitor on node2",
		"  * Resource action: ip              monitor on node1",
		"  * Resource action: web             monitor on node2",
		"  * Resource action: web             monitor on node1",
		"  * Resource action: ip              start on node2",
		"  * Resource action: web             start on node2",
	}, "\n") + "\n"
	if d := cmp.Diff(want, executed); d != "" {
		t.Errorf("executed actions (-want +got):\n%s", d)
	}
	if !strings.Contains(revised, "    * ip\t(ocf:heartbeat:IPaddr2):\t Started node2") {
		t.Errorf("revised status lacks ip on node2:\n%s", revised)
	}
	data, err := os.ReadFile(graph)
	if err != nil {
		t.Fatal(err)
	}
	g := string(data)
	if !strings.HasPrefix(g, `<transition_graph cluster-delay="60s" stonith-timeout="60s"`) {
		t.Errorf("graph header: %.120s", g)
	}
	for _, s := range []string{
		`operation="start" operation_key="web_start_0" on_node="node2" on_node_uuid="2">`,
		`<primitive id="web" class="lsb" type="apache2"/>`,
		`CRM_meta_op_target_rc="7"`,
	} {
		if !strings.Contains(g, s) {
			t.Errorf("graph lacks %q:\n%s", s, g)
		}
	}
}
