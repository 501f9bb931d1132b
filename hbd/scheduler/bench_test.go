package scheduler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hbd-project/hbd/hbd/cib"
)

// largeCIB builds a cluster of nodes × rscs primitives (every fourth in a
// group of four), each running on a node, with a location preference per
// group and a colocation chain between neighbouring groups.
func largeCIB(nodes, rscs int) string {
	var b strings.Builder
	b.WriteString(`<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o">`)
	b.WriteString(`<nvpair id="opt1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes>`)
	for i := 1; i <= nodes; i++ {
		fmt.Fprintf(&b, `<node id="%d" uname="node%d"/>`, i, i)
	}
	b.WriteString(`</nodes><resources>`)
	for g := 0; g < rscs/4; g++ {
		fmt.Fprintf(&b, `<group id="g%d">`, g)
		for m := 0; m < 4; m++ {
			fmt.Fprintf(&b, `<primitive id="r%d_%d" class="ocf" provider="pacemaker" type="Dummy"/>`, g, m)
		}
		b.WriteString(`</group>`)
	}
	b.WriteString(`</resources><constraints>`)
	for g := 0; g < rscs/4; g++ {
		fmt.Fprintf(&b, `<rsc_location id="l%d" rsc="g%d" node="node%d" score="100"/>`, g, g, g%nodes+1)
		if g > 0 && g%10 != 0 {
			fmt.Fprintf(&b, `<rsc_colocation id="c%d" rsc="g%d" with-rsc="g%d" score="-50"/>`, g, g, g-1)
			fmt.Fprintf(&b, `<rsc_order id="ord%d" first="g%d" then="g%d" kind="Optional"/>`, g, g-1, g)
		}
	}
	b.WriteString(`</constraints><rsc_defaults><meta_attributes id="d"><nvpair id="d1" name="resource-stickiness" value="10"/></meta_attributes></rsc_defaults></configuration><status>`)
	for i := 1; i <= nodes; i++ {
		fmt.Fprintf(&b, `<node_state id="%d" uname="node%d" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="%d"><lrm_resources>`, i, i, i)
		for g := 0; g < rscs/4; g++ {
			if (g+i)%nodes != 0 {
				continue
			}
			for m := 0; m < 4; m++ {
				fmt.Fprintf(&b, `<lrm_resource id="r%d_%d" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="r%d_%d_last_0" operation_key="r%d_%d_start_0" operation="start" transition-key="1:1:0:x" call-id="1" rc-code="0" op-status="0" interval="0"/></lrm_resource>`, g, m, g, m, g, m)
			}
		}
		b.WriteString(`</lrm_resources></lrm></node_state>`)
	}
	b.WriteString(`</status></cib>`)
	return b.String()
}

func BenchmarkSchedule16x1000(b *testing.B) {
	data := []byte(largeCIB(16, 1000))
	for b.Loop() {
		c, err := cib.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Schedule(c); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLargeCluster checks that the generated large cluster schedules and
// that every resource gets a decision or stays put.
func TestLargeCluster(t *testing.T) {
	c, err := cib.Parse([]byte(largeCIB(16, 1000)))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Schedule(c)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(tr.RevisedStatus(), "Started node"); n != 1000 {
		t.Errorf("%d resources started after the transition, want 1000", n)
	}
}
