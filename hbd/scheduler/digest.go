package scheduler

import (
	"crypto/md5"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// Operation digests (pe_digest.c and pcmk__check_action_config, 2.1.5).
// The controller records with each history entry the MD5 of the
// parameters the operation ran with (op-digest) and, for agents that can
// reload, the MD5 of the parameters that need a restart (op-restart-digest,
// listed in op-force-restart). The scheduler recomputes both from the
// current configuration: a difference means the definition changed.

// digestResult is enum rsc_digest_cmp_val.
type digestResult int

const (
	digestMatch   digestResult = iota
	digestAll                  // op-digest differs: reload or reschedule
	digestRestart              // op-restart-digest differs: restart
	digestUnknown              // no op-digest recorded
)

// expiredRestartDigest is the restart digest unpacking gives an expired
// recurring failure, so that the comparison forces the operation again.
const expiredRestartDigest = "calculated-failure-timeout"

// rscParams is pe_rsc_params: the primitive's instance attributes with
// the sets whose rules hold for the node, higher-scored sets first, then
// those of its group and clone for names it does not set itself
// (get_rsc_attributes recurses to the parent).
func (ws *workingSet) rscParams(r *Resource, n *Node) map[string]string {
	out := map[string]string{}
	for p := r; p != nil; p = p.Parent {
		if p.xml == nil {
			continue
		}
		var sets []cib.NVSet
		for _, s := range p.xml.Instance {
			if s.Rule != nil && (n == nil || !ws.ruleMatches(s.Rule, n)) {
				continue
			}
			sets = append(sets, s)
		}
		flattenSets(sets, out)
	}
	// populate_hash ignores the value "#default": the parameter keeps
	// its agent default and is not passed at all.
	for k, v := range out {
		if strings.EqualFold(v, "#default") {
			delete(out, k)
		}
	}
	return out
}

// opParams is pcmk__unpack_action_rsc_params: the instance attributes of
// the configured <op> (disabled ones included), which add to the
// resource's parameters for that operation.
func (ws *workingSet) opParams(r *Resource, n *Node, task string, intervalMS int64) map[string]string {
	out := map[string]string{}
	if r.xml == nil {
		return out
	}
	for i := range r.xml.Ops {
		op := &r.xml.Ops[i]
		if op.Name != task || parseIntervalMS(op.Interval) != intervalMS {
			continue
		}
		var sets []cib.NVSet
		for _, s := range op.Instance {
			if s.Rule == nil || (n != nil && ws.ruleMatches(s.Rule, n)) {
				sets = append(sets, s)
			}
		}
		flattenSets(sets, out)
		break
	}
	return out
}

// opTimeoutMS is the timeout unpack_operation gives an operation: its
// own, else the op_defaults one, else 20 seconds.
func (ws *workingSet) opTimeoutMS(r *Resource, task string, intervalMS int64) int64 {
	if r.xml != nil {
		for i := range r.xml.Ops {
			op := &r.xml.Ops[i]
			// find_rsc_op_entry skips disabled operations.
			if op.Name != task || parseIntervalMS(op.Interval) != intervalMS || (op.Enabled != "" && isFalse(op.Enabled)) {
				continue
			}
			if op.Timeout != "" {
				return parseIntervalMS(op.Timeout)
			}
			meta := map[string]string{}
			flattenSets(op.Meta, meta)
			if v, ok := meta["timeout"]; ok {
				return parseIntervalMS(v)
			}
			break
		}
	}
	if v, ok := ws.opDefaults["timeout"]; ok {
		if ms := parseIntervalMS(v); ms > 0 {
			return ms
		}
	}
	return 20000
}

// digestParams is the parameter set calculate_main_digest hashes once
// pcmk__filter_op_for_digest has dropped the meta-attributes: the
// resource's parameters for the node, and the timeout of a recurring
// operation.
func (ws *workingSet) digestParams(r *Resource, n *Node, task string, intervalMS int64) map[string]string {
	params := ws.rscParams(r, n)
	for k, v := range ws.opParams(r, n, task, intervalMS) {
		params[k] = v
	}
	if intervalMS > 0 {
		params["CRM_meta_timeout"] = strconv.FormatInt(ws.opTimeoutMS(r, task, intervalMS), 10)
	}
	return params
}

// paramsDigest is calculate_operation_digest: the MD5 of the parameters
// serialised as libxml's unformatted dump of a <parameters> element with
// its attributes sorted by name.
func paramsDigest(params map[string]string) string {
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(" <parameters")
	for _, k := range names {
		b.WriteString(" " + k + `="`)
		b.WriteString(escapeAttr(params[k]))
		b.WriteString(`"`)
	}
	b.WriteString("/>\n")
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

// compareDigests is rsc_action_digest_cmp for one history entry.
func (ws *workingSet) compareDigests(r *Resource, n *Node, op *histOp) digestResult {
	task := op.x.Operation
	params := ws.digestParams(r, n, task, op.interval)
	restart, hasRestart := op.x.OpRestartDigest, op.x.HasRestart
	if op.failureExpired {
		restart, hasRestart = expiredRestartDigest, true
	}
	if hasRestart {
		// The restart digest covers only the parameters the agent
		// cannot reload (all of them without op-force-restart).
		restartParams := params
		if force := op.x.OpForceRestart; force != "" {
			restartParams = map[string]string{}
			for k, v := range params {
				if strings.Contains(force, " "+k+" ") {
					restartParams[k] = v
				}
			}
		}
		if paramsDigest(restartParams) != restart {
			return digestRestart
		}
	}
	switch {
	case !op.x.HasOpDigest:
		return digestUnknown
	case op.x.OpDigest != paramsDigest(params):
		// A one-time operation with parameters of its own restarts
		// rather than reloads, so that they apply to it.
		if op.interval == 0 && len(ws.opParams(r, n, task, 0)) > 0 {
			return digestRestart
		}
		return digestAll
	}
	return digestMatch
}

// checkActionConfig is pcmk__check_action_config for an entry the caller
// knows to be configured (orphaned recurring operations are handled by
// checkActionsFor): it schedules whatever a changed definition needs and
// reports whether it changed.
func (ws *workingSet) checkActionConfig(r *Resource, n *Node, op *histOp) bool {
	task := op.x.Operation
	result := ws.compareDigests(r, n, op)
	if result != digestMatch && ws.onlySanitizedChanged(r, n, op) {
		return false
	}
	switch result {
	case digestRestart:
		ws.forceRestart(r, n, task, op.interval)
	case digestAll, digestUnknown:
		switch {
		case op.interval > 0:
			// A recurring operation is not reloaded but started again
			// with the new parameters; the old one is cancelled by the
			// executor.
			ws.rscTriggerUnfencing(r, n, "Device parameters changed (reschedule)")
			a := ws.customOp(r, task, op.interval, n, true)
			a.reschedule = true
		case op.x.HasRestart:
			// The agent supports reload: only reloadable parameters
			// changed, or the restart digest would have differed.
			ws.rscTriggerUnfencing(r, n, "Device parameters changed (reload)")
			ws.scheduleReload(r, n)
		default:
			ws.forceRestart(r, n, task, op.interval)
		}
	default:
		return false
	}
	return true
}

// forceRestart is force_restart: the operation is made required. It is
// looked up without a node, so an action for the key on any node (the
// optional one the history created) is the one that becomes required.
func (ws *workingSet) forceRestart(r *Resource, n *Node, task string, intervalMS int64) {
	var a *action
	for _, x := range r.actions {
		if x.opTask() == task && x.intervalMS == intervalMS {
			a = x
			break
		}
	}
	if a == nil {
		a = ws.customOp(r, task, intervalMS, nil, false)
	}
	a.optional = false
	a.setReason("resource definition change", true)
	ws.rscTriggerUnfencing(r, n, "Device parameters changed")
}

// scheduleReload is schedule_reload: a required reload-agent action on
// the node, unless the resource cannot be managed there or a restart is
// already due (then its stop is made required instead). A required stop
// or demote later cancels the reload (cancelReloads).
func (ws *workingSet) scheduleReload(r *Resource, n *Node) {
	if n == nil || !r.managed || r.failed {
		return
	}
	if r.startPending {
		ws.customAction(r, "stop", n, false)
		return
	}
	r.reload = true
	a := ws.customAction(r, "reload-agent", n, false)
	a.setReason("resource definition change", false)
}

// cancelReloads applies the then-cancels-first orderings schedule_reload
// creates from a reload to its resource's stop and demote: when either is
// required, the restart makes the reload pointless.
func (ws *workingSet) cancelReloads() {
	for _, a := range ws.actions {
		if a.rsc == nil || a.task != "reload-agent" || a.optional {
			continue
		}
		for _, x := range a.rsc.actions {
			if (x.task == "stop" || x.task == "demote") && x.intervalMS == 0 && !x.optional {
				a.optional = true
				a.rsc.reload = false
				break
			}
		}
	}
}

// rscTriggerUnfencing is trigger_unfencing for a resource: only a fencing
// device's change unfences the node.
func (ws *workingSet) rscTriggerUnfencing(r *Resource, n *Node, reason string) {
	if r.isStonith {
		ws.triggerUnfencing(n, reason)
	}
}

// agentChanged is pcmk__rsc_agent_changed: the history was written by a
// different agent (class, provider or type, absent values included). A
// fencing device unfences the node; when the resource is active there,
// its stop becomes required and a start is pending.
func (ws *workingSet) agentChanged(r *Resource, n *Node, lr *cib.LRMResource, active bool) bool {
	if r.Class == lr.Class && r.Provider == lr.Provider && r.Type == lr.Type {
		return false
	}
	ws.rscTriggerUnfencing(r, n, "Device definition changed")
	if active {
		ws.customAction(r, "stop", n, false)
		r.startPending = true
	}
	return true
}

// scheduleCleanup is pcmk__schedule_cleanup: a required delete of the
// resource's history on the node, between its stop and its start.
func (ws *workingSet) scheduleCleanup(r *Resource, n *Node) {
	if r.failed || n.Unclean || !n.Online {
		return
	}
	del := ws.customAction(r, "delete", n, false)
	ws.orderings = append(ws.orderings,
		orderSpec{firstRsc: r, firstTask: "stop", thenRsc: r, thenAction: del, flags: ordOptional},
		orderSpec{firstRsc: r, firstAction: del, thenRsc: r, thenTask: "start", flags: ordOptional})
}

// clearOrphanFailcounts is clear_failcounts_if_orphaned: an orphaned
// resource's fail counts are cleared on every online node, before it
// stops.
func (ws *workingSet) clearOrphanFailcounts() {
	if !ws.opts.stopOrphans {
		return
	}
	for _, r := range ws.resources {
		if !r.orphan {
			continue
		}
		for _, n := range ws.nodesByName() {
			if !n.Online {
				continue
			}
			if fc, _ := ws.failCount(r, n, true); fc == 0 {
				continue
			}
			clear := ws.clearFailcount(r, n, "it is orphaned")
			ws.orderings = append(ws.orderings, orderSpec{firstRsc: r, firstAction: clear, thenRsc: r, thenTask: "stop", flags: ordOptional})
		}
	}
}

// featureSetBefore is compare_version(v, than) < 0 on dotted numbers.
func featureSetBefore(v, than string) bool {
	a, b := strings.Split(v, "."), strings.Split(than, ".")
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y int
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		if i < len(b) {
			y, _ = strconv.Atoi(b[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// stonithParam is pcmk_stonith_param: a parameter Pacemaker itself
// interprets for fencing devices, which older controllers left out of
// the secure digest.
func stonithParam(name string) bool {
	switch name {
	case "provides", "stonith-timeout":
		return false
	case "pcmk_action_limit", "pcmk_delay_base", "pcmk_delay_max", "pcmk_host_argument",
		"pcmk_host_check", "pcmk_host_list", "pcmk_host_map":
		return true
	}
	rest, ok := strings.CutPrefix(name, "pcmk_")
	if !ok {
		return false
	}
	i := strings.IndexByte(rest, '_')
	if i < 0 {
		return false
	}
	switch rest[i:] {
	case "_action", "_timeout", "_retries":
		return true
	}
	return false
}

// onlySanitizedChanged is only_sanitized_changed: crm_simulate works on
// sanitized CIBs, whose passwords no longer hash as recorded, so a change
// is ignored when the digest without the secure parameters
// (calculate_secure_digest) still matches.
func (ws *workingSet) onlySanitizedChanged(r *Resource, n *Node, op *histOp) bool {
	if !op.x.HasSecure {
		return false
	}
	version := op.x.FeatureSet
	if version == "" {
		version = ws.cibFeatureSet
	}
	if version == "" {
		version = graphFeatureSet
	}
	old := featureSetBefore(version, "3.16.0")
	var params map[string]string
	if old {
		// Older controllers hashed only the agent's declared parameters:
		// no timeout, and no fencing parameters of Pacemaker's own.
		params = ws.rscParams(r, n)
		if r.isStonith {
			for k := range params {
				if stonithParam(k) {
					delete(params, k)
				}
			}
		}
	} else {
		params = ws.digestParams(r, n, op.x.Operation, op.interval)
	}
	for k := range params {
		if strings.Contains(op.x.OpSecureParams, " "+k+" ") {
			delete(params, k)
		}
	}
	return paramsDigest(params) == op.x.OpSecureDigest
}
