package wirepcap

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

const hb = "###\n11:(0)t=status,%%%\n"

func frame(t *testing.T, l4 ...gopacket.SerializableLayer) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: net.IP{198, 18, 0, 1}, DstIP: net.IP{198, 18, 0, 2}}
	switch l := l4[0].(type) {
	case *layers.UDP:
		ip.Protocol = layers.IPProtocolUDP
		l.SetNetworkLayerForChecksum(ip)
	case *layers.ICMPv4:
		ip.Protocol = layers.IPProtocolICMPv4
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
		append([]gopacket.SerializableLayer{eth, ip}, l4...)...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testFrames(t *testing.T) [][]byte {
	return [][]byte{
		frame(t, &layers.UDP{SrcPort: 40000, DstPort: 694}, gopacket.Payload(hb)),
		frame(t, &layers.UDP{SrcPort: 40000, DstPort: 53}, gopacket.Payload("dns")),
		frame(t, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 7, Seq: 3}, gopacket.Payload(hb)),
		frame(t, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 7, Seq: 4}, gopacket.Payload("an ordinary ping")),
		frame(t, &layers.UDP{SrcPort: 694, DstPort: 40000}, gopacket.Payload(hb)),
	}
}

func want(t0 time.Time) []Datagram {
	return []Datagram{
		{Record: 1, Time: t0, Proto: UDP, Payload: []byte(hb)},
		{Record: 3, Time: t0.Add(2 * time.Second), Proto: ICMP, ICMPType: 8, ICMPID: 7, ICMPSeq: 3, Payload: []byte(hb)},
		{Record: 5, Time: t0.Add(4 * time.Second), Proto: UDP, Payload: []byte(hb)},
	}
}

// cmpOpts ignores the addresses, checked separately.
var cmpOpts = cmp.Comparer(func(a, b Datagram) bool {
	return a.Record == b.Record && a.Time.Equal(b.Time) && a.Proto == b.Proto && a.ICMPType == b.ICMPType &&
		a.ICMPID == b.ICMPID && a.ICMPSeq == b.ICMPSeq && bytes.Equal(a.Payload, b.Payload) && a.Truncated == b.Truncated
})

func TestReadPcapAndCutOff(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, f := range testFrames(t) {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Second), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "x.pcap")
	os.WriteFile(path, buf.Bytes(), 0o644)

	got, err := Read(path, []uint16{694})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want(t0), got, cmpOpts); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	if got[0].Src.String() != "198.18.0.1:40000" || got[0].Dst.String() != "198.18.0.2:694" {
		t.Errorf("addresses %v > %v", got[0].Src, got[0].Dst)
	}

	// Cut the file 5 bytes into the last payload, as a capture stopped
	// short does.
	cut := buf.Len() - len(hb) + 5
	os.WriteFile(path, buf.Bytes()[:cut], 0o644)
	got, err = Read(path, []uint16{694})
	if err != nil {
		t.Fatal(err)
	}
	wantCut := want(t0)
	wantCut[2].Payload, wantCut[2].Truncated = []byte(hb[:5]), true
	if diff := cmp.Diff(wantCut, got, cmpOpts); diff != "" {
		t.Errorf("Read of a cut file (-want +got):\n%s", diff)
	}
}

func TestReadPcapng(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range testFrames(t) {
		ci := gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Second), CaptureLength: len(f), Length: len(f)}
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	path := filepath.Join(t.TempDir(), "x.pcapng")
	os.WriteFile(path, buf.Bytes(), 0o644)
	got, err := Read(path, []uint16{694})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want(t0), got, cmpOpts); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
}

func TestReadNotACapture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(path, []byte("hello world, not a pcap"), 0o644)
	if _, err := Read(path, []uint16{694}); err == nil {
		t.Error("Read of a text file succeeded")
	}
}
