package vip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
)

// errNoMAC is returned for interfaces without an Ethernet address
// (loopback, tun, InfiniBand): there is nothing to announce on them.
var errNoMAC = errors.New("no 6-byte hardware address")

// garpFrames builds heartbeat's two gratuitous ARP frames for vip from mac,
// byte for byte as send_arp sends them (§9.4 and the IPaddr-garp capture):
// both to the Ethernet broadcast address, sender = target IP = vip; the
// request's target MAC is zero, the reply's is mac.
func garpFrames(mac net.HardwareAddr, vip netip.Addr) (map[arp.Operation][]byte, error) {
	if len(mac) != 6 {
		return nil, errNoMAC
	}
	zero := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	out := make(map[arp.Operation][]byte, 2)
	for op, tha := range map[arp.Operation]net.HardwareAddr{
		arp.OperationRequest: zero,
		arp.OperationReply:   mac,
	} {
		p, err := arp.NewPacket(op, mac, vip, tha, vip)
		if err != nil {
			return nil, fmt.Errorf("build ARP %v for %s: %w", op, vip, err)
		}
		pb, err := p.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("marshal ARP %v: %w", op, err)
		}
		// The Ethernet header by hand: ethernet.Frame pads to the 60-byte
		// minimum, send_arp sends 42 bytes and leaves padding to the NIC.
		fb := make([]byte, 0, 14+len(pb))
		fb = append(fb, ethernet.Broadcast...)
		fb = append(fb, mac...)
		fb = binary.BigEndian.AppendUint16(fb, uint16(ethernet.EtherTypeARP))
		out[op] = append(fb, pb...)
	}
	return out, nil
}

// garpSender sends prebuilt gratuitous ARP frames on a raw packet socket.
//
// It does not use arp.Client: arp.New refuses an interface that has no
// IPv4 address yet and does a netlink address dump, while the socket must
// be open before the address is added so that the first frame can follow
// the add within microseconds. The socket is bound to protocol 0, so it
// receives nothing: it never reads, and must not queue the link's ARP
// traffic.
type garpSender struct {
	conn   *packet.Conn
	frames map[arp.Operation][]byte
}

// openGARP must run in the interface's network namespace.
func openGARP(ifi *net.Interface, vip netip.Addr) (*garpSender, error) {
	frames, err := garpFrames(ifi.HardwareAddr, vip)
	if err != nil {
		return nil, err
	}
	c, err := packet.Listen(ifi, packet.Raw, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("open packet socket on %s: %w", ifi.Name, err)
	}
	return &garpSender{conn: c, frames: frames}, nil
}

func (s *garpSender) announce(op arp.Operation) error {
	f, ok := s.frames[op]
	if !ok {
		return fmt.Errorf("no ARP frame for operation %v", op)
	}
	if _, err := s.conn.WriteTo(f, &packet.Addr{HardwareAddr: ethernet.Broadcast}); err != nil {
		return fmt.Errorf("send gratuitous ARP: %w", err)
	}
	return nil
}

func (s *garpSender) Close() error { return s.conn.Close() }

// naSender sends unsolicited Neighbor Advertisements (RFC 4861 §7.2.6:
// Solicited=0, Override=1, the target link-layer address option) to
// ff02::1, the IPv6 counterpart of the gratuitous ARP.
type naSender struct {
	conn *ndp.Conn
	msg  *ndp.NeighborAdvertisement
}

// openNA must run in the interface's namespace, after vip was added
// without DAD: the socket is bound to vip itself, so the advertisement
// does not depend on the interface's link-local address having finished
// its own DAD (metallb #2685 discusses the source address).
func openNA(ifi *net.Interface, vip netip.Addr) (*naSender, error) {
	if len(ifi.HardwareAddr) != 6 {
		return nil, errNoMAC
	}
	c, _, err := ndp.Listen(ifi, ndp.Addr(vip.String()))
	if err != nil {
		return nil, fmt.Errorf("open ICMPv6 socket on %s for %s: %w", ifi.Name, vip, err)
	}
	return &naSender{conn: c, msg: &ndp.NeighborAdvertisement{
		Override:      true,
		TargetAddress: vip,
		Options:       []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: ifi.HardwareAddr}},
	}}, nil
}

func (s *naSender) announce(arp.Operation) error {
	if err := s.conn.WriteTo(s.msg, nil, netip.IPv6LinkLocalAllNodes()); err != nil {
		return fmt.Errorf("send unsolicited neighbor advertisement: %w", err)
	}
	return nil
}

func (s *naSender) Close() error { return s.conn.Close() }
