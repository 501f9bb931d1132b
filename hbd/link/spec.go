package link

import (
	"fmt"
	"net/netip"
	"strconv"
)

// Kind is the HBcomm plugin of a medium.
type Kind uint8

// Media kinds, named after heartbeat's ha.cf directives.
const (
	Bcast Kind = iota + 1 // "bcast IFACE": lib/plugins/HBcomm/bcast.c
	Ucast                 // "ucast IFACE PEER": ucast.c
	Mcast                 // "mcast IFACE GROUP PORT TTL LOOP": mcast.c
)

func (k Kind) String() string {
	switch k {
	case Bcast:
		return "bcast"
	case Ucast:
		return "ucast"
	case Mcast:
		return "mcast"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// maxMcastTTL is the largest ttl mcast_parse accepts ("bad ttl [5]"; the
// sample ha.cf comment saying 0-255 is wrong, heartbeat-spec §3.4).
const maxMcastTTL = 4

// Spec is one medium as configured in ha.cf. A "bcast eth0 eth1" line is two
// Specs. Port is udpport for bcast and ucast (the value in force when the
// line was parsed) and the line's own port for mcast.
type Spec struct {
	Kind  Kind
	Iface string
	Peer  netip.Addr // Ucast: destination (resolved like gethostbyname)
	Group netip.Addr // Mcast: group in 224.0.0.0/4
	Port  uint16
	TTL   uint8 // Mcast: 0-4
	Loop  bool  // Mcast: IP_MULTICAST_LOOP
}

// String renders the spec as its ha.cf line (with the port appended for
// bcast and ucast, whose port comes from udpport).
func (s Spec) String() string {
	switch s.Kind {
	case Bcast:
		return fmt.Sprintf("bcast %s (port %d)", s.Iface, s.Port)
	case Ucast:
		return fmt.Sprintf("ucast %s %s (port %d)", s.Iface, s.Peer, s.Port)
	case Mcast:
		loop := 0
		if s.Loop {
			loop = 1
		}
		return fmt.Sprintf("mcast %s %s %d %d %d", s.Iface, s.Group, s.Port, s.TTL, loop)
	}
	return fmt.Sprintf("%v %s", s.Kind, s.Iface)
}

// Validate applies the checks of heartbeat's media parsers. IPv6 media
// (mcast6, ucast6) are not implemented.
func (s Spec) Validate() error {
	if s.Iface == "" || len(s.Iface) >= 16 { // IFNAMSIZ includes the NUL
		return fmt.Errorf("%v: bad interface name %q", s.Kind, s.Iface)
	}
	if s.Port == 0 {
		return fmt.Errorf("%v %s: port 0", s.Kind, s.Iface)
	}
	switch s.Kind {
	case Bcast:
	case Ucast:
		if !s.Peer.Is4() && !s.Peer.Is4In6() {
			return fmt.Errorf("ucast %s: peer %v is not an IPv4 address", s.Iface, s.Peer)
		}
	case Mcast:
		if !s.Group.Is4() || !s.Group.IsMulticast() {
			return fmt.Errorf("mcast %s: %v is not an IPv4 multicast group", s.Iface, s.Group)
		}
		if s.TTL > maxMcastTTL {
			return fmt.Errorf("mcast %s: bad ttl [%d]", s.Iface, s.TTL)
		}
	default:
		return fmt.Errorf("unknown medium kind %v", s.Kind)
	}
	return nil
}

// dest is where the medium sends; for bcast it is filled in from the
// interface's broadcast address at open time.
func (s Spec) dest() netip.AddrPort {
	switch s.Kind {
	case Ucast:
		return netip.AddrPortFrom(s.Peer.Unmap(), s.Port)
	case Mcast:
		return netip.AddrPortFrom(s.Group, s.Port)
	}
	return netip.AddrPort{}
}
