package scheduler

import "github.com/hbd-project/hbd/hbd/cib"

// actionFlags is the pair of flags orderings look at.
type actionFlags struct {
	optional bool
	runnable bool
}

// flagsForOrdering is action_flags_for_ordering: a primitive action's own
// flags; for a group pseudo-action, the combination of its members'
// (pcmk__group_action_flags), which also updates the group action.
func (ws *workingSet) flagsForOrdering(a *action) actionFlags {
	if a.rsc == nil {
		return actionFlags{a.optional, a.runnable}
	}
	switch a.rsc.Kind {
	case cib.KindGroup:
		return ws.groupActionFlags(a, a.node)
	case cib.KindClone:
		return ws.cloneActionFlags(a, a.node)
	}
	return actionFlags{a.optional, a.runnable}
}

// flagsOnNode is action_flags_for_ordering with the other side's node: a
// clone's action is summarised over its instances on that node only (an
// instance starting elsewhere does not make it required there), but it
// stays runnable if it can run anywhere.
func (ws *workingSet) flagsOnNode(a *action, node *Node) actionFlags {
	f := ws.flagsForOrdering(a)
	if node == nil || a.rsc == nil || a.rsc.Kind != cib.KindClone {
		return f
	}
	runnable := f.runnable
	f = ws.cloneActionFlags(a, node)
	if runnable {
		f.runnable = true
	}
	return f
}

// orderingNode is the node pcmk__update_action_for_orderings compares:
// a group's start happens where the group is assigned.
func orderingNode(a *action) *Node {
	if a.rsc != nil && a.rsc.Kind == cib.KindGroup && a.task == "start" {
		if n := a.rsc.location(false); n != nil {
			return n
		}
	}
	return a.node
}

// memberTask is get_complex_task / clone_child_action: the member action
// a collective's completion pseudo-action stands for.
func memberTask(task string) string {
	switch task {
	case "running":
		return "start"
	case "stopped":
		return "stop"
	case "promoted":
		return "promote"
	case "demoted":
		return "demote"
	}
	return task
}

// groupActionFlags is pcmk__group_action_flags.
func (ws *workingSet) groupActionFlags(a *action, node *Node) actionFlags {
	f := actionFlags{optional: true, runnable: true}
	mt := memberTask(a.task)
	for _, m := range a.rsc.Children {
		ma := findFirstAction(m, mt, node)
		if ma == nil {
			if mt != "stop" && mt != "demote" {
				f.runnable = false
			}
			continue
		}
		mf := ws.memberFlags(ma, node)
		if f.optional && !mf.optional {
			f.optional = false
			a.optional = false
		}
		if mt != a.task && f.runnable && !mf.runnable {
			f.runnable = false
			a.runnable = false
		}
	}
	return f
}

// cloneActionFlags is summary_action_flags: required if any instance's
// action is, runnable if any instance's action is.
func (ws *workingSet) cloneActionFlags(a *action, onNode *Node) actionFlags {
	f := actionFlags{optional: true, runnable: true}
	mt := memberTask(notifiedTask(a))
	anyRunnable := false
	for _, inst := range a.rsc.Children {
		node := onNode
		if len(inst.Children) > 0 {
			node = nil
		}
		ia := findFirstAction(inst, mt, node)
		if ia == nil {
			continue
		}
		inf := ws.memberFlags(ia, onNode)
		if f.optional && !inf.optional {
			f.optional = false
			a.optional = false
		}
		if inf.runnable {
			anyRunnable = true
		}
	}
	if !anyRunnable {
		f.runnable = false
		if onNode == nil {
			a.runnable = false
		}
	}
	return f
}

// memberFlags is child->cmds->action_flags(action, node): collectives
// summarise their own members on the node.
func (ws *workingSet) memberFlags(a *action, node *Node) actionFlags {
	if a.rsc != nil && a.rsc.Kind == cib.KindGroup {
		return ws.groupActionFlags(a, node)
	}
	if a.rsc != nil && a.rsc.Kind == cib.KindClone {
		return ws.cloneActionFlags(a, node)
	}
	return ws.flagsForOrdering(a)
}

// actionForOrdering is action_for_ordering: orderings after a group's
// start or stop really wait for its running or stopped pseudo-action.
func actionForOrdering(a *action) *action {
	r := a.rsc
	if r == nil || r.Kind == cib.KindPrimitive {
		return a
	}
	task := a.task
	if done := notifiedCompletion(r, task); done != nil {
		return done
	}
	switch task {
	case "start":
		task = "running"
	case "stop":
		task = "stopped"
	case "promote":
		task = "promoted"
	case "demote":
		task = "demoted"
	default:
		return a
	}
	if m := findActionAnyNode(r, task); m != nil {
		return m
	}
	return a
}

func isParent(child, parent *Resource) bool {
	for p := child.Parent; p != nil; p = p.Parent {
		if p == parent {
			return true
		}
	}
	return false
}

// updateActionForOrderings is pcmk__update_action_for_orderings.
func (ws *workingSet) updateActionForOrderings(then *action) {
	// Pacemaker recurses without bound; hbd gives up on pathological
	// graphs (Schedule then reports an error) instead of hanging.
	ws.updates++
	if ws.depth > 10000 || ws.updates > ws.updateBudget {
		ws.diverged = true
		return
	}
	ws.depth++
	defer func() { ws.depth-- }()
	changedThen := false
	lastOpt, lastRun := then.optional, then.runnable
	if then.requiresAny {
		then.runnableBefore = 0
		if then.requiredBefore == 0 {
			then.requiredBefore = 1
		}
		then.runnable = false
	}
	for _, other := range newestFirst(then.before) {
		if other.typ == ordNone {
			continue
		}
		first := other.action
		if first.rsc != nil && then.rsc != nil && first.rsc != then.rsc && !isParent(then.rsc, first.rsc) {
			first = actionForOrdering(first)
		}
		changedFirst := false
		if first == other.action {
			ff := ws.flagsOnNode(first, orderingNode(then))
			tf := ws.flagsOnNode(then, orderingNode(first))
			cf, ct := ws.updateForOrderingFlags(first, then, ff, tf, other)
			changedFirst, changedThen = cf, changedThen || ct
		} else if orderActions(first, then, other.typ) {
			changedThen = true
			other.typ = ordNone
		}
		if changedFirst {
			for _, e := range newestFirst(first.after) {
				ws.updateActionForOrderings(e.action)
			}
			ws.updateActionForOrderings(first)
		}
	}
	if then.requiresAny {
		changedThen = then.optional != lastOpt || then.runnable != lastRun
	}
	if changedThen {
		ws.updateActionForOrderings(then)
		for _, e := range newestFirst(then.after) {
			ws.updateActionForOrderings(e.action)
		}
	}
}

// updateForOrderingFlags is update_action_for_ordering_flags; it returns
// whether first and then changed.
func (ws *workingSet) updateForOrderingFlags(first, then *action, ff, tf actionFlags, order *actionEdge) (bool, bool) {
	var cf, ct bool
	upd := func(filterOptional, filterRunnable bool, typ orderFlags, flags actionFlags) {
		f, t := ws.updateOrdered(first, then, flags, filterOptional, filterRunnable, typ)
		cf = cf || f
		ct = ct || t
	}
	t := order.typ
	if t&ordImpliesThenOnN != 0 {
		t = t&^ordImpliesThenOnN | ordImpliesThen
		order.typ = t
	}
	if t&ordImpliesThen != 0 {
		if then.rsc != nil {
			upd(true, false, ordImpliesThen, actionFlags{optional: ff.optional, runnable: false})
		} else if !ff.optional && then.optional {
			then.optional = false
			ct = true
		}
	}
	if t&ordRestart != 0 && then.rsc != nil {
		upd(true, true, ordRestart, ff)
	}
	if t&ordImpliesFirst != 0 {
		if first.rsc != nil {
			upd(true, false, ordImpliesFirst, ff)
		} else if !ff.optional && first.runnable {
			first.runnable = false
			cf = true
		}
	}
	if t&ordPromotedImpliesFirst != 0 && then.rsc != nil {
		upd(true, false, ordPromotedImpliesFirst, actionFlags{optional: ff.optional})
	}
	if t&ordOneOrMore != 0 {
		if then.rsc != nil {
			upd(false, true, ordOneOrMore, ff)
		} else if ff.runnable {
			then.runnableBefore++
			if then.runnableBefore >= then.requiredBefore && !then.runnable {
				then.runnable = true
				ct = true
			}
		}
	}
	if t&ordRunnableLeft != 0 {
		if then.rsc != nil {
			upd(false, true, ordRunnableLeft, ff)
		} else if !ff.runnable && then.runnable {
			then.runnable = false
			ct = true
		}
	}
	if t&ordOptional != 0 && then.rsc != nil {
		upd(false, true, ordOptional, ff)
	}
	if t&ordAsymmetrical != 0 && then.rsc != nil {
		upd(false, true, ordAsymmetrical, ff)
	}
	// The "printed" flags put an optional action in the graph anyway
	// (pe_action_print_always) once the other side is required: this is
	// how a clone-min pseudo-action shows up although nothing makes it
	// mandatory.
	if first.runnable && t&ordImpliesThenPr != 0 && !ff.optional {
		then.printAlways = true
	}
	if t&ordImpliesFirstPr != 0 && !tf.optional {
		first.printAlways = true
	}
	if t&(ordImpliesThen|ordImpliesFirst|ordRestart) != 0 && first.rsc != nil &&
		!first.rsc.managed && first.rsc.blocked && !first.runnable && first.task == "stop" {
		if then.runnable {
			then.runnable = false
			ct = true
		}
	}
	return cf, ct
}

// updateOrdered dispatches rsc->cmds->update_ordered_actions: groups also
// update the matching action of each member.
func (ws *workingSet) updateOrdered(first, then *action, flags actionFlags, fOpt, fRun bool, typ orderFlags) (bool, bool) {
	if canInterleave(first, then) {
		return ws.interleaveActions(first, then, fOpt, fRun, typ)
	}
	cf, ct := ws.updatePrimitiveOrdered(first, then, flags, fOpt, fRun, typ)
	if then.rsc == nil {
		return cf, ct
	}
	switch then.rsc.Kind {
	case cib.KindGroup:
		// pcmk__group_update_ordered_actions
		for _, m := range then.rsc.Children {
			if ma := findFirstAction(m, then.task, then.node); ma != nil {
				f, t := ws.updateOrdered(first, ma, flags, fOpt, fRun, typ)
				cf = cf || f
				ct = ct || t
			}
		}
	case cib.KindClone:
		// pcmk__multi_update_actions: only runnable instance actions.
		for _, inst := range then.rsc.Children {
			ia := findFirstAction(inst, then.task, then.node)
			if ia == nil || !ws.flagsForOrdering(ia).runnable {
				continue
			}
			f, t := ws.updateOrdered(first, ia, flags, fOpt, fRun, typ)
			cf = cf || f
			ct = ct || t
			if t {
				for _, e := range newestFirst(ia.after) {
					ws.updateActionForOrderings(e.action)
				}
			}
		}
	}
	return cf, ct
}

// clearBecause is clear_action_flag_because.
func clearOptionalBecause(a, reason *action) bool {
	if !a.optional {
		return false
	}
	a.optional = false
	if a.rsc != reason.rsc {
		a.setReason(reasonText(reason, false), false)
	}
	return true
}

func clearRunnableBecause(a, reason *action) bool {
	if !a.runnable {
		return false
	}
	a.runnable = false
	if a.rsc != reason.rsc {
		a.setReason(reasonText(reason, true), false)
	}
	return true
}

// updatePrimitiveOrdered is pcmk__update_ordered_actions.
func (ws *workingSet) updatePrimitiveOrdered(first, then *action, flags actionFlags, fOpt, fRun bool, typ orderFlags) (bool, bool) {
	thenBefore := *then
	firstBefore := *first
	if typ&ordAsymmetrical != 0 {
		ws.handleAsymmetric(first, then)
	}
	if typ&ordImpliesFirst != 0 && !thenBefore.optional {
		if fOpt && !flags.optional && firstBefore.optional {
			clearOptionalBecause(first, then)
		}
	}
	if typ&ordPromotedImpliesFirst != 0 && then.rsc != nil && then.rsc.role == RolePromoted && fOpt && !then.optional {
		clearOptionalBecause(first, then)
	}
	if typ&ordRunnableLeft != 0 && fRun && then.runnable && !flags.runnable {
		clearRunnableBecause(then, first)
	}
	if typ&ordImpliesThen != 0 && fOpt && then.optional && !flags.optional {
		clearOptionalBecause(then, first)
	}
	if typ&ordRestart != 0 {
		ws.handleRestart(first, then, fOpt, fRun)
	}
	ct := then.optional != thenBefore.optional || then.runnable != thenBefore.runnable
	cf := first.optional != firstBefore.optional || first.runnable != firstBefore.runnable
	if ct {
		if then.runnable != thenBefore.runnable && !then.runnable {
			ws.blockColocatedStarts(then)
		}
		if then.rsc != nil && then.rsc.Parent != nil {
			ws.updateActionForOrderings(then)
		}
	}
	return cf, ct
}

// handleAsymmetric is handle_asymmetric_ordering.
func (ws *workingSet) handleAsymmetric(first, then *action) {
	if then.rsc == nil || first.runnable {
		return
	}
	if then.optional {
		state := then.rsc.role
		if state == RoleStopped && then.task == "stop" {
			return
		}
		if state >= RoleStarted && then.task == "start" && len(then.rsc.runningOn) == 1 && then.rsc.runningOn[0] == then.node {
			return
		}
	}
	clearOptionalBecause(then, first)
	clearRunnableBecause(then, first)
}

// handleRestart is handle_restart_ordering.
func (ws *workingSet) handleRestart(first, then *action, fOpt, fRun bool) {
	reason := false
	if fOpt && !then.optional {
		reason = true
	}
	if fRun && !then.runnable && then.rsc.managed && first.rsc == then.rsc {
		reason = true
	}
	if !reason {
		return
	}
	if first.runnable {
		clearOptionalBecause(first, then)
	}
	if !then.optional {
		clearOptionalBecause(first, then)
	}
	if !first.optional && !first.runnable {
		clearRunnableBecause(then, first)
	}
}

// blockColocatedStarts is pcmk__block_colocation_dependents: when a
// start (or promote) cannot run anywhere for the whole collective,
// mandatory dependents cannot reach their colocated role either.
//
// In 2.1.5 only unrunnable starts block dependents (an unrunnable promote
// does not); a dependent colocated in the Promoted role loses its promote.
func (ws *workingSet) blockColocatedStarts(a *action) {
	if a.runnable || a.rsc == nil || a.task != "start" {
		return
	}
	isStart := true
	r := a.rsc.top()
	for _, c := range r.Children {
		ca := findActionAnyNode(c, a.task)
		if ca == nil || ca.runnable {
			return
		}
	}
	for _, co := range r.withThis {
		if co.score < Infinity {
			continue
		}
		if !isStart && co.primRole != RolePromoted {
			continue
		}
		task := "start"
		if co.depRole == RolePromoted {
			task = "promote"
		}
		ws.markBlocked(co.dependent, task, a.rsc)
	}
}

// markBlocked is mark_action_blocked.
func (ws *workingSet) markBlocked(r *Resource, task string, reason *Resource) {
	for _, a := range append([]*action(nil), r.actions...) {
		if a.task != task || !a.runnable {
			continue
		}
		a.runnable = false
		a.setReason("colocation with "+reason.ID, false)
		ws.blockColocatedStarts(a)
		ws.updateActionForOrderings(a)
		// A collective's completion pseudo-action (a clone's promoted_0)
		// summarises its instances' actions, so it must see the block:
		// Pacemaker ends with it unrunnable too (promoted-with-blocked),
		// while hbd's update pass may have visited it already.
		for _, e := range newestFirst(a.after) {
			ws.updateActionForOrderings(e.action)
		}
	}
	for _, c := range r.Children {
		ws.markBlocked(c, task, reason)
	}
}
