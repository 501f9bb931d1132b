package cib

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sample = `<cib validate-with="pacemaker-3.9" have-quorum="1" execution-date="1700000000">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o1" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="n1-sb" name="standby" value="on"/></instance_attributes></node>
      <node id="2" uname="node2"/>
    </nodes>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="ip-ia"><nvpair id="ip-ip" name="ip" value="192.0.2.10"/></instance_attributes>
        <operations><op id="ip-mon" name="monitor" interval="10s"/></operations>
      </primitive>
      <group id="g">
        <primitive id="a" class="lsb" type="a"><meta_attributes id="a-m"><nvpair id="a-p" name="priority" value="3"/></meta_attributes></primitive>
        <primitive id="b" class="lsb" type="b"><instance_attributes id="b-ia"><nvpair id-ref="ip-ip" name="addr"/></instance_attributes></primitive>
      </group>
    </resources>
    <constraints>
      <rsc_location id="l1" rsc="ip" node="node1" score="100"/>
      <rsc_location id="l2" rsc="g"><rule id="r" score="-INFINITY" boolean-op="or"><expression id="e" attribute="#uname" operation="eq" value="node2"/></rule></rsc_location>
      <rsc_colocation id="c1" rsc="g" with-rsc="ip" score="INFINITY"/>
      <rsc_order id="o1" first="ip" then="g" kind="Optional"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="1"><instance_attributes id="s1"><nvpair id="s1-f" name="fail-count-ip#monitor_10000" value="1"/></instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources><lrm_resource id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <lrm_rsc_op id="ip_last_0" operation_key="ip_start_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"/>
      </lrm_resource></lrm_resources></lrm>
    </node_state>
  </status>
</cib>`

func TestParseSample(t *testing.T) {
	c, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Unsupported) != 0 {
		t.Errorf("Unsupported = %v, want none", c.Unsupported)
	}
	if got, want := c.HaveQuorum, "1"; got != want {
		t.Errorf("HaveQuorum = %q, want %q", got, want)
	}
	wantNodes := []Node{
		{ID: "1", Uname: "node1", Attributes: []NVSet{{ID: "n1", Pairs: []NVPair{{ID: "n1-sb", Name: "standby", Value: "on"}}}}},
		{ID: "2", Uname: "node2"},
	}
	if d := cmp.Diff(wantNodes, c.Nodes); d != "" {
		t.Errorf("nodes (-want +got):\n%s", d)
	}
	if len(c.Resources) != 2 || c.Resources[1].Kind != KindGroup || len(c.Resources[1].Children) != 2 {
		t.Fatalf("resources = %+v", c.Resources)
	}
	b := c.Resources[1].Children[1]
	if d := cmp.Diff([]NVPair{{ID: "ip-ip", Name: "addr", Value: "192.0.2.10"}}, b.Instance[0].Pairs); d != "" {
		t.Errorf("id-ref pair (-want +got):\n%s", d)
	}
	wantLoc := Location{ID: "l2", Rsc: "g", Rules: []*Rule{{ID: "r", Score: "-INFINITY", BooleanOp: "or",
		Expressions: []Expression{{ID: "e", Attribute: "#uname", Operation: "eq", Value: "node2"}}}}}
	if d := cmp.Diff(wantLoc, c.Locations[1]); d != "" {
		t.Errorf("rule location (-want +got):\n%s", d)
	}
	if d := cmp.Diff(Order{ID: "o1", First: "ip", Then: "g", Kind: "Optional"}, c.Orders[0]); d != "" {
		t.Errorf("order (-want +got):\n%s", d)
	}
	if len(c.Status) != 1 || len(c.Status[0].Resources) != 1 || c.Status[0].Resources[0].Ops[0].CallID != "2" {
		t.Errorf("status = %+v", c.Status)
	}
	if d := cmp.Diff([]NVPair{{ID: "s1-f", Name: "fail-count-ip#monitor_10000", Value: "1"}}, c.Status[0].Transient); d != "" {
		t.Errorf("transient (-want +got):\n%s", d)
	}
}

func TestParseReportsUnsupported(t *testing.T) {
	in := strings.Replace(sample, "<constraints>", `<constraints><rsc_ticket id="t" rsc="ip" ticket="T"/>`, 1)
	in = strings.Replace(in, "</resources>", `<bundle id="bu"/></resources>`, 1)
	c, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Unsupported) != 2 {
		t.Fatalf("Unsupported = %q, want the bundle and the ticket", c.Unsupported)
	}
	for i, want := range []string{"bundle", "tickets"} {
		if !strings.Contains(c.Unsupported[i], want) {
			t.Errorf("Unsupported[%d] = %q, want it to mention %q", i, c.Unsupported[i], want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"<cib>",
		"<notcib/>",
		"<cib/>",
		`<cib><configuration><resources><primitive class="ocf"/></resources></configuration></cib>`,
		`<cib><configuration><resources><clone id="c"/></resources></configuration></cib>`,
		`<cib><configuration><resources><primitive id="p"><instance_attributes id-ref="nope"/></primitive></resources></configuration></cib>`,
		`<cib><configuration><crm_config><cluster_property_set id="x"><attributes/></cluster_property_set></crm_config></configuration></cib>`,
		"<cib></cib><cib></cib>",
		strings.Repeat("<cib>", maxDepth+2),
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%.60q) succeeded, want an error", in)
		}
	}
}

func TestParseSizeLimit(t *testing.T) {
	big := make([]byte, MaxInputBytes+1)
	if _, err := Parse(big); err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("Parse(oversized) error = %v, want a size-limit error", err)
	}
}

// TestParseCorpus parses every input of the shared regression corpus, when
// it is present, and checks that none fails outright.
func TestParseCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "pacemaker-2.1.5", "xml")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	if len(files) == 0 {
		t.Skipf("corpus not found at %s", dir)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(data); err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`<cib><configuration/></cib>`))
	f.Add([]byte(strconv.Quote(sample)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err == nil && c == nil {
			t.Fatal("Parse returned neither a CIB nor an error")
		}
	})
}
