package link

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// MemHost is one host on a MemNetwork. It implements Transport.
type MemHost struct {
	n      *MemNetwork
	name   string
	opts   Options
	ifaces map[string]*memIface // guarded by n.mu
	media  []*memMedium

	mu     sync.Mutex // guards recvCh against Close
	closed bool
	recvCh chan Datagram

	received, overflow atomic.Uint64
}

type memIface struct {
	MemIface
	up bool
}

var _ Transport = (*MemHost)(nil)

// Media returns the media in configuration order.
func (h *MemHost) Media() []Medium {
	out := make([]Medium, len(h.media))
	for i, m := range h.media {
		out[i] = m
	}
	return out
}

// Recv delivers received datagrams; it is closed by Close.
func (h *MemHost) Recv() <-chan Datagram { return h.recvCh }

// RecvStats returns the receive counters.
func (h *MemHost) RecvStats() RecvStats {
	return RecvStats{Received: h.received.Load(), Overflow: h.overflow.Load()}
}

// Close detaches the host from the network and closes Recv.
func (h *MemHost) Close() error {
	h.n.mu.Lock()
	if h.n.hosts[h.name] == h {
		delete(h.n.hosts, h.name)
	}
	h.n.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.recvCh)
	}
	return nil
}

// SetIfaceUp takes an interface down or up, like "ip link set dev X down":
// sends on it fail with ErrLinkDown and nothing is received on it. Every
// medium on it reports the change through Options.OnEvent.
func (h *MemHost) SetIfaceUp(name string, up bool) error {
	h.n.mu.Lock()
	fi := h.ifaces[name]
	if fi == nil {
		h.n.mu.Unlock()
		return fmt.Errorf("link: mem host %s: no interface %q", h.name, name)
	}
	fi.up = up
	h.n.mu.Unlock()
	var err error
	if !up {
		err = fmt.Errorf("%w: %s", ErrLinkDown, name)
	}
	for _, m := range h.media {
		if m.spec.Iface == name {
			m.setState(err)
		}
	}
	return nil
}

// receives reports whether the host listens on iface for a datagram of
// kind k to dst (a bcast or ucast socket on the port, or the mcast group).
func (h *MemHost) receives(iface string, k Kind, dst netip.AddrPort) bool {
	for _, m := range h.media {
		if m.spec.Iface != iface || m.spec.Port != dst.Port() {
			continue
		}
		if k == Mcast && m.spec.Kind == Mcast && m.spec.Group == dst.Addr() {
			return true
		}
		if k != Mcast && m.spec.Kind != Mcast {
			return true
		}
	}
	return false
}

func (h *MemHost) deliver(d Datagram) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	d.Time = time.Now()
	select {
	case h.recvCh <- d:
		h.received.Add(1)
	default:
		h.overflow.Add(1)
	}
}

// memMedium is one medium of a MemHost.
type memMedium struct {
	h    *MemHost
	spec Spec
	src  uint16 // source port

	sent, sendErrs atomic.Uint64
	state          linkState
}

var _ Medium = (*memMedium)(nil)

func (m *memMedium) Name() string { return m.spec.Iface }
func (m *memMedium) Spec() Spec   { return m.spec }
func (m *memMedium) Stats() Stats {
	return Stats{Sent: m.sent.Load(), SendErrors: m.sendErrs.Load()}
}

func (m *memMedium) setState(err error) {
	if ev, changed := m.state.set(m.spec, err, time.Now()); changed && m.h.opts.OnEvent != nil {
		m.h.opts.OnEvent(ev)
	}
}

// Send routes b to every receiver on the medium's segment.
func (m *memMedium) Send(b []byte) error {
	if len(b) > maxUDPPayload {
		m.sendErrs.Add(1)
		return fmt.Errorf("%s: %d bytes: %w", m.spec, len(b), ErrTooBig)
	}
	type hop struct {
		to    *MemHost
		link  string
		delay time.Duration
	}
	n := m.h.n
	n.mu.Lock()
	if n.hosts[m.h.name] != m.h {
		n.mu.Unlock()
		m.sendErrs.Add(1)
		return fmt.Errorf("%s: %w", m.spec, ErrClosed)
	}
	fi := m.h.ifaces[m.spec.Iface]
	if !fi.up {
		n.mu.Unlock()
		m.sendErrs.Add(1)
		err := fmt.Errorf("%w: %s", ErrLinkDown, fi.Name)
		m.setState(err)
		return fmt.Errorf("%s: send: %w", m.spec, err)
	}
	dst := m.spec.dest()
	if m.spec.Kind == Bcast {
		dst = netip.AddrPortFrom(broadcastOf(fi.Addr), m.spec.Port)
	}
	seg := n.seg(fi.Segment)
	var hops []hop
	for _, name := range slices.Sorted(maps.Keys(n.hosts)) {
		to := n.hosts[name]
		self := to == m.h
		for _, tname := range slices.Sorted(maps.Keys(to.ifaces)) {
			ti := to.ifaces[tname]
			if ti.Segment != fi.Segment || !ti.up || !to.receives(tname, m.spec.Kind, dst) {
				continue
			}
			if self && tname != fi.Name {
				continue // loopback copies come back on the sending interface
			}
			switch m.spec.Kind {
			case Ucast:
				if ti.Addr.Addr() != dst.Addr() {
					continue
				}
			case Mcast:
				if self && !m.spec.Loop {
					continue
				}
			}
			var d time.Duration
			if !self {
				if seg.blocked[[2]string{m.h.name, to.name}] || (seg.loss > 0 && n.rng.Float64() < seg.loss) {
					continue
				}
				d = seg.delay
				if seg.jitter > 0 {
					d += time.Duration(n.rng.Int64N(int64(seg.jitter)))
				}
			}
			hops = append(hops, hop{to: to, link: tname, delay: d})
		}
	}
	n.mu.Unlock()

	from := netip.AddrPortFrom(fi.Addr.Addr(), m.src)
	for _, hp := range hops {
		d := Datagram{Link: hp.link, From: from, Data: slices.Clone(b)}
		if hp.delay <= 0 {
			hp.to.deliver(d)
			continue
		}
		time.AfterFunc(hp.delay, func() { hp.to.deliver(d) })
	}
	m.sent.Add(1)
	m.setState(nil)
	return nil
}

// broadcastOf is the all-ones host address of p, what "ip addr add …
// brd +" configures and SIOCGIFBRDADDR reports.
func broadcastOf(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	bits := p.Bits()
	for i := range 4 {
		for b := range 8 {
			if i*8+b >= bits {
				a[i] |= 0x80 >> b
			}
		}
	}
	return netip.AddrFrom4(a)
}
