package vip

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/hbd-project/hbd/hbd/link/netnstest"
	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// The root tests run in two throwaway namespaces joined by a veth pair:
// "node" (a0, 198.18.7.1/24) where the Manager works, and "obs" (b0,
// 198.18.7.2/24) where a packet socket records everything the node sends.
// Only 198.18.0.0/15 (RFC 2544) and, for IPv6, 2001:2::/48 (RFC 5180, its
// IPv6 counterpart) are used.
const (
	nodeIf   = "a0"
	obsIf    = "b0"
	nodeAddr = "198.18.7.1/24"
	obsAddr  = "198.18.7.2/24"
)

type lab struct {
	node, obs *netnstest.NS
	mac       net.HardwareAddr // a0's
	sniff     *sniffer
}

func newLab(t *testing.T) *lab {
	t.Helper()
	netnstest.Root(t)
	l := &lab{node: netnstest.New(t, "vp-node"), obs: netnstest.New(t, "vp-obs")}
	netnstest.Veth(t, l.node, nodeIf, nodeAddr, l.obs, obsIf, obsAddr)
	l.node.Do(t, func() error {
		ifi, err := net.InterfaceByName(nodeIf)
		if err != nil {
			return err
		}
		l.mac = ifi.HardwareAddr
		return nil
	})
	l.sniff = startSniffer(t, l.obs, obsIf)
	return l
}

// nsPath is where "ip netns" keeps the namespace.
func nsPath(ns *netnstest.NS) string { return filepath.Join("/run/netns", ns.Name) }

// rootNS is the inode of the namespace the test process started in, read
// at init, before any thread could have been moved.
var rootNS, rootNSErr = nsInode("/proc/thread-self/ns/net")

func nsInode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Ino, nil
}

// addTimes records when the kernel acknowledged each address (the
// Manager's afterAdd hook), as wall-clock times: the sniffer's kernel
// timestamps have no monotonic reading to compare with.
type addTimes struct {
	mu sync.Mutex
	at map[netip.Addr][]time.Time
}

func (a *addTimes) record(ip netip.Addr) {
	now := time.Now().Round(0)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.at[ip] = append(a.at[ip], now)
}

func (a *addTimes) get(ip netip.Addr) []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.at[ip]...)
}

// newManager returns a Manager acting in the lab's node namespace, whose
// socket-opening threads are checked to be in that namespace and not in
// the test process's own, and whose address adds are timed.
func (l *lab) newManager(t *testing.T, opts Options) (*Manager, *addTimes) {
	t.Helper()
	opts.NetnsPath = nsPath(l.node)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	want, err := nsInode(opts.NetnsPath)
	if err != nil {
		t.Fatal(err)
	}
	m.threadCheck = func() error {
		cur, err := nsInode(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		switch {
		case err != nil:
			return err
		case rootNSErr != nil:
			return rootNSErr
		case cur == rootNS || cur != want:
			return fmt.Errorf("socket thread in netns inode %d, want %d (%s), process netns %d: refusing to send", cur, want, l.node.Name, rootNS)
		}
		return nil
	}
	times := &addTimes{at: map[netip.Addr][]time.Time{}}
	m.afterAdd = times.record
	return m, times
}

// confDir writes arp_config files (name → content) into a new directory.
func confDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, s := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// addrLine returns the "ip -o addr" line of ip in the node namespace, or "".
func (l *lab) addrLine(t *testing.T, ip string) string {
	t.Helper()
	for line := range strings.Lines(l.node.IP(t, "-o", "addr", "show", "dev", nodeIf)) {
		if strings.Contains(line, " "+ip+"/") {
			return strings.Join(strings.Fields(line)[1:], " ")
		}
	}
	return ""
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// frame is one captured frame and when the kernel received it.
type frame struct {
	At  time.Time
	Raw []byte
}

// sniffer records every frame arriving on the observer's interface, with
// the kernel's receive timestamp (SO_TIMESTAMPNS): read times would add
// the sniffer goroutine's scheduling delays, tens of milliseconds on a
// loaded 2-core machine.
type sniffer struct {
	mu      sync.Mutex
	frames  []frame
	conn    *packet.Conn
	closing atomic.Bool
	done    chan struct{}
}

func startSniffer(t *testing.T, ns *netnstest.NS, ifname string) *sniffer {
	t.Helper()
	s := &sniffer{done: make(chan struct{})}
	ns.Do(t, func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		s.conn, err = packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
		return err
	})
	rc, err := s.conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		t.Fatalf("SO_TIMESTAMPNS: %v %v", err, serr)
	}
	go func() {
		defer close(s.done)
		buf := make([]byte, 2048)
		oob := make([]byte, 128)
		for {
			var n, oobn int
			var rerr error
			err := rc.Read(func(fd uintptr) bool {
				n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_DONTWAIT)
				return rerr != unix.EAGAIN
			})
			if err == nil {
				err = rerr
			}
			if err != nil {
				if !s.closing.Load() {
					t.Errorf("sniffer: %v", err)
				}
				return
			}
			at, err := rxTime(oob[:oobn])
			if err != nil {
				t.Errorf("sniffer: %v", err)
				return
			}
			s.mu.Lock()
			s.frames = append(s.frames, frame{At: at, Raw: append([]byte(nil), buf[:n]...)})
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		s.closing.Store(true)
		s.conn.Close()
		<-s.done
	})
	return s
}

// rxTime extracts the SCM_TIMESTAMPNS receive time.
func rxTime(oob []byte) (time.Time, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse control messages: %w", err)
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return time.Unix(ts.Unix()), nil
		}
	}
	return time.Time{}, fmt.Errorf("no receive timestamp")
}

// garps returns the gratuitous ARPs for vip captured so far.
func (s *sniffer) garps(vip netip.Addr) []garpFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []garpFrame
	for _, f := range s.frames {
		if g, ok := decodeGARP(f.At, f.Raw); ok && g.SPA == vip && g.TPA == vip {
			out = append(out, g)
		}
	}
	return out
}

// waitGARPs waits until n gratuitous ARPs for vip were captured.
func (s *sniffer) waitGARPs(t *testing.T, vip netip.Addr, n int, timeout time.Duration) []garpFrame {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		g := s.garps(vip)
		if len(g) >= n || time.Now().After(deadline) {
			return g
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// naFrame is a captured unsolicited Neighbor Advertisement.
type naFrame struct {
	At                          time.Time
	EthDst, EthSrc              string
	Src, Dst, Target            netip.Addr
	HopLimit                    uint8
	Router, Solicited, Override bool
	TLLA                        string
}

// nas returns the Neighbor Advertisements for target captured so far.
func (s *sniffer) nas(target netip.Addr) []naFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []naFrame
	for _, f := range s.frames {
		p := gopacket.NewPacket(f.Raw, layers.LayerTypeEthernet, gopacket.Default)
		eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
		ip6, _ := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		na, _ := p.Layer(layers.LayerTypeICMPv6NeighborAdvertisement).(*layers.ICMPv6NeighborAdvertisement)
		if eth == nil || ip6 == nil || na == nil {
			continue
		}
		tgt, _ := netip.AddrFromSlice(na.TargetAddress)
		if tgt != target {
			continue
		}
		src, _ := netip.AddrFromSlice(ip6.SrcIP)
		dst, _ := netip.AddrFromSlice(ip6.DstIP)
		nf := naFrame{At: f.At, EthDst: eth.DstMAC.String(), EthSrc: eth.SrcMAC.String(),
			Src: src, Dst: dst, Target: tgt, HopLimit: ip6.HopLimit,
			Router: na.Router(), Solicited: na.Solicited(), Override: na.Override()}
		for _, o := range na.Options {
			if o.Type == layers.ICMPv6OptTargetAddress {
				nf.TLLA = net.HardwareAddr(o.Data).String()
			}
		}
		out = append(out, nf)
	}
	return out
}

// gaps returns the times between consecutive instants.
func gaps(at []time.Time) []time.Duration {
	var out []time.Duration
	for i := 1; i < len(at); i++ {
		out = append(out, at[i].Sub(at[i-1]))
	}
	return out
}

// checkSpacing fails unless packets are every apart, within tol: no gap
// shorter (packets never leave early or in a rush) and the shortest gap
// no longer. Longer gaps are not errors: on the shared 2-core test
// machine, under -race and a load average above 10, the sending goroutine
// often wakes up tens of milliseconds late (the schedule then keeps the
// spacing of the rest, see maxLate). A wrong interval still fails, as
// every gap, the shortest included, is then off. The exact schedule is
// tested without a network in burst_test.go.
func checkSpacing(t *testing.T, what string, at []time.Time, every, tol time.Duration) {
	t.Helper()
	g := gaps(at)
	if len(g) == 0 {
		t.Errorf("%s: %d packets, no spacing to check", what, len(at))
		return
	}
	sorted := slices.Sorted(slices.Values(g))
	shortest, median, longest := sorted[0], sorted[len(sorted)/2], sorted[len(sorted)-1]
	t.Logf("%s: %d packets, gaps %v–%v, median %v (nominal %v), total %v",
		what, len(at), shortest, longest, median, every, at[len(at)-1].Sub(at[0]))
	if shortest < every-tol || shortest > every+tol {
		t.Errorf("%s: shortest gap %v, want %v ± %v (all gaps: %v)", what, shortest, every, tol, g)
	}
	var late []string
	for i, d := range g {
		if d > every+tol {
			late = append(late, fmt.Sprintf("%d→%d: %v", i, i+1, d))
		}
	}
	if len(late) > 0 {
		t.Logf("%s: late wake-ups: %s", what, strings.Join(late, ", "))
	}
}
