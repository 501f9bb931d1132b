package vip

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// route is what findif looks at in a routing table entry.
type route struct {
	Dst       netip.Prefix
	LinkIndex int
	Gateway   bool // via a gateway or nexthops: not directly connected
	LinkScope bool // scope link
	Unicast   bool
	Priority  int // metric
}

// pickRoute is heartbeat's findif: among the routes that contain addr,
// the directly connected one with the longest prefix, then the lowest
// metric (findif.sh: "ip route list match ADDR scope link", longest
// prefix; IPv6 connected routes have no link scope, only no gateway).
// linkIndex > 0 restricts the search to that interface, as findif.sh does
// when a nic is given. The default route never qualifies: findif.c refuses
// it ("Cannot use default route w/o netmask").
func pickRoute(routes []route, addr netip.Addr, linkIndex int) (route, error) {
	var best route
	found := false
	for _, r := range routes {
		switch {
		case !r.Dst.IsValid() || r.Dst.Bits() == 0 || !r.Dst.Contains(addr):
		case !r.Unicast || r.Gateway || r.LinkIndex <= 0:
		case addr.Is4() && !r.LinkScope:
		case linkIndex > 0 && r.LinkIndex != linkIndex:
		case !found, r.Dst.Bits() > best.Dst.Bits(),
			r.Dst.Bits() == best.Dst.Bits() && r.Priority < best.Priority:
			best, found = r, true
		}
	}
	if !found {
		return route{}, fmt.Errorf("no directly connected route contains %s", addr)
	}
	return best, nil
}

// target is where an address goes: the interface and the prefix and
// broadcast to add it with.
type target struct {
	Link      netlink.Link
	Prefix    netip.Prefix // the address with its prefix length
	Broadcast netip.Addr   // invalid for none
}

func (t target) ifname() string { return t.Link.Attrs().Name }

// resolve completes spec as findif would: the interface from the routing
// table unless given, the prefix length from the route unless given, the
// broadcast computed unless given.
func (m *Manager) resolve(spec Spec) (target, error) {
	var (
		t   target
		err error
	)
	addr := spec.IP.Addr
	bits := spec.IP.Bits
	linkIndex := 0
	if spec.IP.Iface != "" {
		if t.Link, err = m.h.LinkByName(spec.IP.Iface); err != nil {
			return t, fmt.Errorf("%s: interface %s: %w", spec, spec.IP.Iface, err)
		}
		linkIndex = t.Link.Attrs().Index
	}
	if t.Link == nil || bits == 0 {
		routes, err := m.routes(addr)
		if err != nil {
			return t, fmt.Errorf("%s: %w", spec, err)
		}
		r, err := pickRoute(routes, addr, linkIndex)
		if err != nil {
			on := ""
			if linkIndex > 0 {
				on = " on " + spec.IP.Iface
			}
			return t, fmt.Errorf("%s: cannot find the interface or netmask%s: %w", spec, on, err)
		}
		if bits == 0 {
			bits = r.Dst.Bits()
		}
		if t.Link == nil {
			if t.Link, err = m.h.LinkByIndex(r.LinkIndex); err != nil {
				return t, fmt.Errorf("%s: interface #%d of route %s: %w", spec, r.LinkIndex, r.Dst, err)
			}
		}
	}
	t.Prefix = netip.PrefixFrom(addr, bits)
	t.Broadcast = spec.IP.Broadcast
	if !t.Broadcast.IsValid() {
		t.Broadcast = broadcast(t.Prefix)
	}
	return t, nil
}

// routes lists the main table's routes of addr's family.
func (m *Manager) routes(addr netip.Addr) ([]route, error) {
	family := netlink.FAMILY_V4
	if addr.Is6() {
		family = netlink.FAMILY_V6
	}
	var rs []netlink.Route
	err := retryDump(func() (err error) {
		rs, err = m.h.RouteListFiltered(family, &netlink.Route{Table: unix.RT_TABLE_MAIN}, netlink.RT_FILTER_TABLE)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list routes: %w", err)
	}
	out := make([]route, 0, len(rs))
	for _, r := range rs {
		out = append(out, route{
			Dst:       prefixOf(r.Dst),
			LinkIndex: r.LinkIndex,
			Gateway:   r.Gw != nil || r.Via != nil || len(r.MultiPath) > 0,
			LinkScope: r.Scope == netlink.SCOPE_LINK,
			Unicast:   r.Type == unix.RTN_UNICAST,
			Priority:  r.Priority,
		})
	}
	return out, nil
}

func prefixOf(n *net.IPNet) netip.Prefix {
	if n == nil {
		return netip.Prefix{}
	}
	a, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(a.Unmap(), bits)
}

// retryDump retries a netlink dump the kernel interrupted because the
// table changed under it (netlink.ErrDumpInterrupted comes with partial
// results, which must not be mistaken for the whole table).
func retryDump(dump func() error) error {
	var err error
	for range 5 {
		if err = dump(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			return err
		}
	}
	return err
}
