package vip

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/haresources"
)

func TestParseSpec(t *testing.T) {
	got, err := ParseSpec(IPaddr2, "198.18.0.5/24/eth0:web")
	if err != nil {
		t.Fatal(err)
	}
	want := Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: netip.MustParseAddr("198.18.0.5"), Bits: 24, Iface: "eth0", Label: "web"}}
	if diff := cmp.Diff(want, got, netipEq); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if s := got.String(); s != "IPaddr2::198.18.0.5/24/eth0:web" {
		t.Errorf("String() = %q", s)
	}
	if _, err := ParseSpec(IPaddr, "2001:2::1"); err == nil || !strings.Contains(err.Error(), "IPaddr::2001:2::1") {
		t.Errorf("IPv6 for IPaddr: err %v, want one naming the resource", err)
	}
}

func TestSpecCheck(t *testing.T) {
	v4, v6 := netip.MustParseAddr("198.18.0.5"), netip.MustParseAddr("2001:2::5")
	for _, tt := range []struct {
		spec Spec
		err  string
	}{
		{Spec{Agent: IPaddr, IP: haresources.IPSpec{Addr: v4}}, ""},
		{Spec{Agent: IPv6addr, IP: haresources.IPSpec{Addr: v6, Bits: 64}}, ""},
		{Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: v6}}, ""},
		{Spec{Agent: IPaddr, IP: haresources.IPSpec{Addr: v6}}, "not IPv4"},
		{Spec{Agent: IPv6addr, IP: haresources.IPSpec{Addr: v4}}, "not IPv6"},
		{Spec{Agent: "Filesystem", IP: haresources.IPSpec{Addr: v4}}, "not an IP agent"},
		{Spec{Agent: IPaddr2}, "no address"},
		{Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: v4, Bits: 33}}, "out of range"},
		{Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: v6, Label: "x"}}, "no labels"},
	} {
		err := tt.spec.check()
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("check(%+v) = %v, want %q", tt.spec, err, tt.err)
		}
	}
}

func TestParseSendArpArg(t *testing.T) {
	ip, nic, err := ParseSendArpArg("198.18.0.9/eth1")
	if err != nil || ip != netip.MustParseAddr("198.18.0.9") || nic != "eth1" {
		t.Errorf("ParseSendArpArg = %s, %q, %v", ip, nic, err)
	}
	for _, bad := range []string{"198.18.0.9", "198.18.0.9/", "198.18.0.9/24/eth0", "eth0/198.18.0.9", "2001:2::1/eth0", "198.18.0.9/0123456789abcdef"} {
		if _, _, err := ParseSendArpArg(bad); err == nil {
			t.Errorf("ParseSendArpArg(%q): no error", bad)
		}
	}
}

func TestSpecOf(t *testing.T) {
	f, err := haresources.Parse(strings.NewReader("node1 198.18.0.5/24/eth0 IPaddr2::198.18.0.6 Filesystem::/dev/sda1::/data\n"), "haresources")
	if err != nil {
		t.Fatal(err)
	}
	rs := f.Groups[0].Resources
	want := []Spec{
		{Agent: IPaddr, IP: haresources.IPSpec{Addr: netip.MustParseAddr("198.18.0.5"), Bits: 24, Iface: "eth0"}},
		{Agent: IPaddr2, IP: haresources.IPSpec{Addr: netip.MustParseAddr("198.18.0.6")}},
	}
	for i, w := range want {
		got, err := SpecOf(rs[i])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(w, got, netipEq); diff != "" {
			t.Errorf("SpecOf(%s) (-want +got):\n%s", rs[i].Token, diff)
		}
	}
	if _, err := SpecOf(rs[2]); err == nil {
		t.Errorf("SpecOf(%s): no error", rs[2].Token)
	}
	// Built by hand, without IP: parsed from the argument.
	got, err := SpecOf(haresources.Resource{Name: IPv6addr, Args: []string{"2001:2::7/64"}, Token: "IPv6addr::2001:2::7/64"})
	if err != nil || got.IP.Bits != 64 || got.IP.Addr != netip.MustParseAddr("2001:2::7") {
		t.Errorf("SpecOf(IPv6addr by hand) = %+v, %v", got, err)
	}
}
