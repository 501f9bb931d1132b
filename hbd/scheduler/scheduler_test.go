package scheduler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/cib"
)

func TestAddScores(t *testing.T) {
	for _, tc := range []struct{ a, b, want int }{
		{1, 2, 3},
		{Infinity, -Infinity, -Infinity},
		{-Infinity, Infinity, -Infinity},
		{999999, 5, Infinity},
		{-999999, -5, -Infinity},
		{Infinity, 5, Infinity},
	} {
		if got := addScores(tc.a, tc.b); got != tc.want {
			t.Errorf("addScores(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestParseScore(t *testing.T) {
	for in, want := range map[string]int{
		"INFINITY": Infinity, "+INFINITY": Infinity, "-INFINITY": -Infinity,
		"100": 100, "-50": -50, "1.0": 1, "junk": 0, "": 0, "red": 0,
		"5000000": Infinity, "-5000000": -Infinity,
	} {
		if got := parseScore(in); got != want {
			t.Errorf("parseScore(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSummaryWidths(t *testing.T) {
	got := formatSummary([]SummaryLine{
		{Verb: "Start", Resource: "db:0", Details: "node1"},
		{Verb: "Promote", Resource: "db:1", Details: "Stopped -> Promoted node2"},
		{Verb: "Start", Resource: "vip", Details: "node2", Reason: "due to no quorum (blocked)"},
		{Verb: "Fence (reboot)", Node: "node3", Reason: "peer is no longer part of the cluster"},
	})
	want := "  * Start      db:0    (                     node1 )\n" +
		"  * Promote    db:1    ( Stopped -> Promoted node2 )\n" +
		"  * Start      vip     (                     node2 )  due to no quorum (blocked)\n" +
		"  * Fence (reboot) node3 'peer is no longer part of the cluster'\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("formatSummary (-want +got):\n%s", d)
	}
}

// twoNode is the CIB of pacemaker-engine.md §2.4 with optional extras.
func twoNode(extraCfg, rscDefaults, status1 string) string {
	return `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" execution-date="1700000000">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="opt1" name="stonith-enabled" value="false"/>
      <nvpair id="opt2" name="no-quorum-policy" value="ignore"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/>
      <primitive id="web" class="lsb" type="apache2"/>
      ` + extraCfg + `
    </resources>
    <constraints>
      <rsc_location id="loc-ip-node1" rsc="ip" node="node1" score="100"/>
      <rsc_colocation id="col-web-with-ip" rsc="web" with-rsc="ip" score="INFINITY"/>
      <rsc_order id="ord-ip-then-web" first="ip" then="web" kind="Mandatory"/>
    </constraints>
    <rsc_defaults><meta_attributes id="d">` + rscDefaults + `</meta_attributes></rsc_defaults>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">` + status1 + `</node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>`
}

func lrmRunning(rscs ...string) string {
	var b strings.Builder
	b.WriteString(`<lrm id="1"><lrm_resources>`)
	for i, spec := range rscs {
		// "id class type" or "id class provider type": the history must
		// name the configured agent and carry the digest of its (empty)
		// parameters, or the definition counts as changed and the
		// resource restarts, as in Pacemaker.
		f := strings.Fields(spec)
		r, agent := f[0], fmt.Sprintf(`class="%s" type="%s"`, f[1], f[len(f)-1])
		if len(f) == 4 {
			agent = fmt.Sprintf(`class="%s" provider="%s" type="%s"`, f[1], f[2], f[3])
		}
		fmt.Fprintf(&b, `<lrm_resource id="%s" %s><lrm_rsc_op id="%s_last_0" operation_key="%s_start_0" operation="start" transition-key="1:1:0:x" call-id="%d" rc-code="0" op-status="0" interval="0" op-digest="%s"/></lrm_resource>`, r, agent, r, r, i+1, dummyDigest)
	}
	b.WriteString(`</lrm_resources></lrm>`)
	return b.String()
}

func schedule(t *testing.T, xml string) *Transition {
	t.Helper()
	c, err := cib.Parse([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ScheduleWith(c, Options{ShowScores: true})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func TestTwoNodeStart(t *testing.T) {
	tr := schedule(t, twoNode("", "", ""))
	want := "  * Start      ip      ( node1 )\n  * Start      web     ( node1 )\n"
	if d := cmp.Diff(want, tr.SummaryText()); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
	wantScores := []string{
		"pcmk__primitive_assign: ip allocation score on node1: 100",
		"pcmk__primitive_assign: ip allocation score on node2: 0",
		"pcmk__primitive_assign: web allocation score on node1: 0",
		"pcmk__primitive_assign: web allocation score on node2: -INFINITY",
	}
	if d := cmp.Diff(wantScores, tr.Scores); d != "" {
		t.Errorf("scores (-want +got):\n%s", d)
	}
}

// TestStickinessPullsPrimary checks the "with this" merge: web's
// stickiness is added to ip's score on the current node (§2.4: 500).
func TestStickinessPullsPrimary(t *testing.T) {
	tr := schedule(t, twoNode("", `<nvpair id="d1" name="resource-stickiness" value="200"/>`, lrmRunning("ip ocf heartbeat IPaddr2", "web lsb apache2")))
	if tr.SummaryText() != "" {
		t.Errorf("summary = %q, want nothing to do", tr.SummaryText())
	}
	if got := tr.Scores[0]; got != "pcmk__primitive_assign: ip allocation score on node1: 500" {
		t.Errorf("first score line = %q", got)
	}
}

// TestGroupStickinessAdds checks that a group's stickiness is the sum over
// its active members (§1.4: 3 × 100 stays against +300, moves at +301).
func TestGroupStickinessAdds(t *testing.T) {
	group := `<group id="g"><primitive id="a" class="lsb" type="a"/><primitive id="b" class="lsb" type="b"/><primitive id="c" class="lsb" type="c"/></group>`
	for _, tc := range []struct {
		score string
		moves bool
	}{{"300", false}, {"301", true}} {
		xml := twoNode(group, `<nvpair id="d1" name="resource-stickiness" value="100"/>`, lrmRunning("a lsb a", "b lsb b", "c lsb c"))
		xml = strings.Replace(xml, "</constraints>", `<rsc_location id="g-n2" rsc="g" node="node2" score="`+tc.score+`"/></constraints>`, 1)
		tr := schedule(t, xml)
		moved := strings.Contains(tr.SummaryText(), "Move       a ")
		if moved != tc.moves {
			t.Errorf("location %s: moved=%v, want %v; summary:\n%s", tc.score, moved, tc.moves, tr.SummaryText())
		}
	}
}

func TestNoQuorumBlocksStarts(t *testing.T) {
	xml := strings.Replace(twoNode("", "", ""), `have-quorum="1"`, `have-quorum="0"`, 1)
	xml = strings.Replace(xml, `value="ignore"`, `value="stop"`, 1)
	tr := schedule(t, xml)
	want := "  * Start      ip      ( node1 )  due to no quorum (blocked)\n" +
		"  * Start      web     ( node1 )  due to no quorum (blocked)\n"
	if d := cmp.Diff(want, tr.SummaryText()); d != "" {
		t.Errorf("summary (-want +got):\n%s", d)
	}
}

func TestDeterministic(t *testing.T) {
	xml := largeCIB(5, 60)
	first := schedule(t, xml).Render()
	for i := 0; i < 5; i++ {
		if got := schedule(t, xml).Render(); got != first {
			t.Fatalf("run %d differs from the first:\n%s", i, cmp.Diff(first, got))
		}
	}
}

func TestUnsupportedRefused(t *testing.T) {
	xml := strings.Replace(twoNode("", "", ""), "</constraints>", `<rsc_ticket id="t" rsc="ip" ticket="T"/></constraints>`, 1)
	c, err := cib.Parse([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Schedule(c); err == nil || !strings.Contains(err.Error(), "tickets") {
		t.Errorf("Schedule error = %v, want an unsupported-feature error naming tickets", err)
	}
}
