package hbd

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/hacf"
	"github.com/hbd-project/hbd/hbd/link"
	"github.com/hbd-project/hbd/hbd/pingnode"
)

// coreConfig maps the parsed configuration onto the membership core's.
func coreConfig(c *Config, gen uint64, uuid [16]byte, seed uint64, links []string) core.Config {
	cf := c.HaCf
	cc := core.Config{
		LocalNode:       c.LocalNode,
		Links:           links,
		KeepAlive:       cf.Keepalive,
		DeadTime:        cf.Deadtime,
		WarnTime:        cf.Warntime,
		InitDead:        cf.Initdead,
		DeadPing:        cf.Deadping,
		MaxRexmitDelay:  cf.MaxRexmitDelay,
		HopFudge:        cf.Hopfudge,
		UUID:            uuid,
		Generation:      gen,
		ManageResources: cf.ResourceManagement,
		Seed:            seed,
	}
	switch cf.Autojoin {
	case hacf.JoinOther:
		cc.AutoJoin = core.AutoJoinOther
	case hacf.JoinAny:
		cc.AutoJoin = core.AutoJoinAny
	}
	for _, n := range cf.Nodes {
		cc.Nodes = append(cc.Nodes, n.Name)
	}
	for _, p := range cf.Ping {
		cc.PingNodes = append(cc.PingNodes, core.PingNode{Name: p.Name})
	}
	for _, g := range cf.PingGroups {
		cc.PingNodes = append(cc.PingNodes, core.PingNode{Name: g.Name, Group: true})
	}
	return cc
}

// mediaSpecs turns ha.cf media into link specs. Host names are resolved
// once, at start, as heartbeat's ucast plugin does with gethostbyname.
// Media hbd does not implement (serial, mcast6, ucast6) are skipped; the
// parser has already warned about them.
func mediaSpecs(ctx context.Context, cf *hacf.Config) ([]link.Spec, error) {
	var specs []link.Spec
	for _, m := range cf.Media {
		switch m := m.(type) {
		case hacf.Bcast:
			specs = append(specs, link.Spec{Kind: link.Bcast, Iface: m.Iface, Port: m.Port})
		case hacf.Ucast:
			addr := m.Addr
			if !addr.IsValid() {
				a, err := resolve4(ctx, m.Host)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: ucast %s %s: %w", cf.File, m.Line, m.Iface, m.Host, err)
				}
				addr = a
			}
			specs = append(specs, link.Spec{Kind: link.Ucast, Iface: m.Iface, Peer: addr, Port: m.Port})
		case hacf.Mcast:
			specs = append(specs, link.Spec{Kind: link.Mcast, Iface: m.Iface, Group: m.Group, Port: m.Port, TTL: m.TTL, Loop: m.Loop == 1})
		}
	}
	if len(specs) == 0 {
		return nil, fmt.Errorf("%s: no heartbeat medium hbd can use (bcast, ucast or mcast)", cf.File)
	}
	return specs, nil
}

// pingNodes turns ha.cf ping and ping_group lines into ping node targets.
func pingNodes(ctx context.Context, cf *hacf.Config) ([]pingnode.Node, error) {
	var out []pingnode.Node
	for _, p := range cf.Ping {
		if p.IPv6 {
			return nil, fmt.Errorf("%s:%d: ping6 is not supported by hbd yet", cf.File, p.Line)
		}
		a, err := resolve4(ctx, p.Host)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: ping %s: %w", cf.File, p.Line, p.Host, err)
		}
		out = append(out, pingnode.Node{Name: p.Name, Hosts: []netip.Addr{a}})
	}
	for _, g := range cf.PingGroups {
		n := pingnode.Node{Name: g.Name, Group: true}
		for _, h := range g.Hosts {
			a, err := resolve4(ctx, h)
			if err != nil {
				return nil, fmt.Errorf("%s:%d: ping_group %s %s: %w", cf.File, g.Line, g.Name, h, err)
			}
			n.Hosts = append(n.Hosts, a)
		}
		out = append(out, n)
	}
	return out, nil
}

func resolve4(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if !a.Is4() {
			return netip.Addr{}, fmt.Errorf("%s is not an IPv4 address", host)
		}
		return a, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip4", host)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("cannot resolve %s: %v", host, err)
	}
	return ips[0].Unmap(), nil
}

// linkNames are the core's link names: the media interfaces, in order.
func linkNames(specs []link.Spec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Iface
	}
	return out
}
