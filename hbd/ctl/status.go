package ctl

// The JSON the daemon serves at GET /v1/status, shown by `hbctl status
// --json`. It is a stable schema: fields are only ever added, never renamed
// or removed, so scripts and monitoring can rely on it (README documents it).

// Status is the whole daemon state an operator needs.
type Status struct {
	Version     string `json:"version"`    // hbd version
	Node        string `json:"node"`       // the local node name
	UUID        string `json:"uuid"`       // the local node UUID
	Generation  uint64 `json:"generation"` // hb_generation of this run
	State       string `json:"state"`      // local status: init, up, active
	CommUp      bool   `json:"comm_up"`    // every node heard from or declared dead
	ManagedBy   string `json:"managed_by"` // "haresources" (R1) or "pacemaker"
	Resources   string `json:"resources"`  // held resources: none, local, foreign, all, transition
	UptimeMs    int64  `json:"uptime_ms"`  // since the daemon started
	KeepaliveMs int64  `json:"keepalive_ms"`
	DeadtimeMs  int64  `json:"deadtime_ms"`
	// Groups are the haresources groups, in file order.
	Groups []Group `json:"groups,omitempty"`
	// Nodes lists cluster members first (in ha.cf order), then ping nodes.
	Nodes []Node `json:"nodes"`
	// Counters are monotonic event counts since start, keyed by name (see
	// README for the list); drop reasons are keyed "drop_<reason>".
	Counters map[string]uint64 `json:"counters"`
	// Parameters are the ha.cf directives as written (cl_status hbparameter).
	Parameters map[string]string `json:"parameters,omitempty"`
}

// Node is one cluster member or ping node.
type Node struct {
	Name   string `json:"name"`
	Type   string `json:"type"`   // normal or ping
	Status string `json:"status"` // init, up, active, dead, ping
	Local  bool   `json:"local,omitempty"`
	UUID   string `json:"uuid,omitempty"`
	// Generation is the peer's last seen hg; 0 when never heard.
	Generation uint64 `json:"generation,omitempty"`
	// LastHeardMs is how long ago its last heartbeat arrived; -1 never.
	LastHeardMs int64  `json:"last_heard_ms"`
	DeadtimeMs  int64  `json:"deadtime_ms"` // the deadtime applied to it (its advertised dt)
	Weight      int    `json:"weight"`
	Site        string `json:"site"`
	Links       []Link `json:"links"`
}

// Link is one medium as seen from one node.
type Link struct {
	Name   string `json:"name"`   // the interface (heartbeat names links by interface)
	Status string `json:"status"` // up or dead
}

// FindNode returns the node called name, or nil.
func (s *Status) FindNode(name string) *Node {
	for i := range s.Nodes {
		if s.Nodes[i].Name == name {
			return &s.Nodes[i]
		}
	}
	return nil
}

// Group is one haresources group as this node sees it.
type Group struct {
	Key   string `json:"key"`   // the group's first resource, as written
	Local bool   `json:"local"` // its haresources node is this node
	State string `json:"state"` // this node's view: held, released, taking, giving, …
}
