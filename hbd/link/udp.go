package link

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netns"
)

// Options tunes a real UDP transport. The zero value is usable.
type Options struct {
	// Logger receives media logs; nil discards them.
	Logger *slog.Logger
	// WriteTimeout bounds every send. heartbeat's write child gives each
	// write one keepalive interval; pass keepalive here. Default 1s.
	WriteTimeout time.Duration
	// CheckInterval is how often interfaces are checked for vanishing,
	// going down, losing addresses and coming back. Default 1s.
	CheckInterval time.Duration
	// OnEvent, if set, is called on every medium state change. It is
	// called synchronously from Send or from the interface checker and
	// must not block.
	OnEvent func(Event)
	// RecvQueue is the capacity of the Recv channel. Default 64. When it
	// is full, readers stop reading and the kernel drops, like heartbeat's
	// read children blocking on their socketpair.
	RecvQueue int
}

// Net is the real UDP transport: every bcast, ucast and mcast medium of one
// node. It implements Transport.
type Net struct {
	log     *slog.Logger
	opts    Options
	media   []*udpMedium
	ifaces  []string // distinct interface names, configuration order
	recvs   []*recvSock
	recvCh  chan Datagram
	nudge   chan struct{}
	done    chan struct{}
	wg      sync.WaitGroup
	closeMu sync.Once
	ns      netns.NsHandle // network namespace Open ran in

	mu      sync.Mutex // guards ifState and (re)opening sockets
	ifState map[string]ifaceInfo

	received, oversize, unattributed, recvErrors atomic.Uint64
}

var _ Transport = (*Net)(nil)

// Open opens every medium in specs. Sockets are created in the network
// namespace of the calling thread (callers that switched namespaces must
// hold runtime.LockOSThread), and later reopened in that same namespace.
//
// Like heartbeat's config parser, Open fails when an interface does not
// exist or a receive port cannot be bound. An interface that exists but is
// down or has no IPv4 address yet does not fail Open: the medium starts
// down (reported through OnEvent, Send returns ErrNotReady) and is opened
// once the interface is ready, which replaces mcast.c's 120 x 1 s wait for
// an address.
func Open(specs []Spec, opts Options) (*Net, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = time.Second
	}
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = time.Second
	}
	if opts.RecvQueue <= 0 {
		opts.RecvQueue = 64
	}
	if len(specs) == 0 {
		return nil, errors.New("link: no media configured")
	}
	ns, err := netns.Get()
	if err != nil {
		return nil, fmt.Errorf("link: get network namespace: %w", err)
	}
	t := &Net{
		log:     opts.Logger,
		opts:    opts,
		recvCh:  make(chan Datagram, opts.RecvQueue),
		nudge:   make(chan struct{}, 1),
		done:    make(chan struct{}),
		ns:      ns,
		ifState: make(map[string]ifaceInfo),
	}
	for _, s := range specs {
		if err := s.Validate(); err != nil {
			ns.Close()
			return nil, fmt.Errorf("link: %w", err)
		}
		t.media = append(t.media, &udpMedium{t: t, spec: s})
	}
	t.ifaces = distinctIfaces(specs)
	t.recvs = planRecv(t.media)
	if err := t.openAll(); err != nil {
		t.closeSockets()
		ns.Close()
		return nil, err
	}
	for _, rs := range t.recvs {
		t.wg.Go(func() { rs.readLoop() })
	}
	t.wg.Go(t.watch)
	return t, nil
}

func distinctIfaces(specs []Spec) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range specs {
		if !seen[s.Iface] {
			seen[s.Iface] = true
			out = append(out, s.Iface)
		}
	}
	return out
}

// openAll does the initial open: every interface must exist and every
// receive socket must bind; send sockets wait for their interface.
func (t *Net) openAll() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, name := range t.ifaces {
		info, err := lookupIface(name)
		if err != nil {
			return fmt.Errorf("link: %w", err)
		}
		if !info.exists {
			return fmt.Errorf("link: interface %q does not exist", name)
		}
		t.ifState[name] = info
	}
	for _, rs := range t.recvs {
		if err := rs.open(t.ifState); err != nil {
			return fmt.Errorf("link: %s: %w", rs, err)
		}
	}
	for _, m := range t.media {
		info := t.ifState[m.spec.Iface]
		if err := info.ready(m.spec.Kind); err != nil {
			m.setState(fmt.Errorf("%w: %w", ErrNotReady, err))
			continue
		}
		if err := m.open(info); err != nil {
			return fmt.Errorf("link: %s: open send socket: %w", m.spec, err)
		}
		m.setState(nil)
		t.log.Info("medium started", "medium", m.spec.String(), "dest", m.dest())
	}
	return nil
}

// Media returns the media in configuration order.
func (t *Net) Media() []Medium {
	out := make([]Medium, len(t.media))
	for i, m := range t.media {
		out[i] = m
	}
	return out
}

// Recv delivers received datagrams; it is closed by Close.
func (t *Net) Recv() <-chan Datagram { return t.recvCh }

// RecvStats returns the receive counters.
func (t *Net) RecvStats() RecvStats {
	return RecvStats{
		Received:     t.received.Load(),
		Oversize:     t.oversize.Load(),
		Unattributed: t.unattributed.Load(),
		RecvErrors:   t.recvErrors.Load(),
	}
}

// Close closes every socket, waits for the readers and closes Recv.
func (t *Net) Close() error {
	t.closeMu.Do(func() {
		close(t.done)
		t.mu.Lock()
		t.closeSockets()
		t.mu.Unlock()
		t.wg.Wait()
		close(t.recvCh)
		t.ns.Close()
	})
	return nil
}

func (t *Net) closed() bool {
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// closeSockets closes all sockets; callers hold t.mu (or own t alone).
func (t *Net) closeSockets() {
	for _, m := range t.media {
		m.close()
	}
	for _, rs := range t.recvs {
		rs.close()
	}
}

// emit reports a medium state change.
func (t *Net) emit(ev Event) {
	if ev.Up {
		t.log.Info("medium up", "medium", ev.Medium)
	} else {
		t.log.Warn("medium down", "medium", ev.Medium, "err", ev.Err)
	}
	if t.opts.OnEvent != nil {
		t.opts.OnEvent(ev)
	}
}

// poke asks the interface checker to look now (after a send error).
func (t *Net) poke() {
	select {
	case t.nudge <- struct{}{}:
	default:
	}
}

// deliver hands a datagram to Recv unless the transport is closing.
func (t *Net) deliver(d Datagram) {
	select {
	case t.recvCh <- d:
		t.received.Add(1)
	case <-t.done:
	}
}
