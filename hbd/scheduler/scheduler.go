// Package scheduler is hbd's crm-mode policy engine: a pure function from a
// parsed CIB to a transition, reproducing Pacemaker 2.1.5's scheduler
// (lib/pacemaker/pcmk_sched_*.c, lib/pengine/*.c) for primitives, groups,
// location/colocation/order constraints, stickiness, failures, standby,
// quorum policies and node fencing.
//
// The package does no I/O, reads no clock (the CIB's execution-date is
// "now") and starts no goroutines; the same input always gives the same
// output.
package scheduler

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// ErrUnsupported is wrapped by Schedule's error when the CIB uses features
// hbd does not implement.
var ErrUnsupported = errors.New("unsupported CIB feature")

// Transition is the scheduler's result.
type Transition struct {
	// Summary is the Transition Summary, in crm_simulate's order.
	Summary []SummaryLine
	// current is the "Current cluster status" as crm_simulate prints it,
	// with the notices before it; revised is the node list after the
	// transition.
	current string
	revised []statusNode
	nodes   []*Node
	rscs    []*Resource
	// Scores are the allocation scores in crm_simulate --show-scores
	// format, in the order the scheduler computed them.
	Scores []string

	ws  *workingSet // for in-package diagnostics
	sim *simulation // the transition graph, its execution and the status after it
}

// SummaryText renders the Transition Summary lines (without the heading)
// exactly as crm_simulate formats them.
func (t *Transition) SummaryText() string { return formatSummary(t.Summary) }

type workingSet struct {
	opts       options
	nodes      []*Node
	nodeByName map[string]*Node
	nodeState  map[*Node]*cib.NodeState
	resources  []*Resource
	rscByID    map[string]*Resource

	locations       []*locationConstraint
	orderings       []orderSpec
	actions         []*action
	nodeActions     []*action
	depth           int
	scores          []string
	promotionScores []string
	showScores      bool
	executionDate   int64       // the CIB's execution-date, 0 if absent
	updates         int         // calls of updateActionForOrderings so far
	updateBudget    int         // limit on updates before giving up
	diverged        bool        // the ordering propagation exceeded its budget
	prims           []*Resource // primitives(), cached
	primsFor        int         // len(resources) when prims was computed
	attrClassCache  map[string]attrClassing
	bestScratch     []int // addNodeScoresMatchingAttr's per-class scores
	failIndexes     map[*Node]map[string]failEntry
	histories       []rscHistory      // per resource and node, status order
	opDefaults      map[string]string // op_defaults meta-attributes, for operation timeouts
	cibFeatureSet   string            // the CIB's crm_feature_set, for digests of old histories
}

// Options tune what Schedule records besides the transition.
type Options struct {
	// ShowScores fills Transition.Scores (crm_simulate --show-scores).
	ShowScores bool
	// Now is the time in Unix seconds used for failure-timeout when the
	// CIB carries no execution-date (crm_simulate then uses the wall
	// clock). Zero means failures never expire in that case; the
	// scheduler itself never reads the clock.
	Now int64
}

// Schedule computes the transition for a CIB (pcmk__schedule_actions).
func Schedule(c *cib.CIB) (*Transition, error) { return ScheduleWith(c, Options{}) }

// ScheduleWith is Schedule with options.
func ScheduleWith(c *cib.CIB, o Options) (*Transition, error) {
	var unsup []string
	unsup = append(unsup, c.Unsupported...)
	unsup = append(unsup, unsupportedOptions(c)...)
	if len(unsup) > 0 {
		return nil, fmt.Errorf("scheduler: %w: %s", ErrUnsupported, strings.Join(unsup, "; "))
	}
	ws, err := unpackCluster(c, o)
	if err != nil {
		return nil, err
	}
	// Rendered now: scheduling changes resources (unmanaged without
	// fencing devices, blocked, ...) in ways the printed status must not
	// show.
	current := ws.currentStatus()

	for i := range c.Locations {
		ws.unpackLocation(&c.Locations[i])
	}
	for i := range c.Colocations {
		ws.unpackColocation(&c.Colocations[i])
	}
	for i := range c.Orders {
		ws.unpackOrder(&c.Orders[i])
	}
	ws.applyNodeCriteria()
	ws.internalConstraints()
	ws.checkConfigChanges()
	for _, r := range ws.resources {
		ws.assign(r, nil)
	}
	ws.scheduleProbes()
	ws.clearOrphanFailcounts()
	ws.createActions()
	ws.scheduleFencing()
	ws.updateBudget = 1000000 + 200*len(ws.actions)
	ws.applyOrderings()
	ws.cancelReloads()
	if ws.diverged {
		return nil, fmt.Errorf("scheduler: ordering propagation did not settle within %d updates", ws.updateBudget)
	}

	t := &Transition{Summary: ws.summarize(), current: current, nodes: ws.nodes, rscs: ws.resources, Scores: append(ws.scores, ws.promotionScores...)}
	t.revised = ws.revisedStatus()
	t.ws = ws
	if err := t.simulate(c, o); err != nil {
		return nil, err
	}
	return t, nil
}

// unpackCluster is cluster_status: the working set of a CIB's nodes,
// resources and their history, before any constraint is applied. Both
// scheduling and the revised status (a CIB updated by the simulated
// execution) start from it.
func unpackCluster(c *cib.CIB, o Options) (*workingSet, error) {
	ws := &workingSet{
		opts:       unpackOptions(c),
		nodeByName: map[string]*Node{},
		nodeState:  map[*Node]*cib.NodeState{},
		rscByID:    map[string]*Resource{},
		showScores: o.ShowScores,
		opDefaults: map[string]string{},
	}
	flattenSets(c.OpDefaults, ws.opDefaults)
	ws.cibFeatureSet = c.FeatureSet
	ws.executionDate = ws.opts.now
	if ws.opts.now == 0 {
		ws.opts.now = o.Now
	}
	if err := ws.unpackNodes(c); err != nil {
		return nil, err
	}
	if err := ws.unpackResources(c); err != nil {
		if strings.Contains(err.Error(), "not supported") {
			return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return nil, err
	}
	for _, r := range ws.primitives() {
		if r.isStonith {
			ws.opts.haveStonithResource = true
		}
	}
	ws.unpackHistory(c)
	ws.sortResources()
	ws.prepareCloneStatus()
	return ws, nil
}

// sortResources is the stable priority sort of unpack_resources.
func (ws *workingSet) sortResources() {
	rs := ws.resources
	// insertion sort keeps it stable and avoids a closure allocation per call
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].priority > rs[j-1].priority; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// applyNodeCriteria is apply_node_criteria: locations, stickiness, then
// the migration-threshold bans.
func (ws *workingSet) applyNodeCriteria() {
	for _, lc := range ws.locations {
		ws.applyLocation(lc.rsc, lc, false)
	}
	for _, r := range ws.resources {
		ws.applyStickiness(r)
	}
	for _, r := range ws.resources {
		for _, n := range ws.nodes {
			ws.checkFailureThreshold(r, n)
		}
	}
}

// applyStickiness is apply_stickiness.
func (ws *workingSet) applyStickiness(r *Resource) {
	if len(r.Children) > 0 {
		for _, c := range r.Children {
			ws.applyStickiness(c)
		}
		return
	}
	if !r.managed || r.stickiness < 1 || len(r.runningOn) != 1 {
		return
	}
	n := r.runningOn[0]
	if !ws.opts.symmetric && !r.allowed[n.index].present {
		return
	}
	ws.location(r, n, r.stickiness)
}

// checkFailureThreshold is check_failure_threshold with
// pcmk__threshold_reached.
func (ws *workingSet) checkFailureThreshold(r *Resource, n *Node) {
	if len(r.Children) > 0 {
		for _, c := range r.Children {
			ws.checkFailureThreshold(c, n)
		}
		return
	}
	if r.migrationThreshold == 0 || r.failIgnored || r.failcountCleared[n] {
		return
	}
	fc, _ := ws.failCount(r, n, true)
	if fc <= 0 {
		return
	}
	if r.migrationThreshold-fc <= 0 {
		// An anonymous clone instance bans the whole clone.
		ban := r
		if c := cloneOf(r); c != nil && !c.unique {
			ban = r.top()
		}
		ws.location(ban, n, -Infinity)
	}
}

// prepareCloneStatus records, before scheduling changes the tables, the
// nodes an anonymous clone lists as Stopped: its allowed nodes, or where
// its history is known in an asymmetric cluster.
func (ws *workingSet) prepareCloneStatus() {
	for _, r := range ws.resources {
		if r.Kind != cib.KindClone {
			continue
		}
		r.statusNodes = ws.nodes
		r.nodesForStatus = make([]bool, len(ws.nodes))
		for i, w := range r.allowed {
			if w.present {
				r.nodesForStatus[i] = true
			}
		}
		if !ws.opts.symmetric {
			walk(r, func(x *Resource) {
				for n := range x.knownOn {
					r.nodesForStatus[n.index] = true
				}
			})
		}
	}
}
