package pingnode

import (
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// maxPayload is the most data one IPv4 echo request carries (65535 minus a
// 20-byte IP header and the 8-byte ICMP header).
const maxPayload = 65535 - 20 - 8

// HeartbeatID returns the ICMP identifier heartbeat writes on the wire for a
// process id. ping.c stores getpid()&0xFFFF into icmp_id without htons, so
// on a little-endian host the bytes are swapped; the value returned is the
// identifier as a packet capture shows it (network byte order).
func HeartbeatID(pid int) uint16 {
	var b [2]byte
	binary.NativeEndian.PutUint16(b[:], uint16(pid))
	return binary.BigEndian.Uint16(b[:])
}

// marshalEcho builds an ICMP echo request with the kernel-independent
// checksum, as ping_write does.
func marshalEcho(id, seq uint16, payload []byte) ([]byte, error) {
	m := icmp.Message{
		Type: ipv4.ICMPTypeEcho,
		Body: &icmp.Echo{ID: int(id), Seq: int(seq), Data: payload},
	}
	b, err := m.Marshal(nil)
	if err != nil {
		return nil, fmt.Errorf("marshal echo request: %w", err)
	}
	return b, nil
}

var errNotReply = errors.New("not an echo reply")

// parseReply returns the identifier, sequence number and data of an echo
// reply. b may start with the IPv4 header (raw sockets deliver it; Go's
// net.IPConn strips it on Linux) — an ICMP message can't start with 0x4_
// because no ICMP type we accept is 64-79.
func parseReply(b []byte) (id, seq uint16, data []byte, err error) {
	if len(b) > 0 && b[0]>>4 == 4 {
		hl := int(b[0]&0x0f) * 4
		if hl < 20 || len(b) < hl {
			return 0, 0, nil, fmt.Errorf("bad IPv4 header length %d", hl)
		}
		b = b[hl:]
	}
	m, err := icmp.ParseMessage(1, b) // 1: IANA protocol number of ICMP
	if err != nil {
		return 0, 0, nil, fmt.Errorf("parse ICMP: %w", err)
	}
	e, ok := m.Body.(*icmp.Echo)
	if m.Type != ipv4.ICMPTypeEchoReply || !ok {
		return 0, 0, nil, errNotReply
	}
	return uint16(e.ID), uint16(e.Seq), e.Data, nil
}
