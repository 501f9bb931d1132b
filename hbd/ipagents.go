package hbd

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/rsc"
	"github.com/hbd-project/hbd/hbd/vip"
)

// The IP agents are built in rather than scripts: the address is added
// through netlink and the first gratuitous ARP leaves within a millisecond,
// from one process that owns the announcement schedule.

// ipAgent serves IPaddr, IPaddr2 and IPv6addr resources.
type ipAgent struct{ m *vip.Manager }

func (a ipAgent) Validate(r haresources.Resource) error {
	_, err := vip.SpecOf(r)
	return err
}

func (a ipAgent) Start(ctx context.Context, r haresources.Resource, _ *slog.Logger) error {
	s, err := vip.SpecOf(r)
	if err != nil {
		return err
	}
	return a.m.Start(ctx, s)
}

func (a ipAgent) Stop(ctx context.Context, r haresources.Resource, _ *slog.Logger) error {
	s, err := vip.SpecOf(r)
	if err != nil {
		return err
	}
	return a.m.Stop(ctx, s)
}

func (a ipAgent) Status(_ context.Context, r haresources.Resource, _ *slog.Logger) (rsc.State, error) {
	s, err := vip.SpecOf(r)
	if err != nil {
		return rsc.Unknown, err
	}
	up, err := a.m.Status(s)
	switch {
	case err != nil:
		return rsc.Unknown, err
	case up:
		return rsc.Running, nil
	}
	return rsc.Stopped, nil
}

// sendArpAgent serves SendArp::ip/nic: it announces an address configured
// by other means. Like heartbeat's agent it is "running" from start to
// stop, whether or not the burst is still on the wire.
type sendArpAgent struct {
	m       *vip.Manager
	mu      sync.Mutex
	started map[netip.Addr]bool
}

func (a *sendArpAgent) arg(r haresources.Resource) (netip.Addr, string, error) {
	if len(r.Args) != 1 {
		return netip.Addr{}, "", errors.New(r.Token + ": SendArp takes one argument, ip/nic")
	}
	return vip.ParseSendArpArg(r.Args[0])
}

func (a *sendArpAgent) Validate(r haresources.Resource) error {
	_, _, err := a.arg(r)
	return err
}

func (a *sendArpAgent) Start(ctx context.Context, r haresources.Resource, _ *slog.Logger) error {
	ip, nic, err := a.arg(r)
	if err != nil {
		return err
	}
	if err := a.m.SendArp(ctx, ip, nic); err != nil {
		return err
	}
	a.mu.Lock()
	a.started[ip] = true
	a.mu.Unlock()
	return nil
}

func (a *sendArpAgent) Stop(_ context.Context, r haresources.Resource, _ *slog.Logger) error {
	ip, _, err := a.arg(r)
	if err != nil {
		return err
	}
	a.m.StopSendArp(ip)
	a.mu.Lock()
	delete(a.started, ip)
	a.mu.Unlock()
	return nil
}

func (a *sendArpAgent) Status(_ context.Context, r haresources.Resource, _ *slog.Logger) (rsc.State, error) {
	ip, _, err := a.arg(r)
	if err != nil {
		return rsc.Unknown, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started[ip] {
		return rsc.Running, nil
	}
	return rsc.Stopped, nil
}

// registerIPAgents puts the built-in IP agents into reg.
func registerIPAgents(reg *rsc.Registry, m *vip.Manager) error {
	ip := ipAgent{m: m}
	for _, name := range []string{vip.IPaddr, vip.IPaddr2, vip.IPv6addr} {
		if err := reg.Register(name, ip); err != nil {
			return err
		}
	}
	return reg.Register(vip.SendArp, &sendArpAgent{m: m, started: map[netip.Addr]bool{}})
}
