package vip

import (
	"net"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// garpFrame is one gratuitous ARP seen on the wire (or in a capture).
type garpFrame struct {
	At             time.Time
	Raw            []byte
	EthDst, EthSrc string
	Op             uint16
	SHA, THA       string
	SPA, TPA       netip.Addr
}

// decodeGARP decodes an Ethernet frame carrying ARP; ok is false for
// anything else.
func decodeGARP(at time.Time, raw []byte) (garpFrame, bool) {
	p := gopacket.NewPacket(raw, layers.LayerTypeEthernet, gopacket.NoCopy)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	a, _ := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	if eth == nil || a == nil {
		return garpFrame{}, false
	}
	spa, _ := netip.AddrFromSlice(a.SourceProtAddress)
	tpa, _ := netip.AddrFromSlice(a.DstProtAddress)
	return garpFrame{
		At: at, Raw: append([]byte(nil), raw...),
		EthDst: eth.DstMAC.String(), EthSrc: eth.SrcMAC.String(),
		Op:  a.Operation,
		SHA: macString(a.SourceHwAddress), THA: macString(a.DstHwAddress),
		SPA: spa, TPA: tpa,
	}, true
}

func macString(b []byte) string { return net.HardwareAddr(b).String() }

// heartbeatCapture returns the gratuitous ARPs for vip in
// testdata/IPaddr-garp.pcap: heartbeat 3.0.6's IPaddr announcing
// 198.18.0.100 on hs0 (copied from shared/testdata/heartbeat-3.0.6).
func heartbeatCapture(t *testing.T, vip netip.Addr) []garpFrame {
	t.Helper()
	f, err := os.Open("testdata/IPaddr-garp.pcap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatalf("read capture: %v", err)
	}
	var out []garpFrame
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if g, ok := decodeGARP(ci.Timestamp, data); ok && g.SPA == vip && g.TPA == vip {
			out = append(out, g)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no gratuitous ARP for %s in the capture", vip)
	}
	return out
}

// netipEq lets cmp compare netip values, whose fields are unexported.
var netipEq = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmp.Comparer(func(a, b netip.Prefix) bool { return a == b }),
}
