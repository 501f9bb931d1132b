package tests

// End-to-end failover tests (issue 4, Deliver 7): hbd's R1 resource
// takeover between two nodes in the namespace lab, against another hbd and
// against a real heartbeat 3.0.6 (spec §7, §12.2 R1–R5, R7, R10).
//
// The resource scripts record every call in <lab dir>/<node>/log/rsc.log
// and keep a state file per running instance there (lab.TestScript and
// foSvcScript), so the tests see from outside, for either daemon, which
// node runs what and in which order it was started and stopped. hbd's
// answer comes from `hbctl status --json`, heartbeat's from `cl_status
// rscstatus`.
//
// A crash ("kill -9 of the active node") is a SIGKILL of the cluster
// daemon followed by the death of everything else on the node and its NIC
// going dark: a SIGKILLed daemon cannot stop its resources (heartbeat
// leaves them running too), and a VIP left on a live interface would keep
// answering ARP, which is not what a dead machine does. The node then
// comes back as after a reboot: no resource running, no VIP configured.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/hbd-project/hbd/tests/demo/garp"
	"github.com/hbd-project/hbd/tests/lab"
)

// foHaCf is the ha.cf of the functional tests. deadtime is generous so
// that a loaded two-core machine never produces a spurious death (which
// would make both nodes take everything); the latency test uses the
// issue's 200 ms / 600 ms instead.
func foHaCf(failback string) string {
	return "keepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 4\nudpport 694\nbcast eth0\n" +
		"auto_failback " + failback + "\nnode hsa hsb\n"
}

// foDeadtime matches foHaCf.
const foDeadtime = 2 * time.Second

// foSvcScript is resource.d/svc: like lab.TestScript (same log and state
// files), plus, on every start and stop, whether the group's VIP (its
// second argument) is configured on this node at that moment, so a test
// sees that services start after the address is up and stop before it
// goes. Usage in haresources: svc::NAME::VIP.
const foSvcScript = `#!/bin/sh
dir=@LOGDIR@
inst=$1 ip=$2 op=$3
vip=no
if [ -n "$(ip -o -4 addr show to "$ip" 2>/dev/null)" ]; then vip=yes; fi
echo "$(date +%s.%N) $inst $op vip=$vip" >> "$dir/rsc.log"
case "$op" in
start) touch "$dir/rsc.$inst" ;;
stop) rm -f "$dir/rsc.$inst" ;;
status) if [ -f "$dir/rsc.$inst" ]; then echo running; else echo stopped; fi ;;
esac
exit 0
`

// foFailScript is resource.d/failon: lab.TestScript's bookkeeping, but
// "start" fails on the node named by its first argument ("failon::hsa::x"
// runs "failon hsa x start"). The tests name hsa, which always runs hbd:
// on a real heartbeat node the script always succeeds, stop included, so
// heartbeat never meets a failing resource script (a failed stop would
// make it reboot, §6.3; the lab's guard is a second line of defence).
const foFailScript = `#!/bin/sh
dir=@LOGDIR@
node=$1 inst=$2 op=$3
echo "$(date +%s.%N) $inst $op" >> "$dir/rsc.log"
case "$op" in
start)
	if [ "$(hostname)" = "$node" ]; then echo "failing on purpose on $node" >&2; exit 1; fi
	touch "$dir/rsc.$inst" ;;
stop) rm -f "$dir/rsc.$inst" ;;
status) if [ -f "$dir/rsc.$inst" ]; then echo running; else echo stopped; fi ;;
esac
exit 0
`

// foTools are this repository's binaries the tests run inside the nodes.
type foTools struct{ hbd, hbctl, hbStandby, hbTakeover string }

// foRequire skips unless the lab can run and bin/ is built.
func foRequire(t *testing.T, programs ...string) foTools {
	t.Helper()
	lab.Require(t, programs...)
	hbd, err := lab.HbdBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(hbd)
	tl := foTools{hbd: hbd, hbctl: filepath.Join(dir, "hbctl"),
		hbStandby: filepath.Join(dir, "hb_standby"), hbTakeover: filepath.Join(dir, "hb_takeover")}
	for _, p := range []string{tl.hbd, tl.hbctl, tl.hbStandby, tl.hbTakeover} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("skipping: %v (run make build)", err)
		}
	}
	return tl
}

// foNode is one cluster node running either hbd or a real heartbeat.
type foNode struct {
	c      *foCluster
	name   string
	node   *lab.Node
	hbd    *lab.Hbd       // set while hbd runs here
	real   *lab.Heartbeat // set while heartbeat runs here
	logDir string         // where the resource scripts keep rsc.log and state
	cfg    lab.Config
}

// foCluster is a two-node lab plus the observer.
type foCluster struct {
	t     *testing.T
	l     *lab.Lab
	tools foTools
	nodes map[string]*foNode
}

func newFoCluster(t *testing.T, tl foTools, cfg lab.Config) *foCluster {
	t.Helper()
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &foCluster{t: t, l: l, tools: tl, nodes: map[string]*foNode{}}
	for _, n := range l.Nodes() {
		c.nodes[n.Name] = &foNode{c: c, name: n.Name, node: n,
			logDir: filepath.Join(l.Dir, n.Name, "log"), cfg: foWithScripts(cfg, filepath.Join(l.Dir, n.Name, "log"))}
	}
	return c
}

// foWithScripts adds the tests' scripts (svc, failon) to cfg with their
// log directory filled in.
func foWithScripts(cfg lab.Config, logDir string) lab.Config {
	scripts := map[string]string{}
	for k, v := range cfg.Scripts {
		scripts[k] = v
	}
	for name, body := range map[string]string{"svc": foSvcScript, "failon": foFailScript} {
		if _, taken := scripts[name]; !taken {
			scripts[name] = strings.ReplaceAll(body, "@LOGDIR@", logDir)
		}
	}
	cfg.Scripts = scripts
	return cfg
}

func (c *foCluster) node(name string) *foNode { return c.nodes[name] }

// startHbd starts hbd on the node.
func (n *foNode) startHbd() {
	n.c.t.Helper()
	h, err := n.c.l.StartHbd(n.node, n.cfg, n.c.tools.hbd)
	if err != nil {
		n.c.t.Fatal(err)
	}
	n.hbd, n.real = h, nil
}

// startReal starts the real heartbeat 3.0.6 on the node.
func (n *foNode) startReal() {
	n.c.t.Helper()
	hb, err := n.c.l.StartHeartbeat(n.node, n.cfg)
	if err != nil {
		n.c.t.Fatal(err)
	}
	n.real, n.hbd = hb, nil
}

func (n *foNode) what() string {
	if n.real != nil {
		return n.name + " (heartbeat)"
	}
	return n.name + " (hbd)"
}

// status is hbd's hbctl status --json.
func (n *foNode) status() (*ctl.Status, error) {
	out, err := n.hbd.Exec(n.c.tools.hbctl, "status", "--run-dir", n.hbd.RunDir, "--json")
	if err != nil {
		return nil, err
	}
	var st ctl.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Errorf("hbctl status --json on %s: %w: %q", n.name, err, out)
	}
	return &st, nil
}

// rscstatus is what the node says it holds: none, local, foreign, all or
// transition (hbd's status "resources", heartbeat's cl_status rscstatus).
func (n *foNode) rscstatus() (string, error) {
	if n.real != nil {
		return n.real.ClStatus("rscstatus")
	}
	st, err := n.status()
	if err != nil {
		return "", err
	}
	return st.Resources, nil
}

// held lists the resource instances whose state file exists on the node.
func (n *foNode) held() []string {
	ents, _ := os.ReadDir(n.logDir)
	held := []string{}
	for _, e := range ents {
		if inst, ok := strings.CutPrefix(e.Name(), "rsc."); ok && inst != "log" {
			held = append(held, inst)
		}
	}
	slices.Sort(held)
	return held
}

// mark is a position in the node's rsc.log; ops returns what came after.
func (n *foNode) mark() int64 {
	fi, err := os.Stat(filepath.Join(n.logDir, "rsc.log"))
	if err != nil {
		return 0
	}
	return fi.Size()
}

// ops returns the start and stop calls logged since mark, as "start a1"
// (status calls are left out: they come and go with every acquisition).
// Lines from the svc script keep their "vip=yes|no".
func (n *foNode) ops(mark int64) []string {
	b, _ := os.ReadFile(filepath.Join(n.logDir, "rsc.log"))
	if int64(len(b)) < mark {
		mark = 0
	}
	var ops []string
	sc := bufio.NewScanner(strings.NewReader(string(b[mark:])))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || (f[2] != "start" && f[2] != "stop") {
			continue
		}
		ops = append(ops, strings.Join(append([]string{f[2], f[1]}, f[3:]...), " "))
	}
	return ops
}

// foWant is the expected stable state of one node.
type foWant struct {
	Rsc  string   // rscstatus
	Held []string // running instances
}

// waitSteady waits until every node holds what want says and reports it
// stably (not "transition").
func (c *foCluster) waitSteady(what string, timeout time.Duration, want map[string]foWant) {
	c.t.Helper()
	var diff string
	err := lab.Eventually(timeout, func() error {
		got := map[string]foWant{}
		for name := range want {
			n := c.node(name)
			rsc, err := n.rscstatus()
			if err != nil {
				return err
			}
			got[name] = foWant{Rsc: rsc, Held: n.held()}
		}
		if diff = cmp.Diff(want, got); diff != "" {
			return errors.New("not there yet")
		}
		return nil
	})
	if err != nil {
		c.t.Fatalf("%s: after %v: %v; holdings (-want +got):\n%s", what, timeout, err, diff)
	}
}

// crash kills the node's daemon with SIGKILL and then the rest of the
// node: its processes and its NIC (see the file comment). It returns the
// moment of the SIGKILL.
func (n *foNode) crash() time.Time {
	n.c.t.Helper()
	var kill func(syscall.Signal) error
	var powerOff func() error
	if n.real != nil {
		kill, powerOff = n.real.Kill, n.real.PowerOff
	} else {
		kill, powerOff = n.hbd.Kill, n.hbd.PowerOff
	}
	at := time.Now()
	if err := kill(syscall.SIGKILL); err != nil {
		n.c.t.Fatal(err)
	}
	if err := powerOff(); err != nil {
		n.c.t.Fatal(err)
	}
	if err := n.node.LinkDown("eth0"); err != nil {
		n.c.t.Fatal(err)
	}
	return at
}

// reboot brings a crashed node back as a fresh boot would: nothing
// running (state files gone), no address but its own on eth0, link up.
func (n *foNode) reboot() {
	n.c.t.Helper()
	for _, inst := range n.held() {
		if err := os.Remove(filepath.Join(n.logDir, "rsc."+inst)); err != nil {
			n.c.t.Fatal(err)
		}
	}
	for _, a := range n.vips() {
		if _, err := n.node.Exec("ip", "addr", "del", a+"/24", "dev", "eth0"); err != nil {
			n.c.t.Fatal(err)
		}
	}
	if err := n.node.LinkUp("eth0"); err != nil {
		n.c.t.Fatal(err)
	}
}

// vips lists the IPv4 addresses on the node's eth0 besides its own.
func (n *foNode) vips() []string {
	n.c.t.Helper()
	out, err := n.node.Exec("ip", "-o", "-4", "addr", "show", "dev", "eth0")
	if err != nil {
		n.c.t.Fatal(err)
	}
	vips := []string{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		if a, _, _ := strings.Cut(f[3], "/"); a != n.node.Addr(0).String() {
			vips = append(vips, a)
		}
	}
	slices.Sort(vips)
	return vips
}

// stop sends SIGTERM to the daemon and waits for the whole node to end.
func (n *foNode) stop(timeout time.Duration) error {
	if n.real != nil {
		if err := n.real.Kill(syscall.SIGTERM); err != nil {
			return err
		}
		return n.real.Wait(timeout)
	}
	if err := n.hbd.Kill(syscall.SIGTERM); err != nil {
		return err
	}
	return n.hbd.Wait(timeout)
}

// log is the daemon's logfile.
func (n *foNode) log() string {
	if n.real != nil {
		return n.real.Log()
	}
	return n.hbd.Log()
}

// exec runs a command inside the running daemon's node namespaces.
func (n *foNode) exec(args ...string) (string, error) {
	if n.real != nil {
		return n.real.Exec(args...)
	}
	return n.hbd.Exec(args...)
}

// standby runs hb_standby WHICH on the node: heartbeat's own script, or
// hbd's compat command with HBD_RUN_DIR.
func (n *foNode) standby(which string) error {
	_, err := n.exec(n.standbyCmd("hb_standby", which)...)
	return err
}

// takeover runs hb_takeover WHICH on the node.
func (n *foNode) takeover(which string) error {
	_, err := n.exec(n.standbyCmd("hb_takeover", which)...)
	return err
}

func (n *foNode) standbyCmd(cmd, which string) []string {
	if n.real != nil {
		return []string{"/usr/share/heartbeat/" + cmd, which}
	}
	bin := n.c.tools.hbStandby
	if cmd == "hb_takeover" {
		bin = n.c.tools.hbTakeover
	}
	return []string{"env", "HBD_RUN_DIR=" + n.hbd.RunDir, bin, which}
}

// startBoth starts both daemons at once (hbd, or the real heartbeat where
// asked): spec §12.2 R1, a simultaneous start, where each node takes its
// local group once heartbeat's 10 s request delay has passed (§7.2).
func (c *foCluster) startBoth(hsaReal, hsbReal bool) {
	c.t.Helper()
	for name, real := range map[string]bool{"hsa": hsaReal, "hsb": hsbReal} {
		if real {
			c.node(name).startReal()
		} else {
			c.node(name).startHbd()
		}
	}
}

// waitOps checks what the node's scripts did since mark. The holdings
// are checked before this, and a script logs its call before it changes
// its state file, so the log is complete by now; the wait only covers a
// slow filesystem and keeps the check from racing.
func (n *foNode) waitOps(what string, mark int64, want []string) {
	n.c.t.Helper()
	var got []string
	err := lab.Eventually(5*time.Second, func() error {
		if got = n.ops(mark); !slices.Equal(got, want) {
			return errors.New("differs")
		}
		return nil
	})
	if err != nil {
		n.c.t.Errorf("%s: operations on %s (-want +got):\n%s", what, n.what(), cmp.Diff(want, got))
	}
}

// foOps renders the start or stop calls of instances, in order.
func foOps(op string, insts ...string) []string {
	out := make([]string, len(insts))
	for i, s := range insts {
		out[i] = op + " " + s
	}
	return out
}

// checkLogsClean fails on log lines that mean duplicated ownership or a
// broken protocol on either side.
func (c *foCluster) checkLogsClean() {
	c.t.Helper()
	for _, name := range []string{"hsa", "hsb"} {
		n := c.node(name)
		for _, bad := range []string{"Both machines own", "authentication failed", "replay attack", "bad node", "Unexpected"} {
			for line := range strings.Lines(n.log()) {
				if strings.Contains(line, bad) {
					c.t.Errorf("%s logged %q: %s", n.what(), bad, strings.TrimSpace(line))
				}
			}
		}
	}
}

// foPeers are the daemons the peer node (hsb) runs in the tests that
// exist in both flavours; hsa always runs hbd.
var foPeers = []struct {
	name string
	real bool
}{{"hbd", false}, {"heartbeat", true}}

// foRequirePeer is foRequire for a test whose hsb runs peer.
func foRequirePeer(t *testing.T, real bool, programs ...string) foTools {
	t.Helper()
	if real {
		programs = append(programs, lab.HeartbeatBinary, lab.ClStatusBinary)
	}
	return foRequire(t, programs...)
}

// TestFailoverKill9 covers the crash of the active hbd with script-only
// groups: the standby starts the dead node's group in haresources order,
// and with auto_failback on the group goes home when the node returns,
// stopped right to left on the standby before it starts again on its home.
func TestFailoverKill9(t *testing.T) {
	tl := foRequire(t)
	t.Parallel()
	c := newFoCluster(t, tl, lab.Config{
		HaCf:        foHaCf("on"),
		Haresources: "hsa hbdtest::a1 hbdtest::a2 hbdtest::a3\nhsb hbdtest::b1\n",
	})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	c.startBoth(false, false)
	home := map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"a1", "a2", "a3"}},
		"hsb": {Rsc: "local", Held: []string{"b1"}},
	}
	c.waitSteady("start", 40*time.Second, home)
	hsa.waitOps("initial start", 0, foOps("start", "a1", "a2", "a3"))

	markB := hsb.mark()
	hsa.crash()
	c.waitSteady("after kill -9 of hsa", 20*time.Second, map[string]foWant{
		"hsb": {Rsc: "all", Held: []string{"a1", "a2", "a3", "b1"}},
	})
	hsb.waitOps("takeover", markB, foOps("start", "a1", "a2", "a3"))
	if _, err := hsb.hbd.WaitLog(`node hsa: is dead`, time.Second); err != nil {
		t.Errorf("hsb took over without declaring hsa dead: %v", err)
	}

	markA, markB := hsa.mark(), hsb.mark()
	hsa.reboot()
	hsa.startHbd()
	c.waitSteady("auto_failback after hsa's restart", 30*time.Second, home)
	hsb.waitOps("failback on the standby", markB, foOps("stop", "a3", "a2", "a1"))
	hsa.waitOps("failback on the home node", markA, foOps("start", "a1", "a2", "a3"))
	c.checkLogsClean()
}

// TestFailoverAutoFailbackOff: with auto_failback off a returning node
// gets nothing back; both sides stay stable with the group on the
// standby, until an explicit hb_takeover brings it home.
func TestFailoverAutoFailbackOff(t *testing.T) {
	t.Parallel()
	for _, peer := range foPeers {
		t.Run(peer.name+"-peer", func(t *testing.T) {
			tl := foRequirePeer(t, peer.real)
			t.Parallel()
			testAutoFailbackOff(t, tl, peer.real)
		})
	}
}

func testAutoFailbackOff(t *testing.T, tl foTools, real bool) {
	c := newFoCluster(t, tl, lab.Config{
		HaCf:        foHaCf("off"),
		Haresources: "hsa hbdtest::a1 hbdtest::a2\nhsb hbdtest::b1\n",
	})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	c.startBoth(false, real)
	c.waitSteady("start", 40*time.Second, map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"a1", "a2"}},
		"hsb": {Rsc: "local", Held: []string{"b1"}},
	})
	hsa.crash()
	away := map[string]foWant{
		"hsa": {Rsc: "none", Held: []string{}},
		"hsb": {Rsc: "all", Held: []string{"a1", "a2", "b1"}},
	}
	c.waitSteady("after kill -9 of hsa", 20*time.Second, map[string]foWant{"hsb": away["hsb"]})

	hsa.reboot()
	markA, markB := hsa.mark(), hsb.mark()
	hsa.startHbd()
	c.waitSteady("hsa back, auto_failback off", 30*time.Second, away)
	// Nothing may move now. A failback would start as soon as hsa is
	// stable (PerformAutoFailback runs on the peer's isstable=1 and
	// retries every second), so three seconds of both sides steady with
	// the group on hsb show that none is coming.
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range []*foNode{hsa, hsb} {
			rsc, err := n.rscstatus()
			if err != nil {
				t.Fatal(err)
			}
			if want := away[n.name]; rsc != want.Rsc || !slices.Equal(n.held(), want.Held) {
				t.Fatalf("with auto_failback off, %s moved to %s holding %v", n.name, rsc, n.held())
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	hsa.waitOps("returning with auto_failback off", markA, nil)
	hsb.waitOps("returning with auto_failback off", markB, nil)

	// The way home with auto_failback off: hb_takeover local on hsa, for
	// which hsb goes standby for its foreign groups (§7.5).
	if err := hsa.takeover("local"); err != nil {
		t.Fatal(err)
	}
	c.waitSteady("hb_takeover local on hsa", 20*time.Second, map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"a1", "a2"}},
		"hsb": {Rsc: "local", Held: []string{"b1"}},
	})
	c.checkLogsClean()
}

// TestFailoverSIGTERM: a graceful stop hands the group over at once: the
// stopping node stops its group right to left, tells the peer (shutdone),
// the peer starts it left to right without waiting for deadtime, and
// nothing of the group or of hbd is left on the old node.
func TestFailoverSIGTERM(t *testing.T) {
	tl := foRequire(t)
	t.Parallel()
	c := newFoCluster(t, tl, lab.Config{
		HaCf:        foHaCf("on"),
		Haresources: "hsa hbdtest::a1 hbdtest::a2 hbdtest::a3\nhsb hbdtest::b1\n",
	})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	c.startBoth(false, false)
	c.waitSteady("start", 40*time.Second, map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"a1", "a2", "a3"}},
		"hsb": {Rsc: "local", Held: []string{"b1"}},
	})
	markA, markB := hsa.mark(), hsb.mark()
	if err := hsa.stop(30 * time.Second); err != nil {
		t.Fatalf("hbd on hsa after SIGTERM: %v, want exit status 0\n%s", err, hsa.hbd.Output())
	}
	c.waitSteady("after SIGTERM of hsa", 10*time.Second, map[string]foWant{
		"hsb": {Rsc: "all", Held: []string{"a1", "a2", "a3", "b1"}},
	})
	hsa.waitOps("graceful stop", markA, foOps("stop", "a3", "a2", "a1"))
	hsb.waitOps("handover", markB, foOps("start", "a1", "a2", "a3"))
	if got := hsa.held(); len(got) != 0 {
		t.Errorf("after hbd's exit hsa still runs %v", got)
	}
	if hsa.hbd.Running() {
		t.Errorf("processes of hsa are left after hbd's exit")
	}
	// "At once": hsb started the group before it could have noticed hsa's
	// silence, i.e. before it declared hsa dead (deadtime later, when it
	// logs that the dead node had given up its resources).
	log := hsb.log()
	took := strings.Index(log, "Acquiring resource group: hsa ")
	dead := strings.Index(log, "node hsa: is dead")
	if took < 0 || (dead >= 0 && dead < took) {
		t.Errorf("hsb did not take the group on hsa's shutdown message (acquire at %d, death at %d in its log)", took, dead)
	}
	if _, err := hsb.hbd.WaitLog(`Dead node hsa gave up resources`, 2*foDeadtime+5*time.Second); err != nil {
		t.Errorf("hsb: %v", err)
	}
	c.checkLogsClean()
}

// TestFailoverStandbyTakeover drives the standby protocol (§7.5) with
// heartbeat's commands (hbd's hb_standby and hb_takeover) and hbctl, and
// checks that a standby is refused while resources are in transition.
func TestFailoverStandbyTakeover(t *testing.T) {
	tl := foRequire(t)
	t.Parallel()
	c := newFoCluster(t, tl, lab.Config{
		HaCf:        foHaCf("on"),
		Haresources: "hsa hbdtest::a1 hbdtest::a2\nhsb hbdtest::b1\n",
	})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	c.startBoth(false, false)
	// While the nodes wait out the 10 s request delay of a simultaneous
	// start, resources are in transition and a standby must be refused
	// (§12.2 R4), not queued: catch hsa early in that window.
	err := lab.Eventually(20*time.Second, func() error {
		st, err := hsa.status()
		if err != nil {
			return err
		}
		if !st.CommUp || st.Resources != "transition" || st.UptimeMs > 5000 {
			return fmt.Errorf("hsa: comm up %v, resources %s, up %d ms", st.CommUp, st.Resources, st.UptimeMs)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("waiting for the start-up transition: %v", err)
	}
	if out, err := hsa.exec(hsa.standbyCmd("hb_standby", "all")...); err == nil || !strings.Contains(out+err.Error(), "transition") {
		t.Errorf("hb_standby during the start-up transition: %v %q, want a refusal naming the transition", err, out)
	}
	home := map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"a1", "a2"}},
		"hsb": {Rsc: "local", Held: []string{"b1"}},
	}
	c.waitSteady("start", 40*time.Second, home)
	allOn := func(n string) map[string]foWant {
		w := map[string]foWant{n: {Rsc: "all", Held: []string{"a1", "a2", "b1"}}}
		other := map[string]string{"hsa": "hsb", "hsb": "hsa"}[n]
		w[other] = foWant{Rsc: "none", Held: []string{}}
		return w
	}

	markA, markB := hsa.mark(), hsb.mark()
	if err := hsa.standby("all"); err != nil {
		t.Fatal(err)
	}
	c.waitSteady("hb_standby all on hsa", 20*time.Second, allOn("hsb"))
	hsa.waitOps("hb_standby all", markA, foOps("stop", "a2", "a1"))
	hsb.waitOps("hb_standby all", markB, foOps("start", "a1", "a2"))

	// hb_takeover local on hsa: hsb runs hb_standby foreign, giving hsa
	// its own group back.
	if err := hsa.takeover("local"); err != nil {
		t.Fatal(err)
	}
	c.waitSteady("hb_takeover local on hsa", 20*time.Second, home)

	// hbctl on hsb: take everything, then go standby for what is foreign
	// to hsb (heartbeat's "failback").
	if _, err := hsb.exec(tl.hbctl, "takeover", "--run-dir", hsb.hbd.RunDir, "all"); err != nil {
		t.Fatal(err)
	}
	c.waitSteady("hbctl takeover all on hsb", 20*time.Second, allOn("hsb"))
	if err := hsb.standby("failback"); err != nil {
		t.Fatal(err)
	}
	c.waitSteady("hb_standby failback on hsb", 20*time.Second, home)
	c.checkLogsClean()
}

// TestFailoverFailingStart: a group whose start fails on its home node is
// given up there (every member stopped, right to left) and, after
// heartbeat's 30 s pause, handed to the peer, which starts it.
//
// With heartbeat as the peer, hsb only ever sees the script succeed: the
// failure is hbd's (hsa), so no failing script reaches real heartbeat.
func TestFailoverFailingStart(t *testing.T) {
	t.Parallel()
	for _, peer := range foPeers {
		t.Run(peer.name+"-peer", func(t *testing.T) {
			tl := foRequirePeer(t, peer.real)
			t.Parallel()
			testFailingStart(t, tl, peer.real)
		})
	}
}

func testFailingStart(t *testing.T, tl foTools, real bool) {
	c := newFoCluster(t, tl, lab.Config{
		HaCf:        foHaCf("on"),
		Haresources: "hsa hbdtest::a1 failon::hsa::a2 hbdtest::a3\nhsb hbdtest::b1\n",
	})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	c.startBoth(false, real)
	// 10 s request delay, the failed start, 30 s, the standby handshake.
	c.waitSteady("failed start on hsa", 90*time.Second, map[string]foWant{
		"hsa": {Rsc: "none", Held: []string{}},
		"hsb": {Rsc: "all", Held: []string{"a1", "a2", "a3", "b1"}},
	})
	hsa.waitOps("failing start", 0, []string{"start a1", "start a2", "stop a3", "stop a2", "stop a1"})
	hsb.waitOps("takeover of the failed group", 0, foOps("start", "b1", "a1", "a2", "a3"))
	if _, err := hsa.hbd.WaitLog(`Giving up resources due to failure of`, time.Second); err != nil {
		t.Error(err)
	}
	c.checkLogsClean()
}

// The VIPs of the IP tests: hsa's as IPaddr2 with an explicit prefix and
// interface, hsb's as a bare address (IPaddr, interface and prefix found
// from the routes, an alias label eth0:N).
const (
	foVIPa = "198.18.0.100"
	foVIPb = "198.18.0.101"
)

// foVIPResources is haresources for the IP tests: each address followed
// by services that record whether the address was up when they started
// or stopped.
const foVIPResources = "hsa IPaddr2::" + foVIPa + "/24/eth0 svc::s1::" + foVIPa + " svc::s2::" + foVIPa + "\n" +
	"hsb " + foVIPb + " svc::t1::" + foVIPb + "\n"

// mac is the node's eth0 hardware address.
func (n *foNode) mac() net.HardwareAddr {
	n.c.t.Helper()
	m, err := garp.MAC(n.node, "eth0")
	if err != nil {
		n.c.t.Fatal(err)
	}
	return m
}

// checkVIPAt checks that vip is configured on owner only, and that the
// observer, asking ARP afresh, reaches it at owner's MAC.
func (c *foCluster) checkVIPAt(vip string, owner *foNode, others ...*foNode) {
	c.t.Helper()
	for _, n := range others {
		if slices.Contains(n.vips(), vip) {
			c.t.Errorf("%s is configured on %s too (owner: %s)", vip, n.name, owner.name)
		}
	}
	if !slices.Contains(owner.vips(), vip) {
		c.t.Errorf("%s is not configured on its owner %s (has %v)", vip, owner.name, owner.vips())
	}
	obs := c.l.Observer()
	var neigh string
	err := lab.Eventually(10*time.Second, func() error {
		// Forget what the observer learnt, so the answer comes from
		// whoever owns the address now.
		if _, err := obs.Exec("ip", "neigh", "flush", "dev", "eth0"); err != nil {
			return err
		}
		if err := obs.Ping(netip.MustParseAddr(vip)); err != nil {
			return err
		}
		out, err := obs.Exec("ip", "neigh", "show", vip, "dev", "eth0")
		if err != nil {
			return err
		}
		neigh = strings.TrimSpace(out)
		// "198.18.0.100 lladdr 02:…:01 REACHABLE"
		f := strings.Fields(neigh)
		if i := slices.Index(f, "lladdr"); i < 0 || i+1 >= len(f) || f[i+1] != owner.mac().String() {
			return fmt.Errorf("observer's neighbour entry for %s is %q, want lladdr %s (%s)", vip, neigh, owner.mac(), owner.name)
		}
		return nil
	})
	if err != nil {
		c.t.Errorf("reaching %s from the observer: %v", vip, err)
	}
}

// TestFailoverVIP is the IP side of R10 and Deliver 7 between two hbd
// nodes: a crash moves the VIP with its services to the standby, which
// announces it with heartbeat's gratuitous ARP burst; services start only
// once the address is up and stop before it goes; auto_failback brings it
// home; a graceful stop hands it over and leaves nothing behind. At every
// stable point the observer reaches each VIP at its owner only.
func TestFailoverVIP(t *testing.T) {
	tl := foRequire(t, "tcpdump", "ping")
	t.Parallel()
	c := newFoCluster(t, tl, lab.Config{HaCf: foHaCf("on"), Haresources: foVIPResources})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	arp, err := c.l.Observer().Capture("eth0", "arp")
	if err != nil {
		t.Fatal(err)
	}
	c.startBoth(false, false)
	home := map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"s1", "s2"}},
		"hsb": {Rsc: "local", Held: []string{"t1"}},
	}
	c.waitSteady("start", 40*time.Second, home)
	hsa.waitOps("initial start", 0, []string{"start s1 vip=yes", "start s2 vip=yes"})
	c.checkVIPAt(foVIPa, hsa, hsb)
	c.checkVIPAt(foVIPb, hsb, hsa)
	// IPaddr puts the address on the first free alias label (§9.1).
	// "2: eth0    inet 198.18.0.101/24 brd … secondary eth0:0\       valid_lft …"
	out, err := hsb.node.Exec("ip", "-o", "-4", "addr", "show", "to", foVIPb)
	if f := strings.Fields(strings.ReplaceAll(out, `\`, " ")); err != nil || !slices.Contains(f, "eth0:0") {
		t.Errorf("IPaddr %s on hsb: %q %v, want the label eth0:0", foVIPb, out, err)
	}

	// Crash of hsa.
	markB := hsb.mark()
	killed := hsa.crash()
	first, err := garp.First(arp, netip.MustParseAddr(foVIPa), hsb.mac(), killed, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("kill -9 of hsa → first GARP for %s from hsb: %v", foVIPa, first.Time.Sub(killed).Round(time.Millisecond))
	c.waitSteady("after kill -9 of hsa", 20*time.Second, map[string]foWant{
		"hsb": {Rsc: "all", Held: []string{"s1", "s2", "t1"}},
	})
	hsb.waitOps("takeover", markB, []string{"start s1 vip=yes", "start s2 vip=yes"})
	c.checkVIPAt(foVIPa, hsb)
	// IPaddr2's burst: 5 request/reply pairs, a packet every 100 ms (§9.2,
	// R10). It is over 900 ms after it began; wait for that before
	// counting, then check nothing is missing or extra.
	time.Sleep(time.Until(first.Time.Add(2 * time.Second)))
	if err := arp.Stop(); err != nil {
		t.Fatal(err)
	}
	frames, err := arp.Frames()
	if err != nil {
		t.Fatal(err)
	}
	var ops []uint16
	var last time.Time
	for _, a := range garp.Parse(frames, netip.MustParseAddr(foVIPa)) {
		if !a.Time.Before(killed) && slices.Equal(a.MAC, hsb.mac()) {
			ops = append(ops, a.Op)
			last = a.Time
		}
	}
	if d := cmp.Diff([]uint16{1, 2, 1, 2, 1, 2, 1, 2, 1, 2}, ops); d != "" {
		t.Errorf("gratuitous ARP from hsb after the takeover, by ARP op (-want +got):\n%s", d)
	}
	if span := last.Sub(first.Time); span < 800*time.Millisecond {
		t.Errorf("the GARP burst lasted %v, want 9 intervals of 100 ms", span)
	}

	// hsa returns: auto_failback. The services stop on hsb before the
	// address goes, and start on hsa after it is up.
	hsa.reboot()
	markA, markB := hsa.mark(), hsb.mark()
	hsa.startHbd()
	c.waitSteady("auto_failback", 30*time.Second, home)
	hsb.waitOps("failback on hsb", markB, []string{"stop s2 vip=yes", "stop s1 vip=yes"})
	hsa.waitOps("failback on hsa", markA, []string{"start s1 vip=yes", "start s2 vip=yes"})
	c.checkVIPAt(foVIPa, hsa, hsb)
	c.checkVIPAt(foVIPb, hsb, hsa)

	// Graceful stop of hsa: immediate handover, nothing left on hsa.
	markA, markB = hsa.mark(), hsb.mark()
	if err := hsa.stop(30 * time.Second); err != nil {
		t.Fatalf("hbd on hsa after SIGTERM: %v\n%s", err, hsa.hbd.Output())
	}
	c.waitSteady("after SIGTERM of hsa", 10*time.Second, map[string]foWant{
		"hsb": {Rsc: "all", Held: []string{"s1", "s2", "t1"}},
	})
	hsa.waitOps("graceful stop", markA, []string{"stop s2 vip=yes", "stop s1 vip=yes"})
	hsb.waitOps("handover", markB, []string{"start s1 vip=yes", "start s2 vip=yes"})
	if got := hsa.vips(); len(got) != 0 {
		t.Errorf("hsa keeps %v after hbd's exit", got)
	}
	c.checkVIPAt(foVIPa, hsb, hsa)
	c.checkLogsClean()
}

// The acceptance bound of issue 4: with keepalive 200 ms and deadtime
// 600 ms, kill -9 of the active node → first GARP from the standby seen
// by the observer, median over 10 trials.
const (
	foLatencyTrials = 10
	foLatencyBound  = 650 * time.Millisecond
)

// TestFailoverLatency measures kill -9 of the active hbd → the first
// gratuitous ARP for the VIP from the standby, as the observer's capture
// timestamps it, over foLatencyTrials crashes, and checks the median
// against the bound. Each trial restores the starting point
// (hsa back and holding the VIP by auto_failback) before the next crash.
// It runs alone (not in parallel): the figure is a latency on a shared
// two-core machine.
func TestFailoverLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the 10-trial failover measurement in -short mode")
	}
	tl := foRequire(t, "tcpdump")
	c := newFoCluster(t, tl, lab.Config{
		HaCf:        "keepalive 200ms\ndeadtime 600ms\nwarntime 400ms\ninitdead 2\nudpport 694\nbcast eth0\nauto_failback on\nnode hsa hsb\n",
		Haresources: "hsa IPaddr2::" + foVIPa + "/24/eth0 svc::s1::" + foVIPa + "\n",
	})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	arp, err := c.l.Observer().Capture("eth0", "arp")
	if err != nil {
		t.Fatal(err)
	}
	// hsa first, alone: it takes the VIP after initdead; then hsb joins.
	hsa.startHbd()
	c.waitSteady("hsa alone", 20*time.Second, map[string]foWant{"hsa": {Rsc: "all", Held: []string{"s1"}}})
	hsb.startHbd()
	// hsb has no group of its own but holds its (empty) local set, as
	// heartbeat's rscstatus would say after req_our_resources.
	home := map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"s1"}},
		"hsb": {Rsc: "local", Held: []string{}},
	}
	c.waitSteady("hsb joined", 30*time.Second, home)

	vip := netip.MustParseAddr(foVIPa)
	var lat []time.Duration
	for trial := 1; trial <= foLatencyTrials; trial++ {
		// A freshly started node advertises deadtime + 2 s for its first 5
		// s (heartbeat's hb_add_deadtime/hb_pop_deadtime), and the
		// survivor honours the victim's advertised dt (§12.2 R5). Crash
		// hsa only once hsb applies the configured 600 ms to it, or the
		// trial would measure the start-up allowance instead.
		err := lab.Eventually(20*time.Second, func() error {
			st, err := hsb.status()
			if err != nil {
				return err
			}
			if n := st.FindNode("hsa"); n == nil || n.Status != "active" || n.DeadtimeMs != 600 {
				return fmt.Errorf("hsb applies to hsa: %+v", n)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		killed := hsa.crash()
		g, err := garp.First(arp, vip, hsb.mac(), killed, 10*time.Second)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		d := g.Time.Sub(killed)
		lat = append(lat, d)
		t.Logf("trial %2d: kill -9 → first GARP from hsb: %4d ms", trial, d.Milliseconds())
		c.waitSteady(fmt.Sprintf("trial %d: takeover", trial), 20*time.Second, map[string]foWant{
			"hsb": {Rsc: "all", Held: []string{"s1"}},
		})
		// Back to the starting point: hsa reboots and gets the VIP back.
		hsa.reboot()
		back := time.Now()
		hsa.startHbd()
		if _, err := garp.First(arp, vip, hsa.mac(), back, 30*time.Second); err != nil {
			t.Fatalf("trial %d: failback: %v", trial, err)
		}
		c.waitSteady(fmt.Sprintf("trial %d: failback", trial), 30*time.Second, home)
	}
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	// The median of an even count is the mean of the middle two.
	median := (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
	var ms []int64
	for _, d := range lat {
		ms = append(ms, d.Milliseconds())
	}
	t.Logf("kill -9 → first GARP over %d trials (ms): %v; min %d, median %d, max %d",
		len(lat), ms, sorted[0].Milliseconds(), median.Milliseconds(), sorted[len(sorted)-1].Milliseconds())
	if median > foLatencyBound {
		t.Errorf("median kill -9 → first GARP = %v, want ≤ %v (keepalive 200 ms, deadtime 600 ms)", median, foLatencyBound)
	}
	// 600 ms of deadtime leaves three missed heartbeats of margin; on a
	// machine busy with other namespace tests hsb may now and then declare
	// a live hsa dead, both take the VIP and heal as heartbeat does (a
	// restart on "returning after partition"). That is the configured
	// behaviour, not a failure of the measurement: each trial starts from
	// a checked steady state, and the median absorbs one disturbed trial.
	// The functional tests, with a 2 s deadtime, check the logs for it.
	if deaths := strings.Count(hsb.log(), "node hsa: is dead"); deaths > foLatencyTrials {
		var why []string
		for line := range strings.Lines(hsb.log()) {
			if strings.Contains(line, "is dead") || strings.Contains(line, "Late heartbeat") || strings.Contains(line, "after partition") {
				why = append(why, strings.TrimSpace(line))
			}
		}
		t.Logf("note: hsb declared hsa dead %d times for %d crashes: %d spurious deaths under load:\n%s",
			deaths, foLatencyTrials, deaths-foLatencyTrials, strings.Join(why, "\n"))
	}
}

// TestFailoverRealPeer runs hbd (hsa) against a real heartbeat 3.0.6
// (hsb), each with an IPaddr2 VIP and services, through R1–R5 and R7 in
// both directions (§12.2): at every stable point hbd's hbctl status and
// heartbeat's cl_status rscstatus must agree with what actually runs
// where, and the observer must reach each VIP at its owner only. Real
// heartbeat runs the stock IPaddr2 agent; hbd its built-in one.
func TestFailoverRealPeer(t *testing.T) {
	tl := foRequire(t, lab.HeartbeatBinary, lab.ClStatusBinary, "ping")
	t.Parallel()
	c := newFoCluster(t, tl, lab.Config{
		HaCf: foHaCf("on"),
		Haresources: "hsa IPaddr2::" + foVIPa + "/24/eth0 svc::a1::" + foVIPa + " svc::a2::" + foVIPa + "\n" +
			"hsb IPaddr2::" + foVIPb + "/24/eth0 svc::b1::" + foVIPb + "\n",
	})
	hsa, hsb := c.node("hsa"), c.node("hsb")
	home := map[string]foWant{
		"hsa": {Rsc: "local", Held: []string{"a1", "a2"}},
		"hsb": {Rsc: "local", Held: []string{"b1"}},
	}
	allOn := func(owner, other *foNode) map[string]foWant {
		return map[string]foWant{
			owner.name: {Rsc: "all", Held: []string{"a1", "a2", "b1"}},
			other.name: {Rsc: "none", Held: []string{}},
		}
	}
	checkHome := func(what string) {
		t.Helper()
		c.waitSteady(what, 40*time.Second, home)
		c.checkVIPAt(foVIPa, hsa, hsb)
		c.checkVIPAt(foVIPb, hsb, hsa)
	}
	checkAllOn := func(what string, owner, other *foNode) {
		t.Helper()
		c.waitSteady(what, 30*time.Second, allOn(owner, other))
		c.checkVIPAt(foVIPa, owner, other)
		c.checkVIPAt(foVIPb, owner, other)
	}
	began := time.Now()
	step := func(what string) { t.Logf("%5.1fs %s", time.Since(began).Seconds(), what) }

	step("R1: simultaneous start")
	c.startBoth(false, true)
	checkHome("R1: simultaneous start")
	hsa.waitOps("R1 on hbd", 0, []string{"start a1 vip=yes", "start a2 vip=yes"})
	hsb.waitOps("R1 on heartbeat", 0, []string{"start b1 vip=yes"})

	for _, pair := range [][2]*foNode{{hsb, hsa}, {hsa, hsb}} {
		asker, peer := pair[0], pair[1]
		step("R4: hb_standby all on " + asker.what())
		markAsk, markPeer := asker.mark(), peer.mark()
		if err := asker.standby("all"); err != nil {
			t.Fatal(err)
		}
		checkAllOn("hb_standby all on "+asker.what(), peer, asker)
		// Stops run right to left per group. heartbeat's hb_standby all
		// runs givegroup for every key in the file (allkeys), held or not,
		// so the real node also "stops" the group it does not run
		// (vip=no); hbd stops only what it holds.
		groups := map[string][]string{"hsa": {"a1", "a2"}, "hsb": {"b1"}}
		var stops, starts []string
		for _, g := range []string{"hsa", "hsb"} {
			if g != asker.name && asker.real == nil {
				continue
			}
			vip := "yes"
			if g != asker.name {
				vip = "no"
			}
			for _, s := range slices.Backward(groups[g]) {
				stops = append(stops, "stop "+s+" vip="+vip)
			}
		}
		for _, s := range groups[asker.name] {
			starts = append(starts, "start "+s+" vip=yes")
		}
		asker.waitOps("hb_standby all", markAsk, stops)
		peer.waitOps("hb_standby all", markPeer, starts)

		step("R4: hb_takeover local on " + asker.what())
		if err := asker.takeover("local"); err != nil {
			t.Fatal(err)
		}
		checkHome("hb_takeover local on " + asker.what())
	}

	for _, victim := range []*foNode{hsa, hsb} {
		survivor := map[*foNode]*foNode{hsa: hsb, hsb: hsa}[victim]
		real := victim.real != nil
		step("R5: kill -9 of " + victim.what())
		markS := survivor.mark()
		victim.crash()
		c.waitSteady("after kill -9 of "+victim.what(), 30*time.Second, map[string]foWant{
			survivor.name: {Rsc: "all", Held: []string{"a1", "a2", "b1"}},
		})
		var starts []string
		for _, s := range map[string][]string{"hsa": {"a1", "a2"}, "hsb": {"b1"}}[victim.name] {
			starts = append(starts, "start "+s+" vip=yes")
		}
		survivor.waitOps("takeover after kill -9 of "+victim.what(), markS, starts)
		c.checkVIPAt(foVIPa, survivor)
		c.checkVIPAt(foVIPb, survivor)
		step("R2/R3: " + victim.name + " returns, auto_failback")
		victim.reboot()
		if real {
			victim.startReal()
		} else {
			victim.startHbd()
		}
		checkHome(victim.what() + " back after a crash")

		step("R7: SIGTERM of " + victim.what())
		markV, markS := victim.mark(), survivor.mark()
		if err := victim.stop(60 * time.Second); err != nil {
			t.Fatalf("%s after SIGTERM: %v", victim.what(), err)
		}
		c.waitSteady("after SIGTERM of "+victim.what(), 20*time.Second, map[string]foWant{
			survivor.name: {Rsc: "all", Held: []string{"a1", "a2", "b1"}},
		})
		if got := victim.vips(); len(got) != 0 {
			t.Errorf("%s keeps %v after its daemon's exit", victim.what(), got)
		}
		if got := victim.held(); len(got) != 0 {
			t.Errorf("%s still runs %v after its daemon's exit", victim.what(), got)
		}
		c.checkVIPAt(foVIPa, survivor, victim)
		c.checkVIPAt(foVIPb, survivor, victim)
		if len(victim.ops(markV)) == 0 || len(survivor.ops(markS)) == 0 {
			t.Errorf("SIGTERM of %s: no stop on it (%v) or no start on %s (%v)",
				victim.what(), victim.ops(markV), survivor.what(), survivor.ops(markS))
		}
		if real {
			victim.startReal()
		} else {
			victim.startHbd()
		}
		checkHome(victim.what() + " back after SIGTERM")
	}
	step("done")
	c.checkLogsClean()
}
