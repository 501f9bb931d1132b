package cibgen

// Features selects what the random generator may put into a CIB, so that
// the differential test can start with what hbd's scheduler supports and
// widen as it grows. A feature that is off is never generated; one that is
// on is used with the probabilities in gen.go.
type Features struct {
	Groups bool // groups of 2–4 primitives
	Clones bool // anonymous clones of a primitive
	// Promotable makes some clones promotable (ocf:pacemaker:Stateful) with
	// promotion scores, role=Promoted locations and colocations with the
	// Promoted role (needs Clones).
	Promotable  bool
	Locations   bool // rsc_location, node/score form
	RuleLocs    bool // rsc_location with a "#uname eq node" rule (needs Locations)
	Colocations bool // rsc_colocation between top-level resources
	Orders      bool // rsc_order start→start, Mandatory or Optional
	Stickiness  bool // resource-stickiness per resource and in rsc_defaults
	Priority    bool // the priority meta attribute
	// Status is a status section with running resources; without it every
	// case is a cold start.
	Status   bool
	Failures bool // failed monitors and starts, fail counts (needs Status)
	// MigrationThreshold sets migration-threshold and failure-timeout.
	MigrationThreshold bool
	Standby            bool // nodes in standby
	OfflineNodes       bool // nodes that are down (cleanly: fencing is off)
	TargetRoleStopped  bool // target-role=Stopped on some resources
	Unmanaged          bool // is-managed=false on some resources
	// QuorumPolicies varies no-quorum-policy (ignore, stop, freeze) and
	// sometimes takes quorum away; otherwise quorum is held and the policy
	// is ignore.
	QuorumPolicies bool
	// Asymmetric sometimes sets symmetric-cluster=false (an opt-in cluster).
	Asymmetric bool
}

// TierA is the spec's tier A (pacemaker-engine.md §3.3): primitives, groups,
// location, colocation, order, stickiness, failures and standby: what hbd's
// scheduler implements first.
func TierA() Features {
	return Features{
		Groups: true, Locations: true, RuleLocs: true, Colocations: true, Orders: true,
		Stickiness: true, Priority: true, Status: true, Failures: true, MigrationThreshold: true,
		Standby: true, OfflineNodes: true, TargetRoleStopped: true, Unmanaged: true,
		QuorumPolicies: true, Asymmetric: true,
	}
}

// All is every feature the generator knows: tier A plus anonymous and
// promotable clones (tier C1).
func All() Features {
	f := TierA()
	f.Clones, f.Promotable = true, true
	return f
}
