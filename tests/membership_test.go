package tests

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/hbd-project/hbd/tests/lab"
)

// Membership tests run real hbd processes against each other in the lab.
// Timings are short so the tests stay quick; every figure an assertion
// uses is derived from these constants, which also write ha.cf.
const (
	mbKeepalive = 200 * time.Millisecond
	mbDeadtime  = time.Second
	mbInitdead  = 2 * time.Second // ≥ deadtime; short, since both nodes start together
)

// mbTwoMediaCf is a two-node cluster on two LANs, one bcast medium each.
var mbTwoMediaCf = fmt.Sprintf(`keepalive %dms
deadtime %dms
initdead %dms
udpport 694
bcast eth0
bcast eth1
node hsa hsb
`, mbKeepalive.Milliseconds(), mbDeadtime.Milliseconds(), mbInitdead.Milliseconds())

// mbTools are the binaries of this repository the tests run.
type mbTools struct{ hbd, hbctl, clStatusBin string }

// mbRequire skips unless the lab can run (root, the named programs) and
// bin/ holds hbd, hbctl and cl_status (go build -o bin/ ./cmd/...).
func mbRequire(t *testing.T, programs ...string) mbTools {
	t.Helper()
	lab.Require(t, programs...)
	bin, err := lab.HbdBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(bin)
	tl := mbTools{hbd: bin, hbctl: filepath.Join(dir, "hbctl"), clStatusBin: filepath.Join(dir, "cl_status")}
	for _, p := range []string{tl.hbd, tl.hbctl, tl.clStatusBin} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("skipping: %v (run go build -o bin/ ./cmd/...)", err)
		}
	}
	return tl
}

// status runs `hbctl status --json` inside the node's namespaces.
func (tl mbTools) status(h *lab.Hbd) (*ctl.Status, error) {
	out, err := h.Exec(tl.hbctl, "status", "--run-dir", h.RunDir, "--json")
	if err != nil {
		return nil, err
	}
	var st ctl.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Errorf("hbctl status --json on %s: %w: %q", h.Node.Name, err, out)
	}
	return &st, nil
}

// waitStatus polls hbctl status until cond accepts it and returns that
// status, or fails the test with cond's last complaint.
func (tl mbTools) waitStatus(t *testing.T, h *lab.Hbd, timeout time.Duration, what string, cond func(*ctl.Status) error) *ctl.Status {
	t.Helper()
	var last *ctl.Status
	err := lab.Eventually(timeout, func() error {
		st, err := tl.status(h)
		if err != nil {
			return err
		}
		last = st
		return cond(st)
	})
	if err != nil {
		t.Fatalf("on %s, waiting %v for %s: %v\n%s", h.Node.Name, timeout, what, err, h.Output())
	}
	return last
}

// mbCl is one cl_status run: stdout and exit status.
type mbCl struct {
	Out  string
	Code int
}

// clStatus runs bin/cl_status inside the node's namespaces against its
// hbd. A non-zero exit status is a result, not an error.
func (tl mbTools) clStatus(h *lab.Hbd, args ...string) (mbCl, error) {
	out, err := h.Exec(append([]string{"env", "HBD_RUN_DIR=" + h.RunDir, tl.clStatusBin}, args...)...)
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return mbCl{out, exit.ExitCode()}, nil
	}
	return mbCl{out, 0}, err
}

// mbNodeIs checks that st shows node with the given status.
func mbNodeIs(st *ctl.Status, node, status string) error {
	n := st.FindNode(node)
	if n == nil {
		return fmt.Errorf("%s does not list node %s", st.Node, node)
	}
	if n.Status != status {
		return fmt.Errorf("%s sees %s %s, want %s", st.Node, node, n.Status, status)
	}
	return nil
}

// mbLinksAre checks the status of the links of node as seen in st.
func mbLinksAre(st *ctl.Status, node string, want map[string]string) error {
	n := st.FindNode(node)
	if n == nil {
		return fmt.Errorf("%s does not list node %s", st.Node, node)
	}
	got := map[string]string{}
	for _, l := range n.Links {
		if _, ok := want[l.Name]; ok {
			got[l.Name] = l.Status
		}
	}
	if d := cmp.Diff(want, got); d != "" {
		return fmt.Errorf("links of %s on %s (-want +got):\n%s", node, st.Node, d)
	}
	return nil
}

// mbBothActive is the steady state of a healthy pair: the local node active
// and the peer active with the configured deadtime in force. heartbeat
// advertises deadtime + 2 s for the first 5 s after start (§2.6), so until
// the peer's dt has come down, a death would be judged on the longer one.
func mbBothActive(peer string, deadtime time.Duration) func(*ctl.Status) error {
	return func(st *ctl.Status) error {
		if st.State != "active" {
			return fmt.Errorf("%s is %s, want active", st.Node, st.State)
		}
		if err := mbNodeIs(st, peer, "active"); err != nil {
			return err
		}
		if got := st.FindNode(peer).DeadtimeMs; got != deadtime.Milliseconds() {
			return fmt.Errorf("%s applies deadtime %d ms to %s, want %d", st.Node, got, peer, deadtime.Milliseconds())
		}
		return nil
	}
}

// mbStartPair starts hbd on every node of l, each with its config from
// cfgs, and waits until each sees itself and the other active with the
// given deadtime in force.
func mbStartPair(t *testing.T, tl mbTools, l *lab.Lab, cfgs map[string]lab.Config, deadtime time.Duration) map[string]*lab.Hbd {
	t.Helper()
	start := time.Now()
	hs := map[string]*lab.Hbd{}
	for _, n := range l.Nodes() {
		h, err := l.StartHbd(n, cfgs[n.Name], tl.hbd)
		if err != nil {
			t.Fatal(err)
		}
		hs[n.Name] = h
	}
	for name, h := range hs {
		for peer := range hs {
			if peer != name {
				tl.waitStatus(t, h, 30*time.Second, "both nodes active", mbBothActive(peer, deadtime))
			}
		}
	}
	t.Logf("hbd pair active with deadtime %v in force after %v", deadtime, time.Since(start).Round(time.Millisecond))
	return hs
}

// mbLogLineRE picks the time and message out of hbd's slog text lines:
// time=2026-01-02T15:04:05.123Z level=WARN msg="node hsb: is dead".
var mbLogLineRE = regexp.MustCompile(`^time=(\S+) level=\S+ msg=("(?:[^"\\]|\\.)*"|\S+)`)

// mbLogTime returns the time hbd stamped on the first log line with message
// msg logged at or after since. The stamp is taken when the record is
// made on the daemon's goroutine, before the asynchronous write, so it is
// the moment of the event, not of the disk write.
func mbLogTime(h *lab.Hbd, msg string, since time.Time) (time.Time, error) {
	sc := bufio.NewScanner(strings.NewReader(h.Log()))
	for sc.Scan() {
		m := mbLogLineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		got := m[2]
		if uq, err := strconv.Unquote(got); err == nil {
			got = uq
		}
		if got != msg {
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, m[1])
		if err != nil {
			return time.Time{}, fmt.Errorf("log line %q: %w", sc.Text(), err)
		}
		// Stamps have millisecond resolution.
		if !at.Before(since.Truncate(time.Millisecond)) {
			return at, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: no log line %q since %v", h.Node.Name, msg, since.Format(time.StampMilli))
}

// TestMembershipTwoMedia: two hbd nodes on two media. Pulling one cable
// keeps both nodes active and marks that link dead on both sides; putting
// it back brings the link up; pulling both declares the peer dead within
// deadtime + one keepalive.
func TestMembershipTwoMedia(t *testing.T) {
	tl := mbRequire(t)
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}, LANs: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := lab.Config{HaCf: mbTwoMediaCf}
	hs := mbStartPair(t, tl, l, map[string]lab.Config{"hsa": cfg, "hsb": cfg}, mbDeadtime)
	hsa, hsb := hs["hsa"], hs["hsb"]
	peerOf := map[*lab.Hbd]string{hsa: "hsb", hsb: "hsa"}
	allUp := map[string]string{"eth0": "up", "eth1": "up"}
	for h, peer := range peerOf {
		tl.waitStatus(t, h, 10*time.Second, "all links up", func(st *ctl.Status) error { return mbLinksAre(st, peer, allUp) })
	}

	// One cable out: the eth1 link of the peer dies on both sides, eth0
	// carries on.
	if err := hsb.Node.LinkDown("eth1"); err != nil {
		t.Fatal(err)
	}
	pulled := time.Now()
	eth1Dead := map[string]string{"eth0": "up", "eth1": "dead"}
	for h, peer := range peerOf {
		tl.waitStatus(t, h, 10*time.Second, "eth1 dead", func(st *ctl.Status) error { return mbLinksAre(st, peer, eth1Dead) })
	}
	t.Logf("eth1 of the peer dead on both sides %v after the pull", time.Since(pulled).Round(time.Millisecond))
	for h, peer := range peerOf {
		for link, want := range map[string]mbCl{"eth1": {"dead\n", 1}, "eth0": {"up\n", 0}} {
			got, err := tl.clStatus(h, "hblinkstatus", peer, link)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("on %s: cl_status hblinkstatus %s %s = %+v, want %+v", h.Node.Name, peer, link, got, want)
			}
		}
	}
	// Both stay active for several deadtimes on the remaining medium. Every
	// poll must pass; a single death would also show in node_deaths.
	for end := time.Now().Add(4 * mbDeadtime); time.Now().Before(end); {
		for h, peer := range peerOf {
			st, err := tl.status(h)
			if err != nil {
				t.Fatal(err)
			}
			if err := mbBothActive(peer, mbDeadtime)(st); err != nil {
				t.Fatalf("with one medium left: %v", err)
			}
			if n := st.Counters["node_deaths"]; n != 0 {
				t.Fatalf("with one medium left: %s counted %d node deaths", st.Node, n)
			}
		}
		time.Sleep(mbKeepalive) // poll pace
	}

	// Cable back: the link comes up again on both sides.
	if err := hsb.Node.LinkUp("eth1"); err != nil {
		t.Fatal(err)
	}
	for h, peer := range peerOf {
		tl.waitStatus(t, h, 10*time.Second, "eth1 up again", func(st *ctl.Status) error { return mbLinksAre(st, peer, allUp) })
	}

	// Both cables out. The peer's last heartbeat arrived before the pull
	// and the peer is declared dead one deadtime after that heartbeat, so
	// the death comes at most a deadtime after the pull, plus the time the
	// daemon takes to notice. The acceptance bound is deadtime + one
	// keepalive.
	if err := hsb.Node.LinkDown("eth1"); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := hsb.Node.LinkDown("eth0"); err != nil {
		t.Fatal(err)
	}
	ipTook := time.Since(before)
	if _, err := hsa.WaitLog(`msg="node hsb: is dead"`, 10*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, hsa.Log())
	}
	dead, err := mbLogTime(hsa, "node hsb: is dead", before)
	if err != nil {
		t.Fatal(err)
	}
	// Measured from just before the ip command that pulls the cable, so
	// the figure is an upper bound. Allowance: the ip command itself (an
	// exec of iproute2, printed) plus 150 ms for timer wake-up and
	// scheduling of the daemon on a loaded two-core machine under -race;
	// hbd's deadline timer does not wait for heartbeat's 250 ms poll.
	took := dead.Sub(before)
	limit := mbDeadtime + mbKeepalive + ipTook + 150*time.Millisecond
	t.Logf("both cables pulled: hsa declared hsb dead after %v (deadtime %v + keepalive %v; ip took %v; limit %v)",
		took, mbDeadtime, mbKeepalive, ipTook.Round(time.Millisecond), limit.Round(time.Millisecond))
	if took > limit {
		t.Errorf("peer declared dead %v after both cables were pulled, want ≤ %v", took, limit)
	}
	st := tl.waitStatus(t, hsa, 5*time.Second, "hsb dead", func(st *ctl.Status) error { return mbNodeIs(st, "hsb", "dead") })
	if n := st.Counters["node_deaths"]; n != 1 {
		t.Errorf("hsa counted %d node deaths, want 1", n)
	}
	if st.State != "active" {
		t.Errorf("hsa is %s after losing its peer, want active", st.State)
	}
	if got, err := tl.clStatus(hsa, "nodestatus", "hsb"); err != nil || got != (mbCl{"dead\n", 1}) {
		t.Errorf("on hsa: cl_status nodestatus hsb = %+v, %v; want dead with exit status 1", got, err)
	}
	// The other side of the partition sees the same.
	tl.waitStatus(t, hsb, 5*time.Second, "hsa dead", func(st *ctl.Status) error { return mbNodeIs(st, "hsa", "dead") })
}

// TestMembershipClStatus runs this repository's cl_status inside a node
// against its running hbd and checks heartbeat's output formats and exit
// codes (spec §10.1).
func TestMembershipClStatus(t *testing.T) {
	tl := mbRequire(t)
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}, LANs: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := lab.Config{HaCf: mbTwoMediaCf}
	hs := mbStartPair(t, tl, l, map[string]lab.Config{"hsa": cfg, "hsb": cfg}, mbDeadtime)
	hsa := hs["hsa"]
	st := tl.waitStatus(t, hsa, 10*time.Second, "all links up", func(st *ctl.Status) error {
		for _, n := range []string{"hsa", "hsb"} {
			if err := mbLinksAre(st, n, map[string]string{"eth0": "up", "eth1": "up"}); err != nil {
				return err
			}
		}
		return nil
	})

	run := func(args ...string) mbCl {
		t.Helper()
		r, err := tl.clStatus(hsa, args...)
		if err != nil {
			t.Fatalf("cl_status %s: %v", strings.Join(args, " "), err)
		}
		return r
	}
	// The node order of listnodes is the daemon's (heartbeat's API walk
	// order is not specified); it must hold each configured node once.
	listed := run("listnodes")
	names := strings.Fields(listed.Out)
	if sorted := slices.Sorted(slices.Values(names)); !slices.Equal(sorted, []string{"hsa", "hsb"}) || listed.Code != 0 {
		t.Fatalf("cl_status listnodes = %+v, want hsa and hsb one per line, exit 0", listed)
	}
	if listed.Out != strings.Join(names, "\n")+"\n" {
		t.Errorf("cl_status listnodes = %q, want one name per line", listed.Out)
	}
	links := "\teth0\tup\n\teth1\tup\n" // media in ha.cf order
	verbose := fmt.Sprintf("version:\t%s\nmanaged by:\t\"haresources\"\n", st.Version)
	for _, n := range names {
		verbose += fmt.Sprintf("\n%s\tactive\t(nodetype: normal)\n%s", n, links)
	}
	keepalive := fmt.Sprintf("%dms", mbKeepalive.Milliseconds()) // the raw ha.cf word
	cases := []struct {
		args []string
		want mbCl
	}{
		{[]string{"hbstatus"}, mbCl{"Heartbeat is running on this machine.\n", 0}},
		{[]string{"hbstatus", "-v"}, mbCl{verbose, 0}},
		{[]string{"nodestatus", "hsb"}, mbCl{"active\n", 0}},
		{[]string{"nodestatus", "-m", "hsb"}, mbCl{"The cluster node hsb is active\n", 0}},
		{[]string{"nodestatus", "hsa"}, mbCl{"active\n", 0}},
		{[]string{"nodestatus", "nosuchnode"}, mbCl{"", 11}},
		{[]string{"nodetype", "hsb"}, mbCl{"normal\n", 0}},
		{[]string{"nodeweight", "hsb"}, mbCl{"100\n", 0}},
		{[]string{"listhblinks", "hsb"}, mbCl{"\teth0\n\teth1\n", 0}},
		{[]string{"listhblinks", "-v", "hsb"}, mbCl{links, 0}},
		{[]string{"hblinkstatus", "hsb", "eth1"}, mbCl{"up\n", 0}},
		{[]string{"hblinkstatus", "hsb", "eth9"}, mbCl{"", 13}},
		{[]string{"hbparameter", "-p", "keepalive"}, mbCl{keepalive + "\n", 0}},
		{[]string{"hbparameter", "-p", "deadtime"}, mbCl{fmt.Sprintf("%dms\n", mbDeadtime.Milliseconds()), 0}},
	}
	for _, c := range cases {
		if got := run(c.args...); got != c.want {
			t.Errorf("cl_status %s:\n%s", strings.Join(c.args, " "), cmp.Diff(c.want, got))
		}
	}
}

// mbReadGeneration reads hb_generation, checking heartbeat's "%15lu\n"
// format (§2.10).
func mbReadGeneration(stateDir string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, "hb_generation"))
	if err != nil {
		return 0, err
	}
	g, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("hb_generation %q: %w", b, err)
	}
	if want := fmt.Sprintf("%15d\n", g); string(b) != want {
		return 0, fmt.Errorf("hb_generation is %q, want %q (%%15lu\\n)", b, want)
	}
	return g, nil
}

// TestMembershipRestart: SIGTERM stops hbd cleanly (exit status 0, control
// socket and pid file gone) while the peer carries on; the generation is
// kept in the state directory and rises by one on the next start, and the
// peer sees the restarted node with the new generation.
func TestMembershipRestart(t *testing.T) {
	tl := mbRequire(t)
	l, err := lab.New(t, lab.Options{Nodes: []string{"hsa", "hsb"}, LANs: 2})
	if err != nil {
		t.Fatal(err)
	}
	cfg := lab.Config{HaCf: mbTwoMediaCf}
	hs := mbStartPair(t, tl, l, map[string]lab.Config{"hsa": cfg, "hsb": cfg}, mbDeadtime)
	hsa, hsb := hs["hsa"], hs["hsb"]

	st, err := tl.status(hsa)
	if err != nil {
		t.Fatal(err)
	}
	gen1, err := mbReadGeneration(hsa.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Generation != gen1 {
		t.Errorf("hsa runs with generation %d, hb_generation holds %d", st.Generation, gen1)
	}
	peerSt, err := tl.status(hsb)
	if err != nil {
		t.Fatal(err)
	}
	if got := peerSt.FindNode("hsa").Generation; got != gen1 {
		t.Errorf("hsb sees hsa with generation %d, want %d", got, gen1)
	}

	stopped := time.Now()
	if err := hsa.Kill(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := hsa.Wait(10 * time.Second); err != nil {
		t.Fatalf("hbd after SIGTERM: %v, want exit status 0\n%s", err, hsa.Output())
	}
	t.Logf("hsa stopped %v after SIGTERM", time.Since(stopped).Round(time.Millisecond))
	if !strings.Contains(hsa.Output(), "lab: daemon exited with status 0") {
		t.Errorf("hbd did not exit with status 0:\n%s", hsa.Output())
	}
	for _, f := range []string{ctl.SocketName, "hbd.pid"} {
		if _, err := os.Stat(filepath.Join(hsa.RunDir, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after a clean stop: %v, want it removed", f, err)
		}
	}
	// cl_status of the stopped node, from the observer (the node's
	// namespaces ended with its daemon): heartbeat's "stopped" answer.
	out, err := l.Observer().Exec("env", "HBD_RUN_DIR="+hsa.RunDir, tl.clStatusBin, "hbstatus")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || out != "Heartbeat is stopped on this machine.\n" {
		t.Errorf("cl_status hbstatus of a stopped hbd = %q, %v; want the stopped message and exit status 1", out, err)
	}
	// The peer keeps running and sees hsa gone.
	if !hsb.Running() {
		t.Fatalf("hsb stopped with hsa:\n%s", hsb.Output())
	}
	tl.waitStatus(t, hsb, 10*time.Second, "hsa dead", func(st *ctl.Status) error {
		if st.State != "active" {
			return fmt.Errorf("hsb is %s", st.State)
		}
		return mbNodeIs(st, "hsa", "dead")
	})

	hsa, err = l.StartHbd(hsa.Node, cfg, tl.hbd)
	if err != nil {
		t.Fatal(err)
	}
	st = tl.waitStatus(t, hsa, 30*time.Second, "hsa active again", mbBothActive("hsb", mbDeadtime))
	gen2, err := mbReadGeneration(hsa.StateDir)
	if err != nil {
		t.Fatal(err)
	}
	if gen2 != gen1+1 || st.Generation != gen2 {
		t.Errorf("after a restart: hb_generation %d, running with %d; want %d", gen2, st.Generation, gen1+1)
	}
	tl.waitStatus(t, hsb, 10*time.Second, "restarted hsa active with its new generation", func(st *ctl.Status) error {
		if err := mbNodeIs(st, "hsa", "active"); err != nil {
			return err
		}
		if got := st.FindNode("hsa").Generation; got != gen2 {
			return fmt.Errorf("hsb sees hsa with generation %d, want %d", got, gen2)
		}
		return nil
	})
	t.Logf("generation %d → %d across the restart", gen1, gen2)
}
