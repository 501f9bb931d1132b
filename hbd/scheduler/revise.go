package scheduler

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/hbd-project/hbd/hbd/cib"
)

// simulation is what crm_simulate does after scheduling: build the
// transition graph (-G stops there) and, with -S, execute it, record each
// executed action in a copy of the CIB's status section, and show the
// status of that CIB. The execution and the re-unpack of the resulting CIB
// cost more than scheduling itself on large clusters, so they run on first
// use of the executed actions or the revised status, not in Schedule.
type simulation struct {
	graph *transitionGraph
	// input is the scheduled CIB, which the execution copies the status
	// section of (so the caller must not change it while the Transition
	// is in use); opts are the scheduling options the re-unpack reuses.
	input *cib.CIB
	opts  Options
	now   int64

	once sync.Once
	exec execution
	// revised is "Revised Cluster Status:" rendered from the CIB the
	// execution produced; err is why it could not be rendered.
	revised string
	err     error
}

// simulate builds t.sim's transition graph from the scheduled working set
// and its input CIB; the execution waits for run.
func (t *Transition) simulate(c *cib.CIB, o Options) error {
	t.sim = &simulation{graph: t.ws.createGraph(c), input: c, opts: o, now: t.ws.opts.now}
	return nil
}

// run executes the graph and renders the revised status, once.
func (sim *simulation) run() *simulation {
	sim.once.Do(func() {
		g := sim.graph
		sim.exec = g.execute()
		after := *sim.input
		after.Status = copyStatus(sim.input.Status)
		inj := injector{cib: &after, now: sim.now, graph: g, history: map[historyKey]int{}}
		for _, s := range sim.exec.fired {
			inj.apply(s.action)
		}
		text, err := renderStatusOf(&after, sim.opts)
		if err != nil {
			sim.err = fmt.Errorf("scheduler: revised status: %w", err)
			return
		}
		sim.revised = text
	})
	return sim
}

// executed is the simulated execution of the graph, nil without a graph.
func (t *Transition) executed() *execution {
	if t.sim == nil {
		return nil
	}
	return &t.sim.run().exec
}

// executedRevisedStatus is the revised status derived from executing the
// transition, if the simulation could run.
func (t *Transition) executedRevisedStatus() (string, bool) {
	if t.sim == nil || t.sim.run().err != nil {
		return "", false
	}
	return t.sim.revised, true
}

// SimulationErr reports why the revised status could not be derived from
// the executed transition (RevisedStatus then falls back to the scheduler's
// own view of the outcome).
func (t *Transition) SimulationErr() error {
	if t.sim == nil {
		return nil
	}
	return t.sim.run().err
}

// renderStatusOf unpacks a CIB the way the scheduler does before
// scheduling (cluster_status) and renders its status without the notices
// crm_simulate prints only before the current status.
func renderStatusOf(c *cib.CIB, o Options) (string, error) {
	ws, err := unpackCluster(c, Options{Now: o.Now})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("Revised Cluster Status:\n")
	writeNodeList(&b, ws.snapshotStatus())
	b.WriteString("\n")
	v := statusView{probes: ws.collectFailedProbes()}
	v.writeResources(&b, ws.resources)
	return b.String(), nil
}

// copyStatus deep-copies the status section so the injections leave the
// caller's CIB alone.
func copyStatus(st []cib.NodeState) []cib.NodeState {
	out := make([]cib.NodeState, len(st))
	for i, ns := range st {
		ns.Transient = slices.Clone(ns.Transient)
		ns.Resources = slices.Clone(ns.Resources)
		for j := range ns.Resources {
			ns.Resources[j].Ops = slices.Clone(ns.Resources[j].Ops)
		}
		out[i] = ns
	}
	return out
}

// injector records executed actions in a CIB's status section the way
// crm_simulate's simulate_resource_action and simulate_fencing_action do
// (pcmk__inject_node, pcmk__inject_resource_history,
// pcmk__inject_action_result).
type injector struct {
	cib   *cib.CIB
	now   int64
	graph *transitionGraph
	// history indexes the lrm_resource entries by node_state position and
	// id, since large transitions inject thousands of actions.
	history map[historyKey]int
	indexed map[int]bool
}

type historyKey struct {
	state int
	id    string
}

func (in *injector) apply(a *action) {
	switch graphElement(a) {
	case "rsc_op":
		in.resourceAction(a)
	case "crm_event":
		if a.task == "stonith" && a.fenceType != "on" {
			in.fence(a.node)
		}
	}
	// Pseudo-actions and cluster actions (shutdown, clear_failcount) are
	// only reported: crm_simulate changes nothing in the CIB for them.
}

// nodeState is pcmk__inject_node: the node's node_state by name, else by
// id (naming it), else a new one.
func (in *injector) nodeState(n *Node) *cib.NodeState {
	return &in.cib.Status[in.nodeStateIndex(n)]
}

// nodeStateIndex is nodeState's position in the status section, which
// stays valid when later injections append node_states.
func (in *injector) nodeStateIndex(n *Node) int {
	st := in.cib.Status
	for i := range st {
		if st[i].Uname == n.Name {
			return i
		}
	}
	for i := range st {
		if st[i].ID == n.ID {
			st[i].Uname = n.Name
			return i
		}
	}
	in.cib.Status = append(in.cib.Status, cib.NodeState{ID: n.ID, Uname: n.Name})
	return len(in.cib.Status) - 1
}

// fence is simulate_fencing_action for anything but "on": the node goes
// down and loses its resource history and transient attributes.
func (in *injector) fence(n *Node) {
	ns := in.nodeState(n)
	ns.InCCM, ns.Crmd, ns.Join, ns.Expected = "false", "offline", "down", "down"
	ns.Resources = nil
	ns.Transient = nil
}

// resourceAction is simulate_resource_action: a history entry with the
// expected result (op_target_rc: 7 for probes and role=Stopped monitors,
// 8 for role=Promoted monitors, 0 otherwise) and a call-id above the resource's others.
func (in *injector) resourceAction(a *action) {
	if a.rsc == nil || a.node == nil {
		return
	}
	switch a.task {
	case "delete", "meta-data", "reprobe":
		return // reported, but no history
	}
	r := a.rsc
	name, configName := in.graph.simulatedName(r)
	si := in.nodeStateIndex(a.node)
	ns := &in.cib.Status[si]
	lr := in.historyEntry(si, name, configName)
	if lr == nil {
		ns.Resources = append(ns.Resources, cib.LRMResource{ID: configName, Class: r.Class, Provider: r.Provider, Type: r.Type})
		in.history[historyKey{si, configName}] = len(ns.Resources) - 1
		lr = &ns.Resources[len(ns.Resources)-1]
	}
	callID := 0
	for _, op := range lr.Ops {
		if v, err := strconv.Atoi(op.CallID); err == nil && v > callID {
			callID = v
		}
	}
	callID++
	rc := targetRC(a)
	key := lr.ID + "_" + a.task + "_" + intervalString(a.intervalMS)
	id := lr.ID + "_last_0"
	if a.intervalMS > 0 {
		id = key
	}
	if a.task == "notify" {
		// Notifications are recorded under their own key and never
		// decide the resource's state.
		id = key
	}
	stamp := ""
	if in.now > 0 {
		stamp = strconv.FormatInt(in.now, 10)
	}
	tkey := fmt.Sprintf("%d:0:%d:00000000-0000-0000-0000-000000000000", graphActionID(a), rc)
	op := cib.LRMOp{
		ID: id, OperationKey: key, Operation: a.task, CallID: strconv.Itoa(callID),
		RCCode: strconv.Itoa(rc), OpStatus: "0", Interval: intervalString(a.intervalMS),
		TransitionKey: tkey, TransitionMagic: fmt.Sprintf("0:%d;%s", rc, tkey),
		LastRCChange: stamp, LastRun: stamp, OnNode: a.node.Name,
	}
	for i := range lr.Ops {
		if lr.Ops[i].ID == id {
			lr.Ops[i] = op
			return
		}
	}
	lr.Ops = append(lr.Ops, op)
}

// historyEntry is the lookup of pcmk__inject_resource_history in the
// node_state at index si: an entry under the action's resource name wins
// over one under the configured name, and the first of duplicate ids wins.
func (in *injector) historyEntry(si int, name, configName string) *cib.LRMResource {
	ns := &in.cib.Status[si]
	if !in.indexed[si] {
		if in.indexed == nil {
			in.indexed = map[int]bool{}
		}
		in.indexed[si] = true
		for i := len(ns.Resources) - 1; i >= 0; i-- {
			in.history[historyKey{si, ns.Resources[i].ID}] = i
		}
	}
	for _, want := range []string{name, configName} {
		if i, ok := in.history[historyKey{si, want}]; ok {
			return &ns.Resources[i]
		}
	}
	return nil
}

// targetRC is the op_target_rc the scheduler gives an action.
func targetRC(a *action) int {
	if a.task != "monitor" {
		return ocfOK
	}
	if a.intervalMS == 0 {
		return ocfNotRunning
	}
	// A recurring monitor expects what its configured role implies:
	// "not running" for role=Stopped, "promoted" for role=Promoted.
	for _, op := range a.rsc.ops {
		if op.name != "monitor" || op.intervalMS != a.intervalMS {
			continue
		}
		switch op.role {
		case RoleStopped:
			return ocfNotRunning
		case RolePromoted:
			return ocfRunningPromoted
		}
	}
	return ocfOK
}
