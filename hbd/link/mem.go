package link

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// MemNetwork is an in-memory network of segments (broadcast domains, one
// per heartbeat cable or LAN) for testing the layers above link without
// sockets or privileges. Hosts attach interfaces to segments and open the
// same Specs as the real transport; bcast reaches every host on the segment
// including the sender, ucast the host owning the peer address (the sender
// too, when it names itself), mcast every host that opened the group
// (the sender only with Loop). Loss, delay and partitions are per segment
// and drawn from one seeded generator, so a run is reproducible when the
// sends happen in the same order. Delays use time.AfterFunc, so the
// network works inside a testing/synctest bubble.
type MemNetwork struct {
	mu    sync.Mutex
	rng   *rand.Rand
	hosts map[string]*MemHost
	segs  map[string]*memSegment
	port  uint16 // next ephemeral source port
}

type memSegment struct {
	loss          float64
	delay, jitter time.Duration
	blocked       map[[2]string]bool // {from, to} host names
}

// MemIface is one interface of a MemHost.
type MemIface struct {
	Name    string       // e.g. "eth0"
	Segment string       // the segment (cable, LAN) it is plugged into
	Addr    netip.Prefix // IPv4 address and prefix; gives the broadcast address
}

// NewMemNetwork returns an empty network whose random choices come from seed.
func NewMemNetwork(seed uint64) *MemNetwork {
	return &MemNetwork{
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		hosts: map[string]*MemHost{},
		segs:  map[string]*memSegment{},
		port:  32768,
	}
}

func (n *MemNetwork) seg(name string) *memSegment {
	s := n.segs[name]
	if s == nil {
		s = &memSegment{blocked: map[[2]string]bool{}}
		n.segs[name] = s
	}
	return s
}

// SetLoss makes the segment drop each datagram between two different hosts
// with probability p.
func (n *MemNetwork) SetLoss(segment string, p float64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seg(segment).loss = p
}

// SetDelay delays every datagram between two different hosts on the segment
// by delay plus a uniformly drawn [0, jitter).
func (n *MemNetwork) SetDelay(segment string, delay, jitter time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.seg(segment)
	s.delay, s.jitter = delay, jitter
}

// Block drops datagrams from one host to another on the segment (one
// direction only).
func (n *MemNetwork) Block(segment, from, to string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seg(segment).blocked[[2]string{from, to}] = true
}

// Partition cuts the listed hosts off from every other host on the segment,
// in both directions; the listed hosts still reach each other.
func (n *MemNetwork) Partition(segment string, side ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.seg(segment)
	for _, h := range n.hosts {
		if slices.Contains(side, h.name) {
			continue
		}
		for _, in := range side {
			s.blocked[[2]string{in, h.name}] = true
			s.blocked[[2]string{h.name, in}] = true
		}
	}
}

// Heal removes every Block and Partition of the segment.
func (n *MemNetwork) Heal(segment string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seg(segment).blocked = map[[2]string]bool{}
}

// Attach adds a host with its interfaces and opens its media. Only
// opts.OnEvent, opts.RecvQueue and opts.Logger are used. Unlike the real
// Recv, a full Recv channel drops (counted in RecvStats.Overflow) so that
// a slow test consumer cannot block a sender.
func (n *MemNetwork) Attach(host string, ifaces []MemIface, specs []Spec, opts Options) (*MemHost, error) {
	if opts.RecvQueue <= 0 {
		opts.RecvQueue = 64
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &MemHost{n: n, name: host, opts: opts, ifaces: map[string]*memIface{}, recvCh: make(chan Datagram, opts.RecvQueue)}
	for _, fi := range ifaces {
		if !fi.Addr.Addr().Is4() {
			return nil, fmt.Errorf("link: mem host %s: %s: address %v is not IPv4", host, fi.Name, fi.Addr)
		}
		h.ifaces[fi.Name] = &memIface{MemIface: fi, up: true}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.hosts[host] != nil {
		return nil, fmt.Errorf("link: mem host %q already attached", host)
	}
	for _, s := range specs {
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("link: mem host %s: %w", host, err)
		}
		if h.ifaces[s.Iface] == nil {
			return nil, fmt.Errorf("link: mem host %s: interface %q does not exist", host, s.Iface)
		}
		n.port++
		h.media = append(h.media, &memMedium{h: h, spec: s, src: n.port})
	}
	n.hosts[host] = h
	return h, nil
}
