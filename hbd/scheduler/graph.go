package scheduler

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// graphSynapse is one synapse of the transition graph: the scheduler puts
// exactly one action in each, with the actions it must wait for.
type graphSynapse struct {
	id       int
	priority int
	action   *action
	inputs   []*action // ascending action id, deduplicated
}

// transitionGraph is pcmk__create_graph's result (the <transition_graph>
// element), kept as structs: WriteGraph renders it, execute runs it.
type transitionGraph struct {
	synapses []*graphSynapse
	// Header attributes, as pe_pref returns them (raw configured text or
	// the option's default).
	clusterDelay      string
	stonithTimeout    string
	batchLimit        string
	migrationLimit    string
	startFailureFatal bool
	// recheckBy is when the cluster must be scheduled again although
	// nothing changes (data_set->recheck_by), 0 for never.
	recheckBy   int64
	featureSet  string // crm_feature_set of the scheduler that wrote it
	nodeUUID    map[*Node]string
	opDefaults  map[string]string // op_defaults meta-attributes
	rscNames    map[string]bool   // resource ids and history names
	clusterOpts map[string]string
}

// graphFeatureSet is CRM_FEATURE_SET of Pacemaker 2.1.5, which the graph
// records for every action.
const graphFeatureSet = "3.16.1"

// graphInput is one deduplicated entry of an action's actions_before.
type graphInput struct {
	action *action
	typ    orderFlags
}

// createGraph is pcmk__create_graph: every resource's actions (the
// resource's own, newest first as Pacemaker prepends them to rsc->actions,
// then its children's), then the remaining actions, also newest first as
// data_set->actions is built by prepending.
func (ws *workingSet) createGraph(c *cib.CIB) *transitionGraph {
	g := &transitionGraph{featureSet: graphFeatureSet, nodeUUID: map[*Node]string{}, clusterOpts: map[string]string{}}
	flattenSets(c.CRMConfig, g.clusterOpts)
	g.opDefaults = map[string]string{}
	flattenSets(c.OpDefaults, g.opDefaults)
	pref := func(name, def string) string {
		if v, ok := g.clusterOpts[name]; ok {
			return v
		}
		return def
	}
	g.clusterDelay = pref("cluster-delay", "60s")
	g.stonithTimeout = pref("stonith-timeout", "60s")
	g.batchLimit = pref("batch-limit", "0")
	g.migrationLimit = pref("migration-limit", "-1")
	g.startFailureFatal = isTrue(pref("start-failure-is-fatal", "true"))
	for _, n := range ws.nodes {
		g.nodeUUID[n] = n.ID
	}
	g.recheckBy = ws.failureRecheckTime()
	// pe_find_resource with pe_find_renamed: ids and history names.
	g.rscNames = map[string]bool{}
	for _, r := range ws.resources {
		walk(r, func(x *Resource) {
			g.rscNames[x.ID] = true
			if x.cloneName != "" {
				g.rscNames[x.cloneName] = true
			}
		})
	}

	ws.createNotifications()
	b := graphBuilder{ws: ws, g: g, dumped: map[*action]bool{}, inputs: map[*action][]graphInput{}}
	for _, r := range ws.resources {
		b.addResource(r)
	}
	for i := len(ws.actions) - 1; i >= 0; i-- {
		b.add(ws.actions[i])
	}
	return g
}

// failureRecheckTime is the recheck time check_operation_expiry asks for
// (pe__update_recheck_time): one second after the newest failure of a
// resource with a failure-timeout would expire, for every resource and
// node whose history has a timestamped entry and an unexpired fail count;
// the earliest such time still in the future wins.
func (ws *workingSet) failureRecheckTime() int64 {
	now := ws.opts.now
	if now == 0 {
		return 0
	}
	var by int64
	for _, h := range ws.histories {
		r := h.rsc
		if r.failureTimeout <= 0 {
			continue
		}
		stamped := slices.ContainsFunc(h.ops, func(o histOp) bool {
			return o.lastRC > 0 && o.status != execNotInstalled
		})
		if !stamped {
			continue
		}
		fc, last := ws.failCount(r, h.node, true)
		t := last + int64(r.failureTimeout) + 1
		if fc != 0 && t > now && (by == 0 || t < by) {
			by = t
		}
	}
	return by
}

type graphBuilder struct {
	ws     *workingSet
	g      *transitionGraph
	dumped map[*action]bool         // pe_action_dumped
	inputs map[*action][]graphInput // deduplicated actions_before
}

// addResource is pcmk__add_rsc_actions_to_graph.
func (b *graphBuilder) addResource(r *Resource) {
	// clone_expand adds the instances' actions before the clone's own.
	cloneLast := r.Kind == cib.KindClone
	if !cloneLast {
		for i := len(r.actions) - 1; i >= 0; i-- {
			b.add(r.actions[i])
		}
	}
	children := r.Children
	if cloneLast {
		children = slices.Clone(children)
		slices.SortStableFunc(children, func(x, y *Resource) int { return cmp.Compare(x.instanceNum, y.instanceNum) })
	}
	for _, c := range children {
		b.addResource(c)
	}
	if cloneLast {
		for i := len(r.actions) - 1; i >= 0; i-- {
			b.add(r.actions[i])
		}
	}
}

// add is add_action_to_graph.
func (b *graphBuilder) add(a *action) {
	ins := b.dedupInputs(a)
	if b.dumped[a] || !shouldAddActionToGraph(a) {
		return
	}
	b.dumped[a] = true
	s := &graphSynapse{id: len(b.g.synapses), action: a}
	if a.rsc != nil && a.rsc.priority > 0 {
		s.priority = a.rsc.priority
	}
	for _, in := range ins {
		if b.shouldAddInput(a, in) {
			s.inputs = append(s.inputs, in.action)
		}
	}
	b.g.synapses = append(b.g.synapses, s)
}

// dedupInputs is pcmk__deduplicate_action_inputs: actions_before sorted by
// action id, with the flags of duplicate entries merged into one. Pacemaker
// keeps the list newest first, so the newest of equal entries survives;
// only the merged flags matter here.
func (b *graphBuilder) dedupInputs(a *action) []graphInput {
	if ins, ok := b.inputs[a]; ok {
		return ins
	}
	edges := newestFirst(a.before)
	slices.SortStableFunc(edges, func(x, y *actionEdge) int { return cmp.Compare(x.action.id, y.action.id) })
	var ins []graphInput
	for _, e := range edges {
		if n := len(ins); n > 0 && ins[n-1].action == e.action {
			ins[n-1].typ |= e.typ
			continue
		}
		ins = append(ins, graphInput{action: e.action, typ: e.typ})
	}
	b.inputs[a] = ins
	return ins
}

// shouldAddActionToGraph is should_add_action_to_graph.
func shouldAddActionToGraph(a *action) bool {
	if !a.runnable || (a.optional && !a.printAlways) {
		return false
	}
	// Actions of unmanaged resources stay out, except monitors and the
	// cancellation of recurring monitors (recognisable by the interval).
	if a.rsc != nil && !a.rsc.managed && a.task != "monitor" && a.intervalMS == 0 {
		return false
	}
	if a.pseudo || a.task == "stonith" || a.task == "do_shutdown" {
		return true
	}
	if a.node == nil {
		return false
	}
	return a.node.Online && !a.node.Unclean
}

// orderingCanChangeActions is ordering_can_change_actions: any flag beyond
// the "printed" markers and plain optional.
func orderingCanChangeActions(t orderFlags) bool {
	return t&^(ordImpliesFirstPr|ordImpliesThenPr|ordOptional) != 0
}

// shouldAddInput is should_add_input_to_graph for the ordering flags hbd
// implements (no migration or load orderings).
func (b *graphBuilder) shouldAddInput(a *action, in graphInput) bool {
	first := in.action
	switch {
	case in.typ == ordNone:
		return false
	case !first.runnable && !orderingCanChangeActions(in.typ):
		return false
	case !first.runnable && in.typ&ordOneOrMore != 0:
		return false
	case in.typ == ordAntiColocation:
		// Only an anti-colocation ordering alone is filtered (merged with
		// another ordering it stays): it matters on the same node only,
		// and only when the input really happens.
		if first.node != nil && a.node != nil && first.node != a.node {
			return false
		}
		if first.optional {
			return false
		}
	case first.rsc != nil && first.rsc != a.rsc && first.rsc.failed && !first.rsc.managed &&
		strings.HasSuffix(first.key(), "_stop_0") && a.rsc != nil && a.rsc.Kind == cib.KindClone:
		// Unmanaged failed resources cannot prevent a clone's shutdown.
		return false
	case first.optional && !b.dumped[first] && !shouldAddActionToGraph(first):
		return false
	}
	return true
}

// graphActionID is the id the graph gives an action. hbd's action ids
// are positions in the working set's action list, from 0; Pacemaker's
// working set starts counting actions at 1 (set_working_set_defaults).
func graphActionID(a *action) int { return a.id + 1 }

// graphKey is the action's uuid as the graph records it
// (operation_key): fencing and shutdown name their node.
func graphKey(a *action) string {
	switch {
	case a.rsc != nil && a.rsc.cloneName != "":
		// clone_op_key: the name the instance's history uses.
		return a.rsc.cloneName + "_" + a.opTask() + "_" + intervalString(a.intervalMS)
	case a.rsc != nil:
		return a.key()
	case a.task == "stonith":
		return "stonith-" + a.node.Name + "-" + a.fenceType
	case a.task == "do_shutdown" && a.node != nil:
		return "do_shutdown-" + a.node.Name
	}
	return a.task
}

// graphElement is the tag create_graph_action uses for an action.
func graphElement(a *action) string {
	switch {
	case a.task == "stonith":
		if a.pseudo {
			return "pseudo_event"
		}
		return "crm_event"
	case a.task == "do_shutdown", a.task == "clear_failcount":
		return "crm_event"
	case a.task == "lrm_delete":
		return "crm_event"
	case a.pseudo:
		return "pseudo_event"
	}
	return "rsc_op"
}

// graphHasNode reports whether the graph names the action's node:
// pseudo-events other than fencing carry no node details.
func graphHasNode(a *action) bool {
	if a.node == nil {
		return false
	}
	return a.task == "stonith" || !a.pseudo || graphElement(a) == "crm_event"
}

// primitiveID is the id add_resource_details writes for an action's
// resource: an orphaned instance goes by its history name; anonymous
// clone instances use the configured id (without the instance number),
// with long-id carrying the history or instance name.
func primitiveID(r *Resource) (id, longID string) {
	if r.orphan && r.cloneName != "" {
		return r.cloneName, r.ID
	}
	if c := cloneOf(r); c != nil && !c.unique && r.baseID != "" {
		if r.cloneName != "" && r.cloneName != r.baseID {
			return r.baseID, r.cloneName
		}
		return r.baseID, r.ID
	}
	return r.ID, ""
}

// simulatedName is the resource name crm_simulate reports and records
// history under (simulate_resource_action): the primitive id when some
// resource answers to it, else the long id.
func (g *transitionGraph) simulatedName(r *Resource) (name, configName string) {
	id, long := primitiveID(r)
	if long == "" || g.rscNames[id] {
		return id, id
	}
	return long, id
}

// intervalString formats an interval in milliseconds for XML.
func intervalString(ms int64) string { return strconv.FormatInt(ms, 10) }
