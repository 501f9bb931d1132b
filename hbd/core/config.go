package core

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// AutoJoin is heartbeat's "autojoin" directive (config.c set_autojoin).
type AutoJoin int

const (
	AutoJoinNone  AutoJoin = iota // HB_JOIN_NONE: unknown senders are "bad node"
	AutoJoinOther                 // HB_JOIN_OTHER: unknown nodes are added
	AutoJoinAny                   // HB_JOIN_ANY: as Other; the local node need not be listed
)

// PingNode is one "ping" host or "ping_group" from ha.cf. Its Name is the
// node name heartbeat uses: the host as written (lower-cased) for ping, the
// group name for ping_group.
type PingNode struct {
	Name  string
	Group bool // ping_group: the NS_st message says info=ping_group
}

// Config is everything the membership core needs. The daemon maps
// hacf.Config onto it; durations are already in time.Duration.
//
// Zero durations take heartbeat's defaults (config.c init_config):
// keepalive 1 s, deadtime 30 s, warntime deadtime/2, initdead as in
// init_config (deadtime if > 10 s, else 12 s if deadtime < 6 s, else
// 2*deadtime), deadping = deadtime, max_rexmit_delay 250 ms. HopFudge is
// taken as given (hacf applies heartbeat's default of 1).
type Config struct {
	// LocalNode is this node's name (uname -n or /etc/ha.d/nodeinfo).
	LocalNode string
	// Nodes are the "node" directives in ha.cf order. The node table is
	// Nodes followed by PingNodes; the order matters for reqnodes target
	// choice and the link-timeout quirk (see checkForTimeouts).
	Nodes     []string
	PingNodes []PingNode
	// Links are the heartbeat media names in ha.cf order. Heartbeat names a
	// link by the medium's interface ("eth0"); a name given twice is one
	// link, as lookup_iface returns the first match.
	Links []string

	KeepAlive      time.Duration
	DeadTime       time.Duration
	WarnTime       time.Duration
	InitDead       time.Duration
	DeadPing       time.Duration
	MaxRexmitDelay time.Duration
	HopFudge       int

	// UUID is the local node's 16-byte uuid (hb_uuid); it must not be zero.
	UUID [16]byte
	// Generation is hg: already read from hb_generation and incremented by
	// the caller (IncrGeneration) before the machine is created.
	Generation uint64
	AutoJoin   AutoJoin
	// ManageResources is heartbeat's DoManageResources (R1 haresources
	// mode). It enables the healed-partition restart (should_drop_message).
	ManageResources bool
	// LoadAvg is the initial "ld" field ("n/a" if empty); Tick and Start
	// events may update it.
	LoadAvg string
	// Seed seeds the machine's only source of randomness: ack_trigger and
	// the first rexmit delay.
	Seed uint64
}

// withDefaults returns a copy with heartbeat's defaults applied and names
// lower-cased (heartbeat lower-cases every node name, §2.12).
func (c Config) withDefaults() Config {
	c.LocalNode = strings.ToLower(c.LocalNode)
	nodes := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		nodes[i] = strings.ToLower(n)
	}
	c.Nodes = nodes
	pings := make([]PingNode, len(c.PingNodes))
	for i, p := range c.PingNodes {
		pings[i] = PingNode{Name: strings.ToLower(p.Name), Group: p.Group}
	}
	c.PingNodes = pings
	if c.KeepAlive == 0 {
		c.KeepAlive = time.Second
	}
	if c.DeadTime == 0 {
		c.DeadTime = 30 * time.Second
	}
	if c.WarnTime <= 0 {
		c.WarnTime = c.DeadTime / 2
	}
	if c.InitDead <= 0 {
		switch {
		case c.DeadTime > 10*time.Second:
			c.InitDead = c.DeadTime
		case c.DeadTime < 6*time.Second:
			c.InitDead = 12 * time.Second
		default:
			c.InitDead = 2 * c.DeadTime
		}
	}
	if c.DeadPing <= 0 {
		c.DeadPing = c.DeadTime
	}
	if c.MaxRexmitDelay <= 0 {
		c.MaxRexmitDelay = 250 * time.Millisecond
	}
	if c.LoadAvg == "" {
		c.LoadAvg = "n/a"
	}
	return c
}

// validate applies the checks of init_config that matter to the core.
func (c Config) validate() error {
	var errs []error
	if c.LocalNode == "" {
		errs = append(errs, errors.New("core: LocalNode is empty"))
	}
	found := false
	seen := map[string]bool{}
	for _, n := range c.Nodes {
		if n == "" {
			errs = append(errs, errors.New("core: empty node name"))
		}
		if seen[n] {
			errs = append(errs, fmt.Errorf("core: node %q listed twice", n))
		}
		seen[n] = true
		found = found || n == c.LocalNode
	}
	for _, p := range c.PingNodes {
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("core: ping node %q is also a node", p.Name))
		}
		seen[p.Name] = true
	}
	if !found && c.AutoJoin != AutoJoinAny {
		errs = append(errs, fmt.Errorf("core: current node [%s] not in configuration", c.LocalNode))
	}
	if len(c.Links) == 0 {
		errs = append(errs, errors.New("core: no heartbeat media defined"))
	}
	if c.DeadTime <= 2*c.KeepAlive {
		errs = append(errs, fmt.Errorf("core: dead time [%d] is too small compared to keepalive [%d]",
			c.DeadTime.Milliseconds(), c.KeepAlive.Milliseconds()))
	}
	if c.InitDead < c.DeadTime {
		errs = append(errs, fmt.Errorf("core: initial dead time [%d] is smaller than deadtime [%d]",
			c.InitDead.Milliseconds(), c.DeadTime.Milliseconds()))
	}
	if c.UUID == ([16]byte{}) {
		errs = append(errs, errors.New("core: UUID is zero"))
	}
	if c.Generation == 0 {
		errs = append(errs, errors.New("core: Generation is zero"))
	}
	if c.HopFudge < 0 {
		errs = append(errs, errors.New("core: negative HopFudge"))
	}
	return errors.Join(errs...)
}
