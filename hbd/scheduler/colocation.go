package scheduler

import (
	"slices"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// unpackColocation is unpack_simple_colocation / pcmk__new_colocation.
func (ws *workingSet) unpackColocation(c *cib.Colocation) {
	dep, prim := ws.rscByID[c.Rsc], ws.rscByID[c.WithRsc]
	if dep == nil || prim == nil {
		return
	}
	score := parseScore(c.Score)
	depRole, _ := parseRole(c.RscRole)
	primRole, _ := parseRole(c.WithRscRole)
	if depRole == RoleStarted {
		depRole = RoleUnknown
	}
	if primRole == RoleStarted {
		primRole = RoleUnknown
	}
	influence := dep.critical
	if c.Influence != "" {
		influence = isTrue(c.Influence)
	}
	ws.newColocation(c.ID, dep, prim, score, depRole, primRole, c.NodeAttribute, influence)
}

func (ws *workingSet) newColocation(id string, dep, prim *Resource, score int, depRole, primRole Role, attr string, influence bool) {
	if score == 0 {
		return
	}
	co := &colocation{id: id, dependent: dep, primary: prim, score: score,
		depRole: depRole, primRole: primRole, nodeAttr: attr, influence: influence}
	dep.thisWith = insertSorted(dep.thisWith, co, cmpPrimaryPriority)
	prim.withThis = insertSorted(prim.withThis, co, cmpDependentPriority)
	if score <= -Infinity {
		// Two resources that must never share a node: whichever leaves
		// a node does so before the other arrives there.
		ws.antiColocationOrder(dep, depRole, prim, primRole)
		ws.antiColocationOrder(prim, primRole, dep, depRole)
	}
}

// antiColocationOrder is anti_colocation_order: first losing firstRole
// (stop, or demote for the promoted role; an unpromoted role is also lost
// by promoting) comes before then gaining thenRole (start, or promote; an
// unpromoted role is also gained by demoting). The graph keeps only the
// resulting inputs between actions on the same node (shouldAddInput).
func (ws *workingSet) antiColocationOrder(first *Resource, firstRole Role, then *Resource, thenRole Role) {
	firstTasks := []string{"stop"}
	switch firstRole {
	case RolePromoted:
		firstTasks = []string{"demote"}
	case RoleUnpromoted:
		firstTasks = append(firstTasks, "promote")
	}
	thenTasks := []string{"start"}
	switch thenRole {
	case RolePromoted:
		thenTasks = []string{"promote"}
	case RoleUnpromoted:
		thenTasks = append(thenTasks, "demote")
	}
	for _, ft := range firstTasks {
		for _, tt := range thenTasks {
			ws.newOrdering(first, ft, then, tt, ordAntiColocation)
		}
	}
}

// insertSorted is g_list_insert_sorted: co goes after every element that
// does not compare greater.
func insertSorted(list []*colocation, co *colocation, less func(a, b *colocation) int) []*colocation {
	i := len(list)
	for j, x := range list {
		if less(co, x) < 0 {
			i = j
			break
		}
	}
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = co
	return list
}

func variantRank(r *Resource) int { return int(r.Kind) }

// cmpPrimaryPriority is cmp_primary_priority.
func cmpPrimaryPriority(a, b *colocation) int { return cmpRscPriority(a.primary, b.primary) }

// cmpDependentPriority is cmp_dependent_priority.
func cmpDependentPriority(a, b *colocation) int { return cmpRscPriority(a.dependent, b.dependent) }

// cmpRscPriority orders colocation lists by one side's resource: higher
// priority first, then the more complex variant, then by id.
func cmpRscPriority(a, b *Resource) int {
	if a.priority != b.priority {
		if a.priority > b.priority {
			return -1
		}
		return 1
	}
	if va, vb := variantRank(a), variantRank(b); va != vb {
		if va > vb {
			return -1
		}
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}

// hasInfluence is pcmk__colocation_has_influence.
func (co *colocation) hasInfluence() bool {
	return co.influence || len(co.primary.runningOn) == 0
}

// nodeAttrValue returns the value of the colocation's node attribute.
func nodeAttrValue(n *Node, attr string) string {
	if attr == "" {
		return n.ID
	}
	return n.attrs[attr]
}

// applyColocation is the dependent-side application of a colocation
// (rsc_colocation_lh / rsc_colocation_rh for primitives and groups).
func (ws *workingSet) applyColocation(dep, prim *Resource, co *colocation) {
	if dep.Kind == cib.KindGroup {
		if dep.colocated && len(dep.Children) > 0 {
			ws.applyColocation(dep.Children[0], prim, co)
			return
		}
		if co.score >= Infinity {
			return
		}
		for _, c := range dep.Children {
			ws.applyColocation(c, prim, co)
		}
		return
	}
	if prim.Kind == cib.KindClone {
		ws.applyColocationWithClone(dep, prim, co)
		return
	}
	if prim.Kind == cib.KindGroup {
		if prim.provisional || len(prim.Children) == 0 {
			return
		}
		if prim.colocated {
			if co.score >= Infinity {
				ws.applyColocation(dep, prim.Children[len(prim.Children)-1], co)
			} else {
				ws.applyColocation(dep, prim.Children[0], co)
			}
			return
		}
		if co.score >= Infinity {
			return
		}
		for _, c := range prim.Children {
			ws.applyColocation(dep, c, co)
		}
		return
	}
	if co.depRole >= RoleUnpromoted && !dep.provisional && dep.Parent != nil && dep.Parent.promotable {
		if !prim.provisional {
			applyColocToPriority(dep, prim, co)
		}
		return
	}
	if !ws.colocationAffectsLocation(dep, prim, co) {
		return
	}
	ws.applyColocToWeights(dep, prim, co)
}

// applyColocToPriority is pcmk__apply_coloc_to_priority: a role
// colocation of an assigned promotable instance changes its promotion
// priority.
func applyColocToPriority(dep, prim *Resource, co *colocation) {
	if prim.allocatedTo == nil || dep.allocatedTo == nil {
		return
	}
	if !strings.EqualFold(nodeAttrValue(dep.allocatedTo, co.nodeAttr), nodeAttrValue(prim.allocatedTo, co.nodeAttr)) {
		if co.score >= Infinity && co.depRole == RolePromoted {
			dep.priority = -Infinity
		}
		return
	}
	if co.primRole != RoleUnknown && co.primRole != prim.nextRole {
		return
	}
	mult := 1
	if co.depRole == RoleUnpromoted {
		mult = -1
	}
	dep.priority = addScores(mult*co.score, dep.priority)
}

// colocationAffectsLocation is pcmk__colocation_affects for primitives.
func (ws *workingSet) colocationAffectsLocation(dep, prim *Resource, co *colocation) bool {
	if prim.provisional {
		return false
	}
	if !dep.provisional {
		return false
	}
	if co.score > 0 && co.depRole != RoleUnknown && co.depRole != dep.nextRole {
		return false
	}
	if co.score > 0 && co.primRole != RoleUnknown && co.primRole != prim.nextRole {
		return false
	}
	if co.score < 0 && co.depRole != RoleUnknown && co.depRole == dep.nextRole {
		return false
	}
	if co.score < 0 && co.primRole != RoleUnknown && co.primRole == prim.nextRole {
		return false
	}
	return true
}

// applyColocToWeights is pcmk__apply_coloc_to_weights.
func (ws *workingSet) applyColocToWeights(dep, prim *Resource, co *colocation) {
	var value string
	if prim.allocatedTo != nil {
		value = nodeAttrValue(prim.allocatedTo, co.nodeAttr)
	} else if co.score < 0 {
		return
	}
	work := dep.allowed.clone()
	for i := range work {
		if !work[i].present {
			continue
		}
		n := ws.nodes[i]
		switch {
		case prim.allocatedTo == nil:
			work[i].score = addScores(-co.score, work[i].score)
		case strings.EqualFold(nodeAttrValue(n, co.nodeAttr), value):
			if co.score < Infinity {
				work[i].score = addScores(co.score, work[i].score)
			}
		case co.score >= Infinity:
			work[i].score = addScores(-co.score, work[i].score)
		}
	}
	if co.score <= -Infinity || co.score >= Infinity || ws.anyAvailable(work) {
		dep.allowed = work
	}
}

// anyAvailable is pcmk__any_node_available: some node with a
// non-negative score that can run resources.
func (ws *workingSet) anyAvailable(t nodeTable) bool {
	for i, w := range t {
		if w.present && w.score >= 0 && ws.nodes[i].available() {
			return true
		}
	}
	return false
}

// infinityHack is INFINITY_HACK, a marker for nodes that only_positive
// merging made unusable.
const infinityHack = Infinity * -100

// mergeWeights is pcmk__native_merge_weights (2.1.5): fold rsc's node
// preferences (and, recursively, those of resources colocated with it)
// into nodes, scaled by factor. init starts from rsc's own table.
func (ws *workingSet) mergeWeights(rsc *Resource, nodes nodeTable, attr string, factor float32, init, rollback, positive bool) nodeTable {
	if rsc.Kind == cib.KindGroup && !init {
		return ws.groupMergeWeights(rsc, nodes, attr, factor, rollback, positive)
	}
	return ws.nativeMergeWeights(rsc, nodes, attr, factor, init, rollback, positive)
}

func (ws *workingSet) nativeMergeWeights(rsc *Resource, nodes nodeTable, attr string, factor float32, init, rollback, positive bool) nodeTable {
	if rsc.merging {
		return nodes
	}
	rsc.merging = true
	defer func() { rsc.merging = false }()
	isGroup := rsc.Kind == cib.KindGroup && len(rsc.Children) > 0
	var work nodeTable
	switch {
	case init:
		if isGroup {
			last := rsc.Children[len(rsc.Children)-1]
			work = ws.nativeMergeWeights(last, nil, attr, factor, true, rollback, positive)
		} else {
			work = rsc.allowed.clone()
		}
	case isGroup:
		last := rsc.Children[len(rsc.Children)-1]
		work = ws.nativeMergeWeights(last, nodes, attr, factor, false, rollback, positive)
	default:
		work = nodes.clone()
		ws.addNodeScoresMatchingAttr(work, rsc, attr, factor, positive)
	}
	if ws.anyAvailable(work) {
		multiplier := float32(1)
		if factor < 0 {
			multiplier = -1
		}
		list := rsc.withThis
		if isGroup {
			list = rsc.Children[len(rsc.Children)-1].withThis
		}
		for _, co := range list {
			if !co.hasInfluence() {
				continue
			}
			f := multiplier * float32(co.score) / float32(Infinity)
			work = ws.mergeWeights(co.dependent, work, co.nodeAttr, f, false, true, positive)
		}
	} else if rollback {
		return nodes
	}
	if positive {
		for i := range work {
			if work[i].score == infinityHack {
				work[i].score = 1
			}
		}
	}
	return work
}

// groupMergeWeights is the group's merge_weights method (2.1.5): the first
// member stands for the group (its merge reaches the later members through
// the internal colocations), then the resources colocated with the last
// member are merged once more, with the sign of factor. Colocations with
// the group itself only take part once pcmk__group_assign has appended them
// to the last member's (expand_group_colocations), and are then counted
// twice. crm_simulate 2.1.5's allocation scores show all three: a resource
// colocated with the last member weighs double, one colocated with the
// first member once, and one colocated with a group not yet assigned not
// at all. A group among those dependents is merged through this method
// too (its first member carries its location scores), not through the
// native merge of its last member.
func (ws *workingSet) groupMergeWeights(rsc *Resource, nodes nodeTable, attr string, factor float32, rollback, positive bool) nodeTable {
	if len(rsc.Children) == 0 || rsc.merging {
		return nodes
	}
	rsc.merging = true
	defer func() { rsc.merging = false }()
	first := rsc.Children[0]
	nodes = ws.mergeWeights(first, nodes, attr, factor, false, rollback, positive)
	multiplier := float32(1)
	if factor < 0 {
		multiplier = -1
	}
	last := rsc.Children[len(rsc.Children)-1]
	for _, co := range last.withThis {
		if !co.hasInfluence() {
			continue
		}
		nodes = ws.mergeWeights(co.dependent, nodes, co.nodeAttr, multiplier*float32(co.score)/float32(Infinity), false, rollback, positive)
	}
	return nodes
}

// addNodeScoresMatchingAttr is add_node_scores_matching_attr, with
// Pacemaker's single-precision factor arithmetic.
func (ws *workingSet) addNodeScoresMatchingAttr(work nodeTable, rsc *Resource, attr string, factor float32, positive bool) {
	if attr == "" {
		attr = "#uname"
	}
	// best_node_score_matching_attr for every node at once: the best score
	// of rsc among the available nodes of each attribute-value class.
	class, nclass := ws.attrClasses(attr)
	best := ws.bestScratch[:0]
	for range nclass {
		best = append(best, -Infinity)
	}
	ws.bestScratch = best
	for i, w := range rsc.allowed {
		if w.present && w.score > best[class[i]] && ws.nodes[i].available() {
			best[class[i]] = w.score
		}
	}
	for i := range work {
		if !work[i].present {
			continue
		}
		score := best[class[i]]
		if factor < 0 && score < 0 {
			continue
		}
		if work[i].score == infinityHack {
			continue
		}
		wf := factor * float32(score)
		var w int
		if wf < 0 {
			w = int(float64(wf) - 0.5)
		} else {
			w = int(float64(wf) + 0.5)
		}
		if w == 0 && score != 0 {
			if factor > 0 {
				w = 1
			} else if factor < 0 {
				w = -1
			}
		}
		ns := addScores(w, work[i].score)
		if positive && ns < 0 && work[i].score > 0 {
			work[i].score = infinityHack
			continue
		}
		if positive && ns < 0 && work[i].score == 0 {
			continue
		}
		work[i].score = ns
	}
}

// attrClasses groups the nodes by their value of attr, compared without
// case as best_node_score_matching_attr does (a missing attribute counts as
// the empty value): class[i] is node i's group. Node attributes do not
// change while scheduling, so the grouping is computed once per attribute.
func (ws *workingSet) attrClasses(attr string) (class []int, n int) {
	if c, ok := ws.attrClassCache[attr]; ok {
		return c.class, c.n
	}
	class = make([]int, len(ws.nodes))
	var values []string
	for i, node := range ws.nodes {
		v := node.attrs[attr]
		j := slices.IndexFunc(values, func(u string) bool { return strings.EqualFold(u, v) })
		if j < 0 {
			j = len(values)
			values = append(values, v)
		}
		class[i] = j
	}
	if ws.attrClassCache == nil {
		ws.attrClassCache = map[string]attrClassing{}
	}
	ws.attrClassCache[attr] = attrClassing{class, len(values)}
	return class, len(values)
}

// attrClassing is one attrClasses result.
type attrClassing struct {
	class []int
	n     int
}

// applyColocationWithClone is clone_rsc_colocation_rh (non-interleaved):
// a mandatory colocation limits the dependent to nodes where an instance
// was assigned; an optional one applies per instance.
func (ws *workingSet) applyColocationWithClone(dep, prim *Resource, co *colocation) {
	if prim.provisional {
		return
	}
	if prim.promotable && co.primRole != RoleUnknown {
		ws.promotableColocation(dep, prim, co)
		return
	}
	if co.dependent.Kind == cib.KindClone && co.dependent.interleave {
		if inst := ws.findCompatibleChild(dep, prim, false); inst != nil {
			ws.applyColocation(dep, inst, co)
		} else if co.score >= Infinity {
			ws.finalizeAssignment(dep, nil, true)
		}
		return
	}
	if co.score >= Infinity {
		allowed := make([]bool, len(ws.nodes))
		for _, inst := range prim.Children {
			if n := inst.allocatedTo; n != nil && !inst.blockedRecursive() {
				allowed[n.index] = true
			}
		}
		for i := range dep.allowed {
			if dep.allowed[i].present && !allowed[i] {
				dep.allowed[i].score = -Infinity
			}
			if allowed[i] && !dep.allowed[i].present {
				dep.allowed[i] = weight{present: true, score: -Infinity}
			}
		}
		return
	}
	for _, inst := range prim.Children {
		ws.applyColocation(dep, inst, co)
	}
}

func (r *Resource) blockedRecursive() bool {
	if r.blocked {
		return true
	}
	for _, c := range r.Children {
		if c.blockedRecursive() {
			return true
		}
	}
	return false
}

// promotableColocation is promotable_colocation_rh: a colocation with a
// role of a promotable clone.
func (ws *workingSet) promotableColocation(dep, prim *Resource, co *colocation) {
	if dep.provisional {
		affected := make([]bool, len(ws.nodes))
		chosenWeight := make([]int, len(ws.nodes))
		for _, inst := range prim.Children {
			n := inst.location(false)
			if n == nil || inst.nextRole != co.primRole {
				continue
			}
			if co.score < Infinity {
				v := nodeAttrValue(n, co.nodeAttr)
				for i := range dep.allowed {
					if dep.allowed[i].present && strings.EqualFold(nodeAttrValue(ws.nodes[i], co.nodeAttr), v) {
						dep.allowed[i].score = addScores(dep.allowed[i].score, co.score)
					}
				}
			}
			affected[n.index] = true
			chosenWeight[n.index] = inst.allowed[n.index].score
		}
		if (co.depRole != RolePromoted || co.primRole != RolePromoted) && co.score >= Infinity {
			for i := range dep.allowed {
				switch {
				case dep.allowed[i].present && !affected[i]:
					dep.allowed[i].score = -Infinity
				case dep.allowed[i].present:
					dep.allowed[i].score = addScores(dep.allowed[i].score, chosenWeight[i])
				case affected[i]:
					dep.allowed[i] = weight{present: true, score: -Infinity}
				}
			}
		}
		return
	}
	if co.depRole == RolePromoted {
		var inst *Resource
		if n := dep.location(false); n != nil {
			for _, c := range prim.Children {
				if c.location(false) == n && (co.primRole == RoleUnknown || c.nextRole == co.primRole) {
					inst = c
					break
				}
			}
		}
		switch {
		case inst == nil && co.score >= Infinity:
			dep.priority = -Infinity
		case inst != nil:
			dep.priority = addScores(dep.priority, co.score)
		}
	}
}
