package garp

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/hbd-project/hbd/tests/lab"
)

// arpFrame builds an Ethernet/ARP frame.
func arpFrame(op uint16, sha net.HardwareAddr, spa netip.Addr, tha net.HardwareAddr, tpa netip.Addr) []byte {
	b := []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	b = append(b, sha...)
	b = append(b, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, byte(op>>8), byte(op))
	b = append(b, sha...)
	s, t := spa.As4(), tpa.As4()
	b = append(b, s[:]...)
	b = append(b, tha...)
	return append(b, t[:]...)
}

func TestParse(t *testing.T) {
	vip := netip.MustParseAddr("198.18.0.100")
	other := netip.MustParseAddr("198.18.0.254")
	mac, _ := net.ParseMAC("02:00:00:00:00:01")
	zero := make(net.HardwareAddr, 6)
	t0 := time.Unix(1000, 0)
	frames := []lab.Frame{
		{Time: t0, Data: arpFrame(1, mac, vip, zero, vip)},                              // send_arp's request
		{Time: t0.Add(time.Millisecond), Data: arpFrame(1, mac, other, zero, vip)},      // "who has vip, tell .254"
		{Time: t0.Add(2 * time.Millisecond), Data: arpFrame(2, mac, vip, mac, vip)},     // send_arp's reply
		{Time: t0.Add(3 * time.Millisecond), Data: arpFrame(2, mac, other, mac, other)}, // a GARP for another address
		{Time: t0.Add(4 * time.Millisecond), Data: arpFrame(1, mac, vip, zero, other)},  // "who has .254, tell vip"
		{Time: t0.Add(5 * time.Millisecond), Data: []byte{1, 2, 3}},                     // runt
	}
	got := Parse(frames, vip)
	want := []Announcement{
		{Time: t0, Op: 1, MAC: mac, IP: vip},
		{Time: t0.Add(2 * time.Millisecond), Op: 2, MAC: mac, IP: vip},
	}
	if d := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); d != "" {
		t.Errorf("Parse (-want +got):\n%s", d)
	}
}
