package scheduler

import (
	"cmp"
	"slices"

	"github.com/hbd-project/hbd/hbd/cib"
)

// isPromotable reports whether r is, or belongs to, a promotable clone.
func (r *Resource) isPromotable() bool {
	return r.top().promotable
}

// promotionScoreApplies is promotion_score_applies.
func (ws *workingSet) promotionScoreApplies(r *Resource, n *Node) bool {
	c := cloneOf(r)
	allowed := func() bool { w := r.allowed[n.index]; return w.present && w.score >= 0 }
	if c != nil && !c.unique {
		var active *Resource
		known := false
		for _, inst := range c.Children {
			m := findByBase(inst, r.baseID)
			if m == nil {
				continue
			}
			if slices.Contains(m.runningOn, n) {
				active = m
			}
			if m.knownOn[n] {
				known = true
			}
		}
		if active == r {
			return allowed()
		}
		if active == nil && known {
			return allowed()
		}
	}
	if len(r.runningOn) == 0 && len(r.knownOn) == 0 {
		return allowed()
	}
	if r.knownOn[n] || slices.Contains(r.runningOn, n) {
		return allowed()
	}
	return false
}

// promotionScore is promotion_score: the transient master-<rsc>
// attribute; isDefault when there is none.
func (ws *workingSet) promotionScore(r *Resource, n *Node) (score int, isDefault bool) {
	isDefault = true
	if len(r.Children) > 0 {
		for _, c := range r.Children {
			s, d := ws.promotionScore(c, n)
			if !d {
				isDefault = false
			}
			score = addScores(score, s)
		}
		return score, isDefault
	}
	if n == nil || !ws.promotionScoreApplies(r, n) {
		return 0, true
	}
	// The attribute is named after the resource as its history knows it
	// (what crm_attribute --promotion used); an anonymous instance
	// without history falls back to the name without instance number.
	name := r.ID
	if r.cloneName != "" {
		name = r.cloneName
	}
	if v, ok := n.attrs["master-"+name]; ok {
		return parseScore(v), false
	}
	if c := cloneOf(r); c != nil && !c.unique && r.baseID != "" && r.baseID != r.ID {
		if v, ok := n.attrs["master-"+r.baseID]; ok {
			return parseScore(v), false
		}
	}
	return 0, true
}

// addPromotionScores is pcmk__add_promotion_scores.
func (ws *workingSet) addPromotionScores(c *Resource) {
	for _, inst := range c.Children {
		for i, w := range inst.allowed {
			n := ws.nodes[i]
			if !w.present || !n.available() {
				continue
			}
			s, _ := ws.promotionScore(inst, n)
			if s > 0 {
				inst.allowed[i].score = addScores(w.score, s)
			}
			if s > inst.priority {
				inst.priority = s
			}
		}
	}
}

// setInstanceRoles is pcmk__set_instance_roles: rank the instances by
// promotion priority and promote the best promoted-max of them.
func (ws *workingSet) setInstanceRoles(c *Resource) {
	promotedCount := make([]int, len(ws.nodes))
	for _, inst := range c.Children {
		if inst.location(true) != nil && inst.role == RoleStarted {
			ws.setRoleUnpromoted(inst, true)
		}
		chosen := inst.location(false)
		if chosen == nil {
			continue
		}
		switch inst.nextRole {
		case RoleStarted, RoleUnknown:
			s, d := ws.promotionScore(inst, chosen)
			inst.priority = s
			if d {
				inst.priority = -1
			}
		case RoleUnpromoted, RoleStopped:
			inst.priority = -Infinity
		}
		for _, lc := range ws.locations {
			if lc.role != RolePromoted || (lc.rsc != inst && lc.rsc != c) {
				continue
			}
			for _, p := range lc.scores {
				if p.node == chosen {
					inst.priority = addScores(p.score, inst.priority)
				}
			}
		}
		for _, co := range inst.thisWith {
			ws.applyColocation(inst, co.primary, co)
		}
		inst.sortIndex = inst.priority
		if inst.nextRole == RolePromoted {
			// Already promoted (actions re-created after fencing): it
			// keeps its place at the head of the promotion order.
			inst.sortIndex = Infinity
		}
	}
	ws.promotionOrder(c)
	promoted := 0
	for _, inst := range c.Children {
		chosen := inst.location(false)
		if chosen != nil && ws.showScores {
			ws.promotionScores = append(ws.promotionScores, inst.ID+" promotion score on "+chosen.Name+": "+scoreString(inst.sortIndex))
		}
		if chosen == nil || inst.sortIndex < 0 {
			chosen = nil
		} else if promoted < c.promotedMax || !c.managed {
			chosen = ws.nodeToBePromotedOn(inst, c, promotedCount)
		} else {
			chosen = nil
		}
		if chosen == nil {
			ws.setRoleUnpromoted(inst, false)
			continue
		}
		if inst.role < RolePromoted && !ws.opts.haveQuorum && ws.opts.noQuorum == noQuorumFreeze {
			ws.setRoleUnpromoted(inst, false)
			continue
		}
		promotedCount[chosen.index]++
		ws.setRolePromoted(inst)
		promoted++
	}
}

// promotionOrder is promotion_order: fold each instance's sort index into
// the clone's score for its node, then the node preferences of the
// resources a promoted instance is colocated with and of those colocated
// with the promoted role, and read the sums back as the final sort
// indexes, so that colocations with roles steer which instance is
// promoted.
func (ws *workingSet) promotionOrder(c *Resource) {
	// pe_rsc_merging: a merge that comes back round to the clone stops.
	c.merging = true
	defer func() { c.merging = false }()
	for _, inst := range c.Children {
		chosen := inst.location(false)
		if chosen == nil || inst.sortIndex < 0 {
			continue
		}
		w := &c.allowed[chosen.index]
		w.score = addScores(inst.sortIndex, w.score)
	}
	for _, co := range c.thisWith {
		if co.depRole != RolePromoted {
			continue
		}
		// A mandatory colocation merges in full; an optional one is
		// rolled back when it would leave no node available.
		rollback := co.score < Infinity
		c.allowed = ws.mergeWeights(co.primary, c.allowed, co.nodeAttr,
			float32(co.score)/float32(Infinity), false, rollback, false)
	}
	for _, co := range c.withThis {
		if co.primRole != RolePromoted || !co.hasInfluence() {
			continue
		}
		c.allowed = ws.mergeWeights(co.dependent, c.allowed, co.nodeAttr,
			float32(co.score)/float32(Infinity), false, true, true)
	}
	for _, inst := range c.Children {
		chosen := inst.location(false)
		switch {
		case !inst.managed && inst.nextRole == RolePromoted:
			inst.sortIndex = Infinity
		case chosen == nil || inst.sortIndex < 0:
		default:
			inst.sortIndex = c.allowed[chosen.index].score
		}
	}
	// cmp_promotable_instance: the sort index, then the higher current
	// role, then the clone instance order (pcmk__cmp_instance).
	slices.SortStableFunc(c.Children, func(a, b *Resource) int {
		if a.sortIndex != b.sortIndex {
			return -cmp.Compare(a.sortIndex, b.sortIndex)
		}
		if a.role != b.role {
			return -cmp.Compare(a.role, b.role)
		}
		return ws.cmpInstance(a, b)
	})
}

// nodeToBePromotedOn is node_to_be_promoted_on.
func (ws *workingSet) nodeToBePromotedOn(r, c *Resource, promotedCount []int) *Node {
	for _, m := range r.Children {
		if ws.nodeToBePromotedOn(m, c, promotedCount) == nil {
			return nil
		}
	}
	n := r.location(false)
	switch {
	case n == nil:
		return nil
	case !r.managed:
		if r.role != RolePromoted {
			return nil
		}
	case r.priority < 0:
		return nil
	case !n.available():
		return nil
	}
	if !c.allowed[n.index].present {
		return nil
	}
	if promotedCount[n.index] < c.promotedNodeMax || !r.managed {
		return n
	}
	return nil
}

func (ws *workingSet) setRoleUnpromoted(r *Resource, current bool) {
	if current {
		if r.role == RoleStarted {
			r.role = RoleUnpromoted
		}
	} else if r.location(false) != nil {
		r.nextRole = RoleUnpromoted
	} else {
		r.nextRole = RoleStopped
	}
	for _, m := range r.Children {
		ws.setRoleUnpromoted(m, current)
	}
}

func (ws *workingSet) setRolePromoted(r *Resource) {
	if r.nextRole == RoleUnknown || r.nextRole == RoleStarted || r.nextRole == RoleUnpromoted {
		r.nextRole = RolePromoted
	}
	for _, m := range r.Children {
		ws.setRolePromoted(m)
	}
}

// promotableInternalConstraints adds the promote/demote orderings of
// clone_internal_constraints for promotable clones.
func (ws *workingSet) promotableInternalConstraints(c *Resource) {
	ws.newOrdering(c, "demoted", c, "start", ordOptional)
	ws.newOrdering(c, "start", c, "promote", ordOptional)
	ws.newOrdering(c, "demoted", c, "stop", ordOptional)
	ws.newOrdering(c, "stopped", c, "promote", ordOptional)
	ws.newOrdering(c, "running", c, "promote", ordOptional)
	ws.newOrdering(c, "demote", c, "demoted", ordOptional)
	for _, inst := range c.Children {
		ws.newOrdering(inst, "demote", inst, "promote", ordOptional)
		ws.newOrdering(c, "promote", inst, "promote", ordRunnableLeft)
		ws.newOrdering(inst, "promote", c, "promoted", ordImpliesThenPr)
		ws.newOrdering(c, "demote", inst, "demote", ordImpliesFirstPr)
		ws.newOrdering(inst, "demote", c, "demoted", ordImpliesThenPr)
	}
}

// createPromotableActions is create_promotable_actions: the promote,
// promoted, demote and demoted pseudo-actions.
func (ws *workingSet) createPromotableActions(c *Resource) {
	var promoting, demoting bool
	var walk func(r *Resource)
	walk = func(r *Resource) {
		for _, m := range r.Children {
			walk(m)
		}
		for _, a := range r.actions {
			if a.optional || !a.runnable {
				continue
			}
			switch a.task {
			case "promote":
				promoting = true
			case "demote":
				demoting = true
			}
		}
	}
	for _, inst := range c.Children {
		walk(inst)
	}
	promote := ws.pseudoAction(c, "promote", !promoting, true)
	promoted := ws.pseudoAction(c, "promoted", !promoting, true)
	ws.addPromoteNotifications(c, promote, promoted)
	demote := ws.pseudoAction(c, "demote", !demoting, true)
	demoted := ws.pseudoAction(c, "demoted", !demoting, true)
	ws.addPromotableNotifications(c, demote, demoted)
}

var _ = cib.KindClone

// createGroupRoleActions adds the demote, demoted, promote and promoted
// pseudo-actions of a group that is a promotable clone's instance
// (pcmk__group_create_actions): the ordering points of the members' role
// changes.
func (ws *workingSet) createGroupRoleActions(g *Resource) {
	if !g.top().promotable {
		return
	}
	for _, task := range []string{"demote", "demoted", "promote", "promoted"} {
		ws.pseudoAction(g, task, true, true)
	}
}

// groupMemberRoleOrderings is the promotable part of
// member_internal_constraints: demote the group, then its members (last
// first when ordered), then the group is demoted; promote the group, then
// its members (first first when ordered), then the group is promoted.
func (ws *workingSet) groupMemberRoleOrderings(g, m, previous *Resource, downFlags, postDownFlags orderFlags) {
	if !g.top().promotable {
		return
	}
	ws.newOrdering(g, "demote", m, "demote", downFlags)
	ws.newOrdering(m, "demote", g, "demoted", postDownFlags)
	ws.newOrdering(m, "promote", g, "promoted", ordRunnableLeft|ordImpliesThen|ordImpliesThenPr)
	ws.newOrdering(g, "promote", m, "promote", ordImpliesFirstPr)
	switch {
	case !g.ordered:
		ws.newOrdering(g, "promote", m, "promote", ordImpliesThen|ordRunnableLeft|ordImpliesFirstPr)
	case previous == nil:
		ws.newOrdering(g, "promote", m, "promote", ordNone)
	default:
		ws.newOrdering(previous, "promote", m, "promote", ordImpliesThen|ordRunnableLeft)
		ws.newOrdering(m, "demote", previous, "demote", ordOptional)
	}
}
