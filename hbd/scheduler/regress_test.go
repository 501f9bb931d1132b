package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/crmoracle"
)

// The tests in this file are hand reductions of differential seeds
// (hbd/cibgen: tier A 1..1000 unless a test says "all-features") on which
// hbd disagreed with crm_simulate 2.1.5; each expected summary is
// crm_simulate's output for the CIB the test builds.

// dummyDigest is the op-digest Pacemaker 2.1.5 stores for the start and
// probe of an ocf:pacemaker:Dummy without parameters, so that crm_simulate
// sees no definition change on these CIBs.
const dummyDigest = "f2317cad3d54cec5d7d7aa7d0bf35cf8"

// miniCIB is a cluster of online member nodes named by nodes, with the
// given cluster options (name=value pairs), resources, constraints and
// per-node lrm_resource entries (see lrmOp).
type miniCIB struct {
	quorum      bool
	options     []string
	nodes       []string
	resources   string
	constraints string
	lrm         map[string]string
}

func (m miniCIB) xml() string {
	var b strings.Builder
	q := "0"
	if m.quorum {
		q = "1"
	}
	fmt.Fprintf(&b, `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="%s" dc-uuid="1" execution-date="1700000000"><configuration><crm_config><cluster_property_set id="o">`, q)
	b.WriteString(`<nvpair id="o-stonith" name="stonith-enabled" value="false"/>`)
	for i, o := range m.options {
		name, value, _ := strings.Cut(o, "=")
		fmt.Fprintf(&b, `<nvpair id="o%d" name="%s" value="%s"/>`, i, name, value)
	}
	b.WriteString(`</cluster_property_set></crm_config><nodes>`)
	for i, n := range m.nodes {
		fmt.Fprintf(&b, `<node id="%d" uname="%s"/>`, i+1, n)
	}
	fmt.Fprintf(&b, `</nodes><resources>%s</resources><constraints>%s</constraints>`, m.resources, m.constraints)
	b.WriteString(`</configuration><status>`)
	for i, n := range m.nodes {
		fmt.Fprintf(&b, `<node_state id="%d" uname="%s" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="%d"><lrm_resources>%s</lrm_resources></lrm></node_state>`, i+1, n, i+1, m.lrm[n])
	}
	b.WriteString(`</status></cib>`)
	return b.String()
}

// dummy is an ocf:pacemaker:Dummy primitive with optional meta attributes
// (name=value pairs).
func dummy(id string, meta ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<primitive id="%s" class="ocf" provider="pacemaker" type="Dummy">`, id)
	if len(meta) > 0 {
		fmt.Fprintf(&b, `<meta_attributes id="%s-meta">`, id)
		for i, m := range meta {
			name, value, _ := strings.Cut(m, "=")
			fmt.Fprintf(&b, `<nvpair id="%s-m%d" name="%s" value="%s"/>`, id, i, name, value)
		}
		b.WriteString(`</meta_attributes>`)
	}
	b.WriteString(`</primitive>`)
	return b.String()
}

// lrmOp is one lrm_resource for Dummy rsc whose last operation was op
// ("start", "stop" or "monitor" for a probe) with return code rc; call
// numbers the calls on the node.
func lrmOp(rsc, op string, rc, call int) string {
	return fmt.Sprintf(`<lrm_resource id="%[1]s" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="%[1]s_last_0" operation_key="%[1]s_%[2]s_0" operation="%[2]s" transition-key="%[4]d:-1:0:00000000-0000-0000-0000-000000000000" transition-magic="0:%[3]d;%[4]d:-1:0:00000000-0000-0000-0000-000000000000" call-id="%[4]d" rc-code="%[3]d" op-status="0" interval="0" last-rc-change="1699999400" exec-time="0" queue-time="0" op-digest="%[5]s"/></lrm_resource>`,
		rsc, op, rc, call, dummyDigest)
}

// checkSummary schedules m and compares the Transition Summary with want,
// crm_simulate's. Where crm_simulate is installed it first checks that want
// still is what crm_simulate prints for m, so a hand-edited CIB cannot drift
// from its recorded expectation.
func checkSummary(t *testing.T, m miniCIB, want string) {
	t.Helper()
	if crmoracle.Available() {
		dir := t.TempDir()
		path := filepath.Join(dir, "cib.xml")
		if err := os.WriteFile(path, []byte(m.xml()), 0o644); err != nil {
			t.Fatal(err)
		}
		res, err := crmoracle.Runner{ScratchDir: dir}.Run(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		_, got, _ := strings.Cut(res.Stdout, "Transition Summary:\n")
		got, _, _ = strings.Cut(got, "\n\n")
		if got != "" && !strings.HasSuffix(got, "\n") {
			got += "\n"
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Fatalf("the expectation is not crm_simulate's (-want +crm_simulate):\n%s\ncrm_simulate:\n%s", d, got)
		}
		if dir := os.Getenv("HBD_REGRESS_DUMP"); dir != "" {
			// A development aid: keep the CIBs to inspect with crm_simulate.
			name := strings.ReplaceAll(t.Name(), "/", "_") + ".xml"
			if err := os.WriteFile(filepath.Join(dir, name), []byte(m.xml()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	tr := schedule(t, m.xml())
	if d := cmp.Diff(want, tr.SummaryText()); d != "" {
		t.Errorf("summary (-crm_simulate +hbd):\n%s\nCIB:\n%s", d, m.xml())
	}
}

// TestFreezeMovesActiveResource: under no-quorum-policy=freeze only a
// resource that is not active anywhere is kept from starting; an active
// one may still move (update_resource_action_runnable; seed 129).
func TestFreezeMovesActiveResource(t *testing.T) {
	checkSummary(t, miniCIB{
		options:     []string{"no-quorum-policy=freeze"},
		nodes:       []string{"node1", "node2"},
		resources:   dummy("a") + dummy("b"),
		constraints: `<rsc_location id="l" rsc="a" node="node1" score="100"/><rsc_colocation id="c" rsc="b" with-rsc="a" score="INFINITY"/>`,
		lrm:         map[string]string{"node2": lrmOp("a", "start", 0, 1)},
	}, "  * Move       a       ( node2 -> node1 )\n"+
		"  * Start      b       (          node1 )  due to quorum freeze (blocked)\n")
}

// TestGroupDependentsCountTwice: once the group is assigned, a resource
// colocated with it counts as colocated with its last member
// (expand_group_colocations), and merging the group's scores reaches those
// twice: through the first member and the internal colocations, and
// directly from the last member, both with the sign of the
// anti-colocation. x therefore avoids node2 by -1000, more than its own
// preference of 700 for it, and the group follows y to node2 (seed 107).
func TestGroupDependentsCountTwice(t *testing.T) {
	checkSummary(t, miniCIB{
		quorum:    true,
		nodes:     []string{"node1", "node2"},
		resources: `<group id="g">` + dummy("a") + dummy("b") + `</group>` + dummy("x") + dummy("y", "resource-stickiness=INFINITY"),
		constraints: `<rsc_colocation id="c1" rsc="g" with-rsc="x" score="-200"/>` +
			`<rsc_location id="l1" rsc="x" node="node2" score="700"/>` +
			`<rsc_colocation id="c2" rsc="y" with-rsc="g" score="500"/>`,
		lrm: map[string]string{"node2": lrmOp("y", "start", 0, 1)},
	}, "  * Start      a       ( node2 )\n"+
		"  * Start      b       ( node2 )\n"+
		"  * Start      x       ( node1 )\n")
}

// TestRevisedMultiplyActiveUnmanaged: nothing is done for an unmanaged
// resource active on two nodes (its start failed on node2), so after the
// transition it is still listed, failed, on both, flags first
// (pcmk__native_output_string; seed 34).
func TestRevisedMultiplyActiveUnmanaged(t *testing.T) {
	m := miniCIB{
		quorum:    true,
		nodes:     []string{"node1", "node2"},
		resources: dummy("a", "is-managed=false"),
		lrm: map[string]string{
			"node1": lrmOp("a", "start", 0, 1),
			"node2": lrmOp("a", "start", 1, 1),
		},
	}
	checkSummary(t, m, "")
	want := "    * a\t(ocf:pacemaker:Dummy):\t FAILED (unmanaged) [ node1 node2 ]\n"
	if !strings.Contains(schedule(t, m.xml()).RevisedStatus(), want) {
		t.Errorf("revised status lacks %q:\n%s", want, schedule(t, m.xml()).RevisedStatus())
	}
}

// TestNewestActionUpdatedFirst: a's start exists only because the
// ordering created it (rsc_order_first), so it is the newest action and
// pcmk__apply_orderings, walking data_set->actions newest first, makes it
// required (a's stop is) before b's start looks at it: b stops "due to
// required a start", not "unrunnable" (seed 98).
func TestNewestActionUpdatedFirst(t *testing.T) {
	checkSummary(t, miniCIB{
		quorum:    true,
		nodes:     []string{"node1", "node2"},
		resources: dummy("a") + dummy("b"),
		constraints: `<rsc_location id="l1" rsc="a" node="node1" score="-INFINITY"/>` +
			`<rsc_location id="l2" rsc="a" node="node2" score="-INFINITY"/>` +
			`<rsc_order id="ord" first="a" then="b" kind="Mandatory"/>`,
		lrm: map[string]string{"node1": lrmOp("a", "start", 0, 1), "node2": lrmOp("b", "start", 0, 1)},
	}, "  * Stop       a       ( node1 )  due to node availability\n"+
		"  * Stop       b       ( node2 )  due to required a start\n")
}

// TestCloneMinFirstCreated: the clone-min ordering's "first" instance
// starts are created when that ordering is applied (rsc_order_first), before
// the instances' own stop-then-start orderings, which therefore reach them
// and make the starts required: through the interleaved orderings, c's
// instances then stop "due to required b:N start".
func TestCloneMinFirstCreated(t *testing.T) {
	clone := func(id, meta string) string {
		return `<clone id="` + id + `-clone">` + dummy(id) + `<meta_attributes id="` + id + `-cm">` + meta + `</meta_attributes></clone>`
	}
	running := func(ids ...string) string {
		var b strings.Builder
		for i, id := range ids {
			b.WriteString(lrmOp(id, "start", 0, i+1))
		}
		return b.String()
	}
	checkSummary(t, miniCIB{
		quorum:    true,
		nodes:     []string{"node1", "node2"},
		resources: clone("a", `<nvpair id="a-min" name="clone-min" value="2"/>`) + clone("b", `<nvpair id="b-il" name="interleave" value="true"/>`) + clone("c", `<nvpair id="c-il" name="interleave" value="true"/>`),
		constraints: `<rsc_order id="o1" first="a-clone" then="b-clone"/>` +
			`<rsc_order id="o2" first="b-clone" then="c-clone"/>` +
			`<rsc_location id="ban" rsc="a-clone" node="node2" score="-INFINITY"/>`,
		lrm: map[string]string{"node1": running("a", "b", "c"), "node2": running("a", "b", "c")},
	}, "  * Stop       a:1     ( node2 )  due to node availability\n"+
		"  * Stop       b:0     ( node1 )  due to unrunnable clone-one-or-more:o1\n"+
		"  * Stop       b:1     ( node2 )  due to unrunnable clone-one-or-more:o1\n"+
		"  * Stop       c:0     ( node1 )  due to required b:0 start\n"+
		"  * Stop       c:1     ( node2 )  due to required b:1 start\n")
}

// TestGroupMergeLastMember: when a resource anti-colocated with a group
// is assigned before the group, the group's scores come from its first
// member plus, once more, from the resources colocated with its last
// member; resources colocated with the group itself are not yet among
// those (expand_group_colocations has not run) and do not count (seed 373).
func TestGroupMergeLastMember(t *testing.T) {
	for _, tc := range []struct {
		name, with, xPref, want string
	}{
		// y with the last member: -500 through a, b and -500 directly.
		{"last member", "b", "700", "  * Start      x       ( node1 )\n  * Start      a       ( node2 )\n  * Start      b       ( node2 )\n"},
		// y with the group, which is not assigned yet: nothing.
		{"group", "g", "400", "  * Start      x       ( node2 )\n  * Start      a       ( node2 )\n  * Start      b       ( node2 )\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkSummary(t, miniCIB{
				quorum:    true,
				nodes:     []string{"node1", "node2"},
				resources: `<group id="g">` + dummy("a") + dummy("b") + `</group>` + dummy("x", "priority=10") + dummy("y", "resource-stickiness=INFINITY"),
				constraints: `<rsc_colocation id="c1" rsc="g" with-rsc="x" score="-200"/>` +
					`<rsc_location id="l1" rsc="x" node="node2" score="` + tc.xPref + `"/>` +
					`<rsc_colocation id="c2" rsc="y" with-rsc="` + tc.with + `" score="500"/>`,
				lrm: map[string]string{"node2": lrmOp("y", "start", 0, 1)},
			}, tc.want)
		})
	}
}

// TestGroupMergeNestedGroup: a group h colocated with the last member of
// group g is merged, when x merges g's scores, through h's own group
// method both times (first member c, which carries h's location score),
// giving -1 twice after rounding: x then prefers node2 by 2 - 2 = 0 and
// takes node1 (seed 725).
func TestGroupMergeNestedGroup(t *testing.T) {
	checkSummary(t, miniCIB{
		quorum: true,
		nodes:  []string{"node1", "node2"},
		resources: `<group id="g">` + dummy("a") + dummy("b") + `</group>` +
			`<group id="h">` + dummy("c") + dummy("d") + `</group>` + dummy("x", "priority=10"),
		constraints: `<rsc_colocation id="c1" rsc="g" with-rsc="x" score="-INFINITY"/>` +
			`<rsc_location id="l1" rsc="x" node="node2" score="2"/>` +
			`<rsc_location id="l2" rsc="h" node="node2" score="1000"/>` +
			`<rsc_colocation id="c2" rsc="h" with-rsc="b" score="500"/>`,
	}, "  * Start      x       ( node1 )\n"+
		"  * Start      a       ( node2 )\n"+
		"  * Start      b       ( node2 )\n"+
		"  * Start      c       ( node2 )\n"+
		"  * Start      d       ( node2 )\n")
}

// TestExpiredMonitorUnmanaged: an unmanaged resource's recurring monitor
// found it not running, and the failure has expired. unpack_rsc_op remaps
// the result (not running is no failure for an unmanaged resource, so the
// resource is stopped) before it drops the expired failure, so the
// resource is listed as stopped (seed 472 of 1..1000).
func TestExpiredMonitorUnmanaged(t *testing.T) {
	const monitorDigest = "4811cef7f7f94e3a35a70be7916cb2fd" // interval 15000ms, timeout 20000ms
	lrm := `<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">` +
		`<lrm_rsc_op id="a_last_0" operation_key="a_start_0" operation="start" transition-key="1:-1:0:00000000-0000-0000-0000-000000000000" transition-magic="0:0;1:-1:0:00000000-0000-0000-0000-000000000000" call-id="1" rc-code="0" op-status="0" interval="0" last-rc-change="1699999400" exec-time="0" queue-time="0" op-digest="` + dummyDigest + `"/>` +
		`<lrm_rsc_op id="a_monitor_15000" operation_key="a_monitor_15000" operation="monitor" transition-key="2:-1:0:00000000-0000-0000-0000-000000000000" transition-magic="0:7;2:-1:0:00000000-0000-0000-0000-000000000000" call-id="2" rc-code="7" op-status="0" interval="15000" last-rc-change="1699999401" exec-time="0" queue-time="0" op-digest="` + monitorDigest + `"/>` +
		`</lrm_resource>`
	m := miniCIB{
		quorum: true,
		nodes:  []string{"node1", "node2"},
		resources: `<primitive id="a" class="ocf" provider="pacemaker" type="Dummy">` +
			`<meta_attributes id="a-meta"><nvpair id="a-m0" name="is-managed" value="false"/><nvpair id="a-m1" name="failure-timeout" value="60s"/></meta_attributes>` +
			`<operations><op id="a-monitor-interval-15000" name="monitor" interval="15000ms" timeout="20000ms"/></operations></primitive>`,
		lrm: map[string]string{"node1": lrm},
	}
	checkSummary(t, m, "")
	tr := schedule(t, m.xml())
	want := "    * a\t(ocf:pacemaker:Dummy):\t Stopped (unmanaged)\n"
	if !strings.Contains(tr.CurrentStatus(), want) || !strings.Contains(tr.RevisedStatus(), want) {
		t.Errorf("status lacks %q:\n%s%s", want, tr.CurrentStatus(), tr.RevisedStatus())
	}
}

// TestCloneInstanceOnBannedNodeSortsLast: pcmk__cmp_instance assigns an
// instance active on a node its scores now forbid after an inactive one,
// so the inactive instance takes the free node and the active one stops,
// instead of the active one moving (all-features seed 53).
func TestCloneInstanceOnBannedNodeSortsLast(t *testing.T) {
	checkSummary(t, miniCIB{
		quorum:      true,
		nodes:       []string{"node1", "node2"},
		resources:   `<clone id="c-clone">` + dummy("c") + `</clone>`,
		constraints: `<rsc_location id="ban" rsc="c-clone" node="node2" score="-INFINITY"/>`,
		lrm:         map[string]string{"node2": lrmOp("c", "start", 0, 1)},
	}, "  * Stop       c:0     ( node2 )  due to node availability\n"+
		"  * Start      c:1     ( node1 )\n")
}

// TestPromotionTieKeepsPromoted: with equal promotion scores,
// cmp_promotable_instance prefers the instance whose current role is
// higher, so the promoted instance stays promoted (all-features seed 168).
func TestPromotionTieKeepsPromoted(t *testing.T) {
	stateful := func(op string, rc int) string {
		return strings.ReplaceAll(lrmOp("s", op, rc, 1), `type="Dummy"`, `type="Stateful"`)
	}
	checkSummary(t, miniCIB{
		quorum: true,
		nodes:  []string{"node1", "node2"},
		resources: `<clone id="s-clone"><meta_attributes id="s-cm"><nvpair id="s-p" name="promotable" value="true"/></meta_attributes>` +
			`<primitive id="s" class="ocf" provider="pacemaker" type="Stateful"/></clone>`,
		constraints: `<rsc_location id="p1" rsc="s-clone" role="Promoted" node="node1" score="10"/>` +
			`<rsc_location id="p2" rsc="s-clone" role="Promoted" node="node2" score="10"/>`,
		lrm: map[string]string{"node1": stateful("start", 0), "node2": stateful("promote", 0)},
	}, "")
}

// TestCloneNegativeParentScoreBans: where the clone's own score is
// negative, can_run_instance bans the node for the instance outright (it
// adds the score and falls through to its ban), even though the instance's
// stickiness would keep its score positive (all-features seed 98).
func TestCloneNegativeParentScoreBans(t *testing.T) {
	checkSummary(t, miniCIB{
		quorum:    true,
		nodes:     []string{"node1", "node2"},
		resources: `<clone id="c-clone">` + dummy("c", "resource-stickiness=100") + `</clone>`,
		constraints: `<rsc_location id="l1" rsc="c-clone" node="node1" score="-INFINITY"/>` +
			`<rsc_location id="l2" rsc="c-clone" node="node2" score="-10"/>`,
		lrm: map[string]string{"node2": lrmOp("c", "start", 0, 1)},
	}, "  * Stop       c:0     ( node2 )  due to node availability\n")
}
