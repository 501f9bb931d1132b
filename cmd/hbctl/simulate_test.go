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
		{"save-graph", []string{"simulate", "-x", writeTemp(t, simulateCIB), "--save-graph", "g.xml"}, 2},
	} {
		var out, errb bytes.Buffer
		if code := dispatch(tc.args, &out, &errb); code != tc.code {
			t.Errorf("%s: exit %d, want %d (stderr %q)", tc.name, code, tc.code, errb.String())
		}
	}
}
