package scheduler

import (
	"fmt"
	"strings"
	"time"
)

// execution is crm_simulate's run of a transition graph
// (pcmk__simulate_transition with pcmk__execute_graph): every action
// succeeds at once, so a synapse fires as soon as all its inputs have
// fired, and a later synapse may fire in the same pass as its input.
type execution struct {
	// fired lists the executed synapses in execution order.
	fired []*graphSynapse
	// complete is false when synapses were left that could never fire (an
	// ordering loop, or an input that is not in the graph): crm_simulate
	// then reports "Transition failed: terminated".
	complete bool
}

// execute runs the graph the way pcmk__execute_graph does when every
// action is confirmed as soon as it is initiated: repeated passes over the
// synapses in graph order until a pass fires nothing.
func (g *transitionGraph) execute() execution {
	confirmed := make(map[*action]bool, len(g.synapses))
	executed := make([]bool, len(g.synapses))
	var ex execution
	for {
		fired, incomplete := 0, 0
		for i, s := range g.synapses {
			if executed[i] {
				continue
			}
			if !inputsConfirmed(s, confirmed) {
				incomplete++
				continue
			}
			executed[i] = true
			confirmed[s.action] = true
			ex.fired = append(ex.fired, s)
			fired++
		}
		if fired == 0 {
			ex.complete = incomplete == 0
			return ex
		}
	}
}

func inputsConfirmed(s *graphSynapse, confirmed map[*action]bool) bool {
	for _, in := range s.inputs {
		if !confirmed[in] {
			return false
		}
	}
	return true
}

// executedLine is the line crm_simulate prints for an executed action
// (the inject-rsc-action, inject-pseudo-action, inject-fencing-action and
// inject-cluster-action messages).
func (g *transitionGraph) executedLine(a *action) string {
	switch graphElement(a) {
	case "pseudo_event":
		if graphHasNode(a) {
			return "  * Pseudo action:   " + graphKey(a) + " on " + a.node.Name
		}
		return "  * Pseudo action:   " + graphKey(a)
	case "crm_event":
		if a.task == "stonith" {
			return "  * Fencing " + a.node.Name + " (" + a.fenceType + ")"
		}
		node := ""
		if a.node != nil {
			node = a.node.Name
		}
		if a.rsc != nil {
			id, _ := primitiveID(a.rsc)
			return fmt.Sprintf("  * Cluster action:  %s for %s on %s", a.task, id, node)
		}
		return fmt.Sprintf("  * Cluster action:  %s on %s", a.task, node)
	}
	op := a.task
	if a.intervalMS != 0 && a.task != "delete" && a.task != "meta-data" {
		op += "=" + intervalString(a.intervalMS)
	}
	name, _ := g.simulatedName(a.rsc)
	return fmt.Sprintf("  * Resource action: %-15s %s on %s", name, op, a.node.Name)
}

// ExecutedActions returns the "Executing Cluster Transition:" lines, in
// the order crm_simulate executes the transition graph.
func (t *Transition) ExecutedActions() []string {
	ex := t.executed()
	if ex == nil {
		return nil
	}
	out := make([]string, 0, len(ex.fired))
	for _, s := range ex.fired {
		out = append(out, t.sim.graph.executedLine(s.action))
	}
	return out
}

// ExecutedText renders the executed actions, one line each, as they
// appear under "Executing Cluster Transition:".
func (t *Transition) ExecutedText() string {
	var b strings.Builder
	for _, l := range t.ExecutedActions() {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// TransitionFailed reports whether crm_simulate could not complete the
// transition graph (it prints "Transition failed: terminated" and "An
// invalid transition was produced" and exits with an error); the revised
// status then reflects only the actions that ran.
func (t *Transition) TransitionFailed() bool {
	ex := t.executed()
	return ex != nil && !ex.complete
}

// RevisedNotice is what crm_simulate prints between the executed actions
// and the revised status: the execution date notice again, when the CIB
// has one (set_effective_date before the revised status).
func (t *Transition) RevisedNotice() string {
	if t.ws == nil || t.ws.executionDate == 0 {
		return ""
	}
	return "Using the original execution date of: " +
		time.Unix(t.ws.executionDate, 0).UTC().Format("2006-01-02 15:04:05Z") + "\n"
}
