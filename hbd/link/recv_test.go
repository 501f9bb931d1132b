package link

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/ipv4"
)

// TestPlanRecv checks which media share a receive socket: bcast and ucast
// on one interface and port share one (two "ucast eth0" lines and a
// "bcast eth0" must not race for datagrams with SO_REUSEPORT), mcast media
// share one per group and port across interfaces.
func TestPlanRecv(t *testing.T) {
	g1 := netip.MustParseAddr("239.0.0.1")
	g2 := netip.MustParseAddr("239.0.0.2")
	p1 := netip.MustParseAddr("198.18.0.1")
	p2 := netip.MustParseAddr("198.18.0.2")
	specs := []Spec{
		{Kind: Ucast, Iface: "eth0", Peer: p1, Port: 694},
		{Kind: Ucast, Iface: "eth0", Peer: p2, Port: 694},
		{Kind: Bcast, Iface: "eth0", Port: 694},
		{Kind: Bcast, Iface: "eth1", Port: 694},
		{Kind: Bcast, Iface: "eth1", Port: 695}, // udpport changed between lines
		{Kind: Mcast, Iface: "eth0", Group: g1, Port: 694, TTL: 1},
		{Kind: Mcast, Iface: "eth1", Group: g1, Port: 694, TTL: 1},
		{Kind: Mcast, Iface: "eth0", Group: g2, Port: 694, TTL: 1},
	}
	var media []*udpMedium
	for _, s := range specs {
		media = append(media, &udpMedium{spec: s})
	}
	type plan struct {
		Key       string
		ReusePort bool
		Ifaces    []string
	}
	var got []plan
	for _, rs := range planRecv(media) {
		got = append(got, plan{rs.String(), rs.reusePort, rs.ifaces})
	}
	want := []plan{
		{"receive 0.0.0.0%eth0:694", true, []string{"eth0"}},
		{"receive 0.0.0.0%eth1:694", false, []string{"eth1"}},
		{"receive 0.0.0.0%eth1:695", false, []string{"eth1"}},
		{"receive 239.0.0.1:694", false, []string{"eth0", "eth1"}},
		{"receive 239.0.0.2:694", false, []string{"eth0"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("planRecv (-want +got):\n%s", diff)
	}
}

// TestRecvLink checks how a datagram is attributed to a link: by the bound
// device for bcast/ucast, by IP_PKTINFO's ifindex for mcast.
func TestRecvLink(t *testing.T) {
	udp := &recvSock{key: recvKey{kind: Bcast, iface: "eth1", port: 694}}
	mc := &recvSock{key: recvKey{kind: Mcast, group: netip.MustParseAddr("239.0.0.1"), port: 694},
		links: map[int]string{2: "eth0", 3: "eth1"}}
	type res struct {
		Name string
		OK   bool
	}
	tests := []struct {
		name string
		rs   *recvSock
		cm   *ipv4.ControlMessage
		want res
	}{
		{"udp ignores cm", udp, nil, res{"eth1", true}},
		{"mcast eth0", mc, &ipv4.ControlMessage{IfIndex: 2}, res{"eth0", true}},
		{"mcast eth1", mc, &ipv4.ControlMessage{IfIndex: 3}, res{"eth1", true}},
		{"mcast other iface", mc, &ipv4.ControlMessage{IfIndex: 9}, res{"", false}},
		{"mcast without pktinfo", mc, nil, res{"", false}},
	}
	for _, tt := range tests {
		name, ok := tt.rs.link(tt.cm)
		if diff := cmp.Diff(tt.want, res{name, ok}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}
