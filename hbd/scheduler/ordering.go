package scheduler

import (
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// orderSpec is pe__ordering_t between resource tasks (actions are looked
// up when the orderings are applied, after action creation).
type orderSpec struct {
	firstRsc    *Resource
	firstTask   string
	thenRsc     *Resource
	thenTask    string
	flags       orderFlags
	firstAction *action // set instead of firstRsc for non-resource actions
	thenAction  *action // set instead of thenRsc for non-resource actions
}

func (ws *workingSet) newOrdering(first *Resource, firstTask string, then *Resource, thenTask string, flags orderFlags) {
	ws.orderings = append(ws.orderings, orderSpec{firstRsc: first, firstTask: firstTask, thenRsc: then, thenTask: thenTask, flags: flags})
}

// unpackOrder is unpack_simple_rsc_order.
func (ws *workingSet) unpackOrder(o *cib.Order) {
	first, then := ws.rscByID[o.First], ws.rscByID[o.Then]
	if first == nil || then == nil {
		return
	}
	// Orderings between fencing devices and other resources are ignored
	// (pcmk__new_ordering refuses them since 2.1.0).
	if first.isStonith != then.isStonith {
		return
	}
	firstAction := o.FirstAction
	if firstAction == "" {
		firstAction = "start"
	}
	thenAction := o.ThenAction
	if thenAction == "" {
		thenAction = firstAction
	}
	kind := orderKind(o)
	symmetric := kind != kindSerialize && (o.Symmetrical == "" || isTrue(o.Symmetrical))
	// handle_restart_type: the deprecated restart-type=restart meta
	// attribute of the "then" resource upgrades optional orderings.
	restartType := kind == kindOptional && then.meta["restart-type"] == "restart"
	flags := flagsForKind(kind, firstAction, symSymmetric(symmetric))
	if restartType {
		flags |= ordImpliesThen
	}
	minRequired := 0
	if first.Kind == cib.KindClone {
		minRequired = parseScore(first.meta["clone-min"])
		if o.RequireAll != "" && !isTrue(o.RequireAll) {
			minRequired = 1
		}
	}
	if minRequired > 0 {
		// A pseudo-action stands for "enough instances of first":
		// clone-min (or the deprecated require-all=false).
		any := &action{id: len(ws.actions), task: "clone-one-or-more:" + o.ID, pseudo: true, runnable: true,
			optional: true, requiresAny: true, requiredBefore: minRequired}
		ws.actions = append(ws.actions, any)
		for _, inst := range first.Children {
			ws.newOrdering(inst, firstAction, nil, "", ordOneOrMore|ordImpliesThenPr)
			ws.orderings[len(ws.orderings)-1].thenAction = any
		}
		ws.orderings = append(ws.orderings, orderSpec{firstAction: any, thenRsc: then, thenTask: thenAction, flags: flags | ordRunnableLeft})
	} else {
		ws.newOrdering(first, firstAction, then, thenAction, flags)
	}
	if !symmetric {
		return
	}
	fa, ta := invertAction(firstAction), invertAction(thenAction)
	if fa == "" || ta == "" {
		return
	}
	flags = flagsForKind(kind, firstAction, symInverse)
	if restartType {
		flags |= ordImpliesFirst
	}
	ws.newOrdering(then, ta, first, fa, flags)
}

type orderingKind int

const (
	kindMandatory orderingKind = iota
	kindOptional
	kindSerialize
)

// orderKind is get_ordering_type.
func orderKind(o *cib.Order) orderingKind {
	switch strings.ToLower(o.Kind) {
	case "":
		if o.Score != "" && parseScore(o.Score) == 0 {
			return kindOptional
		}
		return kindMandatory
	case "optional":
		return kindOptional
	case "serialize":
		return kindSerialize
	}
	return kindMandatory
}

type symmetry int

const (
	symAsymmetric symmetry = iota
	symSymmetric_
	symInverse
)

func symSymmetric(sym bool) symmetry {
	if sym {
		return symSymmetric_
	}
	return symAsymmetric
}

// flagsForKind is ordering_flags_for_kind.
func flagsForKind(kind orderingKind, first string, sym symmetry) orderFlags {
	f := ordOptional
	switch kind {
	case kindSerialize:
		f |= ordSerializeOnly
	case kindMandatory:
		switch sym {
		case symAsymmetric:
			f |= ordAsymmetrical
		case symSymmetric_:
			f |= ordImpliesThen
			if first == "start" || first == "promote" {
				f |= ordRunnableLeft
			}
		case symInverse:
			f |= ordImpliesFirst
		}
	}
	return f
}

func invertAction(a string) string {
	switch a {
	case "start":
		return "stop"
	case "stop":
		return "start"
	case "promote":
		return "demote"
	case "demote":
		return "promote"
	case "promoted":
		return "demoted"
	case "demoted":
		return "promoted"
	case "running":
		return "stopped"
	case "stopped":
		return "running"
	}
	return ""
}

// internalConstraints is pcmk__create_internal_constraints for primitives
// and groups.
func (ws *workingSet) internalConstraints() {
	for _, r := range ws.resources {
		ws.resourceInternalConstraints(r)
	}
}

func (ws *workingSet) resourceInternalConstraints(r *Resource) {
	switch r.Kind {
	case cib.KindGroup:
		ws.groupInternalConstraints(r)
	case cib.KindClone:
		ws.cloneInternalConstraints(r)
	default:
		ws.primitiveInternalConstraints(r)
	}
}

// cloneInternalConstraints is clone_internal_constraints (non-promotable).
func (ws *workingSet) cloneInternalConstraints(c *Resource) {
	ws.newOrdering(c, "stopped", c, "start", ordOptional)
	ws.newOrdering(c, "start", c, "running", ordRunnableLeft)
	ws.newOrdering(c, "stop", c, "stopped", ordRunnableLeft)
	var last *Resource
	for _, inst := range c.Children {
		ws.resourceInternalConstraints(inst)
		ws.newOrdering(c, "start", inst, "start", ordRunnableLeft|ordImpliesFirstPr)
		ws.newOrdering(inst, "start", c, "running", ordImpliesThenPr)
		if c.cloneOrdered && last != nil {
			ws.newOrdering(last, "start", inst, "start", ordOptional)
		}
		ws.newOrdering(c, "stop", inst, "stop", ordImpliesFirstPr)
		ws.newOrdering(inst, "stop", c, "stopped", ordImpliesThenPr)
		if c.cloneOrdered && last != nil {
			ws.newOrdering(inst, "stop", last, "stop", ordOptional)
		}
		last = inst
	}
	if c.promotable {
		ws.promotableInternalConstraints(c)
	}
}

// primitiveInternalConstraints is pcmk__primitive_internal_constraints:
// stop before start (restart).
func (ws *workingSet) primitiveInternalConstraints(r *Resource) {
	if !r.managed {
		return
	}
	ws.newOrdering(r, "stop", r, "start", ordOptional|ordImpliesThen|ordRestart)
	if r.isPromotable() || r.role > RoleUnpromoted {
		ws.newOrdering(r, "demote", r, "stop", ordPromotedImpliesFirst)
		ws.newOrdering(r, "start", r, "promote", ordRunnableLeft)
	}
}

// groupInternalConstraints is pcmk__group_internal_constraints with
// member_internal_constraints.
func (ws *workingSet) groupInternalConstraints(g *Resource) {
	ws.newOrdering(g, "stop", g, "stopped", ordRunnableLeft)
	ws.newOrdering(g, "stopped", g, "start", ordOptional)
	ws.newOrdering(g, "start", g, "running", ordRunnableLeft)
	var previous, lastActive *Resource
	for _, m := range g.Children {
		downFlags := ordImpliesFirstPr
		postDownFlags := ordImpliesThenPr
		ws.primitiveInternalConstraints(m)
		if previous == nil {
			if g.ordered {
				downFlags |= ordOptional
				postDownFlags = ordImpliesThen
			}
		} else if g.colocated {
			ws.newColocation("group:internal_colocation", m, previous, Infinity, RoleUnknown, RoleUnknown, "", m.critical)
		}
		ws.groupMemberRoleOrderings(g, m, previous, downFlags, postDownFlags)
		ws.newOrdering(g, "stop", m, "stop", downFlags)
		ws.newOrdering(m, "stop", g, "stopped", postDownFlags)
		ws.newOrdering(g, "start", m, "start", ordImpliesFirstPr)
		ws.newOrdering(m, "start", g, "running", ordImpliesThenPr)
		switch {
		case !g.ordered:
			ws.newOrdering(g, "start", m, "start", ordImpliesThen|ordRunnableLeft|ordImpliesFirstPr)
		case previous == nil:
			ws.newOrdering(g, "start", m, "start", ordNone)
		default:
			ws.newOrdering(previous, "start", m, "start", ordImpliesThen|ordRunnableLeft)
			ws.newOrdering(m, "stop", previous, "stop", ordOptional|ordRestart)
		}
		if len(m.runningOn) > 0 {
			if g.ordered && previous != nil && len(previous.runningOn) == 0 && lastActive != nil && len(lastActive.runningOn) > 0 {
				ws.newOrdering(m, "stop", lastActive, "stop", ordOptional)
			}
			lastActive = m
		}
		previous = m
	}
}

// applyOrderings is pcmk__apply_orderings: connect the actions, then
// propagate flags until nothing changes.
func (ws *workingSet) applyOrderings() {
	for _, o := range ws.orderings {
		ws.applyOrdering(o)
	}
	// Pacemaker prepends new actions to data_set->actions, so both passes
	// visit the newest action first. The order matters: an action created
	// late (a "first" action made by rsc_order_first) gets its flags
	// settled before the older actions ordered after it look at them.
	for i := len(ws.actions) - 1; i >= 0; i-- {
		if a := ws.actions[i]; !a.runnable {
			ws.blockColocatedStarts(a)
		}
	}
	ws.orderProbes()
	all := append([]*action(nil), ws.actions...)
	for i := len(all) - 1; i >= 0; i-- {
		ws.updateActionForOrderings(all[i])
	}
}

// applyOrdering is rsc_order_first with order_resource_actions_after.
func (ws *workingSet) applyOrdering(o orderSpec) {
	if o.firstAction != nil {
		if o.thenAction != nil {
			// Both ends known (a stop before a stopped-role monitor).
			orderActions(o.firstAction, o.thenAction, o.flags)
			return
		}
		for _, t := range actionsByTask(o.thenRsc, o.thenTask) {
			orderActions(o.firstAction, t, o.flags)
		}
		return
	}
	// A resource "first" goes through rsc_order_first even when "then" is
	// a bare action (the clone-min pseudo-action): a missing first action
	// is created here, early enough for later orderings (the instance's
	// own stop-then-start) to find it.
	firsts := actionsByTask(o.firstRsc, o.firstTask)
	if len(firsts) == 0 {
		if o.firstRsc == o.thenRsc {
			return
		}
		state := o.firstRsc.role
		if o.firstRsc.Kind == cib.KindGroup && len(o.firstRsc.Children) > 0 {
			state = o.firstRsc.Children[0].role
		}
		if state == RoleStopped && o.firstTask == "stop" {
			return
		}
		if state == RoleUnpromoted && o.firstTask == "demote" {
			return
		}
		firsts = []*action{ws.customAction(o.firstRsc, o.firstTask, nil, true)}
	}
	var thens []*action
	if o.thenAction != nil {
		thens = []*action{o.thenAction}
	} else {
		thens = actionsByTask(o.thenRsc, o.thenTask)
	}
	if len(thens) == 0 {
		return
	}
	for _, f := range firsts {
		for _, t := range thens {
			orderActions(f, t, o.flags)
		}
	}
}

// orderActions is order_actions. Pacemaker prepends the new edges; hbd
// appends them and walks the lists backwards (newestFirst), which visits
// them in the same order without quadratic copying.
func orderActions(first, then *action, typ orderFlags) bool {
	if typ == ordNone || first == nil || then == nil || first == then {
		return false
	}
	if first.afterTypes == nil {
		first.afterTypes = map[*action]orderFlags{}
	}
	// Filter duplicates: an existing edge sharing any flag.
	if first.afterTypes[then]&typ != 0 {
		return false
	}
	first.afterTypes[then] |= typ
	first.after = append(first.after, &actionEdge{action: then, typ: typ})
	then.before = append(then.before, &actionEdge{action: first, typ: typ})
	return true
}

// newestFirst copies an edge list in Pacemaker's (prepend) order.
func newestFirst(edges []*actionEdge) []*actionEdge {
	out := make([]*actionEdge, len(edges))
	for i, e := range edges {
		out[len(edges)-1-i] = e
	}
	return out
}
