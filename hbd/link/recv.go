package link

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/sys/unix"
)

// recvKey identifies one shared receive socket. bcast and ucast media on the
// same interface and port share a socket bound to 0.0.0.0:port on that
// device; mcast media with the same group and port share a socket bound to
// group:port (mcast.c binds to the group) that joins on each interface.
type recvKey struct {
	kind  Kind       // Bcast for the shared bcast/ucast socket, or Mcast
	iface string     // bcast/ucast only
	group netip.Addr // mcast only
	port  uint16
}

func (k recvKey) String() string {
	if k.kind == Mcast {
		return fmt.Sprintf("receive %s:%d", k.group, k.port)
	}
	return fmt.Sprintf("receive 0.0.0.0%%%s:%d", k.iface, k.port)
}

// recvSock is one receive socket: heartbeat's read child(ren).
type recvSock struct {
	t         *Net
	key       recvKey
	reusePort bool     // a ucast medium uses it (ucast.c sets SO_REUSEPORT)
	ifaces    []string // interfaces of the media it serves

	cur atomic.Pointer[ipv4.PacketConn]

	mu     sync.RWMutex
	links  map[int]string // mcast: ifindex joined -> interface name
	closed bool
}

// planRecv groups media into shared receive sockets, in configuration order.
func planRecv(media []*udpMedium) []*recvSock {
	var out []*recvSock
	byKey := map[recvKey]*recvSock{}
	for _, m := range media {
		k := recvKey{kind: Bcast, iface: m.spec.Iface, port: m.spec.Port}
		if m.spec.Kind == Mcast {
			k = recvKey{kind: Mcast, group: m.spec.Group, port: m.spec.Port}
		}
		rs := byKey[k]
		if rs == nil {
			rs = &recvSock{t: m.t, key: k, links: map[int]string{}}
			byKey[k] = rs
			out = append(out, rs)
		}
		if m.spec.Kind == Ucast {
			rs.reusePort = true
		}
		if !slices.Contains(rs.ifaces, m.spec.Iface) {
			rs.ifaces = append(rs.ifaces, m.spec.Iface)
		}
	}
	return out
}

func (rs *recvSock) String() string { return rs.key.String() }

// open creates (or recreates) the socket; callers hold t.mu.
func (rs *recvSock) open(ifs map[string]ifaceInfo) error {
	var (
		c   *net.UDPConn
		err error
	)
	if rs.key.kind == Mcast {
		c, err = listenUDP(netip.AddrPortFrom(rs.key.group, rs.key.port), mcastRecvOpts())
	} else {
		c, err = listenUDP(netip.AddrPortFrom(netip.IPv4Unspecified(), rs.key.port), udpRecvOpts(rs.key.iface, rs.reusePort))
	}
	if err != nil {
		return err
	}
	p := ipv4.NewPacketConn(c)
	rs.mu.Lock()
	rs.links = map[int]string{}
	rs.mu.Unlock()
	if rs.key.kind == Mcast {
		if err := p.SetControlMessage(ipv4.FlagInterface, true); err != nil {
			c.Close()
			return fmt.Errorf("IP_PKTINFO: %w", err)
		}
		for _, name := range rs.ifaces {
			if info := ifs[name]; info.exists {
				if err := rs.join(p, name, info.index); err != nil {
					c.Close()
					return err
				}
			}
		}
	}
	if old := rs.cur.Swap(p); old != nil {
		old.Close()
	}
	return nil
}

// join is mcast.c join_mcast_group (IP_ADD_MEMBERSHIP on the interface).
// Joining by interface index works before the interface has an address, so
// heartbeat's wait for an address is not needed on the receive side.
func (rs *recvSock) join(p *ipv4.PacketConn, name string, index int) error {
	ifi := &net.Interface{Index: index, Name: name}
	err := p.JoinGroup(ifi, &net.UDPAddr{IP: rs.key.group.AsSlice()})
	if err != nil && !errors.Is(err, unix.EADDRINUSE) {
		return fmt.Errorf("join %s on %s: %w", rs.key.group, name, err)
	}
	rs.mu.Lock()
	for i, n := range rs.links {
		if n == name {
			delete(rs.links, i)
		}
	}
	rs.links[index] = name
	rs.mu.Unlock()
	return nil
}

// rejoin follows an interface that came back (possibly with a new index).
// Callers hold t.mu.
func (rs *recvSock) rejoin(name string, info ifaceInfo) error {
	p := rs.cur.Load()
	if p == nil {
		return ErrClosed
	}
	return rs.join(p, name, info.index)
}

func (rs *recvSock) close() {
	rs.mu.Lock()
	rs.closed = true
	rs.mu.Unlock()
	if p := rs.cur.Swap(nil); p != nil {
		p.Close()
	}
}

func (rs *recvSock) isClosed() bool {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	return rs.closed
}

// link attributes a datagram to a medium name: the device the socket is
// bound to, or for mcast the interface IP_PKTINFO reports.
func (rs *recvSock) link(cm *ipv4.ControlMessage) (string, bool) {
	if rs.key.kind != Mcast {
		return rs.key.iface, true
	}
	if cm == nil {
		return "", false
	}
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	name, ok := rs.links[cm.IfIndex]
	return name, ok
}

// readLoop is the read child: it reads datagrams of up to MaxMsg bytes and
// delivers them tagged with their link until the transport closes.
func (rs *recvSock) readLoop() {
	t := rs.t
	buf := make([]byte, MaxMsg+1)
	var streak errStreak
	for {
		p := rs.cur.Load()
		if p == nil {
			return
		}
		n, cm, src, err := p.ReadFrom(buf)
		if err != nil {
			if rs.isClosed() || t.closed() {
				return
			}
			if rs.cur.Load() != p { // reopened under us
				continue
			}
			t.recvErrors.Add(1)
			if log, _ := streak.fail(); log {
				t.log.Error("error receiving from socket", "socket", rs.String(), "err", err)
			}
			select {
			case <-time.After(100 * time.Millisecond):
			case <-t.done:
				return
			}
			continue
		}
		streak.ok()
		now := time.Now()
		if n > MaxMsg {
			t.oversize.Add(1)
			continue
		}
		name, ok := rs.link(cm)
		if !ok {
			t.unattributed.Add(1)
			continue
		}
		var from netip.AddrPort
		if ua, ok := src.(*net.UDPAddr); ok {
			from = ua.AddrPort()
			from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		}
		t.deliver(Datagram{Link: name, From: from, Data: append([]byte(nil), buf[:n]...), Time: now})
	}
}
