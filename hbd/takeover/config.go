package takeover

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hbd-project/hbd/haresources"
)

// Mode is the resource takeover mode selected by ha.cf (§7.1 of the spec).
type Mode int

const (
	// Legacy is "auto_failback legacy" (and the default, and any
	// nice_failback directive): no starting/resource messages; a node
	// (re)claims its local groups with ip-request, so failback is
	// immediate.
	Legacy Mode = iota
	// NiceFailback is "auto_failback off": negotiated start, groups stay
	// where they are.
	NiceFailback
	// AutoFailback is "auto_failback on": negotiated start, and a node
	// holding a returning node's groups gives them back through the
	// standby handshake (PerformAutoFailback).
	AutoFailback
)

func (m Mode) String() string {
	switch m {
	case Legacy:
		return "legacy"
	case NiceFailback:
		return "off"
	case AutoFailback:
		return "on"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// Config is what the resource manager needs from ha.cf and haresources.
type Config struct {
	// LocalNode is this node's name (lower-cased, as the core uses it).
	LocalNode string
	// Nodes are the normal (non-ping) "node" names of ha.cf. R1 resource
	// management is a two-node protocol: exactly one must be the peer.
	Nodes []string
	// Groups are the haresources groups in file order; shutdown gives
	// them up in this order.
	Groups []haresources.Group
	Mode   Mode
	// Stonith says a STONITH device is configured (stonith or a matching
	// stonith_host directive). A dead peer that may hold resources is
	// then fenced (Fence action) and its groups are taken only after a
	// FenceDone with result OK.
	Stonith bool
}

func (c Config) withDefaults() Config {
	c.LocalNode = strings.ToLower(c.LocalNode)
	nodes := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		nodes[i] = strings.ToLower(n)
	}
	c.Nodes = nodes
	return c
}

func (c Config) validate() (peer string, err error) {
	var errs []error
	if c.LocalNode == "" {
		errs = append(errs, errors.New("takeover: LocalNode is empty"))
	}
	found := false
	for _, n := range c.Nodes {
		switch {
		case n == c.LocalNode:
			found = true
		case peer == "":
			peer = n
		default:
			errs = append(errs, fmt.Errorf("takeover: more than two nodes (%q): haresources mode supports two", n))
		}
	}
	if !found {
		errs = append(errs, fmt.Errorf("takeover: local node %q not in Nodes", c.LocalNode))
	}
	if peer == "" {
		errs = append(errs, errors.New("takeover: no peer node"))
	}
	seen := map[string]bool{}
	for _, g := range c.Groups {
		if seen[g.Key] {
			errs = append(errs, fmt.Errorf("takeover: group key %q listed twice", g.Key))
		}
		seen[g.Key] = true
		if n := strings.ToLower(g.Node); n != c.LocalNode && n != peer {
			errs = append(errs, fmt.Errorf("takeover: group %q belongs to unknown node %q", g.Key, g.Node))
		}
	}
	if c.Mode < Legacy || c.Mode > AutoFailback {
		errs = append(errs, fmt.Errorf("takeover: bad mode %d", int(c.Mode)))
	}
	return peer, errors.Join(errs...)
}
