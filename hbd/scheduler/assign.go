package scheduler

import (
	"slices"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// assign dispatches rsc->cmds->assign.
func (ws *workingSet) assign(r *Resource, prefer *Node) *Node {
	switch r.Kind {
	case cib.KindGroup:
		return ws.assignGroup(r, prefer)
	case cib.KindClone:
		return ws.assignClone(r)
	}
	return ws.assignPrimitive(r, prefer)
}

// assignGroup is pcmk__group_allocate (2.1.5), including
// expand_group_colocations: the group's "this with" colocations move to
// its first member and its "with this" ones are added to its last member.
func (ws *workingSet) assignGroup(g *Resource, prefer *Node) *Node {
	if !g.provisional {
		return g.allocatedTo
	}
	if g.allocating {
		return nil
	}
	if len(g.Children) == 0 {
		g.provisional = false
		return nil
	}
	g.allocating = true
	ws.recordScores("pcmk__group_assign", g)
	first := g.Children[0]
	g.role = first.role
	for _, co := range g.thisWith {
		first.thisWith = insertSorted(first.thisWith, co, cmpPrimaryPriority)
	}
	// Once a member is unmanaged, the internal colocations no longer carry
	// the group's mandatory colocations to the members after it, so those
	// members get them directly (prepended, as g_list_prepend does).
	anyUnmanaged := !first.managed
	for _, m := range g.Children[1:] {
		if anyUnmanaged {
			for _, co := range g.thisWith {
				if co.score == Infinity {
					m.thisWith = append([]*colocation{co}, m.thisWith...)
				}
			}
		} else if !m.managed {
			anyUnmanaged = true
		}
	}
	g.thisWith = nil
	// "R with group" colocations are appended to the last member's
	// (g_list_concat), where merging the group's scores finds them (see
	// groupMergeWeights). The group keeps its own list for the other uses.
	last := g.Children[len(g.Children)-1]
	last.withThis = append(last.withThis, g.withThis...)
	var groupNode *Node
	for _, m := range g.Children {
		n := ws.assignPrimitive(m, prefer)
		if groupNode == nil {
			groupNode = n
		}
	}
	g.nextRole = first.nextRole
	g.allocating = false
	g.provisional = false
	if !g.colocated {
		return nil
	}
	g.allocatedTo = groupNode
	return groupNode
}

// assignPrimitive is pcmk__primitive_assign (2.1.5).
func (ws *workingSet) assignPrimitive(r *Resource, prefer *Node) *Node {
	if r.Parent != nil && !r.Parent.allocating {
		ws.assign(r.Parent, prefer)
	}
	if !r.provisional {
		return r.allocatedTo
	}
	if r.allocating {
		return nil
	}
	r.allocating = true
	for _, co := range slices.Clone(r.thisWith) {
		var archive nodeTable
		if co.depRole >= RolePromoted || (co.score < 0 && co.score > -Infinity) {
			archive = r.allowed.clone()
		}
		ws.assign(co.primary, nil)
		ws.applyColocation(r, co.primary, co)
		if archive != nil && !ws.anyAvailable(r.allowed) {
			r.allowed = archive
		}
	}
	for _, co := range slices.Clone(r.withThis) {
		if !co.hasInfluence() {
			continue
		}
		r.allowed = ws.mergeWeights(co.dependent, r.allowed, co.nodeAttr,
			float32(co.score)/float32(Infinity), false, true, false)
	}
	if r.nextRole == RoleStopped {
		ws.location(r, nil, -Infinity)
	} else if r.nextRole > r.role && !ws.opts.haveQuorum && ws.opts.noQuorum == noQuorumFreeze {
		r.nextRole = r.role
	}
	ws.recordScores("pcmk__primitive_assign", r)
	if ws.opts.stonithEnabled && !ws.opts.haveStonithResource {
		r.managed = false
	}
	switch {
	case !r.managed:
		r.nextRole = r.role
		ws.finalizeAssignment(r, r.currentNode(), true)
	case ws.opts.stopAll:
		ws.finalizeAssignment(r, nil, true)
	case r.provisional:
		ws.assignBestNode(r, prefer)
	}
	r.allocating = false
	return r.allocatedTo
}

// sortedNodes is pcmk__sort_nodes with compare_nodes (default placement
// strategy): score (unavailable nodes count as -INFINITY), assigned
// resource count, the current node, then the name.
func (ws *workingSet) sortedNodes(r *Resource) []int {
	return ws.sortNodes(r, r.currentNode())
}

// sortedNodesNoCurrent sorts r's allowed nodes without a preferred node.
func (ws *workingSet) sortedNodesNoCurrent(r *Resource) []int {
	return ws.sortNodes(r, nil)
}

func (ws *workingSet) sortNodes(r *Resource, cur *Node) []int {
	var idx []int
	for i, w := range r.allowed {
		if w.present {
			idx = append(idx, i)
		}
	}
	eff := func(i int) int {
		if ws.nodes[i].available() {
			return r.allowed[i].score
		}
		return -Infinity
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		wa, wb := eff(a), eff(b)
		if wa != wb {
			if wa > wb {
				return -1
			}
			return 1
		}
		na, nb := ws.nodes[a], ws.nodes[b]
		if na.numResources != nb.numResources {
			if na.numResources < nb.numResources {
				return -1
			}
			return 1
		}
		if cur != nil {
			if na == cur {
				return -1
			}
			if nb == cur {
				return 1
			}
		}
		return strings.Compare(na.Name, nb.Name)
	})
	return idx
}

// assignBestNode is assign_best_node.
func (ws *workingSet) assignBestNode(r *Resource, prefer *Node) bool {
	idx := ws.sortedNodes(r)
	var chosen *Node
	if prefer != nil && len(idx) > 0 {
		w := r.allowed[prefer.index]
		switch {
		case !w.present:
		case w.score < r.allowed[idx[0]].score:
		case !prefer.available() || w.score < 0:
		default:
			chosen = prefer
		}
	}
	if chosen == nil && len(idx) > 0 {
		best := idx[0]
		chosen = ws.nodes[best]
		bestScore := r.allowed[best].score
		uniqueClone := r.Parent != nil && r.Parent.Kind == cib.KindClone && r.Parent.unique
		if !uniqueClone && bestScore > 0 && chosen.available() {
			running := r.currentNode()
			if running != nil && running.available() {
				for _, i := range idx[1:] {
					if r.allowed[i].score != bestScore {
						break
					}
					if ws.nodes[i] == running {
						chosen = running
					}
				}
			}
		}
	}
	return ws.finalizeAssignment(r, chosen, false)
}

// finalizeAssignment is pcmk__finalize_assignment.
func (ws *workingSet) finalizeAssignment(r *Resource, chosen *Node, force bool) bool {
	r.provisional = false
	if !force && chosen != nil {
		w := r.allowed[chosen.index]
		if !w.present || w.score < 0 || !chosen.available() {
			chosen = nil
		}
	}
	if chosen == nil {
		r.nextRole = RoleStopped
		r.allocatedTo = nil
		ws.updateActionsForFailedAssignment(r)
		return false
	}
	r.allocatedTo = chosen
	chosen.numResources++
	return true
}

// showScores records a resource's allocation scores (and its children's)
// like pe__show_node_weights, in node order.
func (ws *workingSet) recordScores(fn string, r *Resource) {
	if !ws.showScores {
		return
	}
	for i, w := range r.allowed {
		if w.present {
			ws.scores = append(ws.scores, fn+": "+r.ID+" allocation score on "+ws.nodes[i].Name+": "+scoreString(w.score))
		}
	}
	for _, c := range r.Children {
		ws.recordScores(fn, c)
	}
}
