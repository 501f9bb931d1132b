package scheduler

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// Execution status codes (enum pcmk_exec_status).
const (
	execPending      = -1
	execDone         = 0
	execCancelled    = 1
	execTimeout      = 2
	execNotSupported = 3
	execError        = 4
	execErrorHard    = 5
	execErrorFatal   = 6
	execNotInstalled = 7
)

// OCF return codes used by the history unpacker.
const (
	ocfOK              = 0
	ocfNotRunning      = 7
	ocfRunningPromoted = 8
	ocfFailedPromoted  = 9
	ocfDegraded        = 190
	ocfDegradedProm    = 191
)

type histOp struct {
	x        *cib.LRMOp
	callID   int
	lastRC   int64
	rc       int
	status   int
	interval int64
	targetRC int
	key      string // operation key, e.g. rsc_monitor_10000
	// failureExpired marks an expired recurring failure on an online node
	// (the "calculated-failure-timeout" restart digest).
	failureExpired bool
}

// unpackHistory walks the status section's lrm histories in document
// order (unpack_node_history). Without fencing, the history of an offline
// node is not unpacked at all: its resources count as stopped.
func (ws *workingSet) unpackHistory(c *cib.CIB) {
	done := map[*Node]bool{}
	for i := range c.Status {
		st := &c.Status[i]
		n := ws.nodeByID(st.ID)
		if n == nil || st.Uname == "" || done[n] {
			continue
		}
		if !ws.opts.stonithEnabled && !n.Online {
			continue
		}
		done[n] = true
		for j := range st.Resources {
			ws.unpackLRMResource(n, &st.Resources[j])
		}
	}
	for _, r := range ws.primitives() {
		if r.role == RoleUnknown {
			r.role = RoleStopped
		}
		ws.applyTargetRole(r)
	}
	var groupRoles func(r *Resource)
	groupRoles = func(r *Resource) {
		for _, c := range r.Children {
			groupRoles(c)
		}
		if r.Kind == cib.KindGroup && len(r.Children) > 0 {
			r.role = r.Children[0].role
		}
	}
	for _, r := range ws.resources {
		groupRoles(r)
	}
}

func (ws *workingSet) nodeByID(id string) *Node {
	for _, n := range ws.nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// applyTargetRole is the target-role step of unpack_lrm_resource: a lower
// requested role overrides what the history implied.
func (ws *workingSet) applyTargetRole(r *Resource) {
	t := r.targetRole
	if t == RoleUnknown {
		return
	}
	if r.nextRole == RoleUnknown || t < r.nextRole {
		r.nextRole = t
	}
}

func parseHistOp(x *cib.LRMOp) histOp {
	h := histOp{x: x, callID: -1, lastRC: -1, targetRC: -1}
	if v, err := strconv.Atoi(x.CallID); err == nil {
		h.callID = v
	}
	if v, err := strconv.ParseInt(x.LastRCChange, 10, 64); err == nil {
		h.lastRC = v
	} else if v, err := strconv.ParseInt(x.LastRun, 10, 64); err == nil {
		h.lastRC = v
	}
	h.rc, _ = strconv.Atoi(x.RCCode)
	h.status, _ = strconv.Atoi(x.OpStatus)
	if x.OpStatus == "" {
		h.status = execDone
	}
	h.interval, _ = strconv.ParseInt(x.Interval, 10, 64)
	// transition-key is "action:transition:target-rc:uuid".
	key := x.TransitionKey
	if key == "" {
		if i := strings.IndexByte(x.TransitionMagic, ';'); i >= 0 {
			key = x.TransitionMagic[i+1:]
		}
	}
	if parts := strings.Split(key, ":"); len(parts) >= 4 {
		if v, err := strconv.Atoi(parts[2]); err == nil {
			h.targetRC = v
		}
	}
	h.key = x.OperationKey
	if h.key == "" {
		h.key = x.ID
	}
	return h
}

func (h *histOp) isProbe() bool { return h.x.Operation == "monitor" && h.interval == 0 }

// unpackLRMResource is unpack_lrm_resource for one resource on one node.
func (ws *workingSet) unpackLRMResource(n *Node, lr *cib.LRMResource) {
	// Without operations there is nothing to unpack, and looking the
	// resource up could create an orphan clone instance for nothing.
	if len(lr.Ops) == 0 {
		return
	}
	r, ignore := ws.findResourceForHistory(n, lr.ID)
	if ignore {
		return
	}
	if r == nil {
		r = ws.newOrphan(lr)
	}
	if lr.ID != r.ID {
		// unpack_find_resource: remember the name the history uses, which
		// the transition graph and crm_simulate's injections go by.
		r.cloneName = lr.ID
	}
	if !r.orphan && r.Kind == cib.KindPrimitive && definitionChanged(r, lr) {
		// check_rsc_parameters: a changed agent deletes the history entry
		// and schedules a fail-count clear, which exempts the node from the
		// migration-threshold check (failcount_clear_action_exists).
		if r.failcountCleared == nil {
			r.failcountCleared = map[*Node]bool{}
		}
		r.failcountCleared[n] = true
	}
	if len(lr.Ops) > 0 {
		if r.knownOn == nil {
			r.knownOn = map[*Node]bool{}
		}
		r.knownOn[n] = true
	}
	ops := make([]histOp, 0, len(lr.Ops))
	for i := range lr.Ops {
		ops = append(ops, parseHistOp(&lr.Ops[i]))
	}
	// sort_op_by_callid: call-id, then last-rc-change (g_list_sort is stable).
	slices.SortStableFunc(ops, func(a, b histOp) int {
		if a.callID != b.callID {
			return cmp.Compare(a.callID, b.callID)
		}
		return cmp.Compare(a.lastRC, b.lastRC)
	})
	savedRole := r.role
	r.role = RoleUnknown
	onFail := failIgnore
	var lastFailure *histOp
	for i := range ops {
		ws.unpackRscOp(r, n, &ops[i], &lastFailure, &onFail)
	}
	ws.processRecurring(r, n, ops)
	ws.histories = append(ws.histories, rscHistory{rsc: r, node: n, ops: ops, entry: lr})
	ws.processRscState(r, n, onFail)
	if r.role <= RoleStopped && strings.Contains(r.cloneName, ":") {
		// process_rsc_state: an instance stopped here forgets a numbered
		// history name (old status sections), or it would look orphaned.
		r.cloneName = ""
	}
	ws.applyTargetRole(r)
	if savedRole > r.role {
		r.role = savedRole
	}
}

// unpackRscOp is unpack_rsc_op.
func (ws *workingSet) unpackRscOp(r *Resource, n *Node, h *histOp, lastFailure **histOp, onFail *failStrategy) {
	task := h.x.Operation
	switch task {
	case "notify", "meta-data", "cancel", "":
		return
	}
	status, rc := h.status, h.rc
	if status == execError {
		// Older versions set op-status 4 whenever rc != 0; the scheduler
		// decides for itself.
		status = execDone
	}
	expired := false
	if status != execNotInstalled {
		expired = ws.operationExpired(r, n, h)
	}
	if expired {
		ws.clearExpiredFailure(r, n)
	}
	// Degraded results are informational only.
	if task == "monitor" {
		switch rc {
		case ocfDegraded:
			rc = ocfOK
		case ocfDegradedProm:
			rc = ocfRunningPromoted
		}
	}
	target := h.targetRC
	if target < 0 {
		target = ocfOK
		if h.isProbe() {
			target = ocfNotRunning
		}
	}
	// unpack_rsc_op remaps the result before it drops an expired failure,
	// so the remap's side effects stay: an unmanaged resource whose expired
	// recurring monitor found it not running is stopped.
	if status == execDone {
		status = ws.determineOpStatus(r, n, h, rc, target, onFail)
	}
	if expired && target != rc {
		if h.interval == 0 {
			return
		}
		if n.Online && !n.Unclean {
			// An expired recurring failure is rescheduled: Pacemaker
			// overwrites the entry's restart digest so that the
			// configuration check forces the monitor to run again.
			h.failureExpired = true
			return
		}
	}
	switch status {
	case execCancelled:
	case execPending:
		switch task {
		case "start":
			r.startPending = true
			r.role = RoleStarted
		case "promote":
			r.role = RolePromoted
		}
	case execDone:
		ws.updateResourceState(r, n, h, task, rc, *lastFailure, onFail)
	case execNotInstalled:
		// A missing agent cannot be ignored: on-fail=ignore becomes
		// migrate, and the resource is banned from the node.
		if ws.onFailFor(r, h) == failIgnore {
			*onFail = failMigrate
		}
		ws.location(r.top(), n, -Infinity)
		ws.unpackFailure(r, n, h, rc, lastFailure, onFail)
	default: // timeout, not supported, error, hard error, fatal error
		strategy := ws.onFailFor(r, h)
		if strategy == failIgnore {
			ws.updateResourceState(r, n, h, task, target, *lastFailure, onFail)
			r.failIgnored = true
		} else {
			ws.unpackFailure(r, n, h, rc, lastFailure, onFail)
			switch status {
			case execErrorHard:
				ws.location(r.top(), n, -Infinity)
			case execErrorFatal:
				ws.location(r.top(), nil, -Infinity)
			}
		}
	}
}

// determineOpStatus maps an OCF result against the expected one
// (determine_op_status).
func (ws *workingSet) determineOpStatus(r *Resource, n *Node, h *histOp, rc, target int, onFail *failStrategy) int {
	probe := h.isProbe()
	switch rc {
	case ocfOK:
		if probe && target == ocfNotRunning {
			return execDone
		}
		if target != rc {
			return execError
		}
		return execDone
	case ocfNotRunning:
		if probe || target == rc || !r.managed {
			r.role = RoleStopped
			*onFail = failIgnore
			r.nextRole = RoleUnknown
			return execDone
		}
		return execError
	case ocfRunningPromoted:
		r.role = RolePromoted
		if probe && rc != target {
			return execDone
		}
		if target != rc {
			return execError
		}
		return execDone
	case ocfFailedPromoted:
		r.role = RolePromoted
		return execError
	case 6: // not configured
		return execErrorFatal
	case 3: // unimplemented feature
		if h.interval > 0 {
			return execNotSupported
		}
		fallthrough
	case 2, 4, 5: // invalid param, insufficient privileges, not installed
		if h.x.Operation == "stop" && !ws.canFence(n) {
			// No further recovery is possible: the resource is left
			// alone, blocked where its stop failed.
			r.managed = false
			r.blocked = true
		}
		return execErrorHard
	}
	return execError
}

// setActive is set_active: Started, or Unpromoted for promotable clones.
func setActive(r *Resource) {
	if r.isPromotable() {
		r.role = RoleUnpromoted
	} else {
		r.role = RoleStarted
	}
}

// updateResourceState is update_resource_state for a successful result.
func (ws *workingSet) updateResourceState(r *Resource, n *Node, h *histOp, task string, rc int, lastFailure *histOp, onFail *failStrategy) {
	clearPast := false
	switch {
	case rc == ocfNotRunning:
		clearPast = true
	case rc == 5:
		r.role = RoleStopped
	case task == "monitor":
		if lastFailure != nil && lastFailure.key == h.key {
			clearPast = true
		}
		if r.role < RoleStarted {
			setActive(r)
		}
	case task == "start":
		r.role = RoleStarted
		clearPast = true
	case task == "stop":
		r.role = RoleStopped
		clearPast = true
	case task == "promote":
		r.role = RolePromoted
		clearPast = true
	case task == "demote":
		if *onFail == failDemote {
			clearPast = true
		}
		r.role = RoleUnpromoted
	case task == "migrate_from":
		r.role = RoleStarted
		clearPast = true
	default:
		if r.role < RoleStarted {
			setActive(r)
		}
	}
	if clearPast {
		switch *onFail {
		case failStop, failFence, failMigrate, failStandby:
		default:
			*onFail = failIgnore
			r.nextRole = RoleUnknown
		}
	}
}

// unpackFailure is unpack_rsc_op_failure.
func (ws *workingSet) unpackFailure(r *Resource, n *Node, h *histOp, rc int, lastFailure **histOp, onFail *failStrategy) {
	*lastFailure = h
	strategy := ws.onFailFor(r, h)
	if cmpOnFail(*onFail, strategy) < 0 {
		*onFail = strategy
	}
	switch h.x.Operation {
	case "stop":
		ws.location(r, n, -Infinity)
	case "promote":
		r.role = RolePromoted
	case "demote":
		switch {
		case strategy == failBlock:
			r.role = RolePromoted
			r.nextRole = RoleStopped
		case rc == ocfNotRunning:
			r.role = RoleStopped
		default:
			r.role = RoleUnpromoted
		}
	}
	if h.isProbe() && rc == 5 {
		r.role = RoleStopped
	} else if r.role < RoleStarted {
		setActive(r)
	}
}

// onFailFor is the on-fail an operation would get (unpack_operation).
func (ws *workingSet) onFailFor(r *Resource, h *histOp) failStrategy {
	task := h.x.Operation
	value := ""
	for _, o := range r.ops {
		if o.name == task && o.intervalMS == h.interval {
			value = o.onFail
			break
		}
	}
	switch strings.ToLower(value) {
	case "ignore":
		return failIgnore
	case "block":
		return failBlock
	case "stop":
		return failStop
	case "standby":
		return failStandby
	case "demote":
		return failDemote
	case "migrate":
		return failMigrate
	case "restart-container":
		return failRecover
	case "fence":
		if ws.opts.stonithEnabled {
			return failFence
		}
		return failStop
	case "restart":
		return failRecover
	}
	if task == "stop" {
		if ws.opts.stonithEnabled {
			return failFence
		}
		return failBlock
	}
	return failRecover
}

// operationExpired is the failure-timeout part of check_operation_expiry.
func (ws *workingSet) operationExpired(r *Resource, n *Node, h *histOp) bool {
	if r.failureTimeout <= 0 || h.lastRC <= 0 || ws.opts.now == 0 {
		return false
	}
	if ws.onFailFor(r, h) == failBlock {
		return false
	}
	if ws.opts.now <= h.lastRC+int64(r.failureTimeout) {
		return false
	}
	// Only expired if the fail count has expired too (a failsafe in
	// check_operation_expiry).
	if fc, _ := ws.failCount(r, n, false); fc > 0 {
		if eff, _ := ws.failCount(r, n, true); eff != 0 {
			return false
		}
	}
	return true
}

// processRscState is process_rsc_state.
func (ws *workingSet) processRscState(r *Resource, n *Node, onFail failStrategy) {
	if r.role != RoleUnknown {
		// The state is known on n for the resource and, up to the first
		// unique one, its ancestors: an anonymous clone instance's state
		// tells the state of the whole clone there.
		for it := r; it != nil; it = it.Parent {
			if it.stateKnownOn == nil {
				it.stateKnownOn = map[*Node]bool{}
			}
			it.stateKnownOn[n] = true
			if uniqueFlag(it) {
				break
			}
		}
	}
	if r.role != RoleStopped && r.role != RoleUnknown && !n.Online && !n.Maintenance && r.managed {
		if ws.opts.stonithEnabled {
			ws.fence(n, r.ID+" is thought to be active there")
		}
	}
	saved := onFail
	if n.Unclean {
		onFail = failIgnore
	}
	switch onFail {
	case failDemote:
		r.failed = true
	case failFence:
		ws.fence(n, r.ID+" failed there")
	case failStandby:
		n.Standby = true
	case failBlock:
		r.managed = false
		r.blocked = true
	case failMigrate:
		ws.location(r, n, -Infinity)
	case failStop:
		r.nextRole = RoleStopped
	case failRecover:
		if r.role != RoleStopped && r.role != RoleUnknown {
			r.failed = true
			r.stopIfFailed = true
			// Created now, as process_rsc_state does: the early action
			// id decides the stop's place in the transition graph.
			ws.customAction(r, "stop", n, false)
		}
	}
	if r.role != RoleStopped && r.role != RoleUnknown {
		ws.addRunning(r, n)
		switch onFail {
		case failIgnore:
		case failDemote, failBlock:
			r.failed = true
		default:
			r.failed = true
			r.stopIfFailed = true
		}
		_ = saved
	}
}

// addRunning is native_add_running.
func (ws *workingSet) addRunning(r *Resource, n *Node) {
	if !slices.Contains(r.runningOn, n) {
		r.runningOn = append(r.runningOn, n)
	}
	if n.Maintenance {
		r.managed = false
	}
	if !r.managed {
		ws.location(r, n, Infinity)
		for p := r.Parent; p != nil && n.Online; p = p.Parent {
			p.runningOn = append(p.runningOn, n)
		}
		return
	}
	if r.Parent != nil && !slices.Contains(r.Parent.runningOn, n) {
		r.Parent.runningOn = append(r.Parent.runningOn, n)
	}
}

// failCount is pe_get_failcount: the clamped sum of the resource's
// fail-count attributes on the node, and the newest last-failure. With
// effective set, an expired failure-timeout makes the count 0.
func (ws *workingSet) failCount(r *Resource, n *Node, effective bool) (int, int64) {
	key := historyID(r)
	if c := cloneOf(r); c != nil && !c.unique {
		key = anonFailKey(key)
	}
	f := ws.failIndex(n)[key]
	count, last := f.count, f.last
	if effective && count > 0 && r.failureTimeout > 0 && last > 0 && ws.opts.now > 0 {
		if ws.opts.now > last+int64(r.failureTimeout) {
			count = 0
		}
	}
	return count, last
}

// failEntry sums a resource's fail-count attributes on one node and keeps
// the latest last-failure.
type failEntry struct {
	count int
	last  int64
}

// failIndex indexes n's fail-count-ID[#OP] and last-failure-ID[#OP]
// attributes by resource ID once (node attributes do not change while
// scheduling): an attribute counts for ID itself and, when ID holds a '#',
// for every prefix before one, as the name matching of failCount requires.
func (ws *workingSet) failIndex(n *Node) map[string]failEntry {
	if idx, ok := ws.failIndexes[n]; ok {
		return idx
	}
	idx := map[string]failEntry{}
	for name, v := range n.attrs {
		var id string
		var isCount bool
		switch {
		case strings.HasPrefix(name, "fail-count-"):
			id, isCount = name[len("fail-count-"):], true
		case strings.HasPrefix(name, "last-failure-"):
			id = name[len("last-failure-"):]
		default:
			continue
		}
		add := func(key string) {
			e := idx[key]
			if isCount {
				e.count = addScores(e.count, parseScore(v))
			} else if t, err := strconv.ParseInt(v, 10, 64); err == nil && t > e.last {
				e.last = t
			}
			idx[key] = e
		}
		add(id)
		for i := 0; i < len(id); i++ {
			if id[i] == '#' {
				add(id[:i])
			}
		}
		// An anonymous clone's fail counts match its name with any
		// instance number (generate_fail_regex's "(:[0-9]+)?").
		base := id
		if i := strings.IndexByte(base, '#'); i >= 0 {
			base = base[:i]
		}
		if i := strings.LastIndexByte(base, ':'); i >= 0 && i+1 < len(base) && strings.Trim(base[i+1:], "0123456789") == "" {
			base = base[:i]
		}
		add(anonFailKey(base))
	}
	if ws.failIndexes == nil {
		ws.failIndexes = map[*Node]map[string]failEntry{}
	}
	ws.failIndexes[n] = idx
	return idx
}

// anonFailKey is the failIndex key under which the fail counts of an
// anonymous clone's instances are summed, whatever their numbers.
func anonFailKey(base string) string { return "\x00anon:" + base }

// definitionChanged reports whether the history's agent differs from the
// configuration (class, provider or type; an absent value never differs).
func definitionChanged(r *Resource, lr *cib.LRMResource) bool {
	differs := func(cfg, hist string) bool { return cfg != "" && hist != "" && cfg != hist }
	return differs(r.Class, lr.Class) || differs(r.Provider, lr.Provider) || differs(r.Type, lr.Type)
}
