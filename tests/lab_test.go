package tests

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hbd-project/hbd/tests/lab"
)

// labRootNetState is what the lab must never change: the links and IPv4
// addresses of the host's own network namespace.
func labRootNetState(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "-o", "-4", "addr", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("ip addr: %v: %s", err, out)
	}
	links, err := exec.Command("ip", "-o", "link", "show").CombinedOutput()
	if err != nil {
		t.Fatalf("ip link: %v: %s", err, links)
	}
	var names []string
	for line := range strings.Lines(string(links)) {
		if f := strings.Fields(line); len(f) > 1 {
			names = append(names, f[1])
		}
	}
	return string(out) + strings.Join(names, " ")
}

func TestLabTopology(t *testing.T) {
	lab.Require(t, "ping", "tcpdump")
	rootBefore := labRootNetState(t)

	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}, LANs: 2})
	if err != nil {
		t.Fatal(err)
	}
	a, b, obs := l.Node("hsa"), l.Node("hsb"), l.Observer()

	// Same interface names in every node; addresses in 198.18.0.0/15.
	got := map[string][]string{}
	for _, n := range []*lab.Node{a, b, obs} {
		for lan := range 2 {
			out, err := n.Exec("ip", "-o", "-4", "addr", "show", "dev", n.Iface(lan))
			if err != nil {
				t.Fatal(err)
			}
			f := strings.Fields(out)
			got[n.Name] = append(got[n.Name], f[1]+" "+f[3])
		}
	}
	want := map[string][]string{
		"hsa":      {"eth0 198.18.0.1/24", "eth1 198.18.1.1/24"},
		"hsb":      {"eth0 198.18.0.2/24", "eth1 198.18.1.2/24"},
		"observer": {"eth0 198.18.0.254/24", "eth1 198.18.1.254/24"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("node addresses (-want +got):\n%s", d)
	}
	if after := labRootNetState(t); after != rootBefore {
		t.Errorf("the lab changed the host namespace:\nbefore: %s\nafter:  %s", rootBefore, after)
	}

	for _, p := range []struct {
		from *lab.Node
		to   netip.Addr
	}{{a, b.Addr(0)}, {a, b.Addr(1)}, {b, a.Addr(0)}, {obs, a.Addr(0)}, {obs, b.Addr(1)}} {
		if err := p.from.Ping(p.to); err != nil {
			t.Errorf("ping %s -> %s: %v", p.from.Name, p.to, err)
		}
	}

	// The switch sees a node-to-node echo exchange.
	c, err := l.Switch().Capture("br0", "icmp")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Ping(b.Addr(0)); err != nil {
		t.Error(err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	frames, err := c.Frames()
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) < 2 {
		t.Errorf("capture on br0 has %d frames, want echo request and reply", len(frames))
	}

	// Pulling eth0 cuts LAN 0 only.
	if err := a.LinkDown("eth0"); err != nil {
		t.Fatal(err)
	}
	if err := a.Ping(b.Addr(0)); err == nil {
		t.Error("ping over LAN 0 works with hsa's eth0 unplugged")
	}
	if err := a.Ping(b.Addr(1)); err != nil {
		t.Errorf("LAN 1 broken by unplugging eth0: %v", err)
	}
	if err := a.LinkUp("eth0"); err != nil {
		t.Fatal(err)
	}
	if err := lab.Eventually(5*time.Second, func() error { return a.Ping(b.Addr(0)) }); err != nil {
		t.Errorf("LAN 0 after LinkUp: %v", err)
	}

	// Partition {hsa, observer} | {hsb} on both LANs, then heal.
	if err := l.Partition([]*lab.Node{a, obs}, []*lab.Node{b}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct {
		from *lab.Node
		to   netip.Addr
		ok   bool
	}{{a, b.Addr(0), false}, {a, b.Addr(1), false}, {obs, b.Addr(0), false}, {obs, a.Addr(1), true}} {
		if err := p.from.Ping(p.to); (err == nil) != p.ok {
			t.Errorf("partitioned: ping %s -> %s: err=%v, want reachable=%v", p.from.Name, p.to, err, p.ok)
		}
	}
	if err := l.Heal(); err != nil {
		t.Fatal(err)
	}
	if err := lab.Eventually(5*time.Second, func() error { return a.Ping(b.Addr(1)) }); err != nil {
		t.Errorf("after heal: %v", err)
	}

	// Close kills what the lab started and removes every namespace.
	sleeper, err := b.Start("sleeper", "sleep", "600")
	if err != nil {
		t.Fatal(err)
	}
	dir := l.Dir
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := sleeper.Wait(time.Second); err == nil || !sleeper.Exited() {
		t.Errorf("sleeper after Close: exited=%v err=%v, want killed", sleeper.Exited(), err)
	}
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), l.Prefix) {
		t.Errorf("namespaces of %s left after Close:\n%s", l.Prefix, out)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lab dir %s after Close: %v", dir, err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestLabRootNetnsGuard checks that the guard refuses a name bound to the
// host's own network namespace.
func TestLabRootNetnsGuard(t *testing.T) {
	lab.Require(t)
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.CheckNotRootNetns(l.Node("hsa").NS); err != nil {
		t.Errorf("lab node namespace: %v", err)
	}
	// A name for the host namespace itself, as a mistaken "ip netns attach"
	// would leave behind. Deleting the name later only unmounts it.
	name := l.Prefix + "-rootalias"
	if out, err := exec.Command("ip", "netns", "attach", name, fmt.Sprint(os.Getpid())).CombinedOutput(); err != nil {
		t.Fatalf("ip netns attach: %v: %s", err, out)
	}
	defer exec.Command("ip", "netns", "del", name).Run()
	if err := lab.CheckNotRootNetns(name); err == nil {
		t.Error("CheckNotRootNetns accepted the host namespace")
	}
	if err := lab.CheckNotRootNetns(l.Prefix + "-missing"); err == nil {
		t.Error("CheckNotRootNetns accepted a missing namespace")
	}
}

// labPairConfig is a fast two-node real heartbeat cluster on LAN 0.
var labPairConfig = lab.Config{
	HaCf: `keepalive 500ms
deadtime 3
initdead 6
udpport 694
bcast eth0
auto_failback on
node hsa hsb
`,
	Haresources: "hsa hbdtest::r1\nhsb hbdtest::r2\n",
}

// TestLabHeartbeatPair runs two real heartbeat 3.0.6 nodes against each
// other: the harness the interop tests build on.
func TestLabHeartbeatPair(t *testing.T) {
	lab.Require(t, lab.HeartbeatBinary, lab.ClStatusBinary)
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	hbs := map[string]*lab.Heartbeat{}
	for _, n := range l.Nodes() {
		hb, err := l.StartHeartbeat(n, labPairConfig)
		if err != nil {
			t.Fatal(err)
		}
		hbs[n.Name] = hb
	}
	hsa, hsb := hbs["hsa"], hbs["hsb"]

	// Each node, asked from inside its own namespaces, sees both active.
	for _, self := range []*lab.Heartbeat{hsa, hsb} {
		for _, peer := range []string{"hsa", "hsb"} {
			err := lab.Eventually(15*time.Second, func() error {
				st, err := self.ClStatus("nodestatus", peer)
				if st != "active" {
					return fmt.Errorf("nodestatus %s = %q (%v)", peer, st, err)
				}
				return nil
			})
			if err != nil {
				t.Fatalf("on %s: %v\n%s", self.Node.Name, err, self.Output())
			}
		}
	}
	t.Logf("both nodes active after %v", time.Since(start).Round(time.Millisecond))
	nodes, err := hsa.ClStatus("listnodes")
	if err != nil {
		t.Fatal(err)
	}
	gotNodes := strings.Fields(nodes)
	slices.Sort(gotNodes)
	if d := cmp.Diff([]string{"hsa", "hsb"}, gotNodes); d != "" {
		t.Errorf("listnodes (-want +got):\n%s", d)
	}
	if host, err := hsb.Exec("hostname"); err != nil || strings.TrimSpace(host) != "hsb" {
		t.Errorf("hostname inside hsb = %q, %v", host, err)
	}

	// Crash hsb: its whole namespace dies and hsa declares it dead.
	killed := time.Now()
	if err := hsb.Kill(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := hsb.Wait(5 * time.Second); err == nil {
		t.Error("hsb exited cleanly after SIGKILL of its master control process")
	}
	if _, err := hsa.WaitLog(`node hsb: is dead`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("hsa declared hsb dead %v after the kill", time.Since(killed).Round(time.Millisecond))
	st, err := hsa.ClStatus("nodestatus", "hsb")
	var exit *exec.ExitError
	if st != "dead" || !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Errorf("cl_status nodestatus hsb = %q, %v; want dead with exit status 1", st, err)
	}
	// mach_down: hsa takes over hsb's resource through the guarded script.
	rsc := filepath.Join(hsa.Dir, "log", "rsc.r2")
	if err := lab.Eventually(10*time.Second, func() error { _, err := os.Stat(rsc); return err }); err != nil {
		t.Errorf("hsa did not take over r2: %v", err)
	}

	// Power-off takes every process of the node along.
	if err := hsa.PowerOff(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ip", "netns", "pids", hsa.Node.NS).CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("processes in %s after PowerOff: %q %v", hsa.Node.NS, out, err)
	}
}

// TestLabHeartbeatPartitionRestart follows heartbeat through its restart
// after a healed partition: it re-execs itself without -f and daemonizes,
// so the master control process changes and the lab must find it again
// while the node's namespaces stay up.
func TestLabHeartbeatPartitionRestart(t *testing.T) {
	lab.Require(t, lab.HeartbeatBinary, lab.ClStatusBinary)
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := l.Node("hsa"), l.Node("hsb")
	start := time.Now()
	mark := func(what string) { t.Logf("%v: %s", time.Since(start).Round(100*time.Millisecond), what) }
	// No resources: heartbeat would first finish acquiring and giving them
	// up, which only makes the restart slower.
	cfg := labPairConfig
	cfg.Haresources = ""
	var hsa *lab.Heartbeat
	for _, n := range []*lab.Node{a, b} {
		hb, err := l.StartHeartbeat(n, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if n == a {
			hsa = hb
		}
	}
	peerActive := func() error {
		st, err := hsa.ClStatus("nodestatus", "hsb")
		if st != "active" {
			return fmt.Errorf("nodestatus hsb on hsa = %q (%v)", st, err)
		}
		return nil
	}
	if err := lab.Eventually(15*time.Second, peerActive); err != nil {
		t.Fatal(err)
	}
	mark("both active")
	before, err := hsa.MCP()
	if err != nil {
		t.Fatal(err)
	}

	if err := l.Partition([]*lab.Node{a}, []*lab.Node{b}); err != nil {
		t.Fatal(err)
	}
	if _, err := hsa.WaitLog(`node hsb: is dead`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	mark("partitioned, hsb dead")
	if err := l.Heal(); err != nil {
		t.Fatal(err)
	}
	if _, err := hsa.WaitLog(`Cluster node hsb returning after partition`, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := hsa.WaitLog(`Performing heartbeat restart exec`, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	mark("restart exec")
	err = lab.Eventually(20*time.Second, func() error {
		after, err := hsa.MCP()
		if err != nil {
			return err
		}
		if after == before {
			return fmt.Errorf("master control process still %d", after)
		}
		return peerActive()
	})
	if err != nil {
		t.Fatalf("after the restart: %v\n%s", err, hsa.Output())
	}
	mark("new master control process sees hsb active")
	if !strings.Contains(hsa.Output(), "lab: daemon exited with status 0") {
		t.Errorf("the foreground heartbeat did not hand over to a daemon:\n%s", hsa.Output())
	}
}

// TestLabHbdRunner starts bin/hbd through the lab with --check: the lab's
// config must reach hbd through -c and be accepted. It skips until the
// binary is built (make).
func TestLabHbdRunner(t *testing.T) {
	lab.Require(t)
	bin, err := lab.HbdBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("skipping: %v (run make)", err)
	}
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}})
	if err != nil {
		t.Fatal(err)
	}
	h, err := l.StartHbd(l.Node("hsa"), labPairConfig, "", "--check")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Wait(10 * time.Second); err != nil {
		t.Fatalf("hbd --check: %v\n%s", err, h.Output())
	}
	if want := filepath.Join(h.ConfDir, "ha.cf"); !strings.Contains(h.Output(), want) {
		t.Errorf("hbd --check output does not mention %s:\n%s", want, h.Output())
	}
	if _, err := l.StartHbd(l.Node("hsb"), labPairConfig, filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("StartHbd accepted a missing binary")
	}
}

// TestLabHeartbeatRejectsConfig: a config heartbeat refuses must surface
// as its exit status and output, not as a lab error, so that config tests
// can run through the lab.
func TestLabHeartbeatRejectsConfig(t *testing.T) {
	lab.Require(t, lab.HeartbeatBinary)
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa"}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := lab.Config{HaCf: "keepalive 1s\nudpport 694\nbcast eth0\nnode hsa\n"} // "1s" is invalid (§4.2)
	hb, err := l.StartHeartbeat(l.Node("hsa"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = hb.Wait(10 * time.Second)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 6 {
		t.Errorf("heartbeat with keepalive 1s: %v, want exit status 6\n%s", err, hb.Output())
	}
}
