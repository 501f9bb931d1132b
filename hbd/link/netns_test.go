package link

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/link/netnstest"
)

// Root tests: two namespaces joined by a veth pair "hb0" -- "hb0",
// 198.18.0.1/24 (node a) and 198.18.0.2/24 (node b), as in heartbeat-spec
// §12.1. Nothing is sent from the test process's own namespace.

var (
	addrA = netip.MustParseAddr("198.18.0.1")
	addrB = netip.MustParseAddr("198.18.0.2")
	group = netip.MustParseAddr("239.0.0.43")
	a, b  = addrA.String(), addrB.String()
)

type lab struct {
	a, b *netnstest.NS
}

func newLab(t *testing.T) *lab {
	t.Helper()
	netnstest.Root(t)
	l := &lab{a: netnstest.New(t, "a"), b: netnstest.New(t, "b")}
	netnstest.Veth(t, l.a, "hb0", "198.18.0.1/24", l.b, "hb0", "198.18.0.2/24")
	return l
}

// open opens a transport inside ns and closes it on cleanup.
func open(t *testing.T, ns *netnstest.NS, specs []Spec, opts Options) *Net {
	t.Helper()
	var tr *Net
	ns.Do(t, func() error {
		var err error
		tr, err = Open(specs, opts)
		return err
	})
	t.Cleanup(func() { tr.Close() })
	return tr
}

// got is what a collector saw: link, sender address and payload.
type got struct {
	Link string
	From string // sender address without the port
	Data string
}

type collector struct {
	mu  sync.Mutex
	all []got
}

func collect(t *testing.T, tr Transport) *collector {
	c := &collector{}
	go func() {
		for d := range tr.Recv() {
			if len(d.Data) == 0 || d.Time.IsZero() || !d.From.IsValid() || d.From.Port() == 0 {
				t.Errorf("bad datagram %+v", d)
			}
			c.mu.Lock()
			c.all = append(c.all, got{d.Link, d.From.Addr().String(), string(d.Data)})
			c.mu.Unlock()
		}
	}()
	return c
}

func (c *collector) snapshot() []got {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all)
}

// waitFor polls until pred holds on what c saw, or fails after 5 s.
func (c *collector) waitFor(t *testing.T, what string, pred func([]got) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if pred(c.snapshot()) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; got %+v", what, c.snapshot())
}

func has(g got) func([]got) bool {
	return func(all []got) bool { return slices.Contains(all, g) }
}

func sorted(g []got) []got {
	slices.SortFunc(g, func(a, b got) int {
		return cmpStr(a.Data+a.From+a.Link, b.Data+b.From+b.Link)
	})
	return g
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestNetnsAllMedia(t *testing.T) {
	l := newLab(t)
	trA := open(t, l.a, []Spec{
		{Kind: Bcast, Iface: "hb0", Port: 694},
		{Kind: Ucast, Iface: "hb0", Peer: addrB, Port: 694},
		{Kind: Ucast, Iface: "hb0", Peer: addrA, Port: 694}, // identical ha.cf on both nodes: sends to itself too
		{Kind: Mcast, Iface: "hb0", Group: group, Port: 694, TTL: 1, Loop: true},
	}, Options{})
	trB := open(t, l.b, []Spec{
		{Kind: Bcast, Iface: "hb0", Port: 694},
		{Kind: Mcast, Iface: "hb0", Group: group, Port: 694, TTL: 1, Loop: false},
	}, Options{})
	// Four media, two shared receive sockets: 0.0.0.0%hb0:694 and 239.0.0.43:694
	// (the same port, so the first must not see the group's datagrams too).
	if got := len(trA.recvs); got != 2 {
		t.Errorf("node a has %d receive sockets, want 2", got)
	}
	ca, cb := collect(t, trA), collect(t, trB)

	for i, m := range trA.Media() {
		if err := m.Send(fmt.Appendf(nil, "a%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	for i, m := range trB.Media() {
		if err := m.Send(fmt.Appendf(nil, "b%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	wantA := []got{
		{"hb0", a, "a0"}, // own broadcast
		{"hb0", a, "a2"}, // ucast to self
		{"hb0", a, "a3"}, // own multicast, loop 1
		{"hb0", b, "b0"},
		{"hb0", b, "b1"},
	}
	wantB := []got{
		{"hb0", a, "a0"},
		{"hb0", a, "a1"},
		{"hb0", a, "a3"},
		{"hb0", b, "b0"}, // own broadcast; b1 (loop 0) must not come back
	}
	ca.waitFor(t, "node a's datagrams", func(g []got) bool { return len(g) >= len(wantA) })
	cb.waitFor(t, "node b's datagrams", func(g []got) bool { return len(g) >= len(wantB) })
	time.Sleep(300 * time.Millisecond) // let duplicates, if any, arrive
	if diff := cmp.Diff(sorted(wantA), sorted(ca.snapshot())); diff != "" {
		t.Errorf("node a received (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(sorted(wantB), sorted(cb.snapshot())); diff != "" {
		t.Errorf("node b received (-want +got):\n%s", diff)
	}
	for _, m := range trA.Media() {
		if diff := cmp.Diff(Stats{Sent: 1}, m.Stats()); diff != "" {
			t.Errorf("%s stats (-want +got):\n%s", m.Spec(), diff)
		}
	}
}

// events collects medium state changes.
type events struct {
	mu  sync.Mutex
	all []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = append(e.all, ev)
}

// waitFor polls until an event matching pred was seen, or fails after 5 s.
func (e *events) waitFor(t *testing.T, what string, pred func(Event) bool) Event {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		e.mu.Lock()
		for _, ev := range e.all {
			if pred(ev) {
				e.mu.Unlock()
				return ev
			}
		}
		e.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	t.Fatalf("timed out waiting for %s; events %+v", what, e.all)
	return Event{}
}

func (e *events) reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.all = nil
}

// sendUntil sends on m every 50 ms until c saw want, or fails after 5 s.
func sendUntil(t *testing.T, m Medium, c *collector, want got) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		m.Send([]byte(want.Data)) // errors are expected while the link recovers
		time.Sleep(50 * time.Millisecond)
		if has(want)(c.snapshot()) {
			return
		}
	}
	t.Fatalf("%s never delivered %+v; got %+v", m.Spec(), want, c.snapshot())
}

func TestNetnsIfaceDownUp(t *testing.T) {
	l := newLab(t)
	var evs events
	bcast := []Spec{{Kind: Bcast, Iface: "hb0", Port: 694}}
	trA := open(t, l.a, bcast, Options{OnEvent: evs.add, CheckInterval: 50 * time.Millisecond, WriteTimeout: 200 * time.Millisecond})
	trB := open(t, l.b, bcast, Options{})
	cb := collect(t, trB)
	evs.waitFor(t, "initial up", func(ev Event) bool { return ev.Up })
	m := trA.Media()[0]
	sendUntil(t, m, cb, got{"hb0", a, "before"})

	evs.reset()
	l.a.IP(t, "link", "set", "hb0", "down")
	ev := evs.waitFor(t, "down event", func(ev Event) bool { return !ev.Up })
	if ev.Link != "hb0" || ev.Err == nil {
		t.Errorf("down event %+v: want link hb0 with an error", ev)
	}
	if err := m.Send([]byte("while down")); err == nil {
		t.Error("Send on a downed interface succeeded")
	} else {
		t.Logf("send while down: %v (event: %v)", err, ev.Err)
	}
	if m.Stats().SendErrors == 0 {
		t.Error("send error not counted")
	}

	l.a.IP(t, "link", "set", "hb0", "up")
	evs.waitFor(t, "up event", func(ev Event) bool { return ev.Up })
	sendUntil(t, m, cb, got{"hb0", a, "after"})
	if slices.Contains(cb.snapshot(), got{"hb0", a, "while down"}) {
		t.Error("datagram sent while down was delivered")
	}
}

// TestNetnsIfaceRecreated deletes the veth pair and creates it again: the
// new interface has a new index, so sockets bound to the old one
// (SO_BINDTODEVICE) are dead and must be reopened, on both sides.
func TestNetnsIfaceRecreated(t *testing.T) {
	l := newLab(t)
	var evs events
	bcast := []Spec{{Kind: Bcast, Iface: "hb0", Port: 694}}
	opts := Options{OnEvent: evs.add, CheckInterval: 50 * time.Millisecond}
	trA := open(t, l.a, bcast, opts)
	trB := open(t, l.b, bcast, Options{CheckInterval: 50 * time.Millisecond})
	ca, cb := collect(t, trA), collect(t, trB)
	sendUntil(t, trA.Media()[0], cb, got{"hb0", a, "a-before"})

	l.a.IP(t, "link", "del", "hb0")
	ev := evs.waitFor(t, "down event", func(ev Event) bool { return !ev.Up })
	if !errors.Is(ev.Err, errNoIface) {
		t.Errorf("down event error %v, want %v", ev.Err, errNoIface)
	}
	evs.reset()
	netnstest.Veth(t, l.a, "hb0", "198.18.0.1/24", l.b, "hb0", "198.18.0.2/24")
	evs.waitFor(t, "up event", func(ev Event) bool { return ev.Up })
	sendUntil(t, trA.Media()[0], cb, got{"hb0", a, "a-after"})
	sendUntil(t, trB.Media()[0], ca, got{"hb0", b, "b-after"})
}

// TestNetnsMcastWaitsForAddress starts an mcast medium on an interface
// without an address: it reports down, then works once an address appears
// (mcast.c if_getaddr retries SIOCGIFADDR the same way).
func TestNetnsMcastWaitsForAddress(t *testing.T) {
	netnstest.Root(t)
	nsA, nsB := netnstest.New(t, "a"), netnstest.New(t, "b")
	netnstest.Veth(t, nsA, "hb0", "", nsB, "hb0", "198.18.0.2/24")
	var evs events
	spec := []Spec{{Kind: Mcast, Iface: "hb0", Group: group, Port: 694, TTL: 1}}
	trA := open(t, nsA, spec, Options{OnEvent: evs.add, CheckInterval: 50 * time.Millisecond})
	trB := open(t, nsB, spec, Options{})
	ca, cb := collect(t, trA), collect(t, trB)

	ev := evs.waitFor(t, "not-ready event", func(ev Event) bool { return !ev.Up })
	if !errors.Is(ev.Err, ErrNotReady) || !errors.Is(ev.Err, errNoAddr) {
		t.Errorf("event error %v, want ErrNotReady and %v", ev.Err, errNoAddr)
	}
	if err := trA.Media()[0].Send([]byte("x")); !errors.Is(err, ErrNotReady) {
		t.Errorf("Send before the address: %v, want ErrNotReady", err)
	}
	// The receive side joined by interface index and already works.
	sendUntil(t, trB.Media()[0], ca, got{"hb0", b, "b-early"})

	nsA.IP(t, "addr", "add", "198.18.0.1/24", "dev", "hb0")
	evs.waitFor(t, "up event", func(ev Event) bool { return ev.Up })
	sendUntil(t, trA.Media()[0], cb, got{"hb0", a, "a-late"})
}
