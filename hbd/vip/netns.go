package vip

import (
	"fmt"
	"runtime"

	"github.com/vishvananda/netns"
)

// inNS runs fn on a thread inside the Manager's namespace. Packet and
// ICMPv6 sockets are bound to the namespace of the thread that creates
// them, and ndp.Listen looks up the interface's addresses there too; a
// socket opened on some other thread would send on whatever interface has
// the same index in that thread's namespace.
//
// fn runs on a fresh goroutine locked to its thread. If the thread cannot
// be moved back, it stays locked and the runtime discards it with the
// goroutine, so no other goroutine ever runs in the wrong namespace.
func (m *Manager) inNS(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("get thread network namespace: %w", err)
			return
		}
		defer orig.Close()
		moved := !orig.Equal(m.ns)
		if moved {
			if err := netns.Set(m.ns); err != nil {
				errc <- fmt.Errorf("enter network namespace %s: %w", m.ns, err)
				return
			}
			if err := m.checkThread(); err != nil {
				errc <- err
				return
			}
		}
		if m.threadCheck != nil {
			if err := m.threadCheck(); err != nil {
				errc <- err
				return
			}
		}
		ferr := fn()
		if !moved || netns.Set(orig) == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// checkThread verifies that setns really moved the calling thread.
func (m *Manager) checkThread() error {
	cur, err := netns.Get()
	if err != nil {
		return fmt.Errorf("get thread network namespace: %w", err)
	}
	defer cur.Close()
	if !cur.Equal(m.ns) {
		return fmt.Errorf("thread is in network namespace %s, not %s, after setns", cur, m.ns)
	}
	return nil
}
