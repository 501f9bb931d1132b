package scheduler

import (
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// Role is Pacemaker's enum rsc_role_e; the order matters (comparisons).
type Role int

const (
	RoleUnknown Role = iota
	RoleStopped
	RoleStarted
	RoleUnpromoted
	RolePromoted
)

func (r Role) String() string {
	switch r {
	case RoleStopped:
		return "Stopped"
	case RoleStarted:
		return "Started"
	case RoleUnpromoted:
		return "Unpromoted"
	case RolePromoted:
		return "Promoted"
	}
	return "Unknown"
}

// parseRole is text2role, accepting the pre-2.0 Master/Slave names and,
// like text2role, any letter case (old CIBs write "stopped").
func parseRole(s string) (Role, bool) {
	switch strings.ToLower(s) {
	case "stopped":
		return RoleStopped, true
	case "started":
		return RoleStarted, true
	case "unpromoted", "slave":
		return RoleUnpromoted, true
	case "promoted", "master":
		return RolePromoted, true
	}
	return RoleUnknown, false
}

// Node is one cluster node (pe_node_t plus its details).
type Node struct {
	Name  string
	ID    string
	index int // position in the CIB's <nodes>, used for score tables

	Online      bool
	Unclean     bool
	Unseen      bool
	Standby     bool
	Pending     bool
	Maintenance bool
	Shutdown    bool
	ExpectedUp  bool

	displayOnline bool // shown as online although it cannot run resources

	attrs       map[string]string
	fenceReason string

	numResources int // resources assigned in this run (compare_nodes)
}

// available is pcmk__node_available without the score check.
func (n *Node) available() bool {
	return n != nil && n.Online && !n.Shutdown && !n.Unclean && !n.Standby && !n.Maintenance
}

// weight is one entry of a resource's allowed-node table. Pacemaker keeps a
// hash table that may lack nodes (asymmetric clusters); present mirrors that.
type weight struct {
	present bool
	score   int
}

// nodeTable is a resource's allowed_nodes, indexed by Node.index.
type nodeTable []weight

func (t nodeTable) clone() nodeTable { return append(nodeTable(nil), t...) }

// failStrategy is enum action_fail_response, in Pacemaker's order.
type failStrategy int

const (
	failIgnore failStrategy = iota
	failRecover
	failMigrate
	failBlock
	failStop
	failStandby
	failFence
	failRestartContainer
	failResetRemote
	failDemote
)

// cmpOnFail is cmp_on_fail (lib/pengine/unpack.c): demote ranks just above
// ignore, the rest by enum value.
func cmpOnFail(a, b failStrategy) int {
	if a == failDemote {
		switch b {
		case failIgnore:
			return 1
		case failDemote:
			return 0
		}
		return -1
	}
	if b == failDemote {
		if a == failIgnore {
			return -1
		}
		return 1
	}
	return int(a) - int(b)
}

// Resource is pe_resource_t for primitives and groups.
type Resource struct {
	ID       string
	Kind     cib.ResourceKind
	Parent   *Resource
	Children []*Resource
	Class    string
	Provider string
	Type     string
	xml      *cib.Resource
	meta     map[string]string
	// notifications are a notify=true clone's notification boundaries
	// (notify.go).
	notifications *cloneNotifications

	priority           int
	stickiness         int
	migrationThreshold int
	failureTimeout     int // seconds
	managed            bool
	orphan             bool
	isStonith          bool
	critical           bool
	ordered            bool // groups
	colocated          bool // groups
	requiresNothing    bool
	unique             bool // globally-unique clone
	cloneMax           int
	cloneNodeMax       int
	cloneOrdered       bool
	interleave         bool
	baseID             string // instance id without ":N"
	cloneName          string // history id the instance was found under, if not ID (clone_name)
	instanceNum        int    // N of a clone instance
	cloneCount         []int  // instances assigned per node (clone's node->count)
	promotable         bool
	promotedMax        int
	promotedNodeMax    int
	knownOn            map[*Node]bool // nodes with history for this resource
	// stateKnownOn is Pacemaker's known_on: nodes where the history
	// determined a role (expired failures alone do not count).
	stateKnownOn     map[*Node]bool
	failcountCleared map[*Node]bool // nodes where a fail-count clear is scheduled
	sortIndex        int
	nodesForStatus   []bool  // clones: nodes listed as Stopped when idle
	statusNodes      []*Node // the node list nodesForStatus indexes

	targetRole   Role
	role         Role
	nextRole     Role
	runningOn    []*Node
	failed       bool
	stopIfFailed bool
	blocked      bool
	failIgnored  bool
	startPending bool
	// reload is pe_rsc_reload: a changed definition is applied by the
	// agent's reload-agent action instead of a restart.
	reload bool

	allowed     nodeTable
	allocatedTo *Node
	provisional bool
	allocating  bool
	merging     bool

	thisWith []*colocation // rsc_cons
	withThis []*colocation // rsc_cons_lhs

	actions []*action
	ops     []opConfig
}

func (r *Resource) top() *Resource {
	for r.Parent != nil {
		r = r.Parent
	}
	return r
}

func (r *Resource) currentNode() *Node {
	if len(r.runningOn) == 0 {
		return nil
	}
	return r.runningOn[0]
}

// opConfig is one configured <op>, with its interval in milliseconds.
type opConfig struct {
	name       string
	intervalMS int64
	role       Role
	onFail     string
	enabled    bool
}

// colocation is pcmk__colocation_t.
type colocation struct {
	id        string
	dependent *Resource
	primary   *Resource
	score     int
	depRole   Role
	primRole  Role
	nodeAttr  string
	influence bool
}
