package core

import (
	"time"
)

// NodeType is heartbeat's nodetype: a cluster member or a ping node.
type NodeType int

const (
	NormalNode   NodeType = iota // NORMALNODE_I, "normal"
	PingNodeType                 // PINGNODE_I, "ping"
)

func (t NodeType) String() string {
	if t == PingNodeType {
		return "ping"
	}
	return "normal"
}

// Node statuses (heartbeat.h).
const (
	StatusInit   = "init"
	StatusUp     = "up"
	StatusActive = "active"
	StatusDead   = "dead"
	StatusPing   = "ping"
	LinkUp       = "up"
	LinkDead     = "dead"
)

// link is struct link: one medium as seen from one node.
type link struct {
	name       string
	status     string
	lastUpdate time.Time
}

// node is struct node_info.
type node struct {
	name    string
	typ     NodeType
	group   bool // ping_group
	uuid    [16]byte
	status  string
	links   []*link
	deadFor time.Duration // dead_ticks: from config, then the peer's dt

	rmtLastUpdate   int64     // the peer's ts of its last status
	statusSeqno     uint64    // seq of its last status
	localLastUpdate time.Time // zero after a detected restart
	anyPacketsYet   bool

	// Autojoin: status reports are held back until the second status
	// (status_suppressed / saved_status_msg in process_clustermsg).
	suppressed bool
	saved      *NodeStatus

	track seqtrack
}

func (n *node) isUpOrActive() bool {
	return n.status == StatusUp || n.status == StatusActive
}

// lookupLink is lookup_iface: the first link of that name.
func (n *node) lookupLink(name string) *link {
	for _, l := range n.links {
		if l.name == name {
			return l
		}
	}
	return nil
}

// addNode is config.c add_node: status init, a fresh seqtrack with a
// random ack_trigger, and links (init_node_link_info).
func (m *Machine) addNode(name string, typ NodeType, group bool) *node {
	n := &node{
		name:            name,
		typ:             typ,
		group:           group,
		status:          StatusInit,
		localLastUpdate: m.now,
	}
	n.track.reset()
	n.track.ackTrigger = uint64(m.rng.IntN(ackMsgDiv))
	if typ == PingNodeType {
		n.deadFor = m.cfg.DeadPing
		// A ping node has one link, named after itself (the ping
		// medium's name is the host or group).
		n.links = []*link{{name: name, status: LinkDead, lastUpdate: m.now}}
	} else {
		n.deadFor = m.cfg.DeadTime
		for _, l := range m.linkNames {
			n.links = append(n.links, &link{name: l, status: LinkDead, lastUpdate: m.now})
		}
	}
	m.nodes = append(m.nodes, n)
	m.byName[name] = n
	return n
}

// lookup is lookup_tables: by uuid first, then by name.
func (m *Machine) lookup(name string, uuid [16]byte) *node {
	if uuid != ([16]byte{}) {
		for _, n := range m.nodes {
			if n.uuid == uuid {
				return n
			}
		}
	}
	return m.byName[lowerASCII(name)]
}

// learnUUID is update_tables: remember a peer's uuid from srcuuid.
func (m *Machine) learnUUID(name string, uuid [16]byte) {
	if uuid == ([16]byte{}) {
		return
	}
	n := m.byName[lowerASCII(name)]
	if n == nil {
		return
	}
	if n.uuid != ([16]byte{}) && n.uuid != uuid {
		m.logf(LevelInfo, "node %s changed its uuid to %s", name, formatUUID(uuid))
	}
	n.uuid = uuid
}

func (m *Machine) removeNode(n *node) {
	for i, x := range m.nodes {
		if x == n {
			m.nodes = append(m.nodes[:i], m.nodes[i+1:]...)
			break
		}
	}
	delete(m.byName, n.name)
	n.track.cancelAll(m, n)
	if m.hist.lowestAck == n {
		m.hist.lowestAck = nil
	}
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

const hexdigits = "0123456789abcdef"

func formatUUID(u [16]byte) string {
	b := make([]byte, 0, 36)
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&15])
	}
	return string(b)
}
