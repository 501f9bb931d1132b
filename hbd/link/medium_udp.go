package link

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"time"
)

// udpMedium is the send side of one medium: heartbeat's write child.
type udpMedium struct {
	t    *Net
	spec Spec

	conn atomic.Pointer[net.UDPConn]
	dst  atomic.Pointer[netip.AddrPort] // bcast: the interface's broadcast address

	sent, sendErrs atomic.Uint64
	streak         errStreak
	state          linkState
}

var _ Medium = (*udpMedium)(nil)

func (m *udpMedium) Name() string { return m.spec.Iface }
func (m *udpMedium) Spec() Spec   { return m.spec }
func (m *udpMedium) Stats() Stats {
	return Stats{Sent: m.sent.Load(), SendErrors: m.sendErrs.Load()}
}

func (m *udpMedium) dest() netip.AddrPort {
	if d := m.dst.Load(); d != nil {
		return *d
	}
	return netip.AddrPort{}
}

// open (re)creates the send socket the way the plugin's *_make_send_sock
// does; the socket is unbound in heartbeat and bound to an ephemeral port
// here, which is what the first sendto does anyway. Callers hold t.mu.
func (m *udpMedium) open(info ifaceInfo) error {
	var opts []sockopt
	dst := m.spec.dest()
	switch m.spec.Kind {
	case Bcast:
		opts = bcastSendOpts(m.spec.Iface)
		// bcast.c new_ip_interface: destination is SIOCGIFBRDADDR.
		dst = netip.AddrPortFrom(info.brd, m.spec.Port)
	case Ucast:
		opts = ucastSendOpts(m.spec.Iface)
	case Mcast:
		opts = mcastSendOpts(info.index, info.addr, m.spec.TTL, m.spec.Loop)
	}
	c, err := listenUDP(netip.AddrPortFrom(netip.IPv4Unspecified(), 0), opts)
	if err != nil {
		return err
	}
	m.dst.Store(&dst)
	if old := m.conn.Swap(c); old != nil {
		old.Close()
	}
	return nil
}

// refresh follows a changed broadcast address without reopening.
func (m *udpMedium) refresh(info ifaceInfo) {
	if m.spec.Kind == Bcast && info.brd.IsValid() && m.dest().Addr() != info.brd {
		dst := netip.AddrPortFrom(info.brd, m.spec.Port)
		m.dst.Store(&dst)
	}
}

func (m *udpMedium) close() {
	if c := m.conn.Swap(nil); c != nil {
		c.Close()
	}
}

// Send writes b to the medium's destination within the write timeout.
// Errors are counted, logged (the first 10 of a streak) and turn the medium
// down until a send succeeds again.
func (m *udpMedium) Send(b []byte) error {
	if len(b) > maxUDPPayload {
		m.sendErrs.Add(1)
		return fmt.Errorf("%s: %d bytes: %w", m.spec, len(b), ErrTooBig)
	}
	if m.t.closed() {
		return fmt.Errorf("%s: %w", m.spec, ErrClosed)
	}
	var err error
	for try := 0; try < 2; try++ {
		c := m.conn.Load()
		if c == nil {
			err = ErrNotReady
			if why := m.state.get(); why != nil {
				err = why
			}
			break
		}
		if err = c.SetWriteDeadline(time.Now().Add(m.t.opts.WriteTimeout)); err == nil {
			_, err = c.WriteToUDPAddrPort(b, m.dest())
		}
		// A concurrent reopen closed c under us: use the new socket.
		if errors.Is(err, net.ErrClosed) && m.conn.Load() != c {
			continue
		}
		break
	}
	if err != nil {
		m.failed(err)
		return fmt.Errorf("%s: send: %w", m.spec, err)
	}
	m.sent.Add(1)
	if n := m.streak.ok(); n > 0 {
		m.t.log.Info("medium sending again", "medium", m.spec.String(), "failed_sends", n)
	}
	m.setState(nil)
	return nil
}

func (m *udpMedium) failed(err error) {
	m.sendErrs.Add(1)
	if log, last := m.streak.fail(); log {
		m.t.log.Error("unable to send packet", "medium", m.spec.String(), "err", err)
		if last {
			m.t.log.Error("suppressing further send errors", "medium", m.spec.String())
		}
	}
	if !errors.Is(err, ErrNotReady) {
		m.setState(err)
	}
	m.t.poke()
}

func (m *udpMedium) setState(err error) {
	if ev, changed := m.state.set(m.spec, err, time.Now()); changed {
		m.t.emit(ev)
	}
}
