package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// maxCloneInstances bounds clone-max so that a CIB cannot make the
// scheduler allocate without limit (Pacemaker has no such limit).
const maxCloneInstances = 4096

// newClone is clone_unpack: the clone resource and its clone-max
// instances, each a copy of the configured child named "<child>:<n>".
func (ws *workingSet) newClone(x *cib.Resource, defaults map[string]string) (*Resource, error) {
	if _, dup := ws.rscByID[x.ID]; dup {
		return nil, fmt.Errorf("scheduler: resource id %q defined twice", x.ID)
	}
	c := &Resource{ID: x.ID, Kind: cib.KindClone, xml: x, meta: map[string]string{}, provisional: true}
	flattenSets(x.Meta, c.meta)
	for k, v := range defaults {
		if _, ok := c.meta[k]; !ok {
			c.meta[k] = v
		}
	}
	c.promotable = x.Master || isTrue(c.meta["promotable"])
	c.promotedMax, c.promotedNodeMax = 1, 1
	for _, k := range []string{"promoted-max", "master-max"} {
		if v, ok := c.meta[k]; ok {
			c.promotedMax = parseScore(v)
			break
		}
	}
	for _, k := range []string{"promoted-node-max", "master-node-max"} {
		if v, ok := c.meta[k]; ok {
			c.promotedNodeMax = parseScore(v)
			break
		}
	}
	// Clone instances default to a stickiness of 1.
	if _, ok := c.meta["resource-stickiness"]; !ok {
		c.meta["resource-stickiness"] = "1"
	}
	ws.rscByID[c.ID] = c
	ws.applyMeta(c)
	c.unique = isTrue(c.meta["globally-unique"])
	// pe__force_anon: only OCF and fencing agents can be globally unique;
	// a clone of anything else is made anonymous, with one instance per
	// node at most, and its instances inherit that.
	forcedAnon := c.unique && len(x.Children) > 0 && !uniqueCapable(x.Children[0])
	if forcedAnon {
		c.unique = false
		c.meta["globally-unique"] = "false"
	}
	c.interleave = isTrue(c.meta["interleave"])
	c.cloneOrdered = isTrue(c.meta["ordered"])
	c.cloneMax = len(ws.nodes)
	if v, ok := c.meta["clone-max"]; ok {
		c.cloneMax = parseScore(v)
	}
	c.cloneNodeMax = 1
	if v, ok := c.meta["clone-node-max"]; ok && c.unique {
		c.cloneNodeMax = parseScore(v)
	}
	if c.cloneMax < 0 {
		c.cloneMax = 0
	}
	if forcedAnon {
		c.cloneNodeMax = 1
		c.cloneMax = min(c.cloneMax, len(ws.nodes))
	}
	if c.cloneMax > maxCloneInstances {
		return nil, fmt.Errorf("scheduler: clone %s: clone-max %d is more than hbd's limit of %d instances", c.ID, c.cloneMax, maxCloneInstances)
	}
	c.allowed = ws.initialTable()
	c.cloneCount = make([]int, len(ws.nodes))
	child := x.Children[0]
	for i := 0; i < c.cloneMax; i++ {
		inst, err := ws.newInstance(child, c, i, defaults)
		if err != nil {
			return nil, err
		}
		c.Children = append(c.Children, inst)
	}
	return c, nil
}

// uniqueCapable reports whether every primitive in a clone's template has
// an agent class with the pcmk_ra_cap_unique capability.
func uniqueCapable(x *cib.Resource) bool {
	if x.Kind == cib.KindPrimitive {
		return x.Class == "ocf" || x.Class == "stonith"
	}
	for _, ch := range x.Children {
		if !uniqueCapable(ch) {
			return false
		}
	}
	return true
}

// newInstance copies the clone's child for instance number n.
func (ws *workingSet) newInstance(x *cib.Resource, parent *Resource, n int, defaults map[string]string) (*Resource, error) {
	suffix := ":" + strconv.Itoa(n)
	cp := *x
	cp.ID = x.ID + suffix
	cp.Children = nil
	for _, ch := range x.Children {
		m := *ch
		m.ID = ch.ID + suffix
		cp.Children = append(cp.Children, &m)
	}
	r, err := ws.newResource(&cp, parent, defaults)
	if err != nil {
		return nil, err
	}
	r.baseID = x.ID
	r.instanceNum = n
	for i, m := range r.Children {
		m.baseID = x.Children[i].ID
	}
	return r, nil
}

func (ws *workingSet) initialTable() nodeTable {
	t := make(nodeTable, len(ws.nodes))
	if ws.opts.symmetric {
		for i := range t {
			t[i] = weight{present: true}
		}
	}
	return t
}

// cloneOf returns the clone a resource belongs to, if any.
func cloneOf(r *Resource) *Resource {
	for p := r.Parent; p != nil; p = p.Parent {
		if p.Kind == cib.KindClone {
			return p
		}
	}
	return nil
}

// historyID is the id fail counts and history use for r: anonymous clone
// instances drop their ":N" suffix.
func historyID(r *Resource) string {
	if c := cloneOf(r); c != nil && !c.unique && r.baseID != "" {
		return r.baseID
	}
	return r.ID
}

// findResourceForHistory is unpack_find_resource: the configured
// primitive an lrm_resource entry belongs to, mapping anonymous clone
// history to an instance (find_anonymous_clone).
func (ws *workingSet) findResourceForHistory(n *Node, id string) (*Resource, bool) {
	r := ws.rscByID[id]
	if r == nil {
		base := id
		if i := strings.LastIndexByte(id, ':'); i >= 0 {
			base = id[:i]
		}
		zero := ws.rscByID[base+":0"]
		if zero == nil || zero.Kind != cib.KindPrimitive {
			return nil, false
		}
		c := cloneOf(zero)
		if c == nil || c.unique {
			return nil, false
		}
		r = zero
	} else if r.Kind != cib.KindPrimitive {
		// History under a group's or clone's id (a primitive since
		// reconfigured): it belongs to an orphan of that id.
		return nil, false
	}
	c := cloneOf(r)
	if c == nil || c.unique {
		return r, false
	}
	base := id
	if i := strings.LastIndexByte(id, ':'); i >= 0 {
		base = id[:i]
	}
	m := ws.findAnonymousInstance(n, c, base)
	if m == nil {
		var err error
		if m, err = ws.newAnonymousOrphan(c, base); err != nil {
			// The instance copies a child that was already unpacked once,
			// so this cannot fail short of an id clash; the history is
			// then ignored rather than attached to the wrong instance.
			return nil, true
		}
	}
	return m, false
}

// findAnonymousInstance is find_anonymous_clone: the instance already
// active on n, else the first instance not active anywhere (nil when
// there is none, or when the node's history repeats an active instance).
// An instance that needs no fencing but sits on a node that is offline or
// unclean is not reused, so that its number stays free for a clean node
// (unless the clone has an instance for every node).
func (ws *workingSet) findAnonymousInstance(n *Node, c *Resource, base string) *Resource {
	var found, inactive *Resource
	skipInactive := false
	for _, inst := range c.Children {
		member := findByBase(inst, base)
		if nodes := inst.runningOnAll(); len(nodes) > 0 {
			if nodes[0] == n && member != nil {
				if len(member.runningOn) > 0 {
					// A second history for the same node (globally-unique
					// was switched off): the extra one is an orphan.
					skipInactive = true
					continue
				}
				found = member
				break
			}
			continue
		}
		if !skipInactive && inactive == nil && !inst.blockedRecursive() {
			inactive = member
		}
	}
	if found == nil && !skipInactive {
		found = inactive
	}
	if found != nil && !ws.needsFencing(found) && (!n.Online || n.Unclean) && c.cloneMax != len(ws.nodes) {
		return nil
	}
	return found
}

// needsFencing is pe_rsc_needs_fencing (unpack_requires): a resource
// recovers only after its node is fenced when requires is fencing or
// unfencing (the default for non-fencing resources) and fencing is
// enabled.
func (ws *workingSet) needsFencing(r *Resource) bool {
	if r.isStonith || !ws.opts.stonithEnabled {
		return false
	}
	switch r.meta["requires"] {
	case "nothing", "quorum":
		return false
	}
	return true
}

// newAnonymousOrphan is create_anonymous_orphan with
// pe__create_clone_child: history that no configured instance can take
// gets a new instance numbered after the existing ones, flagged as an
// orphan (so it is only ever stopped). It returns the member that carries
// base, for a cloned group.
func (ws *workingSet) newAnonymousOrphan(c *Resource, base string) (*Resource, error) {
	inst, err := ws.newInstance(c.xml.Children[0], c, len(c.Children), nil)
	if err != nil {
		return nil, fmt.Errorf("clone %s: orphan instance: %w", c.ID, err)
	}
	walk(inst, func(r *Resource) { r.orphan = true })
	c.Children = append(c.Children, inst)
	ws.prims = nil // the cached primitive list lacks the new instance
	return findByBase(inst, base), nil
}

func findByBase(inst *Resource, base string) *Resource {
	if inst.Kind == cib.KindPrimitive {
		if inst.baseID == base {
			return inst
		}
		return nil
	}
	for _, m := range inst.Children {
		if m.baseID == base {
			return m
		}
	}
	return nil
}

// assignClone is pcmk__clone_allocate with distribute_children.
func (ws *workingSet) assignClone(c *Resource) *Node {
	if !c.provisional || c.allocating {
		return nil
	}
	if c.promotable {
		ws.addPromotionScores(c)
	}
	c.allocating = true
	for _, co := range slices.Clone(c.thisWith) {
		ws.assign(co.primary, nil)
	}
	for _, co := range slices.Clone(c.withThis) {
		if !co.hasInfluence() {
			continue
		}
		c.allowed = ws.mergeWeights(co.dependent, c.allowed, co.nodeAttr,
			float32(co.score)/float32(Infinity), false, true, true)
	}
	ws.recordScores("pcmk__clone_allocate", c)
	slices.SortStableFunc(c.Children, func(a, b *Resource) int { return ws.cmpInstance(a, b) })
	ws.distributeChildren(c)
	if c.promotable {
		ws.setInstanceRoles(c)
	}
	c.provisional = false
	c.allocating = false
	return nil
}

// cmpInstance is pcmk__cmp_instance (sort_clone_instance): the less
// multiply active instance first, then one not active on a node its own
// scores now forbid, higher priority, active before inactive, active on a
// node that can run resources, active where the clone is allowed, on a
// node with fewer instances, not failed, with the higher colocated score
// on its current node, and finally the lower instance number (left to the
// stable sort: instances are created in number order).
func (ws *workingSet) cmpInstance(a, b *Resource) int {
	na, nb := len(a.runningOnAll()), len(b.runningOnAll())
	if na > 0 && nb > 0 && na != nb {
		return cmp.Compare(na, nb)
	}
	ca, cb := a.currentNodeAll(), b.currentNodeAll()
	// node_is_allowed: an inactive instance counts as allowed.
	allowed := func(r *Resource, n **Node) bool {
		if *n != nil && (!r.allowed[(*n).index].present || r.allowed[(*n).index].score < 0) {
			*n = nil
			return false
		}
		return true
	}
	canA, canB := allowed(a, &ca), allowed(b, &cb)
	if canA != canB {
		if canA {
			return -1
		}
		return 1
	}
	if a.priority != b.priority {
		if a.priority > b.priority {
			return -1
		}
		return 1
	}
	switch {
	case ca == nil && cb == nil:
		return 0
	case ca == nil:
		return 1
	case cb == nil:
		return -1
	}
	if ua, ub := ca.available(), cb.available(); ua != ub {
		if ua {
			return -1
		}
		return 1
	}
	// pcmk__top_allowed_node: the clone's own entry for the node.
	top := a.top()
	pa, pb := top.allowed[ca.index].present, top.allowed[cb.index].present
	switch {
	case !pa && !pb:
		return 0
	case !pa:
		return 1
	case !pb:
		return -1
	}
	if ka, kb := top.cloneCount[ca.index], top.cloneCount[cb.index]; ka != kb {
		return cmp.Compare(ka, kb)
	}
	fa, fb := a.anyFailed(), b.anyFailed()
	if fa != fb {
		if fb {
			return -1
		}
		return 1
	}
	// cmp_instance_by_colocation: the current node's score once the
	// clone's colocations are applied to a table holding only it.
	sa, sb := ws.colocatedScore(a, ca), ws.colocatedScore(b, cb)
	if sa != sb {
		if sa > sb {
			return -1
		}
		return 1
	}
	return 0
}

// colocatedScore is the per-node part of cmp_instance_by_colocation
// (apply_parent_colocations on a table of the instance's current node):
// the clone's "this with" colocations in full, its "with this" ones only
// where they add (the nonnegative selection). Groups merge through their
// own method, as for assignment.
func (ws *workingSet) colocatedScore(inst *Resource, n *Node) int {
	table := make(nodeTable, len(ws.nodes))
	table[n.index] = weight{present: true}
	c := inst.Parent
	for _, co := range c.thisWith {
		table = ws.mergeWeights(co.primary, table, co.nodeAttr, float32(co.score)/float32(Infinity), false, false, false)
	}
	for _, co := range c.withThis {
		if !co.hasInfluence() {
			continue
		}
		table = ws.mergeWeights(co.dependent, table, co.nodeAttr, float32(co.score)/float32(Infinity), false, false, true)
	}
	return table[n.index].score
}

func (r *Resource) runningOnAll() []*Node {
	if r.Kind == cib.KindPrimitive {
		return r.runningOn
	}
	var out []*Node
	for _, m := range r.Children {
		for _, n := range m.runningOn {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

func (r *Resource) currentNodeAll() *Node {
	if ns := r.runningOnAll(); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

func (r *Resource) anyFailed() bool {
	if r.failed {
		return true
	}
	for _, m := range r.Children {
		if m.failed {
			return true
		}
	}
	return false
}

// distributeChildren is distribute_children.
func (ws *workingSet) distributeChildren(c *Resource) {
	max, perHost := c.cloneMax, c.cloneNodeMax
	available := 0
	for i := range c.cloneCount {
		c.cloneCount[i] = 0
		if c.allowed[i].present && ws.nodes[i].available() {
			available++
		}
	}
	allColoc := max < available
	loopMax := 1
	if available > 0 && max/available > 1 {
		loopMax = max / available
	}
	allocated := 0
	for _, inst := range c.Children {
		if allocated >= max {
			break
		}
		cur := inst.currentNodeAll()
		if cur == nil || !inst.provisional || inst.anyFailed() {
			continue
		}
		if !cur.available() || (c.allowed[cur.index].present && c.allowed[cur.index].score < 0) {
			continue
		}
		if c.allowed[cur.index].present && c.cloneCount[cur.index] >= loopMax {
			continue
		}
		if ws.allocateInstance(inst, cur, allColoc, perHost) {
			allocated++
		}
	}
	for _, inst := range c.Children {
		if !inst.provisional {
			continue
		}
		if allocated >= max {
			ws.location(inst, nil, -Infinity)
			continue
		}
		if ws.allocateInstance(inst, nil, allColoc, perHost) {
			allocated++
		}
	}
}

// allocateInstance is allocate_instance: give the instance the clone's
// colocations, limit it to nodes with room, and assign it (to prefer, or
// not at all when prefer is given but another node is better).
func (ws *workingSet) allocateInstance(inst *Resource, prefer *Node, allColoc bool, limit int) bool {
	if !inst.provisional {
		return inst.allocatedTo != nil
	}
	if inst.allocating {
		return false
	}
	c := inst.Parent
	ws.appendParentColocations(c, inst, allColoc)
	if prefer != nil {
		w := inst.allowed[prefer.index]
		if !w.present || w.score < 0 {
			return false
		}
	}
	ws.canRunInstance(inst, limit)
	backup := inst.allowed.clone()
	chosen := ws.assign(inst, prefer)
	if chosen != nil && prefer != nil && chosen != prefer {
		inst.allowed = backup
		ws.unassign(inst)
		chosen = nil
	}
	if chosen != nil {
		c.cloneCount[chosen.index]++
	}
	return chosen != nil
}

// unassign is pcmk__unassign_resource.
func (ws *workingSet) unassign(r *Resource) {
	if r.allocatedTo != nil && r.Kind == cib.KindPrimitive {
		r.allocatedTo.numResources--
	}
	r.allocatedTo = nil
	r.provisional = true
	r.nextRole = RoleUnknown
	ws.applyTargetRole(r)
	for _, m := range r.Children {
		ws.unassign(m)
	}
}

// appendParentColocations is append_parent_colocation.
func (ws *workingSet) appendParentColocations(c, inst *Resource, all bool) {
	for _, co := range c.thisWith {
		if all || co.score < 0 || co.score == Infinity {
			inst.thisWith = insertSorted(inst.thisWith, co, cmpPrimaryPriority)
		}
	}
	for _, co := range c.withThis {
		if !co.influence && len(inst.runningOn) > 0 {
			continue
		}
		if all || co.score < 0 {
			inst.withThis = insertSorted(inst.withThis, co, cmpDependentPriority)
		}
	}
}

// canRunInstance is can_run_instance over every allowed node.
func (ws *workingSet) canRunInstance(inst *Resource, limit int) {
	c := inst.Parent
	for i, w := range inst.allowed {
		if !w.present {
			continue
		}
		n := ws.nodes[i]
		pw := c.allowed[i]
		switch {
		case !n.available(), inst.orphan, !pw.present:
			ws.updateScore(inst, i, -Infinity)
		case pw.score < 0:
			// can_run_instance adds the clone's negative score and then,
			// like every other refusal, bans the node (its "bail" path).
			ws.updateScore(inst, i, pw.score)
			ws.updateScore(inst, i, -Infinity)
		case c.cloneCount[i] < limit:
		default:
			ws.updateScore(inst, i, -Infinity)
		}
	}
}

// updateScore is common_update_score.
func (ws *workingSet) updateScore(r *Resource, i int, score int) {
	if r.allowed[i].present {
		r.allowed[i].score = addScores(r.allowed[i].score, score)
	}
	for _, m := range r.Children {
		ws.updateScore(m, i, score)
	}
}

// canInterleave is can_interleave_actions.
func canInterleave(first, then *action) bool {
	if first.rsc == nil || then.rsc == nil || first.rsc == then.rsc {
		return false
	}
	if first.rsc.Kind != cib.KindClone || then.rsc.Kind != cib.KindClone {
		return false
	}
	r := then.rsc
	if then.task == "stop" || then.task == "demote" {
		r = first.rsc
	}
	return r.interleave
}

// location is rsc->fns->location: the current node (current) or the
// assigned one.
func (r *Resource) location(current bool) *Node {
	if current {
		return r.currentNodeAll()
	}
	return r.allocatedTo
}

// findCompatibleChild is find_compatible_child: the instance of clone c
// on the same node as local.
func (ws *workingSet) findCompatibleChild(local, c *Resource, current bool) *Resource {
	byNode := func(n *Node) *Resource {
		for _, inst := range c.Children {
			if inst.location(current) == n {
				return inst
			}
		}
		return nil
	}
	if n := local.location(current); n != nil {
		return byNode(n)
	}
	for _, i := range ws.sortedNodesNoCurrent(local) {
		if inst := byNode(ws.nodes[i]); inst != nil {
			return inst
		}
	}
	return nil
}

// interleaveActions is interleave_actions: order each "then" instance
// after the "first" instance on the same node.
func (ws *workingSet) interleaveActions(first, then *action, fOpt, fRun bool, typ orderFlags) (bool, bool) {
	var cf, ct bool
	// A notifying clone's "first" is its confirmed-post_notify action,
	// which stands for the phase it confirms.
	task := notifiedTask(first)
	current := task == "stopped" || task == "demoted"
	for _, thenChild := range then.rsc.Children {
		firstChild := ws.findCompatibleChild(thenChild, first.rsc, current)
		if firstChild == nil {
			if !current && typ&(ordRunnableLeft|ordImpliesThen) != 0 {
				if ws.forceUnassign(thenChild) {
					ct = true
				}
			}
			continue
		}
		fa := findFirstAction(firstChild, memberTask(task), then.node)
		ta := findFirstAction(thenChild, then.task, then.node)
		if fa == nil || ta == nil {
			continue
		}
		if orderActions(fa, ta, typ) {
			cf, ct = true, true
		}
		f, t := ws.updateOrdered(fa, ta, ws.flagsForOrdering(fa), fOpt, fRun, typ)
		cf = cf || f
		ct = ct || t
	}
	return cf, ct
}

// forceUnassign is pcmk__assign_resource(rsc, NULL, true) after actions
// exist: the resource stops, its starts cannot run.
func (ws *workingSet) forceUnassign(r *Resource) bool {
	changed := r.allocatedTo != nil
	for _, m := range r.Children {
		if ws.forceUnassign(m) {
			changed = true
		}
	}
	if r.allocatedTo != nil && r.Kind == cib.KindPrimitive {
		r.allocatedTo.numResources--
	}
	r.allocatedTo = nil
	r.provisional = false
	r.nextRole = RoleStopped
	for _, a := range r.actions {
		switch a.task {
		case "stop":
			a.optional = false
		case "start":
			a.runnable = false
		}
	}
	return changed
}
