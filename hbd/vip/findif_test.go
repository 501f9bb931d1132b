package vip

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netlink"
)

func netlinkAddr(label string) netlink.Addr { return netlink.Addr{Label: label} }

func TestPickRoute(t *testing.T) {
	p := netip.MustParsePrefix
	conn := func(dst string, link, metric int) route {
		return route{Dst: p(dst), LinkIndex: link, LinkScope: true, Unicast: true, Priority: metric}
	}
	table := []route{
		{Dst: netip.Prefix{}, LinkIndex: 2, Gateway: true, Unicast: true},     // default via …
		{Dst: p("0.0.0.0/0"), LinkIndex: 2, Gateway: true, Unicast: true},     // default, as newer netlink reports it
		conn("198.18.0.0/16", 2, 0),                                           // eth0
		conn("198.18.4.0/24", 3, 100),                                         // eth1
		conn("198.18.4.0/24", 4, 50),                                          // eth2, better metric
		{Dst: p("198.18.9.0/24"), LinkIndex: 2, Gateway: true, Unicast: true}, // via a gateway
		{Dst: p("198.18.10.0/24"), LinkIndex: 2, LinkScope: true},             // unreachable/blackhole
		{Dst: p("2001:2:0:1::/64"), LinkIndex: 3, Unicast: true},              // IPv6 connected: no link scope
		{Dst: p("2001:2::/48"), LinkIndex: 4, Gateway: true, Unicast: true},
	}
	tests := []struct {
		addr string
		link int
		want route
		err  string
	}{
		{"198.18.7.1", 0, conn("198.18.0.0/16", 2, 0), ""},
		{"198.18.4.9", 0, conn("198.18.4.0/24", 4, 50), ""},  // longest, then lowest metric
		{"198.18.4.9", 3, conn("198.18.4.0/24", 3, 100), ""}, // nic given
		{"198.18.4.9", 2, conn("198.18.0.0/16", 2, 0), ""},   // nic given: its own route
		{"198.18.9.1", 0, conn("198.18.0.0/16", 2, 0), ""},   // gateway route skipped
		{"198.18.10.1", 0, conn("198.18.0.0/16", 2, 0), ""},  // non-unicast skipped
		{"2001:2:0:1::5", 0, route{Dst: p("2001:2:0:1::/64"), LinkIndex: 3, Unicast: true}, ""},
		{"203.0.113.1", 0, route{}, "no directly connected route contains 203.0.113.1"},
		{"198.18.4.9", 9, route{}, "no directly connected route"},
		{"2001:2:0:2::1", 0, route{}, "no directly connected route"},
	}
	for _, tt := range tests {
		got, err := pickRoute(table, netip.MustParseAddr(tt.addr), tt.link)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("pickRoute(%s, link %d) = %+v, %v; want error %q", tt.addr, tt.link, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("pickRoute(%s, link %d): %v", tt.addr, tt.link, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, netipEq); diff != "" {
			t.Errorf("pickRoute(%s, link %d) (-want +got):\n%s", tt.addr, tt.link, diff)
		}
	}
}
