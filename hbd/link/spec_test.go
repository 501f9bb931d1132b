package link

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpecValidate(t *testing.T) {
	peer := netip.MustParseAddr("198.18.0.2")
	grp := netip.MustParseAddr("239.0.0.43")
	tests := []struct {
		name string
		spec Spec
		ok   bool
	}{
		{"bcast", Spec{Kind: Bcast, Iface: "eth0", Port: 694}, true},
		{"ucast", Spec{Kind: Ucast, Iface: "eth0", Peer: peer, Port: 694}, true},
		{"ucast v4-in-v6", Spec{Kind: Ucast, Iface: "eth0", Peer: netip.AddrFrom16(peer.As16()), Port: 694}, true},
		{"mcast", Spec{Kind: Mcast, Iface: "eth0", Group: grp, Port: 694, TTL: 4, Loop: true}, true},
		{"no iface", Spec{Kind: Bcast, Port: 694}, false},
		{"iface too long", Spec{Kind: Bcast, Iface: "abcdefghijklmnop", Port: 694}, false},
		{"port 0", Spec{Kind: Bcast, Iface: "eth0"}, false},
		{"ucast no peer", Spec{Kind: Ucast, Iface: "eth0", Port: 694}, false},
		{"ucast v6 peer", Spec{Kind: Ucast, Iface: "eth0", Peer: netip.MustParseAddr("2001:db8::1"), Port: 694}, false},
		{"mcast unicast group", Spec{Kind: Mcast, Iface: "eth0", Group: peer, Port: 694}, false},
		{"mcast ttl 5", Spec{Kind: Mcast, Iface: "eth0", Group: grp, Port: 694, TTL: 5}, false},
		{"unknown kind", Spec{Iface: "eth0", Port: 694}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestSpecString(t *testing.T) {
	got := []string{
		Spec{Kind: Bcast, Iface: "eth0", Port: 694}.String(),
		Spec{Kind: Ucast, Iface: "eth1", Peer: netip.MustParseAddr("198.18.0.2"), Port: 694}.String(),
		Spec{Kind: Mcast, Iface: "eth0", Group: netip.MustParseAddr("239.0.0.43"), Port: 695, TTL: 1}.String(),
	}
	want := []string{
		"bcast eth0 (port 694)",
		"ucast eth1 198.18.0.2 (port 694)",
		"mcast eth0 239.0.0.43 695 1 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("String() (-want +got):\n%s", diff)
	}
}

func TestBroadcastOf(t *testing.T) {
	for in, want := range map[string]string{
		"198.18.0.1/24": "198.18.0.255",
		"198.18.1.9/15": "198.19.255.255",
		"198.18.0.1/32": "198.18.0.1",
		"198.18.0.6/30": "198.18.0.7",
	} {
		if got := broadcastOf(netip.MustParsePrefix(in)).String(); got != want {
			t.Errorf("broadcastOf(%s) = %s, want %s", in, got, want)
		}
	}
}
