package link

import (
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/vishvananda/netns"
)

// watch checks the interfaces every CheckInterval (and right after a send
// error) and reopens what an interface change broke. heartbeat gets the
// same effect by letting a failing write child exit and restarting the
// medium ("Communications restart"); here the daemon keeps running and the
// medium reports down and up through OnEvent.
func (t *Net) watch() {
	// Interface lookups and reopened sockets must happen in the namespace
	// Open ran in, not in whatever namespace this thread is in. A thread
	// that was moved is never unlocked, so the runtime discards it.
	runtime.LockOSThread()
	cur, err := netns.Get()
	if err != nil {
		t.log.Error("interface checker: get network namespace", "err", err)
		return
	}
	if !cur.Equal(t.ns) {
		if err := netns.Set(t.ns); err != nil {
			cur.Close()
			t.log.Error("interface checker: enter network namespace", "err", err)
			return
		}
	} else {
		defer runtime.UnlockOSThread()
	}
	cur.Close()

	tick := time.NewTicker(t.opts.CheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.done:
			return
		case <-tick.C:
		case <-t.nudge:
		}
		t.check()
	}
}

// check compares every interface with its last known state and brings the
// media on it down or back up.
func (t *Net) check() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed() {
		return
	}
	for _, name := range t.ifaces {
		info, err := lookupIface(name)
		if err != nil {
			t.log.Error("interface check failed", "iface", name, "err", err)
			continue
		}
		prev := t.ifState[name]
		t.ifState[name] = info
		moved := info.exists && (!prev.exists || prev.index != info.index)
		t.checkRecv(name, info, moved)
		for _, m := range t.media {
			if m.spec.Iface == name {
				t.checkMedium(m, prev, info, moved)
			}
		}
	}
}

// checkRecv reopens receive sockets bound to an interface that was
// recreated (SO_BINDTODEVICE holds the old index) and rejoins groups.
func (t *Net) checkRecv(name string, info ifaceInfo, moved bool) {
	if !moved {
		return
	}
	for _, rs := range t.recvs {
		var err error
		switch {
		case rs.key.kind != Mcast && rs.key.iface == name:
			err = rs.open(t.ifState)
		case rs.key.kind == Mcast && slices.Contains(rs.ifaces, name):
			err = rs.rejoin(name, info)
		default:
			continue
		}
		if err != nil {
			t.log.Error("cannot reopen receive socket", "socket", rs.String(), "err", err)
			continue
		}
		t.log.Info("receive socket reopened", "socket", rs.String(), "iface", name)
	}
}

// checkMedium reports the medium down while its interface is not usable and
// reopens its send socket when the interface becomes usable again.
func (t *Net) checkMedium(m *udpMedium, prev, info ifaceInfo, moved bool) {
	why := info.ready(m.spec.Kind)
	if why != nil {
		m.setState(fmt.Errorf("%w: %w", ErrNotReady, why))
		return
	}
	wasReady := prev.ready(m.spec.Kind) == nil
	if wasReady && !moved && m.conn.Load() != nil {
		m.refresh(info)
		return
	}
	if err := m.open(info); err != nil {
		m.setState(fmt.Errorf("reopen send socket: %w", err))
		return
	}
	t.log.Info("medium reopened", "medium", m.spec.String(), "dest", m.dest())
	m.setState(nil)
}
