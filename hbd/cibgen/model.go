package cibgen

// Cluster is a generated CIB before rendering: configuration plus the
// current state the status section describes. XML renders it.
type Cluster struct {
	Seed  int64
	Nodes []*Node
	// Options are crm_config cluster properties, e.g. stonith-enabled.
	Options    []NV
	HaveQuorum bool
	// RscDefaults are rsc_defaults meta attributes.
	RscDefaults []NV
	Resources   []*Resource // top-level, in CIB order
	Locations   []Location
	Colocations []Colocation
	Orders      []Order
	// ExecutionDate is the <cib execution-date> epoch: crm_simulate's "now",
	// which failure-timeout expiry is measured against. 0 leaves it out
	// (a CIB for a real cluster, whose "now" is the clock).
	ExecutionDate int64
	// EmptyStatus writes <status/> with no node_state at all, as the CIB of
	// a cluster that has not started yet has; Nodes' state is then ignored.
	EmptyStatus bool
}

// NV is a name/value pair (nvpair).
type NV struct{ Name, Value string }

// Node is a cluster node and its state.
type Node struct {
	ID, Name string
	Online   bool
	Standby  bool // the permanent node attribute standby=on
	// History is the operation history the status section records for this
	// node, one entry per primitive that has any.
	History []History
	// FailCounts become fail-count-<rsc>#<op>_<ms> and last-failure-… transient
	// attributes.
	FailCounts []FailCount
	// Transient are other transient node attributes, such as the promotion
	// score master-<rsc>.
	Transient []NV
}

// Kind tells resources apart.
type Kind int

const (
	Primitive Kind = iota
	Group
	Clone
)

// Resource is a primitive, group or clone.
type Resource struct {
	Kind Kind
	ID   string
	// Class, Provider and Type name a primitive's agent.
	Class, Provider, Type string
	Params                []NV // instance attributes (primitives)
	Meta                  []NV
	// Monitor is a primitive's recurring monitor interval in ms (0: none);
	// in a promotable clone, the monitor of the Unpromoted role.
	Monitor int
	// PromotedMonitor is the interval of the Promoted role's monitor of a
	// promotable clone's primitive (0: not promotable). It must differ from
	// Monitor: Pacemaker tells the two ops apart by interval.
	PromotedMonitor int
	// MonitorTimeout is the monitor's timeout in ms (0: 20 s).
	MonitorTimeout int
	Children       []*Resource // group members in order, or a clone's one child
}

// Primitives returns r's primitives in CIB order (r itself for a primitive).
func (r *Resource) Primitives() []*Resource {
	if r.Kind == Primitive {
		return []*Resource{r}
	}
	var out []*Resource
	for _, c := range r.Children {
		out = append(out, c.Primitives()...)
	}
	return out
}

func (r *Resource) monitorTimeout() int {
	if r.MonitorTimeout > 0 {
		return r.MonitorTimeout
	}
	return defaultMonitorTimeoutMS
}

// promotable reports whether r is a promotable clone.
func (r *Resource) promotable() bool { return r.Kind == Clone && r.hasMeta("promotable", "true") }

func (r *Resource) hasMeta(name, value string) bool {
	for _, m := range r.Meta {
		if m.Name == name && m.Value == value {
			return true
		}
	}
	return false
}

// Location is rsc_location: a node and score, written in the simple form,
// or as a #uname rule when Rule is set. Role (Promoted) limits it to a
// promotable clone's promoted instance; 2.1.5 honours role only in the
// simple form (pacemaker-engine.md §1.3), so a rule carries it on <rule>.
type Location struct {
	ID, Rsc, Node, Score string
	Rule                 bool
	Role                 string
}

// Colocation is rsc_colocation: Rsc (the dependent) with WithRsc, with
// optional role filters (Promoted, Unpromoted).
type Colocation struct {
	ID, Rsc, WithRsc, Score string
	RscRole, WithRscRole    string
}

// Order is rsc_order: start First, then start Then.
type Order struct {
	ID, First, Then string
	Kind            string // Mandatory or Optional
	Symmetrical     string // "" (default, true) or "false"
}

// OpState is what a primitive's history on a node says.
type OpState int

const (
	// Probed: a probe found it not running (monitor_0, rc 7).
	Probed OpState = iota
	// Running: started (rc 0) and its recurring monitor last returned 0.
	Running
	// MonitorFailed: started, then the recurring monitor returned 7 (not
	// running), recorded as last_failure; the resource needs recovery.
	MonitorFailed
	// StartFailed: the start returned 1 (generic error); the controller then
	// sets the start fail count to INFINITY (start-failure-is-fatal).
	StartFailed
	// Promoted: started, promoted, and its Promoted-role monitor last
	// returned 8 (running promoted).
	Promoted
)

// History is one primitive's operation history on one node.
type History struct {
	Rsc   *Resource // a primitive
	State OpState
}

// FailCount is a transient fail-count attribute for one operation.
type FailCount struct {
	Rsc        string
	Op         string // monitor or start
	IntervalMS int
	Count      string // a number or INFINITY
	// LastFailure is the epoch of the last failure (last-failure-…).
	LastFailure int64
}

// Groups maps each group id to its member primitive ids, for
// crmoracle.Status.Placement (a cloned group's healthy instances are
// printed without their members).
func (c *Cluster) Groups() map[string][]string {
	out := map[string][]string{}
	var walk func(r *Resource)
	walk = func(r *Resource) {
		if r.Kind == Group {
			for _, m := range r.Children {
				out[r.ID] = append(out[r.ID], m.ID)
			}
		}
		for _, ch := range r.Children {
			walk(ch)
		}
	}
	for _, r := range c.Resources {
		walk(r)
	}
	return out
}
