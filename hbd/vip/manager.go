package vip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Options configure a Manager.
type Options struct {
	// ConfDir holds arp_config and arp_config:IFACE; "" means
	// DefaultConfDir.
	ConfDir string
	// GARPRefresh, when positive, re-announces every started address that
	// often after its burst (hbd's garp_refresh; 0, the default, is
	// heartbeat's single burst).
	GARPRefresh time.Duration
	// NetnsPath is the network namespace to act in, e.g.
	// /run/netns/NAME; "" is the namespace of the thread calling New.
	NetnsPath string
	// Recheck makes every packet of a burst after the first check that
	// the address is still configured, ending the burst if not. It is for
	// short-lived callers that cannot be told to stop (hbctl agent), so
	// that they never keep announcing an address another node took.
	Recheck bool
	// OnEvent is told what the watcher did (see Watch). It is called from
	// the watcher's goroutine with no lock held, so it may call Stop.
	OnEvent func(Event)
	Logger  *slog.Logger
}

// Event reports an address that something other than this Manager
// removed while it was started.
type Event struct {
	Spec  Spec
	Iface string
	Label string
	// Err is nil when the address was put back and announced again, and
	// says why not otherwise: the interface is gone, or ErrFlapping. The
	// resource is then down and the daemon should treat it as failed.
	Err error
}

// Manager starts, stops and watches IP addresses in one network namespace.
// Its methods may be called from several goroutines; Start and Stop run
// one at a time, as heartbeat runs one resource operation at a time.
type Manager struct {
	opts Options
	log  *slog.Logger
	ns   netns.NsHandle
	h    *netlink.Handle

	op sync.Mutex // serialises Start, Stop, SendArp and restores

	mu      sync.Mutex
	active  map[netip.Addr]*vipState // started addresses
	sendarp map[netip.Addr]*vipState // running SendArp bursts
	closed  bool

	// Test hooks: afterAdd runs right after the kernel acknowledged an
	// address; threadCheck runs on the namespace thread before a socket
	// is opened.
	afterAdd    func(netip.Addr)
	threadCheck func() error
}

// vipState is one started address.
type vipState struct {
	spec Spec
	t    target
	addr netlink.Addr // as added (or found, when adopted)
	cfg  ARPConfig
	ann  announcer // nil: nothing to announce with
	// flaps limits the watcher's restores (guarded by Manager.op).
	flaps flapGuard

	cancel    context.CancelFunc // ends the announcement goroutine
	done      chan struct{}      // closed when it has ended
	burstDone chan struct{}      // closed when the burst proper has ended
}

// New returns a Manager acting in opts.NetnsPath, or in the calling
// thread's namespace.
func New(opts Options) (*Manager, error) {
	if opts.ConfDir == "" {
		opts.ConfDir = DefaultConfDir
	}
	if opts.GARPRefresh < 0 {
		return nil, fmt.Errorf("garp_refresh %v: must not be negative", opts.GARPRefresh)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	var (
		ns  netns.NsHandle
		err error
	)
	if opts.NetnsPath == "" {
		ns, err = netns.Get()
	} else {
		ns, err = netns.GetFromPath(opts.NetnsPath)
	}
	if err != nil {
		return nil, fmt.Errorf("open network namespace %q: %w", opts.NetnsPath, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, fmt.Errorf("netlink handle in namespace %q: %w", opts.NetnsPath, err)
	}
	return &Manager{
		opts: opts, log: log.With("component", "vip"), ns: ns, h: h,
		active:  make(map[netip.Addr]*vipState),
		sendarp: make(map[netip.Addr]*vipState),
	}, nil
}

// Close ends every announcement and releases the Manager's sockets. It
// leaves the addresses configured: giving them up is Stop's job.
func (m *Manager) Close() error {
	m.op.Lock()
	defer m.op.Unlock()
	m.mu.Lock()
	m.closed = true
	var all []*vipState
	for _, st := range m.active {
		all = append(all, st)
	}
	for _, st := range m.sendarp {
		all = append(all, st)
	}
	clear(m.active)
	clear(m.sendarp)
	m.mu.Unlock()
	for _, st := range all {
		st.stopAnnounce()
	}
	m.h.Close()
	return m.ns.Close()
}

var errClosed = errors.New("vip: manager closed")

func (m *Manager) lookup(a netip.Addr) *vipState {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active[a]
}

// interfaceOf builds the net.Interface the socket libraries want from the
// netlink link, without the ambient-namespace lookup of
// net.InterfaceByName.
func interfaceOf(l netlink.Link) *net.Interface {
	a := l.Attrs()
	return &net.Interface{Index: a.Index, MTU: a.MTU, Name: a.Name, HardwareAddr: a.HardwareAddr, Flags: a.Flags}
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func addrOf(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

// Wait waits until the bursts running now have ended (not garp_refresh,
// which only Stop ends) or ctx is done. A short-lived caller such as
// hbctl agent uses it to stay alive for its announcements.
func (m *Manager) Wait(ctx context.Context) error {
	m.mu.Lock()
	var pending []chan struct{}
	for _, sts := range []map[netip.Addr]*vipState{m.active, m.sendarp} {
		for _, st := range sts {
			if st.burstDone != nil {
				pending = append(pending, st.burstDone)
			}
		}
	}
	m.mu.Unlock()
	for _, c := range pending {
		select {
		case <-c:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
