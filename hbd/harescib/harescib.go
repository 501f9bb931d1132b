// Package harescib converts a heartbeat R1 configuration (haresources plus
// ha.cf's node list and auto_failback) into a Pacemaker 2.1.5 CIB, following
// Heartbeat 2's haresources2cib.py (pacemaker-engine.md §6) where it was
// right and repairing what 2.1.5 rejects or what it got wrong:
//
//   - Each haresources line becomes a group (even a one-resource line, so
//     that every line is addressed the same way), its members in line order:
//     group semantics (colocated, ordered) are heartbeat's "start left to
//     right, stop right to left, all on one node".
//   - Each group gets rsc_location with a rule of score 100 on
//     "#uname eq <node>", the node the line names.
//   - auto_failback sets resource-stickiness in rsc_defaults: 0 for "on" and
//     "legacy" (both move a group back to its node when the node returns;
//     with stickiness 0 the +100 preference wins), INFINITY for "off" (a
//     group's stickiness is the sum over its members, so anything above 100
//     per member would do; INFINITY also keeps a group in place against
//     other finite preferences, which is what "never fail back" means).
//     haresources2cib ignored auto_failback; the result always failed back.
//   - IP addresses (the shorthand, IPaddr and IPaddr2) become
//     ocf:heartbeat:IPaddr2 with ip, cidr_netmask, nic, iflabel and
//     broadcast mapped by meaning (haresources2cib mapped them by position
//     and got it wrong in several revisions). IPv6addr becomes
//     ocf:heartbeat:IPv6addr.
//   - Heartbeat's resource.d wrappers of OCF agents (Filesystem, MailTo, …)
//     become those agents with their positional arguments named, as
//     haresources2cib's table did. Any other script Name::a::b becomes
//     lsb:Name. LSB agents take no parameters, so the arguments are kept as
//     instance attributes named 1, 2, … (haresources2cib's convention for
//     non-OCF scripts): nothing is lost, but Pacemaker does not pass them
//     to the script.
//   - Monitor ops as haresources2cib wrote them: every 5 s with a 5 s
//     timeout for IP addresses, every 120 s with a 60 s timeout otherwise.
//   - Cluster options for a heartbeat cluster: stonith-enabled=false (with
//     2.1.5's default of true and no fencing device nothing would start),
//     no-quorum-policy=ignore (heartbeat R1 has no quorum; a 2-node cluster
//     losing a node must carry on), symmetric-cluster=true.
package harescib

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/cibgen"
	"github.com/hbd-project/hbd/hbd/hacf"
)

// Options are what the conversion needs from ha.cf.
type Options struct {
	// Nodes are the ha.cf node names, in file order. Every haresources
	// line must name one of them.
	Nodes []string
	// AutoFailback is ha.cf's auto_failback.
	AutoFailback hacf.AutoFailback
	// Online adds a status section with every node online and nothing
	// running, for simulating the CIB (crm_simulate, hbctl simulate). A
	// CIB for a real cluster starts with an empty status.
	Online bool
}

// PreferenceScore is the score of each group's preference for its node,
// haresources2cib's value.
const PreferenceScore = 100

// Stickiness returns the resource-stickiness for an auto_failback mode.
func Stickiness(a hacf.AutoFailback) string {
	if a == hacf.FailbackOff {
		return "INFINITY"
	}
	return "0"
}

// Convert builds the CIB for f. Errors name the haresources FILE:LINE.
func Convert(f *haresources.File, opts Options) (*cibgen.Cluster, error) {
	if len(opts.Nodes) == 0 {
		return nil, errors.New("harescib: no nodes (ha.cf declares none)")
	}
	if err := f.ValidateNodes(opts.Nodes); err != nil {
		return nil, err
	}
	c := &cibgen.Cluster{
		HaveQuorum:  true,
		EmptyStatus: !opts.Online,
		Options: []cibgen.NV{{Name: "stonith-enabled", Value: "false"},
			{Name: "no-quorum-policy", Value: "ignore"}, {Name: "symmetric-cluster", Value: "true"}},
		RscDefaults: []cibgen.NV{{Name: "resource-stickiness", Value: Stickiness(opts.AutoFailback)}},
	}
	for i, n := range opts.Nodes {
		c.Nodes = append(c.Nodes, &cibgen.Node{ID: strconv.Itoa(i + 1), Name: strings.ToLower(n), Online: true})
	}
	ids := newIDs()
	for _, g := range f.Groups {
		grp := &cibgen.Resource{Kind: cibgen.Group, ID: ids.unique("grp_" + sanitize(g.Key))}
		for _, r := range g.Resources {
			p, err := primitive(r, ids)
			if err != nil {
				return nil, &haresources.Error{File: f.Name, Line: r.Line, Msg: fmt.Sprintf("resource %q: %v", r.Token, err)}
			}
			grp.Children = append(grp.Children, p)
		}
		c.Resources = append(c.Resources, grp)
		c.Locations = append(c.Locations, cibgen.Location{ID: ids.unique("loc_" + grp.ID), Rsc: grp.ID,
			Node: g.Node, Score: strconv.Itoa(PreferenceScore), Rule: true})
	}
	return c, nil
}

// ids hands out unique XML ids.
type ids map[string]bool

func newIDs() ids { return ids{} }

// unique returns base, or base_2, base_3, … if taken.
func (m ids) unique(base string) string {
	id := base
	for n := 2; m[id]; n++ {
		id = base + "_" + strconv.Itoa(n)
	}
	m[id] = true
	return id
}

// sanitize turns a haresources token into the tail of an XML id (an
// NCName): letters, digits, '.', '-' and '_' stay, anything else becomes
// '_'. "192.168.1.10/24/eth0" gives "192.168.1.10_24_eth0".
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return '_'
	}, s)
}
