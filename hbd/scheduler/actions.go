package scheduler

import (
	"strconv"

	"github.com/hbd-project/hbd/hbd/cib"
)

// orderFlags is enum pe_ordering (the subset hbd implements).
type orderFlags uint32

const (
	ordNone                 orderFlags = 0
	ordOptional             orderFlags = 1 << 0
	ordImpliesThen          orderFlags = 1 << 1
	ordImpliesFirst         orderFlags = 1 << 2
	ordRunnableLeft         orderFlags = 1 << 3
	ordRestart              orderFlags = 1 << 4
	ordAsymmetrical         orderFlags = 1 << 5
	ordImpliesThenPr        orderFlags = 1 << 6
	ordImpliesFirstPr       orderFlags = 1 << 7
	ordSerializeOnly        orderFlags = 1 << 8
	ordImpliesThenOnN       orderFlags = 1 << 9
	ordOneOrMore            orderFlags = 1 << 10
	ordPromotedImpliesFirst orderFlags = 1 << 11
	ordAntiColocation       orderFlags = 1 << 12 // pe_order_anti_colocation
)

// action is pe_action_t.
type action struct {
	id   int
	rsc  *Resource
	task string
	node *Node
	// intervalMS is the operation interval in milliseconds: non-zero for
	// recurring monitors, whose key includes it.
	intervalMS int64
	// cancelTask is the operation a cancel action stops (its key is that
	// operation's key, as in pcmk__new_cancel_action).
	cancelTask string
	// cancelCallID is the call id of the history entry a cancellation
	// made from the history stops (pcmk__schedule_cancel records it so
	// the executor can match the operation); empty otherwise.
	cancelCallID string
	// keyTask replaces the task in the key of notification actions
	// (pcmk__notify_key: "pre_notify_start", "confirmed-post_notify_running").
	keyTask string
	// notifyMeta holds the notification meta-attributes (notify_type,
	// notify_*_resource, ...) that notify.go attaches for the graph.
	notifyMeta map[string]string
	// reschedule marks a recurring operation whose definition changed
	// (pe_action_reschedule): it must be started again.
	reschedule bool
	// expectsNotRunning marks monitors for the Stopped role (expected
	// result "not running").
	expectsNotRunning bool
	optional          bool
	// printAlways (pe_action_print_always) keeps an optional action in
	// the graph: a "printed" ordering found its other side required.
	printAlways bool
	runnable    bool
	pseudo      bool
	reason      string

	before     []*actionEdge // actions_before, oldest first
	after      []*actionEdge // actions_after, oldest first
	afterTypes map[*action]orderFlags

	fenceType string // "reboot" or "on" for fencing actions

	// requiresAny actions (clone-min orderings) become runnable once
	// requiredBefore of their "first" actions are runnable.
	requiresAny    bool
	requiredBefore int
	runnableBefore int
}

type actionEdge struct {
	action *action
	typ    orderFlags
}

// key is the action's operation key (pcmk__op_key): rsc_task_interval,
// e.g. "web_monitor_10000" or "grp_running_0"; node actions have no
// resource and use the task alone.
func (a *action) key() string {
	if a.rsc == nil {
		return a.task
	}
	return a.rsc.ID + "_" + a.opTask() + "_" + strconv.FormatInt(a.intervalMS, 10)
}

// opTask is the task part of the action's key: a cancel action keeps the
// key of the operation it cancels.
func (a *action) opTask() string {
	if a.keyTask != "" {
		return a.keyTask
	}
	if a.cancelTask != "" {
		return a.cancelTask
	}
	return a.task
}

// setReason is pe_action_set_reason.
func (a *action) setReason(reason string, overwrite bool) {
	if a.reason == "" || overwrite {
		a.reason = reason
	}
}

// reasonText is pe__action2reason.
func reasonText(a *action, flagRunnable bool) string {
	change := "required"
	if flagRunnable {
		change = "unrunnable"
	}
	if a.rsc != nil {
		return change + " " + a.rsc.ID + " " + a.task
	}
	return change + " " + a.task
}

// findAction returns r's action for task on node (nil node matches an
// action without a node), like find_first_action on the key task_0: the
// lookup is by operation key, so recurring operations (non-zero interval)
// never match.
func findAction(r *Resource, task string, node *Node) *action {
	return findOp(r, task, 0, node)
}

// findOp is find_first_action by operation key (task and interval) and
// node (nil matches an action without a node).
func findOp(r *Resource, task string, intervalMS int64, node *Node) *action {
	for _, a := range r.actions {
		if a.opTask() == task && a.intervalMS == intervalMS && a.node == node {
			return a
		}
	}
	return nil
}

// findFirstAction is find_first_action: a nil node matches any node.
func findFirstAction(r *Resource, task string, node *Node) *action {
	if node == nil {
		return findActionAnyNode(r, task)
	}
	return findAction(r, task, node)
}

// findActionAnyNode returns r's first action for task_0 on any node.
func findActionAnyNode(r *Resource, task string) *action {
	for _, a := range r.actions {
		if a.task == task && a.intervalMS == 0 {
			return a
		}
	}
	return nil
}

// actionsByTask is find_actions for the key task_0 on any node.
func actionsByTask(r *Resource, task string) []*action {
	var out []*action
	for _, a := range r.actions {
		if a.task == task && a.intervalMS == 0 {
			out = append(out, a)
		}
	}
	return out
}

// customAction is custom_action for resource actions: reuse an existing
// action (making it required if asked), or create one and work out
// whether it is runnable (update_resource_action_runnable).
func (ws *workingSet) customAction(r *Resource, task string, node *Node, optional bool) *action {
	return ws.customOp(r, task, 0, node, optional)
}

// customOp is customAction for an operation key with an interval
// (recurring monitors and their cancellations).
func (ws *workingSet) customOp(r *Resource, task string, intervalMS int64, node *Node, optional bool) *action {
	if a := findOp(r, task, intervalMS, node); a != nil {
		updateOptional(a, optional)
		return a
	}
	if node != nil && r.Kind == cib.KindPrimitive {
		// find_actions: an action created without a node (force_restart
		// makes the start required before assignment) takes the node of
		// the first lookup that names one, and custom_action evaluates
		// its runnability again.
		if a := findOp(r, task, intervalMS, nil); a != nil && !a.pseudo {
			a.node = node
			updateOptional(a, optional)
			ws.updateRunnable(a)
			if a.runnable {
				// A runnable action loses the reason given to the
				// node-less one: crm_simulate prints a plain Restart.
				a.reason = ""
			}
			return a
		}
	}
	a := &action{id: len(ws.actions), rsc: r, task: task, node: node, intervalMS: intervalMS, optional: optional, runnable: true}
	r.actions = append(r.actions, a)
	ws.actions = append(ws.actions, a)
	// An unmanaged resource's actions are all optional, except recurring
	// ones (custom_action only skips actions carrying an interval).
	if !r.managed && intervalMS == 0 {
		a.optional = true
	}
	ws.updateRunnable(a)
	return a
}

// updateOptional is update_action_optional for an action found again:
// a non-recurring action of an unmanaged resource on a node stays
// optional whatever the caller asks (it must not be scheduled), any other
// becomes required when the caller requires it.
func updateOptional(a *action, optional bool) {
	if a.node != nil && !a.pseudo && !a.rsc.managed && a.intervalMS == 0 {
		a.optional = true
		return
	}
	if !optional {
		a.optional = false
	}
}

// pseudoAction is pe__new_rsc_pseudo_action.
func (ws *workingSet) pseudoAction(r *Resource, task string, optional, runnable bool) *action {
	a := ws.customAction(r, task, nil, optional)
	a.pseudo = true
	a.runnable = runnable
	a.reason = ""
	return a
}

// updateRunnable is update_resource_action_runnable.
func (ws *workingSet) updateRunnable(a *action) {
	r := a.rsc
	// unpack_operation: only starts and promotes need quorum or fencing.
	needsNothing := (a.task != "start" && a.task != "promote") || r.requiresNothing
	switch {
	case a.node == nil:
		a.runnable = false
	case !a.node.Online:
		a.runnable = false
	case a.node.Pending:
		a.runnable = false
	case needsNothing:
		a.runnable = true
		a.reason = ""
	default:
		switch ws.effectiveQuorumPolicy(r) {
		case noQuorumStop:
			a.runnable = false
			a.setReason("no quorum", true)
		case noQuorumFreeze:
			// Freeze only blocks what would bring a resource up: an
			// action of a resource that is not active anywhere, or one
			// going up in role. A running resource may still move.
			if !r.active() || r.nextRole > r.role {
				a.runnable = false
				a.setReason("quorum freeze", true)
			}
		default:
			a.runnable = true
		}
	}
}

// effectiveQuorumPolicy is effective_quorum_policy (pe_actions.c): with
// quorum everything is allowed; under no-quorum-policy=demote a resource in
// a promotable role may stay (but at most unpromoted), the rest stop.
func (ws *workingSet) effectiveQuorumPolicy(r *Resource) noQuorumPolicy {
	if ws.opts.haveQuorum {
		return noQuorumIgnore
	}
	if ws.opts.noQuorum == noQuorumDemote {
		switch r.role {
		case RolePromoted, RoleUnpromoted:
			if r.nextRole > RoleUnpromoted {
				r.nextRole = RoleUnpromoted
			}
			return noQuorumIgnore
		}
		return noQuorumStop
	}
	return ws.opts.noQuorum
}

// active is native_active(rsc, TRUE): running on a node that is unclean,
// online, or offline while the resource is unmanaged.
func (r *Resource) active() bool {
	for _, n := range r.runningOn {
		if n.Unclean || n.Online || !r.managed {
			return true
		}
	}
	return false
}

// createPrimitiveActions is pcmk__primitive_create_actions (2.1.5),
// without migration.
func (ws *workingSet) createPrimitiveActions(r *Resource) {
	chosen := r.allocatedTo
	if r.nextRole == RoleUnknown {
		if chosen == nil {
			r.nextRole = RoleStopped
		} else {
			r.nextRole = RoleStarted
		}
	}
	current := r.currentNode()
	needStop, needPromote := false, false
	if len(r.runningOn) > 1 {
		// Multiply active: recovery_stop_start (the default).
		needStop = true
	}
	if r.startPending {
		ws.customAction(r, "start", chosen, true)
	}
	switch {
	case current != nil && chosen != nil && current != chosen:
		needStop = true
	case r.failed:
		if r.stopIfFailed {
			needStop = true
		} else if r.nextRole == RolePromoted {
			needPromote = true
		}
	case r.blocked:
		needStop = true
	case r.role > RoleStarted && current != nil && chosen != nil:
		if start := ws.customAction(r, "start", chosen, true); !start.optional {
			needStop = true
		}
	}
	ws.roleTransitions(r, chosen, needStop, needPromote)
	ws.createRecurringActions(r)
}

// stopRsc is StopRsc.
func (ws *workingSet) stopRsc(r *Resource, optional bool) {
	for _, n := range r.runningOn {
		stop := ws.customAction(r, "stop", n, optional)
		if r.allocatedTo == nil {
			stop.setReason("node availability", true)
		}
		if !r.managed {
			stop.runnable = false
		}
	}
}

// startRsc is StartRsc.
func (ws *workingSet) startRsc(r *Resource, next *Node, optional bool) {
	start := ws.customAction(r, "start", next, true)
	ws.orderVsUnfence(r, next, start, ordImpliesThen)
	if start.runnable && !optional {
		start.optional = false
	}
}

// createGroupActions is pcmk__group_create_actions.
func (ws *workingSet) createGroupActions(g *Resource) {
	for _, m := range g.Children {
		ws.createPrimitiveActions(m)
	}
	ws.pseudoAction(g, "start", true, true)
	ws.pseudoAction(g, "running", true, true)
	ws.pseudoAction(g, "stop", true, true)
	ws.pseudoAction(g, "stopped", true, true)
	ws.createGroupRoleActions(g)
}

func (ws *workingSet) createActions() {
	for _, r := range ws.resources {
		ws.createResourceActions(r)
	}
}

func (ws *workingSet) createResourceActions(r *Resource) {
	switch r.Kind {
	case cib.KindGroup:
		ws.createGroupActions(r)
	case cib.KindClone:
		ws.createCloneActions(r)
	default:
		ws.createPrimitiveActions(r)
	}
}

// createCloneActions is clone_create_pseudo_actions (without
// notifications): the instances' actions, then the clone's start,
// running, stop and stopped pseudo-actions.
func (ws *workingSet) createCloneActions(c *Resource) {
	var active, starting, stopping bool
	for _, inst := range c.Children {
		ws.createResourceActions(inst)
		cloneUpdatePseudoStatus(inst, &stopping, &starting, &active)
	}
	start := ws.pseudoAction(c, "start", !starting, true)
	started := ws.pseudoAction(c, "running", !starting, false)
	if active || starting {
		started.runnable = true
	}
	ws.addStartNotifications(c, start, started)
	stop := ws.pseudoAction(c, "stop", !stopping, true)
	stopped := ws.pseudoAction(c, "stopped", !stopping, true)
	ws.addStopNotifications(c, stop, stopped)
	if c.promotable {
		ws.createPromotableActions(c)
	}
}

// cloneUpdatePseudoStatus is clone_update_pseudo_status.
func cloneUpdatePseudoStatus(r *Resource, stopping, starting, active *bool) {
	if len(r.Children) > 0 {
		for _, c := range r.Children {
			cloneUpdatePseudoStatus(c, stopping, starting, active)
		}
		return
	}
	if len(r.runningOn) > 0 {
		*active = true
	}
	for _, a := range r.actions {
		if *starting && *stopping {
			return
		}
		switch {
		case a.optional:
		case !a.pseudo && !a.runnable:
		case a.task == "stop":
			*stopping = true
		case a.task == "start" && a.runnable:
			*starting = true
		}
	}
}
