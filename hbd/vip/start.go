package vip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/mdlayher/arp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Start configures the address of spec and announces it. It returns once
// the address is on the interface and the first gratuitous ARP (or
// Neighbor Advertisement) has left; the rest of the burst goes on in the
// background unless arp_config says ARP_BACKGROUND=no.
//
// Like heartbeat's IPaddr, Start does nothing when the address is already
// there; hbd then owns it from now on, without announcing it again.
func (m *Manager) Start(ctx context.Context, spec Spec) error {
	if err := spec.check(); err != nil {
		return err
	}
	m.op.Lock()
	defer m.op.Unlock()
	if m.isClosed() {
		return errClosed
	}
	if st := m.lookup(spec.IP.Addr); st != nil {
		// Started before; put it back if it went missing since (without
		// a watcher, nothing else would).
		if present, err := m.present(st); err != nil || present {
			return err
		}
		return m.readd(st)
	}
	t, err := m.resolve(spec)
	if err != nil {
		return err
	}
	cfg, err := LoadARPConfig(m.opts.ConfDir, t.ifname(), DefaultARPConfig(spec.Agent))
	if err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	st := &vipState{spec: spec, t: t, cfg: cfg}
	onLink, err := m.addrs(t.Link.Attrs().Index, spec.IP.Addr)
	if err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	if present := matching(onLink, spec.IP.Addr); len(present) > 0 {
		return m.adopt(st, present[0])
	}
	if err := m.addAddress(st, onLink); err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	m.log.Info("IP address added", "resource", spec.String(), "iface", t.ifname(), "label", st.addr.Label,
		"prefix", t.Prefix.String(), "broadcast", t.Broadcast, "arp_interval", cfg.Interval, "arp_repeat", cfg.Repeat)
	if !cfg.Background && st.burstDone != nil {
		select {
		case <-st.burstDone:
		case <-ctx.Done():
		}
	}
	return nil
}

// adopt takes over st's address, found on its interface as a. heartbeat's
// IPaddr does nothing then: no burst, as it announces only what it adds.
// An IPaddr address that is not an alias is the interface's own, not ours.
func (m *Manager) adopt(st *vipState, a netlink.Addr) error {
	spec, iface := st.spec, st.t.ifname()
	if !owned(spec, iface, a) {
		return fmt.Errorf("%s: %s is already on %s as its own address (label %q), not an IPaddr alias", spec, spec.IP.Addr, iface, a.Label)
	}
	st.addr = a
	// A socket ready in case the watcher has to put it back.
	var err error
	if st.ann, err = m.openAnnouncer(st.t, spec.IP.Addr, spec.IP.Addr.Is6()); err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	m.add(st)
	m.log.Info("IP address already configured, taking it over", "resource", spec.String(), "iface", iface, "label", a.Label)
	return nil
}

// addAddress chooses the label, adds the address and starts announcing it.
// onLink is what is on the interface now.
func (m *Manager) addAddress(st *vipState, onLink []netlink.Addr) error {
	spec, t := st.spec, st.t
	used := m.activeLabels()
	for _, a := range onLink {
		used = append(used, a.Label)
	}
	label, err := labelFor(spec, t.ifname(), used)
	if err != nil {
		return err
	}
	st.addr = netlink.Addr{IPNet: ipNet(t.Prefix), Label: label}
	if t.Broadcast.IsValid() {
		st.addr.Broadcast = t.Broadcast.AsSlice()
	}
	v6 := spec.IP.Addr.Is6()
	if v6 {
		// No DAD: the address must answer now, not in a second, and a
		// failed DAD against the node we replace would leave it unusable
		// ("dadfailed", kube-vip #523; resource-agents #1752).
		st.addr.Flags = unix.IFA_F_NODAD
	} else {
		// The ARP socket opens before the address exists, so that the
		// first gratuitous ARP follows the add at once.
		st.ann, err = m.openAnnouncer(t, spec.IP.Addr, false)
		if err != nil {
			return err
		}
	}
	if err := m.h.AddrAdd(t.Link, &st.addr); err != nil {
		if st.ann != nil {
			st.ann.Close()
		}
		return fmt.Errorf("add %s to %s: %w", t.Prefix, t.ifname(), err)
	}
	if m.afterAdd != nil {
		m.afterAdd(spec.IP.Addr)
	}
	if v6 {
		if st.ann, err = m.openAnnouncer(t, spec.IP.Addr, true); err != nil {
			m.log.Warn("cannot announce IPv6 address", "resource", spec.String(), "err", err)
		}
	}
	m.startAnnounce(st)
	m.add(st)
	return nil
}

// openAnnouncer opens the socket for announcing vip on t's interface. An
// interface without an Ethernet address gets no announcer and no error:
// the address works, there is just nobody to tell (send_arp fails there
// too, and heartbeat's IPaddr still succeeds).
func (m *Manager) openAnnouncer(t target, vip netip.Addr, v6 bool) (announcer, error) {
	ifi := interfaceOf(t.Link)
	var a announcer
	err := m.inNS(func() error {
		var err error
		if v6 {
			a, err = openNA(ifi, vip)
		} else {
			a, err = openGARP(ifi, vip)
		}
		return err
	})
	if errors.Is(err, errNoMAC) {
		m.log.Warn("interface has no Ethernet address, not announcing", "iface", ifi.Name, "addr", vip)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.opts.Recheck {
		link := t.Link.Attrs().Index
		a = &checkedAnnouncer{announcer: a, present: func() bool {
			as, err := m.addrs(link, vip)
			return err != nil || len(matching(as, vip)) > 0 // on a failed check, keep going
		}}
	}
	return a, nil
}

// startAnnounce sends the first packet of st's burst now, on this
// goroutine, and the rest (then the garp_refresh packets) from a new one.
func (m *Manager) startAnnounce(st *vipState) {
	if st.ann == nil {
		return
	}
	v6 := st.spec.IP.Addr.Is6()
	steps := garpSchedule(st.cfg)
	if v6 {
		steps = naSchedule(st.cfg)
	}
	if len(steps) == 0 {
		return
	}
	// The first packet skips Recheck's lookup: the address was just
	// added, and this packet is the one that must not wait.
	first := st.ann
	if c, ok := first.(*checkedAnnouncer); ok {
		first = c.announcer
	}
	t0 := time.Now()
	if err := first.announce(steps[0].Op); err != nil {
		m.log.Warn("announce failed", "resource", st.spec.String(), "err", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st.cancel, st.done, st.burstDone = cancel, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(st.done)
		n, err := play(ctx, st.ann, steps[1:], t0)
		close(st.burstDone)
		switch {
		case errors.Is(err, errGone):
			m.log.Info("address gone, announcement ended", "resource", st.spec.String(), "sent", n+1)
			return
		case err != nil && ctx.Err() == nil:
			m.log.Warn("announce failed, burst ended", "resource", st.spec.String(), "sent", n+1, "err", err)
		}
		if m.opts.GARPRefresh <= 0 || ctx.Err() != nil {
			return
		}
		if err := refresh(ctx, st.ann, m.opts.GARPRefresh, refreshSchedule(v6)); err != nil && ctx.Err() == nil {
			m.log.Warn("garp_refresh ended", "resource", st.spec.String(), "err", err)
		}
	}()
}

// stopAnnounce ends st's announcements and closes the socket.
func (st *vipState) stopAnnounce() {
	st.stopBurst()
	if st.ann != nil {
		st.ann.Close()
		st.ann = nil
	}
}

// stopBurst ends st's announcement goroutine and waits for it.
func (st *vipState) stopBurst() {
	if st.cancel != nil {
		st.cancel()
		<-st.done
		st.cancel = nil
	}
}

// errGone ends a rechecked burst whose address was removed.
var errGone = errors.New("address no longer configured")

type checkedAnnouncer struct {
	announcer
	present func() bool
}

func (c *checkedAnnouncer) announce(op arp.Operation) error {
	if !c.present() {
		return errGone
	}
	return c.announcer.announce(op)
}

func (m *Manager) add(st *vipState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active[st.spec.IP.Addr] = st
}

func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// activeLabels are the labels of the addresses this Manager has started:
// heartbeat's IPaddr lock links, which keep two concurrent starts from
// choosing the same alias.
func (m *Manager) activeLabels() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, st := range m.active {
		out = append(out, st.addr.Label)
	}
	return out
}

// owned reports whether a, found on iface, counts as spec's address. For
// IPaddr only an alias does (heartbeat's find_interface looks at "*:*"
// interfaces only), so IPaddr never reports or removes an interface's
// primary address.
func owned(spec Spec, iface string, a netlink.Addr) bool {
	if spec.Agent != IPaddr {
		return true
	}
	return len(a.Label) > len(iface)+1 && a.Label[:len(iface)+1] == iface+":"
}
