package scheduler

import (
	"fmt"
	"strings"
	"testing"
)

// TestParamsDigest checks the digest serialisation against digests
// Pacemaker recorded in the regression corpus.
func TestParamsDigest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		want   string
	}{
		{"no parameters", map[string]string{}, dummyDigest},
		{"recurring timeout only", map[string]string{"CRM_meta_timeout": "20000"}, "4811cef7f7f94e3a35a70be7916cb2fd"},
		// novell-239087's fs_1 (its "#default" target_role left out).
		{"sorted names", map[string]string{"fstype": "reiserfs", "directory": "/mnt/share1", "device": "/dev/drbd0"}, "e38fc095cd72534897b21e24a8484122"},
		// clone-anon-dup's fs_www, with the clone's instance attributes.
		{"inherited", map[string]string{"device": "wcnfs:/share/drbd_www/data/", "directory": "/data/www", "fstype": "nfs", "clone-max": "2", "clone-node-max": "1"}, "f4d525ad8ad6b437e3226d42513b0709"},
	} {
		if got := paramsDigest(tc.params); got != tc.want {
			t.Errorf("%s: digest %s, want %s", tc.name, got, tc.want)
		}
	}
}

// digestCIB is twoNode with ip carrying one parameter and a 10s monitor,
// running on node1 with the given start and monitor history attributes.
func digestCIB(value, startAttrs, monitorAttrs string) string {
	cfg := `<primitive id="db" class="ocf" provider="heartbeat" type="Dummy">
        <instance_attributes id="db-ia"><nvpair id="db-p" name="state" value="` + value + `"/></instance_attributes>
        <operations><op id="db-mon" name="monitor" interval="10s"/></operations>
      </primitive>`
	lrm := `<lrm id="1"><lrm_resources><lrm_resource id="db" class="ocf" provider="heartbeat" type="Dummy">` +
		`<lrm_rsc_op id="db_last_0" operation_key="db_start_0" operation="start" transition-key="1:1:0:x" call-id="1" rc-code="0" op-status="0" interval="0" ` + startAttrs + `/>` +
		`<lrm_rsc_op id="db_monitor_10000" operation_key="db_monitor_10000" operation="monitor" transition-key="2:1:0:x" call-id="2" rc-code="0" op-status="0" interval="10000" ` + monitorAttrs + `/>` +
		`</lrm_resource></lrm_resources></lrm>`
	xml := twoNode(cfg, "", lrm)
	// Keep db where it runs.
	return strings.Replace(xml, "</constraints>", `<rsc_location id="db-n1" rsc="db" node="node1" score="100"/></constraints>`, 1)
}

// TestDefinitionChanges checks pcmk__check_action_config's outcomes,
// each verified with crm_simulate 2.1.5: a matching digest leaves the
// resource alone, a changed or missing one restarts it (the history has no
// restart digest, so the agent cannot reload), a change of reloadable
// parameters only reloads it, a changed restart digest restarts it, and a
// changed recurring monitor is rescheduled without a restart.
func TestDefinitionChanges(t *testing.T) {
	start := func(state string) string {
		return fmt.Sprintf(`op-digest="%s"`, paramsDigest(map[string]string{"state": state}))
	}
	monitor := func(state string) string {
		return fmt.Sprintf(`op-digest="%s"`, paramsDigest(map[string]string{"state": state, "CRM_meta_timeout": "20000"}))
	}
	for _, tc := range []struct {
		name, startAttrs, monitorAttrs string
		restart                        bool
		monitorRuns                    bool
	}{
		{"unchanged", start("a"), monitor("a"), false, false},
		{"changed", start("old"), monitor("a"), true, true},
		{"missing digest", "", monitor("a"), true, true},
		{"reloadable change", start("old") + ` op-restart-digest="` + dummyDigest + `" op-force-restart=" other "`, monitor("a"), false, true},
		{"restart digest changed", start("a") + ` op-restart-digest="` + start("old")[11:43] + `" op-force-restart=" state "`, monitor("a"), true, true},
		{"monitor changed", start("a"), monitor("old"), false, true},
	} {
		tr := schedule(t, digestCIB("a", tc.startAttrs, tc.monitorAttrs))
		summary := tr.SummaryText()
		if got := strings.Contains(summary, "Restart    db"); got != tc.restart {
			t.Errorf("%s: restart=%v, want %v; summary:\n%s", tc.name, got, tc.restart, summary)
		}
		// Only reloadable parameters changed: the agent reloads, and the
		// monitor restarts after it.
		if got, want := strings.Contains(summary, "Reload     db      ( node1 )"), tc.name == "reloadable change"; got != want {
			t.Errorf("%s: reload=%v, want %v; summary:\n%s", tc.name, got, want, summary)
		}
		runs := false
		for _, a := range tr.ws.actions {
			if a.rsc != nil && a.rsc.ID == "db" && a.task == "monitor" && a.intervalMS == 10000 && !a.optional && a.runnable {
				runs = true
			}
		}
		if runs != tc.monitorRuns {
			t.Errorf("%s: monitor scheduled=%v, want %v", tc.name, runs, tc.monitorRuns)
		}
	}
}

// TestAgentChangeCleansUp checks pcmk__rsc_agent_changed: history written
// by another agent restarts the resource and deletes that history.
func TestAgentChangeCleansUp(t *testing.T) {
	xml := twoNode("", "", lrmRunning("ip ocf heartbeat IPaddr", "web lsb apache2"))
	tr := schedule(t, xml)
	// web is ordered after ip, so it restarts with it.
	want := "  * Restart    ip      ( node1 )\n  * Restart    web     ( node1 )  due to required ip start\n"
	if got := tr.SummaryText(); got != want {
		t.Errorf("summary:\n%s", got)
	}
	var deletes []string
	for _, a := range tr.ws.actions {
		if a.task == "delete" && !a.optional {
			deletes = append(deletes, a.rsc.ID+"@"+a.node.Name)
		}
	}
	if fmt.Sprint(deletes) != "[ip@node1]" {
		t.Errorf("deletes = %v, want [ip@node1]", deletes)
	}
}
