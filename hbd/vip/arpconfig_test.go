package vip

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultARPConfig(t *testing.T) {
	ms := time.Millisecond
	for agent, want := range map[string]ARPConfig{
		IPaddr:   {Interval: 500 * ms, Repeat: 10, Background: true, Netmask: "ffffffffffff"},
		IPaddr2:  {Interval: 200 * ms, Repeat: 5, Background: true, Netmask: "ffffffffffff"},
		SendArp:  {Interval: 200 * ms, Repeat: 5, Background: true, Netmask: "ffffffffffff"},
		IPv6addr: {Interval: 200 * ms, Repeat: 5, Background: true, Netmask: "ffffffffffff"},
	} {
		if diff := cmp.Diff(want, DefaultARPConfig(agent)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", agent, diff)
		}
	}
}

func TestParseARPConfig(t *testing.T) {
	def := DefaultARPConfig(IPaddr)
	ms := time.Millisecond
	tests := []struct {
		name, in string
		want     ARPConfig
		err      string // substring; "" for success
	}{
		{"empty", "", def, ""},
		{"comments and blanks", "# heartbeat arp_config\n\n   # indented\n", def, ""},
		{"all four", "ARP_INTERVAL_MS=100\nARP_REPEAT=3\nARP_BACKGROUND=no\nARP_NETMASK=ffffff000000\n",
			ARPConfig{Interval: 100 * ms, Repeat: 3, Background: false, Netmask: "ffffff000000"}, ""},
		{"quotes, export, trailing comment", "export ARP_REPEAT=\"7\"\nARP_INTERVAL_MS='300' # slower\nARP_BACKGROUND=yes # default\n",
			ARPConfig{Interval: 300 * ms, Repeat: 7, Background: true, Netmask: "ffffffffffff"}, ""},
		{"background is yes or foreground", "ARP_BACKGROUND=YES\n", ARPConfig{Interval: 500 * ms, Repeat: 10, Netmask: "ffffffffffff"}, ""},
		{"other variables ignored", "PATH=/bin\nFOO=bar\n", def, ""},
		{"later wins", "ARP_REPEAT=2\nARP_REPEAT=4\n", ARPConfig{Interval: 500 * ms, Repeat: 4, Background: true, Netmask: "ffffffffffff"}, ""},
		{"zero repeat", "ARP_REPEAT=0\n", def, "x:1: ARP_REPEAT=\"0\": want a positive integer"},
		{"not a number", "\nARP_INTERVAL_MS=fast\n", def, "x:2: ARP_INTERVAL_MS=\"fast\""},
		{"typo", "ARP_REPEATS=3\n", def, "unknown variable ARP_REPEATS"},
		{"command", "echo hi\n", def, "is not a NAME=value assignment"},
		{"expansion", "ARP_REPEAT=$N\n", def, "only plain or quoted values"},
		{"two words", "ARP_NETMASK=ff ff\n", def, "one word expected"},
		{"junk after quotes", "ARP_REPEAT=\"3\"x\n", def, "unexpected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := def
			err := ParseARPConfig(strings.NewReader(tt.in), "x", &c)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadARPConfigPerInterface(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("arp_config", "ARP_REPEAT=3\nARP_INTERVAL_MS=400\n")
	write("arp_config:eth1", "ARP_REPEAT=8\n")
	def := DefaultARPConfig(IPaddr2)
	ms := time.Millisecond
	for iface, want := range map[string]ARPConfig{
		"eth0": {Interval: 400 * ms, Repeat: 3, Background: true, Netmask: "ffffffffffff"},
		"eth1": {Interval: 400 * ms, Repeat: 8, Background: true, Netmask: "ffffffffffff"},
	} {
		got, err := LoadARPConfig(dir, iface, def)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", iface, diff)
		}
	}
	got, err := LoadARPConfig(filepath.Join(dir, "missing"), "eth0", def)
	if err != nil || got != def {
		t.Errorf("no conf dir: %+v, %v; want the defaults", got, err)
	}
	write("arp_config:eth2", "ARP_REPEAT=-1\n")
	if _, err := LoadARPConfig(dir, "eth2", def); err == nil || !strings.Contains(err.Error(), "arp_config:eth2:1:") {
		t.Errorf("bad per-interface file: err %v, want FILE:LINE", err)
	}
}
