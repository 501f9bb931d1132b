package vip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// resubscribeDelay is the pause before replacing a broken address
// subscription (e.g. ENOBUFS after an overflow).
const resubscribeDelay = time.Second

// Watch watches the namespace's addresses until ctx is done, and returns
// nil then. When an address this Manager started disappears without Stop
// (systemd-networkd or an admin's "ip addr flush", keepalived #836),
// Watch puts it back with the same prefix, label and broadcast, announces
// it with a fresh burst, logs it and reports an Event. An address removed
// more than maxRestores times within restoreWindow is given up with
// ErrFlapping instead. Watch only fails if the first subscription cannot
// be made; a broken one is replaced, and every started address is checked
// each time. Stop Watch (cancel ctx, wait for it) before Close.
func (m *Manager) Watch(ctx context.Context) error {
	for first := true; ; first = false {
		ch := make(chan netlink.AddrUpdate, 256)
		done := make(chan struct{})
		var closing atomic.Bool
		err := netlink.AddrSubscribeWithOptions(ch, done, netlink.AddrSubscribeOptions{
			Namespace:         &m.ns,
			ReceiveBufferSize: 1 << 20,
			ErrorCallback: func(err error) {
				// One "Receive failed" is normal once done is closed.
				if !closing.Load() {
					m.log.Warn("address watch: subscription error", "err", err)
				}
			},
		})
		if err != nil {
			close(done)
			if first {
				return fmt.Errorf("watch addresses: %w", err)
			}
			m.log.Error("address watch: cannot resubscribe", "err", err)
		} else {
			// Deletions before this subscription existed produced no
			// event for it.
			m.reconcile()
			stopped := m.consume(ctx, ch)
			closing.Store(true)
			close(done)
			for range ch { // let the library's reader exit
			}
			if stopped {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(resubscribeDelay):
		}
	}
}

// consume handles updates until ctx is done (true) or the subscription
// breaks (false).
func (m *Manager) consume(ctx context.Context, ch <-chan netlink.AddrUpdate) bool {
	for {
		select {
		case <-ctx.Done():
			return true
		case u, ok := <-ch:
			if !ok {
				return false
			}
			if u.NewAddr {
				continue
			}
			ip, _ := netip.AddrFromSlice(u.LinkAddress.IP)
			if st := m.lookup(ip.Unmap()); st != nil && st.t.Link.Attrs().Index == u.LinkIndex {
				m.restore(st)
			}
		}
	}
}

// reconcile restores every started address that is missing.
func (m *Manager) reconcile() {
	m.mu.Lock()
	all := make([]*vipState, 0, len(m.active))
	for _, st := range m.active {
		all = append(all, st)
	}
	m.mu.Unlock()
	for _, st := range all {
		m.restore(st)
	}
}

// restore puts st's address back if it is still started and really gone
// (the event may be old: a Stop and Start since then are not a removal),
// and reports it. OnEvent runs after m.op is released, so that it may
// call Stop.
func (m *Manager) restore(st *vipState) {
	ev, ok := m.restoreLocked(st)
	if ok && m.opts.OnEvent != nil {
		m.opts.OnEvent(ev)
	}
}

func (m *Manager) restoreLocked(st *vipState) (Event, bool) {
	m.op.Lock()
	defer m.op.Unlock()
	if m.lookup(st.spec.IP.Addr) != st {
		return Event{}, false
	}
	if present, err := m.present(st); err == nil && present {
		return Event{}, false
	}
	ev := Event{Spec: st.spec, Iface: st.t.ifname(), Label: st.addr.Label}
	if !st.flaps.allow(time.Now()) {
		// Given up: no longer ours to guard. Stop still removes it
		// should it come back.
		m.mu.Lock()
		delete(m.active, st.spec.IP.Addr)
		m.mu.Unlock()
		st.stopAnnounce()
		ev.Err = fmt.Errorf("%s: %w (%d times in %v)", st.spec, ErrFlapping, maxRestores, restoreWindow)
		m.log.Error("IP address keeps being removed by something else, giving up", "resource", st.spec.String(), "iface", ev.Iface)
		return ev, true
	}
	ev.Err = m.readd(st)
	return ev, true
}

// readd adds st's missing address again, with the same prefix, label and
// broadcast, and announces it. m.op must be held.
func (m *Manager) readd(st *vipState) error {
	ip := st.spec.IP.Addr
	iface := st.t.ifname()
	a := readdable(st.addr, ip.Is6())
	if err := m.h.AddrAdd(st.t.Link, &a); err != nil && !errors.Is(err, unix.EEXIST) {
		m.log.Error("IP address removed by something else, cannot restore it", "resource", st.spec.String(), "iface", iface, "err", err)
		return fmt.Errorf("%s: removed by something else, and putting it back on %s failed: %w", st.spec, iface, err)
	}
	if m.afterAdd != nil {
		m.afterAdd(ip)
	}
	st.stopBurst()
	m.startAnnounce(st)
	m.log.Warn("IP address removed by something else, restored and announced", "resource", st.spec.String(), "iface", iface, "label", st.addr.Label)
	return nil
}

// readdable is a, as found or added, reduced to what adding it again
// needs: kernel-set flags such as "secondary" or "permanent" are not for
// the caller to pass.
func readdable(a netlink.Addr, v6 bool) netlink.Addr {
	out := netlink.Addr{IPNet: a.IPNet, Label: a.Label, Broadcast: a.Broadcast}
	if v6 {
		out.Flags = unix.IFA_F_NODAD
	}
	return out
}

// present reports whether st's address is on its interface.
func (m *Manager) present(st *vipState) (bool, error) {
	ip := st.spec.IP.Addr
	as, err := m.addrs(st.t.Link.Attrs().Index, ip)
	if err != nil {
		return false, fmt.Errorf("%s: %w", st.spec, err)
	}
	return len(matching(as, ip)) > 0, nil
}
