package vip

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/hbd-project/hbd/haresources"
)

func TestAliasLabel(t *testing.T) {
	all := make([]string, maxAliases)
	for i := range all {
		all[i] = "eth0:" + strconv.Itoa(i)
	}
	tests := []struct {
		iface string
		used  []string
		want  string // "" for an error
	}{
		{"eth0", nil, "eth0:0"},
		{"eth0", []string{"eth0", "eth0:0", "eth0:1"}, "eth0:2"},
		{"eth0", []string{"eth0:1"}, "eth0:0"}, // the first free one, not count-based
		{"eth0", []string{"eth0:web", "eth0:00", "eth1:0", "eth0:0x"}, "eth0:0"},
		{"eth0", []string{"eth0:0", "eth0:2"}, "eth0:1"},
		{"eth0", all, ""},
		{"a-very-long-if", nil, ""}, // "a-very-long-if:0" is 16 bytes
		{"long-ifname12", nil, "long-ifname12:0"},
	}
	for _, tt := range tests {
		got, err := aliasLabel(tt.iface, tt.used)
		if tt.want == "" {
			if err == nil {
				t.Errorf("aliasLabel(%s, %d used) = %q, want an error", tt.iface, len(tt.used), got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("aliasLabel(%s, %q) = %q, %v; want %q", tt.iface, tt.used, got, err, tt.want)
		}
	}
}

func TestLabelFor(t *testing.T) {
	v4 := netip.MustParseAddr("198.18.0.10")
	tests := []struct {
		spec Spec
		want string
		err  bool
	}{
		{Spec{Agent: IPaddr, IP: haresources.IPSpec{Addr: v4}}, "eth0:1", false},
		{Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: v4}}, "", false},
		{Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: v4, Label: "web"}}, "eth0:web", false},
		{Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: v4, Label: "0123456789a"}}, "", true}, // 16 bytes
		{Spec{Agent: IPaddr2, IP: haresources.IPSpec{Addr: v4, Label: "0123456789"}}, "eth0:0123456789", false},
	}
	for _, tt := range tests {
		got, err := labelFor(tt.spec, "eth0", []string{"eth0:0"})
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("labelFor(%s) = %q, %v; want %q (error %v)", tt.spec, got, err, tt.want, tt.err)
		}
	}
}

func TestBroadcast(t *testing.T) {
	for in, want := range map[string]string{
		"198.18.0.100/24": "198.18.0.255",
		"198.18.0.100/16": "198.18.255.255",
		"198.18.5.9/20":   "198.18.15.255",
		"198.18.0.1/30":   "198.18.0.3",
		"198.18.0.1/1":    "255.255.255.255",
		"198.18.0.1/31":   "invalid IP",
		"198.18.0.1/32":   "invalid IP",
		"2001:2::1/64":    "invalid IP",
	} {
		if got := broadcast(netip.MustParsePrefix(in)).String(); got != want {
			t.Errorf("broadcast(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestOwned(t *testing.T) {
	ipaddr := Spec{Agent: IPaddr, IP: haresources.IPSpec{Addr: netip.MustParseAddr("198.18.0.10")}}
	ipaddr2 := Spec{Agent: IPaddr2, IP: ipaddr.IP}
	for _, tt := range []struct {
		spec  Spec
		label string
		want  bool
	}{
		{ipaddr, "eth0:0", true},
		{ipaddr, "eth0", false}, // the interface's own address: never IPaddr's
		{ipaddr, "eth0:", false},
		{ipaddr, "eth1:0", false},
		{ipaddr2, "eth0", true},
	} {
		if got := owned(tt.spec, "eth0", netlinkAddr(tt.label)); got != tt.want {
			t.Errorf("owned(%s, label %q) = %v, want %v", tt.spec.Agent, tt.label, got, tt.want)
		}
	}
}
