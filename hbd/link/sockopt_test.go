package link

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// These tests only create unbound sockets and read their options back; they
// send nothing and need no privileges (SO_BINDTODEVICE on an unbound
// socket is unprivileged since Linux 5.7).

func newSock(t *testing.T) int {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func apply(t *testing.T, fd int, opts []sockopt) {
	t.Helper()
	for _, o := range opts {
		if err := o(fd); err != nil {
			if errors.Is(err, unix.EPERM) {
				t.Skipf("kernel refuses an option unprivileged: %v", err)
			}
			t.Fatal(err)
		}
	}
}

type opt struct {
	level, opt int
	name       string
}

func readInts(t *testing.T, fd int, opts []opt) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, o := range opts {
		v, err := unix.GetsockoptInt(fd, o.level, o.opt)
		if err != nil {
			t.Fatalf("getsockopt %s: %v", o.name, err)
		}
		out[o.name] = v
	}
	return out
}

func device(t *testing.T, fd int) string {
	t.Helper()
	s, err := unix.GetsockoptString(fd, unix.SOL_SOCKET, unix.SO_BINDTODEVICE)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var (
	oBroadcast = opt{unix.SOL_SOCKET, unix.SO_BROADCAST, "SO_BROADCAST"}
	oDontRoute = opt{unix.SOL_SOCKET, unix.SO_DONTROUTE, "SO_DONTROUTE"}
	oReuseAddr = opt{unix.SOL_SOCKET, unix.SO_REUSEADDR, "SO_REUSEADDR"}
	oReusePort = opt{unix.SOL_SOCKET, unix.SO_REUSEPORT, "SO_REUSEPORT"}
	oTOS       = opt{unix.IPPROTO_IP, unix.IP_TOS, "IP_TOS"}
	oMcAll     = opt{unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, "IP_MULTICAST_ALL"}
	oMcLoop    = opt{unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, "IP_MULTICAST_LOOP"}
	oMcTTL     = opt{unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, "IP_MULTICAST_TTL"}
	oPktInfo   = opt{unix.IPPROTO_IP, unix.IP_PKTINFO, "IP_PKTINFO"}
)

func TestBcastSendOpts(t *testing.T) {
	fd := newSock(t)
	apply(t, fd, bcastSendOpts("lo"))
	want := map[string]int{"SO_BROADCAST": 1, "SO_DONTROUTE": 1, "SO_REUSEPORT": 0}
	if diff := cmp.Diff(want, readInts(t, fd, []opt{oBroadcast, oDontRoute, oReusePort})); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if got := device(t, fd); got != "lo" {
		t.Errorf("SO_BINDTODEVICE = %q, want lo", got)
	}
}

func TestUcastSendOpts(t *testing.T) {
	fd := newSock(t)
	apply(t, fd, ucastSendOpts("lo"))
	want := map[string]int{"IP_TOS": 0x10, "SO_REUSEPORT": 1, "SO_BROADCAST": 0}
	if diff := cmp.Diff(want, readInts(t, fd, []opt{oTOS, oReusePort, oBroadcast})); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	if got := device(t, fd); got != "lo" {
		t.Errorf("SO_BINDTODEVICE = %q, want lo", got)
	}
}

func TestMcastSendOpts(t *testing.T) {
	fd := newSock(t)
	lo := netip.MustParseAddr("127.0.0.1")
	apply(t, fd, mcastSendOpts(1, lo, 3, true))
	want := map[string]int{"IP_MULTICAST_LOOP": 1, "IP_MULTICAST_TTL": 3}
	if diff := cmp.Diff(want, readInts(t, fd, []opt{oMcLoop, oMcTTL})); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
	// getsockopt(IP_MULTICAST_IF) returns the address part of the mreqn.
	a, err := unix.GetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF)
	if err != nil {
		t.Fatal(err)
	}
	if got := netip.AddrFrom4(a); got != lo {
		t.Errorf("IP_MULTICAST_IF = %v, want %v", got, lo)
	}
	if got := device(t, fd); got != "" {
		t.Errorf("mcast send socket bound to device %q; mcast.c does not bind it", got)
	}

	fd = newSock(t)
	apply(t, fd, mcastSendOpts(1, lo, 0, false))
	want = map[string]int{"IP_MULTICAST_LOOP": 0, "IP_MULTICAST_TTL": 0}
	if diff := cmp.Diff(want, readInts(t, fd, []opt{oMcLoop, oMcTTL})); diff != "" {
		t.Errorf("loop 0 ttl 0 options (-want +got):\n%s", diff)
	}
}

func TestUDPRecvOpts(t *testing.T) {
	for _, reuse := range []bool{false, true} {
		fd := newSock(t)
		apply(t, fd, udpRecvOpts("lo", reuse))
		rp := 0
		if reuse {
			rp = 1
		}
		want := map[string]int{"SO_REUSEADDR": 1, "SO_REUSEPORT": rp, "IP_MULTICAST_ALL": 0}
		if diff := cmp.Diff(want, readInts(t, fd, []opt{oReuseAddr, oReusePort, oMcAll})); diff != "" {
			t.Errorf("reusePort=%v options (-want +got):\n%s", reuse, diff)
		}
		if got := device(t, fd); got != "lo" {
			t.Errorf("SO_BINDTODEVICE = %q, want lo", got)
		}
	}
}

func TestMcastRecvOpts(t *testing.T) {
	fd := newSock(t)
	apply(t, fd, mcastRecvOpts())
	want := map[string]int{"SO_REUSEADDR": 1, "IP_MULTICAST_ALL": 0, "IP_PKTINFO": 1}
	if diff := cmp.Diff(want, readInts(t, fd, []opt{oReuseAddr, oMcAll, oPktInfo})); diff != "" {
		t.Errorf("options (-want +got):\n%s", diff)
	}
}

func TestBindToDeviceMissing(t *testing.T) {
	fd := newSock(t)
	if err := bindToDevice("nonexistent0")(fd); err == nil {
		t.Error("SO_BINDTODEVICE to a missing interface succeeded")
	}
}

// TestLookupIface reads the loopback interface with heartbeat's ioctls.
func TestLookupIface(t *testing.T) {
	info, err := lookupIface("lo")
	if err != nil {
		t.Fatal(err)
	}
	if !info.exists || info.index == 0 || !info.up || info.addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("lookupIface(lo) = %+v", info)
	}
	if info.brd.IsValid() {
		t.Errorf("lo has broadcast address %v", info.brd)
	}
	if err := info.ready(Bcast); err != errNoBroadcast {
		t.Errorf("lo ready for bcast: %v, want %v", err, errNoBroadcast)
	}
	if err := info.ready(Mcast); err != nil {
		t.Errorf("lo ready for mcast: %v", err)
	}
	info, err = lookupIface("nonexistent0")
	if err != nil || info.exists {
		t.Errorf("lookupIface(nonexistent0) = %+v, %v; want not existing, no error", info, err)
	}
	if err := info.ready(Ucast); err != errNoIface {
		t.Errorf("missing iface ready: %v, want %v", err, errNoIface)
	}
}
