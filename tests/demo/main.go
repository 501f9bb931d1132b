// Command demo is `make demo`: a live two-node failover of hbd in network
// namespaces, on a fresh machine, as root, in well under a minute.
//
// It builds a lab (tests/lab) with node1, node2 and a client on one
// Ethernet segment, starts hbd on both nodes with one resource group — a
// virtual IP (the built-in IPaddr2) and a small web service bound to it —
// shows hbctl status, fetches from the VIP, then SIGKILLs node1 and
// reports the time from the kill to the first gratuitous ARP for the VIP
// that the client sees from node2. It fetches again (now answered by
// node2), restarts node1 to show auto_failback, fetches a third time and
// removes everything: namespaces, processes and files, also on ^C or on a
// failure.
//
// The same binary is the web service ("demo serve ADDR NAME", started by
// the resource script) and the client ("demo fetch URL", run in the
// client's namespace), so the demo needs no package beyond what make deps
// installs.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/hbd-project/hbd/tests/demo/garp"
	"github.com/hbd-project/hbd/tests/lab"
)

// The cluster under demonstration.
const (
	vip       = "198.18.0.100"
	keepalive = 200 * time.Millisecond
	deadtime  = 600 * time.Millisecond
)

// haCf is shared by both nodes. deadtime must exceed 2×keepalive (§4.3);
// initdead only matters for node1, which starts alone and waits that long
// for node2 before it takes the group.
var haCf = fmt.Sprintf(`keepalive %dms
deadtime %dms
warntime 400ms
initdead 2
udpport 694
bcast eth0
auto_failback on
node node1 node2
`, keepalive.Milliseconds(), deadtime.Milliseconds())

// The group: the address first, then the service that binds to it; hbd
// starts them left to right and stops them right to left (§6.3).
const haresources = "node1 IPaddr2::" + vip + "/24/eth0 hello::" + vip + "\n"

// helloScript is resource.d/hello, in heartbeat's calling convention
// ("hello IP start|stop|status", status judged by "running"/"stopped" on
// stdout). @BIN@ is this program. The pid file lives in the node's private
// /run, so it dies with the node like the process. start returns only once
// the service listens (the server writes the pid file after binding), so
// a finished start means "serving".
const helloScript = `#!/bin/sh
ip=$1 op=$2
pidf=/run/hello-$ip.pid
running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }
case "$op" in
start)
	running && exit 0
	rm -f "$pidf"
	@BIN@ serve "$ip:80" "$(hostname)" "$pidf" </dev/null >>@LOG@ 2>&1 &
	child=$!
	i=0
	while [ $i -lt 100 ]; do
		[ -s "$pidf" ] && exit 0
		kill -0 $child 2>/dev/null || exit 1
		sleep 0.05
		i=$((i+1))
	done
	exit 1 ;;
stop)
	if running; then kill "$(cat "$pidf")"; fi
	rm -f "$pidf"
	exit 0 ;;
status)
	if running; then echo running; else echo stopped; fi
	exit 0 ;;
esac
exit 1
`

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "serve":
			os.Exit(serve(os.Args[2:]))
		case "fetch":
			os.Exit(fetch(os.Args[2:]))
		}
	}
	dir := flag.String("dir", "", "keep the lab's configs, logs and captures in this directory")
	flag.Parse()
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "demo: must run as root: it creates network namespaces and runs hbd in them (try: sudo make demo)")
		os.Exit(1)
	}
	os.Exit(run(*dir))
}

// out prints the demo's narration with the time since start.
type out struct{ start time.Time }

func (o out) say(format string, args ...any) {
	fmt.Printf("[%5.1fs] %s\n", time.Since(o.start).Seconds(), fmt.Sprintf(format, args...))
}

// Logf makes out the lab's Logger: the lab's own lines are shown indented.
func (o out) Logf(format string, args ...any) {
	fmt.Printf("         (lab) %s\n", fmt.Sprintf(format, args...))
}

func run(keepDir string) (code int) {
	o := out{start: time.Now()}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	bin, err := binDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	fmt.Printf("hbd failover demo: node1 and node2 run hbd, a client watches the virtual IP %s\n", vip)
	fmt.Printf("  keepalive %v, deadtime %v, auto_failback on; group: %s", keepalive, deadtime, haresources)
	fmt.Println()

	l, err := lab.New(o, lab.Options{Nodes: []string{"node1", "node2"}, Dir: keepDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		return 1
	}
	// Whatever happens from here on, the lab goes: on return (success or
	// failure) and on ^C or SIGTERM. The lab's processes share our process
	// group, so a ^C on the terminal reaches them too; Close then kills
	// whatever is left by PID and removes the namespaces.
	cleanup := func() {
		o.say("cleaning up: stopping every process of the lab, removing its namespaces")
		if err := l.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "demo: cleanup:", err)
			code = 1
		}
		if left, err := lab.LeftoverNetns(l.Prefix); err != nil || len(left) > 0 {
			fmt.Fprintf(os.Stderr, "demo: namespaces left behind: %v %v\n", left, err)
			code = 1
		} else {
			o.say("no namespace of %s is left (ip netns list)", l.Prefix)
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Printf("\ndemo: %v: aborting\n", s)
		cleanup()
		os.Exit(130)
	}()
	defer func() {
		signal.Stop(sigs)
		cleanup()
	}()

	d := &demo{out: o, l: l, self: self, hbd: filepath.Join(bin, "hbd"), hbctl: filepath.Join(bin, "hbctl")}
	if err := d.run(); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo FAILED: %v\n", err)
		for _, h := range []*lab.Hbd{d.node1, d.node2} {
			if h != nil {
				fmt.Fprintf(os.Stderr, "--- last lines of %s's hbd log ---\n%s\n", h.Node.Name, lastLines(h.Log(), 15))
			}
		}
		return 1
	}
	return 0
}

// binDir finds bin/ of the module that holds the working directory (make
// runs the demo from the top of the repository).
func binDir() (string, error) {
	hbd, err := lab.HbdBinary()
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(hbd); err != nil {
		return "", fmt.Errorf("%w (run make build first)", err)
	}
	return filepath.Dir(hbd), nil
}

type demo struct {
	out
	l            *lab.Lab
	self         string // this program: the service and the client
	hbd, hbctl   string
	node1, node2 *lab.Hbd
	cfg          lab.Config
}

func (d *demo) run() error {
	n1, n2, client := d.l.Node("node1"), d.l.Node("node2"), d.l.Observer()
	d.say("lab %s: node1 %s, node2 %s, client %s on one bridge; nothing touches the host's network",
		d.l.Prefix, n1.Addr(0), n2.Addr(0), client.Addr(0))
	d.cfg = lab.Config{
		HaCf:        haCf,
		Haresources: haresources,
		Scripts: map[string]string{"hello": strings.NewReplacer(
			"@BIN@", d.self, "@LOG@", filepath.Join(d.l.Dir, "hello.log")).Replace(helloScript)},
	}
	mac1, err := garp.MAC(n1, "eth0")
	if err != nil {
		return err
	}
	mac2, err := garp.MAC(n2, "eth0")
	if err != nil {
		return err
	}
	// The client listens to ARP from the start, so no announcement is missed.
	arp, err := client.Capture("eth0", "arp")
	if err != nil {
		return err
	}

	d.say("starting hbd on node1; alone, it waits initdead (2 s) for node2, then takes the group")
	if d.node1, err = d.l.StartHbd(n1, d.cfg, d.hbd); err != nil {
		return err
	}
	// Only the group's state: see the note on settled in waitGroup.
	if err := d.waitGroup(d.node1, "held", false, 20*time.Second); err != nil {
		return err
	}
	d.say("node1 holds the group: %s", d.groups(d.node1))
	d.say("starting hbd on node2; it joins once node1 has settled (heartbeat's 10 s request delay after a start)")
	if d.node2, err = d.l.StartHbd(n2, d.cfg, d.hbd); err != nil {
		return err
	}
	if err := d.waitGroup(d.node2, "stopped", true, 20*time.Second); err != nil {
		return err
	}
	if err := d.waitActive(d.node1, "node2", 10*time.Second); err != nil {
		return err
	}
	d.say("both nodes active and stable; hbctl status on node1:")
	if err := d.showStatus(d.node1); err != nil {
		return err
	}
	if err := d.fetch("node1"); err != nil {
		return err
	}

	d.say("kill -9 node1: SIGKILL to hbd, then to every other process of node1, and its NIC goes dark")
	killed := time.Now()
	if err := d.node1.Kill(syscall.SIGKILL); err != nil {
		return err
	}
	if err := d.node1.PowerOff(); err != nil {
		return err
	}
	// A dead machine's NIC answers nothing; the namespace itself (and the
	// address on it) outlives its processes, so unplug it.
	if err := n1.LinkDown("eth0"); err != nil {
		return err
	}
	g, err := garp.First(arp, netip.MustParseAddr(vip), mac2, killed, 10*time.Second)
	if err != nil {
		return err
	}
	latency := g.Time.Sub(killed)
	d.say("the client saw the first gratuitous ARP for %s from node2 (%s) %d ms after the kill",
		vip, mac2, latency.Milliseconds())
	if err := d.waitGroup(d.node2, "held", true, 10*time.Second); err != nil {
		return err
	}
	d.say("node2 holds the group: %s; the VIP is on node2: %s", d.groups(d.node2), d.vipAddr(n2))
	if err := d.fetch("node2"); err != nil {
		return err
	}
	d.say("hbctl status on node2:")
	if err := d.showStatus(d.node2); err != nil {
		return err
	}

	d.say("restarting node1 (as after a reboot: its old address is gone, the NIC is back)")
	if _, err := n1.Exec("ip", "addr", "del", vip+"/24", "dev", "eth0"); err != nil {
		return err
	}
	if err := n1.LinkUp("eth0"); err != nil {
		return err
	}
	restarted := time.Now()
	if d.node1, err = d.l.StartHbd(n1, d.cfg, d.hbd); err != nil {
		return err
	}
	back, err := garp.First(arp, netip.MustParseAddr(vip), mac1, restarted, 30*time.Second)
	if err != nil {
		return err
	}
	if err := d.waitGroup(d.node1, "held", true, 20*time.Second); err != nil {
		return err
	}
	if err := d.waitGroup(d.node2, "stopped", true, 10*time.Second); err != nil {
		return err
	}
	d.say("auto_failback: node1 announced %s again %.1f s after its restart; node1: %s; node2: %s",
		vip, back.Time.Sub(restarted).Seconds(), d.groups(d.node1), d.groups(d.node2))
	if err := d.fetch("node1"); err != nil {
		return err
	}
	fmt.Println()
	fmt.Printf("  kill -9 of the active node → first gratuitous ARP from the standby at the client: %d ms\n", latency.Milliseconds())
	fmt.Printf("  (deadtime %v: the standby declares node1 dead %v after the last heartbeat it heard)\n\n", deadtime, deadtime)
	return nil
}

// status asks hbd for its status inside the node.
func (d *demo) status(h *lab.Hbd) (*ctl.Status, error) {
	b, err := h.Exec(d.hbctl, "status", "--run-dir", h.RunDir, "--json")
	if err != nil {
		return nil, err
	}
	var st ctl.Status
	if err := json.Unmarshal([]byte(b), &st); err != nil {
		return nil, fmt.Errorf("hbctl status --json on %s: %w", h.Node.Name, err)
	}
	return &st, nil
}

// waitGroup waits until the node reports the group in state (held,
// stopped) and, if settled, its resources not in transition. A node that
// started alone stays "transition" for heartbeat's 10 s request delay
// after taking the group, so the first wait does not ask for settled.
func (d *demo) waitGroup(h *lab.Hbd, state string, settled bool, timeout time.Duration) error {
	err := lab.Eventually(timeout, func() error {
		st, err := d.status(h)
		if err != nil {
			return err
		}
		if len(st.Groups) != 1 || st.Groups[0].State != state || (settled && st.Resources == "transition") {
			return fmt.Errorf("%s: resources %s, groups %+v; want the group %s", h.Node.Name, st.Resources, st.Groups, state)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("waiting %v: %w", timeout, err)
	}
	return nil
}

func (d *demo) waitActive(h *lab.Hbd, peer string, timeout time.Duration) error {
	return lab.Eventually(timeout, func() error {
		st, err := d.status(h)
		if err != nil {
			return err
		}
		if n := st.FindNode(peer); n == nil || n.Status != "active" {
			return fmt.Errorf("%s does not see %s active yet", h.Node.Name, peer)
		}
		return nil
	})
}

// groups renders the node's haresources groups and their states.
func (d *demo) groups(h *lab.Hbd) string {
	st, err := d.status(h)
	if err != nil {
		return err.Error()
	}
	var gs []string
	for _, g := range st.Groups {
		gs = append(gs, g.Key+" "+g.State)
	}
	return strings.Join(gs, ", ") + " (resources " + st.Resources + ")"
}

// showStatus prints hbctl status without its long counter list.
func (d *demo) showStatus(h *lab.Hbd) error {
	b, err := h.Exec(d.hbctl, "status", "--run-dir", h.RunDir)
	if err != nil {
		return err
	}
	blocks := strings.SplitN(b, "\n\n", 3)
	if len(blocks) > 2 {
		blocks = blocks[:2]
	}
	for _, line := range strings.Split(strings.Join(blocks, "\n\n"), "\n") {
		fmt.Println("    " + line)
	}
	fmt.Printf("    groups: %s\n", d.groups(h))
	return nil
}

func (d *demo) vipAddr(n *lab.Node) string {
	b, err := n.Exec("ip", "-o", "-4", "addr", "show", "to", vip)
	if err != nil {
		return err.Error()
	}
	f := strings.Fields(b)
	if len(f) < 4 {
		return "none"
	}
	return f[1] + " " + f[3]
}

// fetch GETs the service from the client until it answers (the first
// request after a failover may still be in flight to the old owner) and
// checks who answered.
func (d *demo) fetch(want string) error {
	url := "http://" + vip + "/"
	var body string
	err := lab.Eventually(10*time.Second, func() error {
		b, err := d.l.Observer().Exec(d.self, "fetch", url)
		body = strings.TrimSpace(b)
		if err != nil {
			return err
		}
		if body != "hello from "+want {
			return fmt.Errorf("GET %s answered %q, want hello from %s", url, body, want)
		}
		return nil
	})
	if err != nil {
		return err
	}
	d.say("client: GET %s → %q", url, body)
	return nil
}

// serve is the web service: "serve ADDR NAME PIDFILE". It writes its pid
// only once it listens, which is what the start script waits for.
func serve(args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: demo serve ADDR NAME PIDFILE")
		return 2
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	if err := os.WriteFile(args[2], []byte(fmt.Sprintln(os.Getpid())), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		return 1
	}
	greeting := "hello from " + args[1] + "\n"
	err = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, greeting)
	}))
	fmt.Fprintln(os.Stderr, "serve:", err)
	return 1
}

// fetch is the client: "fetch URL" prints the body.
func fetch(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: demo fetch URL")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, args[0], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fetch:", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fetch:", err)
		return 1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "fetch:", resp.Status, errors.Join(err))
		return 1
	}
	os.Stdout.Write(b)
	return 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
