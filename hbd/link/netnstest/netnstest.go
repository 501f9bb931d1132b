// Package netnstest creates throwaway network namespaces for root tests of
// the link and pingnode packages. Every namespace gets a unique "lk" name,
// is deleted by t.Cleanup (also when the test fails), and code is run in it
// on a dedicated, locked OS thread after checking that the thread really
// left the test process's own namespace. Only use addresses from
// 198.18.0.0/15 (RFC 2544 benchmarking) in these namespaces.
package netnstest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Prefix starts every namespace name this package creates.
const Prefix = "lk"

// NS is one test network namespace.
type NS struct {
	Name   string
	handle netns.NsHandle
}

// Root skips the test unless it runs as root with the ip tool available.
func Root(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and veth pairs")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2's ip:", err)
	}
}

// New creates a namespace named lk<random>-<suffix> with lo up, deleted on
// cleanup.
func New(t testing.TB, suffix string) *NS {
	t.Helper()
	var b [4]byte
	rand.Read(b[:])
	name := Prefix + hex.EncodeToString(b[:]) + "-" + suffix
	run(t, "ip", "netns", "add", name)
	ns := &NS{Name: name}
	t.Cleanup(func() {
		if ns.handle.IsOpen() {
			ns.handle.Close()
		}
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	ns.handle = h
	ns.IP(t, "link", "set", "lo", "up")
	return ns
}

// IP runs "ip -n NS args…" and returns its output.
func (ns *NS) IP(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, "ip", append([]string{"-n", ns.Name}, args...)...)
}

// Veth creates a veth pair aIf (in a) -- bIf (in b), addresses them with
// brd + and sets both ends up.
func Veth(t testing.TB, a *NS, aIf, aAddr string, b *NS, bIf, bAddr string) {
	t.Helper()
	a.IP(t, "link", "add", aIf, "type", "veth", "peer", "name", bIf, "netns", b.Name)
	for _, e := range []struct {
		ns       *NS
		ifn, adr string
	}{{a, aIf, aAddr}, {b, bIf, bAddr}} {
		if e.adr != "" {
			e.ns.IP(t, "addr", "add", e.adr, "brd", "+", "dev", e.ifn)
		}
		e.ns.IP(t, "link", "set", e.ifn, "up")
	}
	a.waitOperUp(t, aIf)
	b.waitOperUp(t, bIf)
}

// waitOperUp waits until the interface's operstate is UP. Until linkwatch
// has run, the device still has the noop qdisc and silently drops what is
// sent (broadcasts and multicasts are lost; unicast waits in ARP).
func (ns *NS) waitOperUp(t testing.TB, ifname string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if strings.Contains(ns.IP(t, "-o", "link", "show", "dev", ifname), " state UP ") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s in %s: operstate not UP after 5s: %s", ifname, ns.Name, ns.IP(t, "-o", "link", "show", "dev", ifname))
}

// Do runs fn on a new goroutine locked to an OS thread inside ns, waits for
// it and fails the test if fn returns an error (fn must not call t.Fatal).
// Sockets fn creates stay in ns. Before fn runs, Do checks that the thread's
// namespace is ns and not the process's own.
func (ns *NS) Do(t testing.TB, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("get netns: %w", err)
			return // thread stays locked and is discarded
		}
		defer orig.Close()
		if err := netns.Set(ns.handle); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name, err)
			return
		}
		if err := ns.assertInside(); err != nil {
			errc <- err
			return
		}
		ferr := fn()
		// Restore, and give the thread back only if that worked;
		// otherwise the runtime discards it with the goroutine.
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// procNS is the inode of the namespace the test process started in, read
// before any thread could have been moved. (Reading /proc/PID/ns/net later
// is wrong: a locked goroutine may run on the main thread and move it.)
var procNS, procNSErr = inode("/proc/thread-self/ns/net")

// assertInside checks the calling thread is in ns and not in the process's
// own namespace.
func (ns *NS) assertInside() error {
	cur, err := inode(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
	if err != nil {
		return err
	}
	if procNSErr != nil {
		return procNSErr
	}
	proc := procNS
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.handle), &st); err != nil {
		return fmt.Errorf("fstat netns %s: %w", ns.Name, err)
	}
	if cur == proc || cur != st.Ino {
		return fmt.Errorf("thread netns inode %d, want %d (%s); process netns %d: refusing to run outside the test namespace", cur, st.Ino, ns.Name, proc)
	}
	return nil
}

func inode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Ino, nil
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}
