// Package cib is a typed model of the Pacemaker CIB (configuration and
// status sections) as far as hbd's crm mode needs it, with a parser built on
// encoding/xml.
//
// The model is deliberately close to the XML: values stay strings where
// Pacemaker itself parses them lazily (scores, intervals, booleans), so that
// the scheduler can apply Pacemaker's own parsing rules (char2score,
// crm_is_true, crm_parse_interval_spec). Features the scheduler does not
// implement are not dropped: Parse records each of them in CIB.Unsupported,
// and the scheduler refuses a CIB whose Unsupported list is not empty.
package cib

// CIB is one parsed <cib> document.
type CIB struct {
	ValidateWith  string
	FeatureSet    string // crm_feature_set
	HaveQuorum    string // have-quorum attribute, raw ("" when absent)
	ExecutionDate string // execution-date (epoch seconds), raw
	DCUUID        string

	CRMConfig   []NVSet // cluster_property_set elements, document order
	RscDefaults []NVSet // rsc_defaults/meta_attributes
	OpDefaults  []NVSet // op_defaults/meta_attributes

	Nodes       []Node
	Resources   []*Resource // top-level resources, document order
	Locations   []Location
	Colocations []Colocation
	Orders      []Order

	Status []NodeState

	// Unsupported lists every feature found in the input that hbd does not
	// implement, as "element id: what" strings in document order.
	Unsupported []string
}

// NVPair is one name/value pair (id-refs already resolved).
type NVPair struct {
	ID    string
	Name  string
	Value string
}

// NVSet is an instance_attributes, meta_attributes, utilization or
// cluster_property_set block.
type NVSet struct {
	ID    string
	Score string // ordering score among sets, raw
	Rule  *Rule  // optional condition
	Pairs []NVPair
}

// Rule is a <rule> element: a boolean combination of expressions.
type Rule struct {
	ID             string
	Score          string
	ScoreAttribute string
	BooleanOp      string // "and" (default) or "or"
	Role           string
	Expressions    []Expression
	Rules          []*Rule // nested rules
}

// Expression is a node attribute test inside a rule.
type Expression struct {
	ID          string
	Attribute   string
	Operation   string
	Value       string
	Type        string
	ValueSource string
}

// Node is a <node> in the configuration section.
type Node struct {
	ID         string
	Uname      string
	Type       string
	Attributes []NVSet // instance_attributes
}

// ResourceKind tells primitives, groups and clones apart.
type ResourceKind int

const (
	KindPrimitive ResourceKind = iota
	KindGroup
	KindClone
)

func (k ResourceKind) String() string {
	switch k {
	case KindPrimitive:
		return "primitive"
	case KindGroup:
		return "group"
	case KindClone:
		return "clone"
	}
	return "unknown"
}

// Resource is a primitive, group or clone (including the old <master>).
type Resource struct {
	Kind     ResourceKind
	ID       string
	Class    string
	Provider string
	Type     string
	// Master is true for the pre-1.1 <master> element (a promotable clone).
	Master   bool
	Meta     []NVSet
	Instance []NVSet
	Ops      []Op
	Children []*Resource
}

// Op is one <op> of a primitive's <operations>.
type Op struct {
	ID       string
	Name     string
	Interval string
	Role     string
	OnFail   string
	Enabled  string
	Timeout  string
	// StartDelay is the start-delay attribute: how long the executor
	// waits before the first run of a recurring operation.
	StartDelay string
	// Meta holds both meta_attributes and instance_attributes (old CIBs
	// set operation options with the latter); Instance holds only the
	// instance_attributes, which are also agent parameters of this
	// operation.
	Meta     []NVSet
	Instance []NVSet
}

// Location is an rsc_location constraint.
type Location struct {
	ID                string
	Rsc               string
	Node              string
	Score             string
	Role              string
	ResourceDiscovery string
	Rules             []*Rule
}

// Colocation is an rsc_colocation constraint between two resources.
type Colocation struct {
	ID            string
	Rsc           string
	WithRsc       string
	Score         string
	RscRole       string
	WithRscRole   string
	NodeAttribute string
	Influence     string
}

// Order is an rsc_order constraint between two resources.
type Order struct {
	ID          string
	First       string
	Then        string
	FirstAction string
	ThenAction  string
	Kind        string
	Score       string // deprecated form of kind
	Symmetrical string
	RequireAll  string // deprecated require-all
}

// NodeState is a <node_state> in the status section.
type NodeState struct {
	ID        string
	Uname     string
	InCCM     string
	Crmd      string
	Join      string
	Expected  string
	Shutdown  string
	Transient []NVPair // transient_attributes, all sets flattened
	Resources []LRMResource
}

// LRMResource is the operation history of one resource on one node.
type LRMResource struct {
	ID        string
	Class     string
	Provider  string
	Type      string
	Container string
	Ops       []LRMOp
}

// LRMOp is one lrm_rsc_op history entry.
type LRMOp struct {
	ID              string
	OperationKey    string
	Operation       string
	CallID          string
	RCCode          string
	OpStatus        string
	Interval        string
	TransitionKey   string
	TransitionMagic string
	LastRCChange    string
	LastRun         string
	ExitReason      string
	OpDigest        string
	// OpRestartDigest and OpForceRestart are recorded for agents that
	// support reload: the digest of the parameters that need a restart,
	// and their names (" a b ").
	OpRestartDigest string
	OpForceRestart  string
	// HasOpDigest tells a missing op-digest from an empty one.
	HasOpDigest bool
	HasRestart  bool
	// OpSecureParams lists the parameters left out of OpSecureDigest
	// (" passwd password "), which a sanitized CIB cannot reproduce.
	OpSecureParams string
	OpSecureDigest string
	HasSecure      bool
	FeatureSet     string // crm_feature_set of the controller that wrote it
	OnNode         string
}
