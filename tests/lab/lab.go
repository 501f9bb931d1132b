package lab

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Logger is what the lab needs from its owner; *testing.T satisfies it. If
// the value also has Cleanup(func()) (as testing.TB does), New registers
// Close with it; if it has Failed() bool, Close dumps the log tails of a
// failed test; if it has Errorf, a failing Close reports through it.
type Logger interface {
	Logf(format string, args ...any)
}

// Options shape the topology. The zero value gives two nodes "hsa" and
// "hsb" on one LAN.
type Options struct {
	// Nodes are the node names, used as host names, heartbeat node names
	// and namespace suffixes: lower case letters, digits and '-'. Default
	// {"hsa", "hsb"}.
	Nodes []string
	// LANs is the number of independent Ethernet segments (media), 1 to 8.
	// LAN k is 198.18.k.0/24 and appears in every node as interface
	// IfPrefix+k (eth0, eth1, …). Default 1.
	LANs int
	// IfPrefix names the node interfaces; default "eth".
	IfPrefix string
	// Dir keeps configs, logs and captures after Close; use one per lab
	// (for example tests/artifacts/<test name>). Empty means a temporary
	// directory that Close removes.
	Dir string
}

// Lab is one isolated test network: a switch namespace holding one Linux
// bridge per LAN, a namespace per node and an observer namespace, each
// plugged into every bridge by a veth pair. Nothing of it touches the
// host's network namespace.
type Lab struct {
	Prefix string // unique per lab: "hb" + 6 hex digits; prefixes all namespace names
	Dir    string // per-lab directory: configs, logs, captures

	log     Logger
	keepDir bool
	lans    int

	sw       *Node
	nodes    []*Node
	observer *Node

	mu         sync.Mutex
	namespaces []string // created, in order
	nsIDs      map[string]nsID
	procs      []*Proc
	captures   []*Capture
	partBr     []string // bridges created by Partition
	daemons    map[*Node]interface{ Running() bool }
	closed     bool
}

// Node is one network namespace of the lab: a cluster node, the observer
// or the switch.
type Node struct {
	Name string // node name (host name), e.g. "hsa"
	NS   string // network namespace name, e.g. "hb1a2b3c-hsa"

	lab    *Lab
	addrs  []netip.Addr // per LAN
	ifaces []string     // per LAN, inside the node
	ports  []string     // per LAN, the switch-side veth end
}

// Addressing: LAN k is 198.18.k.0/24 (inside 198.18.0.0/15, reserved for
// benchmarking, so nothing real can collide); node i is .i+1; the observer
// is .254.
const (
	observerHost = 254
	maxLANs      = 8
	maxNodes     = 200
)

var nodeNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)

// New builds the lab. On any error everything already created is removed
// again. The caller must Close the lab; with a testing.TB that is done by
// t.Cleanup, which also runs when the test fails or panics.
func New(log Logger, opts Options) (*Lab, error) {
	if os.Geteuid() != 0 {
		return nil, errNotRoot
	}
	if opts.Nodes == nil {
		opts.Nodes = []string{"hsa", "hsb"}
	}
	if opts.LANs == 0 {
		opts.LANs = 1
	}
	if opts.IfPrefix == "" {
		opts.IfPrefix = "eth"
	}
	if err := validate(opts); err != nil {
		return nil, err
	}

	// Labs killed before Close (go test -timeout, SIGKILL) leave namespaces
	// behind; reap those whose owner process is gone.
	sweepStale(log)

	var rnd [3]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("lab prefix: %w", err)
	}
	l := &Lab{
		Prefix:  "hb" + hex.EncodeToString(rnd[:]),
		log:     log,
		lans:    opts.LANs,
		nsIDs:   map[string]nsID{},
		daemons: map[*Node]interface{ Running() bool }{},
	}
	// From here on Close can undo everything, also on panic.
	ok := false
	defer func() {
		if !ok {
			if cerr := l.Close(); cerr != nil {
				log.Logf("lab %s: cleanup after failed setup: %v", l.Prefix, cerr)
			}
		}
	}()
	if c, isTB := log.(interface{ Cleanup(func()) }); isTB {
		c.Cleanup(func() {
			if err := l.Close(); err != nil {
				if e, canFail := log.(interface{ Errorf(string, ...any) }); canFail {
					e.Errorf("lab %s: close: %v", l.Prefix, err)
				} else {
					log.Logf("lab %s: close: %v", l.Prefix, err)
				}
			}
		})
	}

	var err error
	if opts.Dir != "" {
		l.Dir, l.keepDir = opts.Dir, true
		err = os.MkdirAll(l.Dir, 0o755)
	} else {
		l.Dir, err = os.MkdirTemp("", l.Prefix+"-")
	}
	if err != nil {
		return nil, fmt.Errorf("lab dir: %w", err)
	}
	// heartbeat's children run as nobody/hacluster and write logs here.
	if err := os.Chmod(l.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("lab dir: %w", err)
	}
	if err := writeOwner(l.Prefix, l.Dir, l.keepDir); err != nil {
		return nil, err
	}

	if err := l.build(opts); err != nil {
		return nil, fmt.Errorf("lab %s: %w", l.Prefix, err)
	}
	ok = true
	log.Logf("lab %s: %d nodes, %d LAN(s), files in %s", l.Prefix, len(l.nodes), l.lans, l.Dir)
	return l, nil
}

func validate(opts Options) error {
	if opts.LANs < 1 || opts.LANs > maxLANs {
		return fmt.Errorf("lab: LANs must be 1..%d, got %d", maxLANs, opts.LANs)
	}
	if len(opts.Nodes) == 0 || len(opts.Nodes) > maxNodes {
		return fmt.Errorf("lab: need 1..%d nodes, got %d", maxNodes, len(opts.Nodes))
	}
	if !regexp.MustCompile(`^[a-z]{1,8}$`).MatchString(opts.IfPrefix) {
		return fmt.Errorf("lab: bad interface prefix %q", opts.IfPrefix)
	}
	// reserved: namespace suffixes and the names of the other namespaces
	seen := map[string]bool{"sw": true, "obs": true, "switch": true, "observer": true}
	for _, n := range opts.Nodes {
		if !nodeNameRE.MatchString(n) {
			return fmt.Errorf("lab: bad node name %q (want %s)", n, nodeNameRE)
		}
		if seen[n] {
			return fmt.Errorf("lab: node name %q is reserved or repeated", n)
		}
		seen[n] = true
	}
	return nil
}

func (l *Lab) build(opts Options) error {
	sw, err := l.addNS("sw", "switch")
	if err != nil {
		return err
	}
	l.sw = sw
	for k := range l.lans {
		br := bridgeName(k)
		// mcast_snooping off: a dumb switch floods multicast, so mcast media
		// keep working without an IGMP querier.
		if err := ipCmd("-n", sw.NS, "link", "add", br, "type", "bridge", "mcast_snooping", "0"); err != nil {
			return err
		}
		if err := ipCmd("-n", sw.NS, "link", "set", br, "up"); err != nil {
			return err
		}
		sw.ifaces = append(sw.ifaces, br)
	}
	for i, name := range opts.Nodes {
		n, err := l.addNS(name, name)
		if err != nil {
			return err
		}
		if err := l.plug(n, i+1, fmt.Sprintf("n%d", i), opts.IfPrefix); err != nil {
			return err
		}
		l.nodes = append(l.nodes, n)
	}
	obs, err := l.addNS("obs", "observer")
	if err != nil {
		return err
	}
	if err := l.plug(obs, observerHost, "obs", opts.IfPrefix); err != nil {
		return err
	}
	l.observer = obs
	return nil
}

func bridgeName(lan int) string { return fmt.Sprintf("br%d", lan) }

// addNS creates namespace Prefix-suffix with lo up.
func (l *Lab) addNS(suffix, name string) (*Node, error) {
	ns := l.Prefix + "-" + suffix
	if err := ipCmd("netns", "add", ns); err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.namespaces = append(l.namespaces, ns)
	l.mu.Unlock()
	if err := CheckNotRootNetns(ns); err != nil {
		return nil, err
	}
	id, err := statNS(namedNetnsPath(ns))
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.nsIDs[ns] = id
	l.mu.Unlock()
	if err := ipCmd("-n", ns, "link", "set", "lo", "up"); err != nil {
		return nil, err
	}
	return &Node{Name: name, NS: ns, lab: l}, nil
}

// plug connects n to every LAN. The veth pair is created inside the switch
// namespace with its peer born directly in the node namespace under its
// final name, so no interface ever exists in the host namespace.
func (l *Lab) plug(n *Node, host int, portBase, ifPrefix string) error {
	for k := range l.lans {
		port := fmt.Sprintf("%sl%d", portBase, k)
		iface := fmt.Sprintf("%s%d", ifPrefix, k)
		addr := netip.AddrFrom4([4]byte{198, 18, byte(k), byte(host)})
		steps := [][]string{
			{"-n", l.sw.NS, "link", "add", port, "type", "veth", "peer", "name", iface, "netns", n.NS},
			{"-n", l.sw.NS, "link", "set", port, "master", bridgeName(k), "up"},
			{"-n", n.NS, "addr", "add", addr.String() + "/24", "brd", "+", "dev", iface},
			{"-n", n.NS, "link", "set", iface, "up"},
		}
		for _, s := range steps {
			if err := ipCmd(s...); err != nil {
				return err
			}
		}
		n.addrs = append(n.addrs, addr)
		n.ifaces = append(n.ifaces, iface)
		n.ports = append(n.ports, port)
	}
	return nil
}

// claimNode reserves n for one cluster daemon at a time: two daemons in
// one node would share the UDP port and, for heartbeat, its state files.
func (l *Lab) claimNode(n *Node, d interface{ Running() bool }) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if old := l.daemons[n]; old != nil && old.Running() {
		return fmt.Errorf("%s already runs a cluster daemon", n.Name)
	}
	l.daemons[n] = d
	return nil
}

// Nodes returns the cluster nodes in Options order.
func (l *Lab) Nodes() []*Node { return slices.Clone(l.nodes) }

// Node returns the node with the given name, or nil.
func (l *Lab) Node(name string) *Node {
	for _, n := range l.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Observer returns the observer/client/ping-node namespace (host .254 on
// every LAN).
func (l *Lab) Observer() *Node { return l.observer }

// Switch returns the switch namespace; its interfaces are the bridges br0,
// br1, …, handy for Capture of all traffic of a LAN.
func (l *Lab) Switch() *Node { return l.sw }

// Addr returns the node's address on LAN lan (0-based).
func (n *Node) Addr(lan int) netip.Addr { return n.addrs[lan] }

// Iface returns the node's interface name on LAN lan (0-based).
func (n *Node) Iface(lan int) string { return n.ifaces[lan] }

// lanOf maps a node interface name to its LAN index.
func (n *Node) lanOf(iface string) (int, error) {
	if i := slices.Index(n.ifaces, iface); i >= 0 && n.ports != nil {
		return i, nil
	}
	return 0, fmt.Errorf("%s has no lab interface %q (have %v)", n.Name, iface, n.ifaces)
}

// LinkDown pulls the cable: the switch-side end goes down, so the node's
// interface stays administratively up, keeps its address and loses carrier,
// like a real unplugged NIC. Use Exec("ip", "link", "set", …, "down") for
// an administrative down inside the node instead.
func (n *Node) LinkDown(iface string) error { return n.setPort(iface, "down") }

// LinkUp plugs the cable back in.
func (n *Node) LinkUp(iface string) error { return n.setPort(iface, "up") }

func (n *Node) setPort(iface, state string) error {
	k, err := n.lanOf(iface)
	if err != nil {
		return err
	}
	return ipCmd("-n", n.lab.sw.NS, "link", "set", n.ports[k], state)
}

// Partition splits every LAN into the given groups: the nodes of groups[0]
// and every node or observer not listed stay on the original bridges; each
// further group gets bridges of its own. Heal undoes it.
func (l *Lab) Partition(groups ...[]*Node) error {
	if err := l.Heal(); err != nil {
		return err
	}
	for g, members := range groups {
		if g == 0 {
			continue
		}
		for k := range l.lans {
			br := fmt.Sprintf("br%dp%d", k, g)
			if err := ipCmd("-n", l.sw.NS, "link", "add", br, "type", "bridge", "mcast_snooping", "0"); err != nil {
				return err
			}
			l.mu.Lock()
			l.partBr = append(l.partBr, br)
			l.mu.Unlock()
			if err := ipCmd("-n", l.sw.NS, "link", "set", br, "up"); err != nil {
				return err
			}
			for _, n := range members {
				if n.ports == nil {
					return fmt.Errorf("partition: %s is not plugged into the switch", n.Name)
				}
				if err := ipCmd("-n", l.sw.NS, "link", "set", n.ports[k], "master", br); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// Heal puts every port back on its LAN's bridge and removes the partition
// bridges.
func (l *Lab) Heal() error {
	l.mu.Lock()
	brs := l.partBr
	l.partBr = nil
	l.mu.Unlock()
	if len(brs) == 0 {
		return nil
	}
	for _, n := range append(l.Nodes(), l.observer) {
		for k, port := range n.ports {
			if err := ipCmd("-n", l.sw.NS, "link", "set", port, "master", bridgeName(k)); err != nil {
				return err
			}
		}
	}
	for _, br := range brs {
		if err := ipCmd("-n", l.sw.NS, "link", "del", br); err != nil {
			return err
		}
	}
	return nil
}

// ipCmd runs iproute2's ip in the host namespace; callers pass "-n NS" to
// act inside a lab namespace.
func ipCmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Close stops every capture and process of the lab, removes its
// namespaces and, unless Options.Dir was set, its directory. It is safe to
// call more than once and after a partial New.
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	captures, procs, namespaces := l.captures, l.procs, l.namespaces
	l.mu.Unlock()

	var errs []error
	for _, c := range captures {
		if err := c.Stop(); err != nil {
			errs = append(errs, err)
		}
	}
	if f, ok := l.log.(interface{ Failed() bool }); ok && f.Failed() {
		l.dumpLogs(procs)
	}
	// Processes first: a namespace only disappears when nothing is left in
	// it. Everything was started by this lab, so kill by recorded PID.
	for _, p := range slices.Backward(procs) {
		p.kill()
	}
	for _, ns := range namespaces {
		errs = append(errs, l.reapNetns(ns))
	}
	for _, ns := range slices.Backward(namespaces) {
		if err := ipCmd("netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	if left, err := LeftoverNetns(l.Prefix + "-"); err != nil || len(left) > 0 {
		errs = append(errs, fmt.Errorf("namespaces left after close: %v %v", left, err))
	}
	if !l.keepDir && l.Dir != "" {
		if err := os.RemoveAll(l.Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove lab dir: %w", err))
		}
	}
	removeOwner(l.Prefix)
	return errors.Join(errs...)
}

// reapNetns kills what still lives in one of the lab's namespaces, e.g. a
// resource script a killed daemon left behind. Such processes can only be
// descendants of processes this lab started.
func (l *Lab) reapNetns(ns string) error {
	l.mu.Lock()
	id, ok := l.nsIDs[ns]
	l.mu.Unlock()
	if !ok {
		return nil
	}
	err := killNetns(id, 3*time.Second, func(pid int) {
		l.log.Logf("lab %s: killing leftover pid %d in %s", l.Prefix, pid, ns)
	})
	if err != nil {
		return fmt.Errorf("netns %s: %w", ns, err)
	}
	return nil
}

// LeftoverNetns lists the named network namespaces that start with prefix.
func LeftoverNetns(prefix string) ([]string, error) {
	ents, err := os.ReadDir("/run/netns")
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list /run/netns: %w", err)
	}
	var left []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) {
			left = append(left, e.Name())
		}
	}
	return left, nil
}

// dumpLogs shows the end of every process log of a failed test, since the
// files go away with the lab directory.
func (l *Lab) dumpLogs(procs []*Proc) {
	for _, p := range procs {
		for _, path := range p.logFiles() {
			b, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			l.log.Logf("lab %s: --- tail of %s ---\n%s", l.Prefix, filepath.Base(path), tail(b, 40))
		}
	}
}

func tail(b []byte, lines int) string {
	s := strings.TrimRight(string(b), "\n")
	if i := len(s); i > 0 {
		for n := 0; n < lines; n++ {
			j := strings.LastIndexByte(s[:i], '\n')
			if j < 0 {
				return s
			}
			i = j
		}
		return s[i+1:]
	}
	return s
}
