package vip

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Stop ends the announcements of spec's address and removes it. Only the
// address is removed, nothing else on its interface or label. An address
// that is not there is success, as for heartbeat's IPaddr ("Requested
// interface not in use").
//
// Without a record of having started it (another process, or the address
// was there before), Stop looks for it as heartbeat's find_interface does:
// on spec's interface if it names one, else on any interface; for IPaddr
// only an alias (IFACE:N) counts.
func (m *Manager) Stop(ctx context.Context, spec Spec) error {
	if err := spec.check(); err != nil {
		return err
	}
	m.op.Lock()
	defer m.op.Unlock()
	if m.isClosed() {
		return errClosed
	}
	m.mu.Lock()
	st := m.active[spec.IP.Addr]
	delete(m.active, spec.IP.Addr)
	m.mu.Unlock()
	// First silence it: a GARP after the address left would pull the
	// traffic back from the node that takes it over.
	if st != nil {
		st.stopAnnounce()
	}
	found, err := m.find(spec, st)
	if err != nil {
		return err
	}
	for _, a := range found {
		link := &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: a.LinkIndex}}
		if err := m.h.AddrDel(link, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("%s: remove %s from %s: %w", spec, a.IPNet, m.ifname(a.LinkIndex), err)
		}
		m.log.Info("IP address removed", "resource", spec.String(), "iface", m.ifname(a.LinkIndex), "label", a.Label)
	}
	return nil
}

// Status reports whether spec's address is configured, where Stop would
// look for it.
func (m *Manager) Status(spec Spec) (bool, error) {
	if err := spec.check(); err != nil {
		return false, err
	}
	found, err := m.find(spec, m.lookup(spec.IP.Addr))
	return len(found) > 0, err
}

// find returns spec's address wherever it is configured: on the
// interface it was started on (st), on the one spec names, or anywhere.
func (m *Manager) find(spec Spec, st *vipState) ([]netlink.Addr, error) {
	linkIndex := 0
	switch {
	case st != nil:
		linkIndex = st.t.Link.Attrs().Index
	case spec.IP.Iface != "":
		l, err := m.h.LinkByName(spec.IP.Iface)
		if _, ok := errors.AsType[netlink.LinkNotFoundError](err); ok {
			return nil, nil // no interface, no address
		}
		if err != nil {
			return nil, fmt.Errorf("%s: interface %s: %w", spec, spec.IP.Iface, err)
		}
		linkIndex = l.Attrs().Index
	}
	as, err := m.addrs(linkIndex, spec.IP.Addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec, err)
	}
	var out []netlink.Addr
	for _, a := range matching(as, spec.IP.Addr) {
		if owned(spec, m.ifname(a.LinkIndex), a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// addrs lists the addresses of vip's family on the interface linkIndex, or
// on every interface for 0.
func (m *Manager) addrs(linkIndex int, vip netip.Addr) ([]netlink.Addr, error) {
	family := netlink.FAMILY_V4
	if vip.Is6() {
		family = netlink.FAMILY_V6
	}
	var link netlink.Link
	if linkIndex > 0 {
		link = &netlink.Device{LinkAttrs: netlink.LinkAttrs{Index: linkIndex}}
	}
	var as []netlink.Addr
	err := retryDump(func() (err error) {
		as, err = m.h.AddrList(link, family)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list addresses: %w", err)
	}
	return as, nil
}

func matching(as []netlink.Addr, vip netip.Addr) []netlink.Addr {
	var out []netlink.Addr
	for _, a := range as {
		if addrOf(a.IP) == vip {
			out = append(out, a)
		}
	}
	return out
}

// ifname names interface index, for messages and the alias check; "#N"
// if it is gone.
func (m *Manager) ifname(index int) string {
	l, err := m.h.LinkByIndex(index)
	if err != nil {
		return fmt.Sprintf("#%d", index)
	}
	return l.Attrs().Name
}
