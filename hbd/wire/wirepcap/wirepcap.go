// Package wirepcap pulls heartbeat datagrams out of capture files (pcap or
// pcapng, possibly gzipped): UDP payloads on the heartbeat ports and ICMP
// echo payloads that carry a heartbeat message (the ping and ping_group
// media). It only finds the bytes; package wire decodes them.
package wirepcap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// Proto is the transport a datagram came in.
type Proto uint8

const (
	UDP Proto = iota + 1
	ICMP
)

func (p Proto) String() string {
	switch p {
	case UDP:
		return "udp"
	case ICMP:
		return "icmp"
	}
	return fmt.Sprintf("Proto(%d)", uint8(p))
}

// Datagram is one heartbeat payload found in a capture.
type Datagram struct {
	Record   int // 1-based record number in the file
	Time     time.Time
	Src, Dst netip.AddrPort // port 0 for ICMP
	Proto    Proto
	// ICMPType is the echo type for ICMP (8 request, 0 reply; 128/129 for
	// ICMPv6); ICMPID and ICMPSeq are its identifier and sequence.
	ICMPType        uint8
	ICMPID, ICMPSeq uint16
	Payload         []byte
	// Truncated means the capture holds less than the packet had (snap
	// length, or a file cut short), so Payload is incomplete.
	Truncated bool
}

// Read returns the heartbeat datagrams of the capture at path: every UDP
// packet whose source or destination port is in ports, and every ICMP
// echo whose payload starts like a heartbeat message. A capture whose last
// record is cut short yields that record as a Truncated datagram rather
// than an error.
func Read(path string, ports []uint16) ([]Datagram, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	br := bufio.NewReader(f)
	magic, err := br.Peek(4)
	if err != nil {
		return nil, fmt.Errorf("%s: not a capture file: %w", path, err)
	}
	src, err := newSource(br, magic)
	if err != nil {
		return nil, fmt.Errorf("%s: not a capture file: %w", path, err)
	}
	// For a plain pcap the offset of each record is known, so a record cut
	// off by the end of the file can be trimmed to the bytes really there
	// (pcapgo pads it with zeros).
	plain := bytes.Equal(magic, []byte{0xd4, 0xc3, 0xb2, 0xa1}) || bytes.Equal(magic, []byte{0xa1, 0xb2, 0xc3, 0xd4}) ||
		bytes.Equal(magic, []byte{0x4d, 0x3c, 0xb2, 0xa1}) || bytes.Equal(magic, []byte{0xa1, 0xb2, 0x3c, 0x4d})
	pos := int64(24)

	var out []Datagram
	for rec := 1; ; rec++ {
		data, ci, err := src.ReadPacketData()
		cut := false
		switch {
		case err == io.EOF:
			return out, nil
		case errors.Is(err, io.ErrUnexpectedEOF) && plain && ci.CaptureLength > 0:
			avail := st.Size() - pos - 16
			if avail <= 0 || avail >= int64(len(data)) {
				return out, nil
			}
			data, cut = data[:avail], true
		case errors.Is(err, io.ErrUnexpectedEOF):
			return out, nil // cut inside a record header: nothing to show
		case err != nil:
			return out, fmt.Errorf("%s: record %d: %w", path, rec, err)
		}
		pos += 16 + int64(ci.CaptureLength)
		pkt := gopacket.NewPacket(data, src.LinkType(), gopacket.DecodeOptions{Lazy: true, NoCopy: true})
		d, ok := extract(pkt, ports)
		if ok {
			d.Record, d.Time = rec, ci.Timestamp
			d.Truncated = cut || ci.CaptureLength < ci.Length || pkt.Metadata().Truncated
			out = append(out, d)
		}
		if cut {
			return out, nil
		}
	}
}

type source interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
	LinkType() layers.LinkType
}

func newSource(r io.Reader, magic []byte) (source, error) {
	if bytes.Equal(magic, []byte{0x0a, 0x0d, 0x0d, 0x0a}) {
		return pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
	}
	return pcapgo.NewReader(r)
}

func extract(pkt gopacket.Packet, ports []uint16) (Datagram, bool) {
	var srcIP, dstIP netip.Addr
	switch ip := pkt.NetworkLayer().(type) {
	case *layers.IPv4:
		srcIP, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dstIP, _ = netip.AddrFromSlice(ip.DstIP.To4())
	case *layers.IPv6:
		srcIP, _ = netip.AddrFromSlice(ip.SrcIP)
		dstIP, _ = netip.AddrFromSlice(ip.DstIP)
	default:
		return Datagram{}, false
	}
	if udp, ok := pkt.Layer(layers.LayerTypeUDP).(*layers.UDP); ok {
		sp, dp := uint16(udp.SrcPort), uint16(udp.DstPort)
		for _, p := range ports {
			if sp == p || dp == p {
				return Datagram{
					Src: netip.AddrPortFrom(srcIP, sp), Dst: netip.AddrPortFrom(dstIP, dp),
					Proto: UDP, Payload: udp.Payload,
				}, true
			}
		}
		return Datagram{}, false
	}
	d := Datagram{Src: netip.AddrPortFrom(srcIP, 0), Dst: netip.AddrPortFrom(dstIP, 0), Proto: ICMP}
	if ic, ok := pkt.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4); ok {
		t := ic.TypeCode.Type()
		if t != layers.ICMPv4TypeEchoRequest && t != layers.ICMPv4TypeEchoReply {
			return Datagram{}, false
		}
		d.ICMPType, d.ICMPID, d.ICMPSeq, d.Payload = t, ic.Id, ic.Seq, ic.Payload
	} else if ic, ok := pkt.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6); ok {
		t := ic.TypeCode.Type()
		echo, ok := pkt.Layer(layers.LayerTypeICMPv6Echo).(*layers.ICMPv6Echo)
		if !ok || (t != layers.ICMPv6TypeEchoRequest && t != layers.ICMPv6TypeEchoReply) {
			return Datagram{}, false
		}
		d.ICMPType, d.ICMPID, d.ICMPSeq, d.Payload = t, echo.Identifier, echo.SeqNumber, echo.Payload
	} else {
		return Datagram{}, false
	}
	if !bytes.HasPrefix(d.Payload, []byte("###\n")) && !bytes.HasPrefix(d.Payload, []byte(">>>\n")) {
		return Datagram{}, false // an ordinary ping
	}
	return d, true
}
