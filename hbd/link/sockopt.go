package link

import (
	"fmt"
	"net"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// sockopt configures a socket before it is bound.
type sockopt func(fd int) error

func setInt(level, opt int, name string, v int) sockopt {
	return func(fd int) error {
		if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
			return fmt.Errorf("setsockopt %s=%d: %w", name, v, err)
		}
		return nil
	}
}

func bindToDevice(ifname string) sockopt {
	return func(fd int) error {
		if err := unix.SetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE, ifname); err != nil {
			return fmt.Errorf("setsockopt SO_BINDTODEVICE %s: %w", ifname, err)
		}
		return nil
	}
}

// bcastSendOpts is bcast_make_send_sock: SO_BROADCAST, SO_DONTROUTE (not
// subject to routing) and SO_BINDTODEVICE so that redundant NICs each carry
// their own heartbeat.
func bcastSendOpts(ifname string) []sockopt {
	return []sockopt{
		setInt(unix.SOL_SOCKET, unix.SO_BROADCAST, "SO_BROADCAST", 1),
		setInt(unix.SOL_SOCKET, unix.SO_DONTROUTE, "SO_DONTROUTE", 1),
		bindToDevice(ifname),
	}
}

// ucastSendOpts is ucast.c HB_make_send_sock: IP_TOS=IPTOS_LOWDELAY,
// SO_BINDTODEVICE, SO_REUSEPORT.
func ucastSendOpts(ifname string) []sockopt {
	return []sockopt{
		setInt(unix.IPPROTO_IP, unix.IP_TOS, "IP_TOS", iptosLowDelay),
		bindToDevice(ifname),
		setInt(unix.SOL_SOCKET, unix.SO_REUSEPORT, "SO_REUSEPORT", 1),
	}
}

// mcastSendOpts is mcast_make_send_sock: IP_MULTICAST_IF, IP_MULTICAST_LOOP,
// IP_MULTICAST_TTL, no device binding. heartbeat passes the interface's
// address to IP_MULTICAST_IF; the kernel turns that into (ifindex, address),
// which is exactly the ip_mreqn given here.
func mcastSendOpts(ifindex int, addr netip.Addr, ttl uint8, loop bool) []sockopt {
	l := 0
	if loop {
		l = 1
	}
	return []sockopt{
		func(fd int) error {
			mreq := &unix.IPMreqn{Address: addr.As4(), Ifindex: int32(ifindex)}
			if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreq); err != nil {
				return fmt.Errorf("setsockopt IP_MULTICAST_IF %v: %w", addr, err)
			}
			return nil
		},
		setInt(unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP", l),
		setInt(unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, "IP_MULTICAST_TTL", int(ttl)),
	}
}

// udpRecvOpts is bcast_make_receive_sock / ucast.c HB_make_receive_sock:
// SO_REUSEADDR, SO_BINDTODEVICE and, when a ucast medium uses the socket,
// SO_REUSEPORT. IP_MULTICAST_ALL=0 is ours: without it a socket bound to
// 0.0.0.0:port also receives every multicast group any socket on the host
// joined on that port, so an "mcast" medium's datagrams would arrive twice.
func udpRecvOpts(ifname string, reusePort bool) []sockopt {
	o := []sockopt{
		setInt(unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR", 1),
		bindToDevice(ifname),
	}
	if reusePort {
		o = append(o, setInt(unix.SOL_SOCKET, unix.SO_REUSEPORT, "SO_REUSEPORT", 1))
	}
	return append(o, setInt(unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, "IP_MULTICAST_ALL", 0))
}

// mcastRecvOpts is mcast_make_receive_sock: SO_REUSEADDR, then bind to
// group:port. IP_MULTICAST_ALL=0 keeps groups joined by other sockets out;
// IP_PKTINFO tells which interface a datagram came in on.
func mcastRecvOpts() []sockopt {
	return []sockopt{
		setInt(unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR", 1),
		setInt(unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, "IP_MULTICAST_ALL", 0),
		setInt(unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO", 1),
	}
}

// listenUDP opens an IPv4 UDP socket with opts applied before bind. It
// binds by hand because net.ListenPacket quietly binds a multicast address
// as 0.0.0.0 (golang.org/issue/3819), and mcast.c binds to the group so that
// the socket sees nothing but the group's datagrams.
func listenUDP(laddr netip.AddrPort, opts []sockopt) (*net.UDPConn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	for _, o := range opts {
		if err := o(fd); err != nil {
			unix.Close(fd)
			return nil, err
		}
	}
	sa := &unix.SockaddrInet4{Port: int(laddr.Port()), Addr: laddr.Addr().As4()}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("bind %v: %w", laddr, err)
	}
	f := os.NewFile(uintptr(fd), "udp "+laddr.String())
	defer f.Close() // FilePacketConn works on a duplicate
	c, err := net.FilePacketConn(f)
	if err != nil {
		return nil, fmt.Errorf("socket %v: %w", laddr, err)
	}
	uc, ok := c.(*net.UDPConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("socket %v: not UDP (%T)", laddr, c)
	}
	return uc, nil
}

// iptosLowDelay is IPTOS_LOWDELAY from <netinet/ip.h>.
const iptosLowDelay = 0x10
