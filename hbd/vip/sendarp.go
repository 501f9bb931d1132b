package vip

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/hbd-project/hbd/haresources"
)

// SendArp announces ip on iface without adding it, as heartbeat's SendArp
// agent does for an address configured by other means: SendArp's
// defaults (200 ms, 5 repeats), arp_config overrides, in the background
// unless ARP_BACKGROUND=no. A burst still running for ip is replaced.
func (m *Manager) SendArp(ctx context.Context, ip netip.Addr, iface string) error {
	if !ip.Is4() {
		return fmt.Errorf("SendArp: %s is not IPv4", ip)
	}
	m.op.Lock()
	defer m.op.Unlock()
	if m.isClosed() {
		return errClosed
	}
	spec := Spec{Agent: SendArp, IP: haresources.IPSpec{Addr: ip, Bits: 32, Iface: iface}}
	link, err := m.h.LinkByName(iface)
	if err != nil {
		return fmt.Errorf("%s: interface %s: %w", spec, iface, err)
	}
	cfg, err := LoadARPConfig(m.opts.ConfDir, iface, DefaultARPConfig(SendArp))
	if err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	m.stopSendArp(ip)
	st := &vipState{spec: spec, t: target{Link: link, Prefix: netip.PrefixFrom(ip, 32)}, cfg: cfg}
	if st.ann, err = m.openAnnouncer(st.t, ip, false); err != nil {
		return fmt.Errorf("%s: %w", spec, err)
	}
	m.startAnnounce(st)
	m.mu.Lock()
	m.sendarp[ip] = st
	m.mu.Unlock()
	m.log.Info("sending gratuitous ARPs", "resource", "SendArp::"+ip.String()+"/"+iface, "arp_interval", cfg.Interval, "arp_repeat", cfg.Repeat)
	if !cfg.Background && st.burstDone != nil {
		select {
		case <-st.burstDone:
		case <-ctx.Done():
		}
	}
	return nil
}

// StopSendArp ends a SendArp burst (heartbeat's SendArp stop kills its
// send_arp). It is not an error if none runs.
func (m *Manager) StopSendArp(ip netip.Addr) {
	m.op.Lock()
	defer m.op.Unlock()
	m.stopSendArp(ip)
}

func (m *Manager) stopSendArp(ip netip.Addr) {
	m.mu.Lock()
	st := m.sendarp[ip]
	delete(m.sendarp, ip)
	m.mu.Unlock()
	if st != nil {
		st.stopAnnounce()
	}
}
