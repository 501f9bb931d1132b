package core

import "time"

// Drops counts received messages that were not acted on, by reason.
type Drops struct {
	AuthFailed    uint64 `json:"auth_failed"`    // reported by the I/O layer
	Malformed     uint64 `json:"malformed"`      // reported by the I/O layer
	BadFields     uint64 `json:"bad_fields"`     // missing src/ts/t, bad seq/hg/firstseq
	BadNode       uint64 `json:"bad_node"`       // "bad node [x] in message"
	Autojoined    uint64 `json:"autojoined"`     // first message of an autojoined node
	NotForUs      uint64 `json:"not_for_us"`     // dest/destuuid names another node
	OldGeneration uint64 `json:"old_generation"` // hg below the known one: "attempted replay attack"
	StaleStatus   uint64 `json:"stale_status"`   // old status from a node we declared dead
	Duplicate     uint64 `json:"duplicate"`      // seq == last seq (second medium, own broadcast)
	Stale         uint64 `json:"stale"`          // seq below the last one and not missing: replay/late copy
	NotStarted    uint64 `json:"not_started"`    // received before Start
}

// Stats are the machine's counters, for hbctl status --json and metrics.
type Stats struct {
	Received         uint64 `json:"received"` // packets handed in by the I/O layer
	Kept             uint64 `json:"kept"`     // received messages that reached a handler
	Sent             uint64 `json:"sent"`     // Send actions, retransmissions included
	Drops            Drops  `json:"drops"`
	LostPackets      uint64 `json:"lost_packets"`     // seqs found missing in gaps
	RexmitRequested  uint64 `json:"rexmit_requested"` // NS_rexmit sent
	RexmitServed     uint64 `json:"rexmit_served"`    // history packets re-sent
	RexmitNaked      uint64 `json:"rexmit_naked"`     // NS_nak_rexmit sent
	NaksReceived     uint64 `json:"naks_received"`    // NS_nak_rexmit addressed to us
	AcksSent         uint64 `json:"acks_sent"`
	AcksReceived     uint64 `json:"acks_received"`
	LateHeartbeats   uint64 `json:"late_heartbeats"`
	NodeDeaths       uint64 `json:"node_deaths"`
	Restarts         uint64 `json:"peer_restarts"`
	HealedPartitions uint64 `json:"healed_partitions"`
	PingReplies      uint64 `json:"ping_replies"`
}

// LinkInfo is one link of a node in a Snapshot.
type LinkInfo struct {
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	LastHeard time.Time `json:"last_heard"`
}

// NodeInfo is one node in a Snapshot.
type NodeInfo struct {
	Name       string        `json:"name"`
	Type       string        `json:"type"` // normal or ping
	Status     string        `json:"status"`
	UUID       [16]byte      `json:"uuid"`
	Generation uint64        `json:"generation"` // last hg seen in a status
	LastHeard  time.Time     `json:"last_heard"` // last accepted status (zero if never)
	DeadTime   time.Duration `json:"deadtime"`   // threshold in force now
	Links      []LinkInfo    `json:"links"`
}

// Snapshot is the state shown by status commands.
type Snapshot struct {
	Local      string     `json:"local"`
	Status     string     `json:"status"`
	Generation uint64     `json:"generation"`
	CommUp     bool       `json:"comm_up"`
	Nodes      []NodeInfo `json:"nodes"`
	// FlowControl is false once a peer without protocol=1 was seen.
	FlowControl bool `json:"flow_control"`
	// HistLow/HistHigh/HistAcked describe the retransmission history.
	HistLow   uint64 `json:"hist_low"`
	HistHigh  uint64 `json:"hist_high"`
	HistAcked uint64 `json:"hist_acked"`
	Stats     Stats  `json:"stats"`
}

// Snapshot returns a copy of the machine's state.
func (m *Machine) Snapshot() Snapshot {
	s := Snapshot{
		Local:       m.self.name,
		Status:      m.self.status,
		Generation:  m.cfg.Generation,
		CommUp:      m.commNowUpDone,
		FlowControl: m.flowCtl,
		HistLow:     m.hist.lowseq,
		HistHigh:    m.hist.hiseq,
		HistAcked:   m.hist.ackseq,
		Stats:       m.stats,
	}
	for _, n := range m.nodes {
		ni := NodeInfo{
			Name:       n.name,
			Type:       n.typ.String(),
			Status:     n.status,
			UUID:       n.uuid,
			Generation: n.track.generation,
			LastHeard:  n.localLastUpdate,
			DeadTime:   m.deadThreshold(n),
		}
		for _, l := range n.links {
			ni.Links = append(ni.Links, LinkInfo{Name: l.name, Status: l.status, LastHeard: l.lastUpdate})
		}
		s.Nodes = append(s.Nodes, ni)
	}
	return s
}

// Stats returns the counters.
func (m *Machine) Stats() Stats { return m.stats }
