package scheduler

import (
	"slices"
	"testing"

	"github.com/hbd-project/hbd/hbd/cib"
)

// notifyCIB is a notify=true anonymous clone running on node1 that starts
// a second instance on node2.
const notifyCIB = `<cib admin_epoch="0" epoch="1" num_updates="1" validate-with="pacemaker-3.0" have-quorum="1" dc-uuid="n1">
  <configuration>
    <crm_config>
      <cluster_property_set id="opts">
        <nvpair id="opts-stonith" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="n1" uname="node1"/>
      <node id="n2" uname="node2"/>
    </nodes>
    <resources>
      <clone id="web-clone">
        <meta_attributes id="web-clone-meta">
          <nvpair id="web-clone-notify" name="notify" value="true"/>
        </meta_attributes>
        <primitive id="web" class="ocf" provider="heartbeat" type="Dummy">
          <operations>
            <op id="web-mon" name="monitor" interval="10s"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="n1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="n1">
        <lrm_resources>
          <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
            <lrm_rsc_op id="web_last_0" operation_key="web_start_0" operation="start" crm-debug-origin="x" crm_feature_set="3.16.1" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
            <lrm_rsc_op id="web_monitor_10000" operation_key="web_monitor_10000" operation="monitor" crm-debug-origin="x" crm_feature_set="3.16.1" transition-key="2:1:0:x" transition-magic="0:0;2:1:0:x" call-id="3" rc-code="0" op-status="0" interval="10000" op-digest="4811cef7f7f94e3a35a70be7916cb2fd"/>
          </lrm_resource>
        </lrm_resources>
      </lrm>
    </node_state>
    <node_state id="n2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="n2">
        <lrm_resources>
          <lrm_resource id="web" class="ocf" provider="heartbeat" type="Dummy">
            <lrm_rsc_op id="web_last_0" operation_key="web_monitor_0" operation="monitor" crm-debug-origin="x" crm_feature_set="3.16.1" transition-key="3:1:7:x" transition-magic="0:7;3:1:7:x" call-id="1" rc-code="7" op-status="0" interval="0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
          </lrm_resource>
        </lrm_resources>
      </lrm>
    </node_state>
  </status>
</cib>`

// TestNotifyStartPhase checks the start phase's notifications against
// Pacemaker 2.1.5 (crm_simulate -x notifyCIB -S): the running instance is
// told before the start, both instances after it, and the new instance's
// recurring monitor waits for the post-notifications.
func TestNotifyStartPhase(t *testing.T) {
	c, err := cib.Parse([]byte(notifyCIB))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Schedule(c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"  * Pseudo action:   web-clone_pre_notify_start_0",
		"  * Resource action: web             notify on node1",
		"  * Pseudo action:   web-clone_confirmed-pre_notify_start_0",
		"  * Pseudo action:   web-clone_start_0",
		"  * Resource action: web             start on node2",
		"  * Pseudo action:   web-clone_running_0",
		"  * Pseudo action:   web-clone_post_notify_running_0",
		"  * Resource action: web             notify on node1",
		"  * Resource action: web             notify on node2",
		"  * Pseudo action:   web-clone_confirmed-post_notify_running_0",
		"  * Resource action: web             monitor=10000 on node2",
	}
	if got := tr.ExecutedActions(); !slices.Equal(got, want) {
		t.Fatalf("executed actions:\n%q\nwant\n%q", got, want)
	}

	// The notify_* keys every notification carries (Pacemaker's graph).
	keys := map[string]string{
		"notify_type":              "post",
		"notify_operation":         "start",
		"notify_start_resource":    "web:1",
		"notify_start_uname":       "node2",
		"notify_stop_resource":     " ",
		"notify_active_resource":   "web:0",
		"notify_active_uname":      "node1",
		"notify_inactive_resource": "web:1",
		"notify_available_uname":   "node1 node2",
		"notify_all_uname":         "node1 node2",
		"notify_promoted_resource": " ",
		"notify_slave_resource":    " ",
	}
	var posts int
	for _, a := range tr.ws.actions {
		if a.task != "notify" || a.pseudo || a.keyTask != "post_notify_start" {
			continue
		}
		posts++
		for k, v := range keys {
			if got := a.notifyMeta[k]; got != v {
				t.Errorf("%s on %s: %s = %q, want %q", a.key(), a.node.Name, k, got, v)
			}
		}
	}
	if posts != 2 {
		t.Errorf("%d post-start notifications, want 2", posts)
	}
}

// TestNotifyListSortsAndDeduplicates checks expand_list: instances sorted
// by id, each listed once, nodes in the same order, and " " for nothing.
func TestNotifyListSortsAndDeduplicates(t *testing.T) {
	n1, n2 := &Node{ID: "1", Name: "node1"}, &Node{ID: "2", Name: "node2"}
	a, b := &Resource{ID: "rsc:0"}, &Resource{ID: "rsc:1"}
	rscs, nodes := expandNotifyList([]notifyEntry{{b, n2}, {a, n1}, {b, n1}}, true)
	if rscs != "rsc:0 rsc:1" || nodes != "node1 node1" {
		t.Errorf("got %q / %q, want \"rsc:0 rsc:1\" / \"node1 node1\"", rscs, nodes)
	}
	if rscs, nodes := expandNotifyList(nil, true); rscs != " " || nodes != " " {
		t.Errorf("empty list gave %q / %q, want single spaces", rscs, nodes)
	}
	if rscs, _ := expandNotifyList([]notifyEntry{{a, nil}}, false); rscs != "rsc:0" {
		t.Errorf("inactive list gave %q, want \"rsc:0\"", rscs)
	}
}
