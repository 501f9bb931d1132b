package tests

import (
	"errors"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/hbd-project/hbd/authkeys"
	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/hbd-project/hbd/hbd/wire"
	"github.com/hbd-project/hbd/hbd/wire/wirepcap"
	"github.com/hbd-project/hbd/tests/lab"
)

const mbPort = 694

// mbUDPIn opens a UDP socket inside the lab namespace ns, bound to laddr. A
// socket belongs to the network namespace it was created in, so it can be
// used from any goroutine afterwards. The namespace switch happens on a
// locked OS thread of its own; the thread is released only once it is back
// in the test's namespace, otherwise Go discards it with the goroutine.
func mbUDPIn(ns string, laddr netip.AddrPort) (*net.UDPConn, error) {
	if err := lab.CheckNotRootNetns(ns); err != nil {
		return nil, err
	}
	type result struct {
		c   *net.UDPConn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		c, err := func() (*net.UDPConn, error) {
			home, err := netns.Get()
			if err != nil {
				return nil, err
			}
			defer home.Close()
			target, err := netns.GetFromPath(filepath.Join("/run/netns", ns))
			if err != nil {
				return nil, err
			}
			defer target.Close()
			if err := netns.Set(target); err != nil {
				return nil, fmt.Errorf("enter netns %s: %w", ns, err)
			}
			defer func() {
				if netns.Set(home) == nil {
					runtime.UnlockOSThread()
				}
			}()
			// Check where the thread really is before making the socket:
			// the target's inode, and neither the test's nor the host's.
			cur, err := netns.Get()
			if err != nil {
				return nil, err
			}
			defer cur.Close()
			if !cur.Equal(target) || cur.Equal(home) {
				return nil, fmt.Errorf("thread is in netns %s, want %s (%s)", cur.UniqueId(), ns, target.UniqueId())
			}
			if root, err := netns.GetFromPath("/proc/1/ns/net"); err == nil {
				defer root.Close()
				if cur.Equal(root) {
					return nil, errors.New("thread is in the host's network namespace")
				}
			}
			// Binding to the lab address also fails anywhere but there.
			return net.ListenUDP("udp4", net.UDPAddrFromAddrPort(laddr))
		}()
		ch <- result{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

// mbWatched are the counters an injection may move: every drop reason and
// every sign of trouble with a peer.
func mbWatched(st *ctl.Status) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range st.Counters {
		// drop_not_for_us rises on its own: like heartbeat, the peer ACKs
		// its own messages (NS_ackmsg dest=itself, every tenth seq) and
		// over ucast those copies reach us, addressed to someone else; it
		// says nothing about the injected packets.
		if strings.HasPrefix(k, "drop_") && k != "drop_not_for_us" {
			out[k] = v
		}
	}
	for _, k := range []string{"autojoined", "node_deaths", "late_heartbeats", "peer_restarts", "healed_partitions"} {
		out[k] = st.Counters[k]
	}
	return out
}

// mbDelta is after - before for every key of before.
func mbDelta(before, after map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range before {
		out[k] = after[k] - v
	}
	return out
}

// mbPacket is a heartbeat packet from a capture, raw and decoded.
type mbPacket struct {
	at  time.Time
	raw []byte
	p   *wire.Packet
}

// mbPacketsFrom returns the decoded heartbeat packets src sent to or from
// one of ports, in capture order.
func mbPacketsFrom(path string, src netip.Addr, ports ...uint16) ([]mbPacket, error) {
	dgs, err := wirepcap.Read(path, ports)
	if err != nil {
		return nil, err
	}
	var out []mbPacket
	for _, d := range dgs {
		if d.Src.Addr() != src || d.Truncated {
			continue
		}
		p, err := wire.Decode(d.Payload)
		if err != nil {
			return nil, fmt.Errorf("record %d from %s: %w", d.Record, src, err)
		}
		out = append(out, mbPacket{d.Time, d.Payload, p})
	}
	return out, nil
}

// mbHexField parses a hex number field (seq, hg) of m.
func mbHexField(m *wire.Message, name string) (uint64, error) {
	v, ok := m.Get(name)
	if !ok {
		return 0, fmt.Errorf("no %s field", name)
	}
	return strconv.ParseUint(v, 16, 64)
}

// TestRobustDroppedAndCounted injects, from the observer namespace, a
// replayed, a forged, a truncated and an old-generation packet and the
// spec's crash packet into a running hbd, and checks that each is dropped
// and counted under its reason and that nothing else happens.
func TestRobustDroppedAndCounted(t *testing.T) {
	tl := mbRequire(t, "tcpdump")
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := l.Node("hsa"), l.Node("hsb")
	// ucast, not bcast: a node hears its own broadcasts as duplicates, which
	// would move drop_duplicate all the time and hide an injected one.
	ucast := func(peer netip.Addr) lab.Config {
		return lab.Config{HaCf: fmt.Sprintf("keepalive %dms\ndeadtime %dms\ninitdead %dms\nudpport %d\nucast eth0 %s\nnode hsa hsb\n",
			mbKeepalive.Milliseconds(), mbDeadtime.Milliseconds(), mbInitdead.Milliseconds(), mbPort, peer)}
	}
	hs := mbStartPair(t, tl, l, map[string]lab.Config{"hsa": ucast(b.Addr(0)), "hsb": ucast(a.Addr(0))}, mbDeadtime)
	hsa := hs["hsa"]

	// Record real traffic from hsb to hsa until it holds a status packet
	// followed by later ones, so that hsa has certainly seen a higher seq
	// by the time the recorded one is replayed.
	capt, err := l.Switch().Capture("br0", fmt.Sprintf("udp port %d", mbPort))
	if err != nil {
		t.Fatal(err)
	}
	var old mbPacket
	var lastSeq uint64
	err = lab.Eventually(15*time.Second, func() error {
		pkts, err := mbPacketsFrom(capt.Path, b.Addr(0), mbPort)
		if err != nil {
			return err
		}
		old, lastSeq = mbPacket{}, 0
		for _, c := range pkts {
			seq, err := mbHexField(c.p.Msg, "seq")
			if err != nil {
				continue // NS_ types carry none
			}
			if old.p == nil && c.p.Msg.Type() == "status" {
				old = c
				continue
			}
			lastSeq = max(lastSeq, seq)
		}
		if old.p == nil || lastSeq < 2 {
			return fmt.Errorf("no status from hsb followed by later packets yet (%d packets)", len(pkts))
		}
		if oseq, _ := mbHexField(old.p.Msg, "seq"); oseq >= lastSeq {
			return fmt.Errorf("recorded status seq %d is not below %d", oseq, lastSeq)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := capt.Stop(); err != nil {
		t.Fatal(err)
	}

	keys, err := authkeys.Parse(strings.NewReader(lab.DefaultAuthkeys), "authkeys")
	if err != nil {
		t.Fatal(err)
	}
	wrongKeys, err := authkeys.Parse(strings.NewReader("auth 1\n1 sha1 not-"+lab.TestKey+"\n"), "authkeys")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := mbHexField(old.p.Msg, "hg")
	if err != nil || gen == 0 {
		t.Fatalf("generation of the recorded status: %d, %v", gen, err)
	}
	// Forged: the same status signed with another key.
	forged, err := wire.Encode(old.p.Msg, wrongKeys)
	if err != nil {
		t.Fatal(err)
	}
	// Old generation: validly signed, hg one below the peer's.
	oldGenMsg := old.p.Msg.Clone()
	oldGenMsg.Set("hg", strconv.FormatUint(gen-1, 16))
	oldGen, err := wire.Encode(oldGenMsg, keys)
	if err != nil {
		t.Fatal(err)
	}
	truncated := old.raw[:len(old.raw)/2]
	crash := []byte("###\n5:t=abc,%%%\n") // §2.13: aborts a real heartbeat
	// Preconditions, so that each packet tests what its name says.
	if p, err := wire.Decode(forged); err != nil || !errors.Is(wire.Verify(p, keys), wire.ErrAuth) {
		t.Fatalf("forged packet: decode %v, want it to decode and fail authentication", err)
	}
	if p, err := wire.Decode(oldGen); err != nil || wire.Verify(p, keys) != nil {
		t.Fatalf("old-generation packet is not validly signed: %v", err)
	}
	for name, raw := range map[string][]byte{"truncated": truncated, "crash": crash} {
		if _, err := wire.Decode(raw); err == nil {
			t.Fatalf("%s packet decodes", name)
		}
	}

	obs := l.Observer()
	conn, err := mbUDPIn(obs.NS, netip.AddrPortFrom(obs.Addr(0), 0))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	before, err := tl.status(hsa)
	if err != nil {
		t.Fatal(err)
	}
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(a.Addr(0), mbPort))
	for _, raw := range [][]byte{old.raw, forged, truncated, oldGen, crash} {
		if _, err := conn.WriteToUDP(raw, to); err != nil {
			t.Fatal(err)
		}
	}
	want := mbDelta(mbWatched(before), mbWatched(before)) // every watched counter: 0
	want["drop_stale"] = 1                                // the replay: seq below the last one seen
	want["drop_auth_failed"] = 1                          // the forgery
	want["drop_malformed"] = 2                            // the truncated and the crash packet
	want["drop_old_generation"] = 1                       // hg below hsb's: "attempted replay attack"
	var got map[string]uint64
	err = lab.Eventually(10*time.Second, func() error {
		after, err := tl.status(hsa)
		if err != nil {
			return err
		}
		got = mbDelta(mbWatched(before), mbWatched(after))
		if d := cmp.Diff(want, got); d != "" {
			return fmt.Errorf("counter changes on hsa (-want +got):\n%s", d)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("injected 5 packets; hsa counted %v", mbNonZero(got))

	// hsa survived all of it: still running and active with hsb, and a
	// few keepalives later nothing more has been counted.
	tl.waitStatus(t, hsa, 5*mbKeepalive, "hsa still active", mbBothActive("hsb", mbDeadtime))
	time.Sleep(3 * mbKeepalive) // a window for late effects, not an assertion
	after, err := tl.status(hsa)
	if err != nil {
		t.Fatal(err)
	}
	if err := mbBothActive("hsb", mbDeadtime)(after); err != nil {
		t.Error(err)
	}
	if d := cmp.Diff(want, mbDelta(mbWatched(before), mbWatched(after))); d != "" {
		t.Errorf("counter changes on hsa after the injection settled (-want +got):\n%s", d)
	}
	if !hsa.Running() {
		t.Errorf("hsa stopped:\n%s", hsa.Output())
	}
}

// mbNonZero is m without its zero values, for a short log line.
func mbNonZero(m map[string]uint64) map[string]uint64 {
	out := maps.Clone(m)
	maps.DeleteFunc(out, func(_ string, v uint64) bool { return v == 0 })
	return out
}

// mbStuckInPipeWrite reports whether a thread of pid sleeps in the kernel's
// pipe write: proof that a write to a full pipe or FIFO is blocked.
func mbStuckInPipeWrite(pid int) (bool, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return false, err
	}
	for _, task := range tasks {
		w, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/wchan", pid, task.Name()))
		if err == nil && strings.Contains(string(w), "pipe_write") {
			return true, nil
		}
	}
	return false, nil
}

// mbChildPID returns the only child of pid. Each thread lists the
// children it forked, and in a Go program that can be any thread.
func mbChildPID(pid int) (int, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	var kids []string
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err == nil {
			kids = append(kids, strings.Fields(string(b))...)
		}
	}
	if len(kids) != 1 {
		return 0, fmt.Errorf("pid %d has children %v, want one", pid, kids)
	}
	return strconv.Atoi(kids[0])
}

// mbFIFOFull reports whether the FIFO open as fd has no room for another
// page: poll(2) shows no POLLOUT once every pipe buffer slot is taken, and
// a writer's next write then blocks (or gets EAGAIN) until someone reads.
func mbFIFOFull(fd int) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	n, err := unix.Poll(fds, 0)
	if err != nil {
		return false, err
	}
	return n == 0, nil
}

// mbOpensFile reports whether pid has path open.
func mbOpensFile(pid int, path string) (bool, error) {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && l == path {
			return true, nil
		}
	}
	return false, nil
}

// TestRobustHeartbeatNeverWaits proves that a stuck log never delays a
// heartbeat. Two two-node clusters share the LAN on different ports: hsa
// with hsb, and hsd with hsc. All four log at debug level; hsb has its
// stderr on a pipe nobody reads, hsc logs to a logfile and debugfile that
// are FIFOs nobody reads, and hsa and hsd, the controls, log to ordinary
// files. The observer floods all four with junk datagrams, each of which
// they log, so hsb's and hsc's log output is stuck within seconds. For the
// following 30 s their peers must count no late heartbeat and no death,
// and on the wire hsb's and hsc's heartbeats must keep coming every
// keepalive, as regularly as those of the controls, which do the same work
// with a working log. At the end, SIGTERM must still stop them.
//
// It fails against a daemon that logs synchronously: that one stops in its
// first blocked log write, and with it its heartbeats and its status.
func TestRobustHeartbeatNeverWaits(t *testing.T) {
	tl := mbRequire(t, "tcpdump")
	const (
		window   = 30 * time.Second
		deadtime = 2 * time.Second // warntime is half: a heartbeat 1 s late counts as late
		// jitter is the allowance over keepalive for a gap between two
		// heartbeats on the wire: timer wake-up and scheduling of hbd
		// and the kernel. On a machine with far more runnable threads
		// than cores, scheduling delays alone exceed it, so the limit is
		// raised to what the controls suffer under the same load (plus
		// jitter). A sender stalled by its log misses by seconds, far
		// beyond either.
		jitter = 100 * time.Millisecond
		// floodEvery paces the junk to each node: 250 datagrams and
		// debug log lines a second, a pipe's 64 KiB of log in about a
		// second and, by the end of the window, more records than hbd's
		// 4096-record log queue holds, so its overflow path runs too.
		floodEvery = 4 * time.Millisecond
	)
	dir := t.TempDir()
	stall := filepath.Join(dir, "stallstderr")
	if out, err := exec.Command(mbGoTool(), "build", "-o", stall, "github.com/hbd-project/hbd/tests/internal/stallstderr").CombinedOutput(); err != nil {
		t.Fatalf("build stallstderr: %v\n%s", err, out)
	}
	// The FIFOs are opened read-write by the test: that makes hbd's open
	// for writing succeed at once (it would block without a reader) while
	// nobody ever reads, so hbd's log writes stall once they are full.
	logFifo, debugFifo := filepath.Join(dir, "ha-log.fifo"), filepath.Join(dir, "ha-debug.fifo")
	fifoFds := map[string]int{}
	for _, p := range []string{logFifo, debugFifo} {
		if err := unix.Mkfifo(p, 0o600); err != nil {
			t.Fatal(err)
		}
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fifoFds[p] = fd
		// Closing lets a writer blocked on it fail with EPIPE, so hbd can
		// always be stopped.
		t.Cleanup(func() { unix.Close(fd) })
	}

	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb", "hsc", "hsd"}})
	if err != nil {
		t.Fatal(err)
	}
	cf := func(port int, nodes string) string {
		return fmt.Sprintf("keepalive %dms\ndeadtime %dms\ninitdead %dms\nudpport %d\nbcast eth0\nnode %s\ndebug 1\n",
			mbKeepalive.Milliseconds(), deadtime.Milliseconds(), 2*deadtime.Milliseconds(), port, nodes)
	}
	// A later logfile/debugfile line overrides the lab's (last one wins,
	// as in heartbeat).
	cfgs := map[string]lab.Config{
		"hsa": {HaCf: cf(mbPort, "hsa hsb")},
		"hsb": {HaCf: cf(mbPort, "hsa hsb")},
		"hsc": {HaCf: cf(mbPort+1, "hsc hsd") + fmt.Sprintf("logfile %s\ndebugfile %s\n", logFifo, debugFifo)},
		"hsd": {HaCf: cf(mbPort+1, "hsc hsd")},
	}
	hs := map[string]*lab.Hbd{}
	for _, n := range l.Nodes() {
		bin, args := tl.hbd, []string(nil)
		if n.Name == "hsb" {
			bin, args = stall, []string{"--stall-exec=" + tl.hbd}
		}
		h, err := l.StartHbd(n, cfgs[n.Name], bin, args...)
		if err != nil {
			t.Fatal(err)
		}
		hs[n.Name] = h
	}
	hsa, hsb, hsc, hsd := hs["hsa"], hs["hsb"], hs["hsc"], hs["hsd"]
	stuckNodes := []*lab.Hbd{hsb, hsc}
	judgeOf := map[*lab.Hbd]*lab.Hbd{hsb: hsa, hsc: hsd}
	var hsbPID int // hbd under stallstderr
	if err := lab.Eventually(5*time.Second, func() (err error) { hsbPID, err = mbChildPID(hsb.PID()); return err }); err != nil {
		t.Fatal(err)
	}
	peerActive := func(peer *lab.Hbd) func(st *ctl.Status) error {
		return func(st *ctl.Status) error {
			n := peer.Node.Name
			if err := mbNodeIs(st, n, "active"); err != nil {
				return err
			}
			if got := st.FindNode(n).DeadtimeMs; got != deadtime.Milliseconds() {
				return fmt.Errorf("deadtime of %s is %d ms, want %d", n, got, deadtime.Milliseconds())
			}
			return nil
		}
	}
	for _, h := range stuckNodes {
		tl.waitStatus(t, judgeOf[h], 30*time.Second, h.Node.Name+" active", peerActive(h))
	}
	if ok, err := mbOpensFile(hsc.PID(), debugFifo); !ok || err != nil {
		t.Fatalf("hsc does not have its debugfile %s open: %v", debugFifo, err)
	}

	// Watch the heartbeats from the switch; the observer's junk is left
	// out.
	capt, err := l.Switch().Capture("br0", fmt.Sprintf("udp and (port %d or port %d) and not src host %s", mbPort, mbPort+1, l.Observer().Addr(0)))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := mbUDPIn(l.Observer().NS, netip.AddrPortFrom(l.Observer().Addr(0), 0))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stopFlood := make(chan struct{})
	var floodWG sync.WaitGroup
	var flooded int
	floodWG.Go(func() {
		junk := []byte("hbd robustness test: junk to make the daemon log, not a heartbeat packet")
		tick := time.NewTicker(floodEvery)
		defer tick.Stop()
		for {
			select {
			case <-stopFlood:
				return
			case <-tick.C:
			}
			for _, n := range l.Nodes() {
				port := mbPort
				if n.Name == "hsc" || n.Name == "hsd" {
					port++
				}
				if _, err := conn.WriteToUDP(junk, net.UDPAddrFromAddrPort(netip.AddrPortFrom(n.Addr(0), uint16(port)))); err == nil {
					flooded++
				}
			}
		}
	})
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() { close(stopFlood) })
		floodWG.Wait()
	}
	defer stop()

	// The logs must really be stuck before the window starts: hsb has a
	// thread asleep writing to its stderr pipe, hsc's debug FIFO is full.
	stuck := func() error {
		if ok, err := mbStuckInPipeWrite(hsbPID); !ok {
			return fmt.Errorf("hsb (pid %d) is not blocked writing its stderr pipe (%v)", hsbPID, err)
		}
		if ok, err := mbFIFOFull(fifoFds[debugFifo]); !ok {
			return fmt.Errorf("hsc's debug FIFO is not full (%v)", err)
		}
		return nil
	}
	if err := lab.Eventually(15*time.Second, stuck); err != nil {
		t.Fatal(err)
	}

	// Failures inside the window are reported with t.Errorf, and the window
	// is cut short, so that the heartbeat gaps on the wire are still
	// measured and shown.
	start := time.Now()
	first := map[*lab.Hbd]*ctl.Status{}
	for _, h := range stuckNodes {
		if first[h], err = tl.status(h); err != nil {
			t.Errorf("%s does not answer status with its log stuck: %v", h.Node.Name, err)
		}
	}
	// Through the window the judges must see the stuck nodes active at
	// every look.
window:
	for time.Since(start) < window {
		for _, h := range stuckNodes {
			st, err := tl.status(judgeOf[h])
			if err == nil {
				err = peerActive(h)(st)
			}
			if err != nil {
				t.Errorf("%v into the window: %v", time.Since(start).Round(time.Millisecond), err)
				break window
			}
		}
		time.Sleep(time.Second)
	}
	end := time.Now()
	if err := stuck(); err != nil {
		t.Errorf("at the end of the window: %v", err)
	}
	stop()
	if err := capt.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("flooded %d junk datagrams", flooded)

	// The judges: no late heartbeat and no death, ever.
	for _, h := range stuckNodes {
		st, err := tl.status(judgeOf[h])
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{"late_heartbeats", "node_deaths"} {
			if n := st.Counters[c]; n != 0 {
				t.Errorf("%s counted %s = %d, want 0", st.Node, c, n)
			}
		}
	}
	// The stuck nodes kept working: they answer status, sent a status
	// every keepalive and dropped the junk as malformed. A quarter of the
	// beats may be lost to load; a stalled node has none.
	minBeats := int(float64(end.Sub(start)/mbKeepalive) * 0.75)
	for _, h := range stuckNodes {
		last, err := tl.status(h)
		if err != nil || first[h] == nil {
			t.Errorf("%s does not answer status: %v", h.Node.Name, err)
			continue
		}
		sent := last.Counters["sent"] - first[h].Counters["sent"]
		junk := last.Counters["drop_malformed"] - first[h].Counters["drop_malformed"]
		t.Logf("%s during the window: sent %d messages, dropped %d junk datagrams", h.Node.Name, sent, junk)
		if sent < uint64(minBeats) || junk == 0 {
			t.Errorf("%s: sent %d (want ≥ %d), dropped %d junk (want > 0)", h.Node.Name, sent, minBeats, junk)
		}
	}
	// One stuck sink must not silence the others: hsb's debugfile, an
	// ordinary file, kept receiving its records throughout the window.
	hsbDebug := filepath.Join(filepath.Dir(hsb.LogFile), "ha-debug")
	if last, err := mbLastLogTime(hsbDebug); err != nil || last.Before(end.Add(-2*time.Second)) {
		t.Errorf("hsb's debugfile, with stderr stuck: last record at %v, %v; want one within 2 s of the window's end %v",
			last.Format(time.StampMilli), err, end.Format(time.StampMilli))
	}
	// On the wire: the gaps between consecutive status packets of each
	// node. The window's edges count as packets, so a node that falls
	// silent shows the silence as a gap.
	gaps := map[*lab.Hbd]time.Duration{}
	for _, h := range []*lab.Hbd{hsa, hsd, hsb, hsc} {
		pkts, err := mbPacketsFrom(capt.Path, h.Node.Addr(0), mbPort, mbPort+1)
		if err != nil {
			t.Fatal(err)
		}
		times := []time.Time{start}
		for _, c := range pkts {
			if c.p.Msg.Type() == "status" && c.at.After(start) && c.at.Before(end) {
				times = append(times, c.at)
			}
		}
		times = append(times, end)
		slices.SortFunc(times, func(x, y time.Time) int { return x.Compare(y) })
		for i := 1; i < len(times); i++ {
			gaps[h] = max(gaps[h], times[i].Sub(times[i-1]))
		}
		beats := len(times) - 2
		t.Logf("%s: %d status packets in %v, longest gap %v (keepalive %v)",
			h.Node.Name, beats, end.Sub(start).Round(time.Millisecond), gaps[h].Round(time.Microsecond), mbKeepalive)
		if beats < minBeats {
			t.Errorf("%s sent %d status packets in the window, want ≥ %d", h.Node.Name, beats, minBeats)
		}
	}
	control := max(gaps[hsa], gaps[hsd])
	limit := max(mbKeepalive, control) + jitter
	for _, h := range stuckNodes {
		if gaps[h] > limit {
			t.Errorf("%s: a gap of %v between heartbeats with its log stuck, want ≤ %v (keepalive %v or the controls' %v, + %v)",
				h.Node.Name, gaps[h], limit, mbKeepalive, control, jitter)
		}
	}

	// A stuck log must not keep hbd from stopping either: SIGTERM ends it
	// with exit status 0 although its last records can never be written.
	for _, h := range stuckNodes {
		if err := h.Kill(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range stuckNodes {
		if err := h.Wait(15 * time.Second); err != nil {
			t.Errorf("%s after SIGTERM with its log stuck: %v, want exit status 0\n%s", h.Node.Name, err, h.Output())
		}
	}
}

// mbLastLogTime returns the time stamp of the last hbd log record in the
// file at path.
func mbLastLogTime(path string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	var last time.Time
	for line := range strings.Lines(string(b)) {
		if m := mbLogLineRE.FindStringSubmatch(line); m != nil {
			if at, err := time.Parse(time.RFC3339Nano, m[1]); err == nil {
				last = at
			}
		}
	}
	if last.IsZero() {
		return last, fmt.Errorf("no log records in %s", path)
	}
	return last, nil
}

// mbGoTool finds the go command for building the test helper.
func mbGoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}
