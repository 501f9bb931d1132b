package link

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	memA = netip.MustParsePrefix("198.18.0.1/24")
	memB = netip.MustParsePrefix("198.18.0.2/24")
	memC = netip.MustParsePrefix("198.18.0.3/24")
)

// drain returns what h received so far as "link from data" strings.
func drain(h *MemHost) []string {
	var out []string
	for {
		select {
		case d, ok := <-h.Recv():
			if !ok {
				return out
			}
			out = append(out, fmt.Sprintf("%s %s %s", d.Link, d.From.Addr(), d.Data))
		default:
			return out
		}
	}
}

func attach(t *testing.T, n *MemNetwork, name string, ifs []MemIface, specs []Spec, opts Options) *MemHost {
	t.Helper()
	h, err := n.Attach(name, ifs, specs, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func lan(ifname, seg string, p netip.Prefix) []MemIface {
	return []MemIface{{Name: ifname, Segment: seg, Addr: p}}
}

func TestMemRouting(t *testing.T) {
	n := NewMemNetwork(1)
	g := netip.MustParseAddr("239.0.0.1")
	a := attach(t, n, "a", lan("eth0", "lan", memA), []Spec{
		{Kind: Bcast, Iface: "eth0", Port: 694},
		{Kind: Ucast, Iface: "eth0", Peer: memB.Addr(), Port: 694},
		{Kind: Ucast, Iface: "eth0", Peer: memA.Addr(), Port: 694},
		{Kind: Mcast, Iface: "eth0", Group: g, Port: 694, TTL: 1, Loop: false},
	}, Options{})
	b := attach(t, n, "b", lan("eth0", "lan", memB), []Spec{
		{Kind: Mcast, Iface: "eth0", Group: g, Port: 694, TTL: 1, Loop: true},
		{Kind: Bcast, Iface: "eth0", Port: 694},
	}, Options{})
	c := attach(t, n, "c", lan("eth0", "lan", memC), []Spec{
		{Kind: Bcast, Iface: "eth0", Port: 695}, // other port: hears nothing on 694
	}, Options{})
	for i, m := range a.Media() {
		if err := m.Send(fmt.Appendf(nil, "a%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Media()[0].Send([]byte("b-mcast")); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"a": {"eth0 198.18.0.1 a0", "eth0 198.18.0.1 a2", "eth0 198.18.0.2 b-mcast"},
		"b": {"eth0 198.18.0.1 a0", "eth0 198.18.0.1 a1", "eth0 198.18.0.1 a3", "eth0 198.18.0.2 b-mcast"},
		"c": nil,
	}
	got := map[string][]string{"a": drain(a), "b": drain(b), "c": drain(c)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("received (-want +got):\n%s", diff)
	}
}

// TestMemLinks checks per-interface attribution and partitions on a node
// with two heartbeat links.
func TestMemLinks(t *testing.T) {
	n := NewMemNetwork(1)
	two := func(a, b string) []MemIface {
		return []MemIface{
			{Name: "eth0", Segment: "lan0", Addr: netip.MustParsePrefix(a)},
			{Name: "eth1", Segment: "lan1", Addr: netip.MustParsePrefix(b)},
		}
	}
	specs := []Spec{{Kind: Bcast, Iface: "eth0", Port: 694}, {Kind: Bcast, Iface: "eth1", Port: 694}}
	a := attach(t, n, "a", two("198.18.0.1/24", "198.18.1.1/24"), specs, Options{})
	b := attach(t, n, "b", two("198.18.0.2/24", "198.18.1.2/24"), specs, Options{})
	send := func(tag string) {
		for _, m := range a.Media() {
			if err := m.Send([]byte(tag)); err != nil {
				t.Fatal(err)
			}
		}
	}
	send("x")
	n.Partition("lan0", "b")
	send("y")
	n.Heal("lan0")
	n.Block("lan1", "a", "b")
	send("z")
	want := []string{
		"eth0 198.18.0.1 x", "eth1 198.18.1.1 x",
		"eth1 198.18.1.1 y",
		"eth0 198.18.0.1 z",
	}
	if diff := cmp.Diff(want, drain(b)); diff != "" {
		t.Errorf("b received (-want +got):\n%s", diff)
	}
	// Own broadcasts come back on every link regardless of partitions.
	if got := len(drain(a)); got != 6 {
		t.Errorf("a saw %d own broadcasts, want 6", got)
	}
}

// TestMemLossSeeded checks that loss follows the seed: the same seed drops
// the same datagrams, and about the configured fraction.
func TestMemLossSeeded(t *testing.T) {
	run := func(seed uint64) []string {
		n := NewMemNetwork(seed)
		n.SetLoss("lan", 0.3)
		spec := []Spec{{Kind: Bcast, Iface: "eth0", Port: 694}}
		a := attach(t, n, "a", lan("eth0", "lan", memA), spec, Options{})
		b := attach(t, n, "b", lan("eth0", "lan", memB), spec, Options{RecvQueue: 1000})
		for i := range 1000 {
			if err := a.Media()[0].Send(fmt.Appendf(nil, "%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		return drain(b)
	}
	r1, r2, r3 := run(7), run(7), run(8)
	if diff := cmp.Diff(r1, r2); diff != "" {
		t.Errorf("same seed, different losses (-first +second):\n%s", diff)
	}
	if slices.Equal(r1, r3) {
		t.Error("different seeds lost the same datagrams")
	}
	if len(r1) < 600 || len(r1) > 800 {
		t.Errorf("%d of 1000 delivered with 30%% loss", len(r1))
	}
}

func TestMemDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := NewMemNetwork(1)
		n.SetDelay("lan", 100*time.Millisecond, 50*time.Millisecond)
		spec := []Spec{{Kind: Bcast, Iface: "eth0", Port: 694}}
		a := attach(t, n, "a", lan("eth0", "lan", memA), spec, Options{})
		b := attach(t, n, "b", lan("eth0", "lan", memB), spec, Options{})
		start := time.Now()
		if err := a.Media()[0].Send([]byte("late")); err != nil {
			t.Fatal(err)
		}
		if got := drain(a); len(got) != 1 {
			t.Errorf("own broadcast should not be delayed; got %v", got)
		}
		time.Sleep(99 * time.Millisecond)
		synctest.Wait()
		if got := drain(b); len(got) != 0 {
			t.Fatalf("delivered before the delay: %v", got)
		}
		d := <-b.Recv()
		if el := d.Time.Sub(start); el < 100*time.Millisecond || el >= 150*time.Millisecond {
			t.Errorf("delivered after %v, want [100ms, 150ms)", el)
		}
	})
}

func TestMemIfaceDown(t *testing.T) {
	n := NewMemNetwork(1)
	var evs []Event
	spec := []Spec{{Kind: Bcast, Iface: "eth0", Port: 694}}
	a := attach(t, n, "a", lan("eth0", "lan", memA), spec, Options{OnEvent: func(e Event) { evs = append(evs, e) }})
	b := attach(t, n, "b", lan("eth0", "lan", memB), spec, Options{})
	m := a.Media()[0]
	if err := m.Send([]byte("1")); err != nil {
		t.Fatal(err)
	}
	if err := a.SetIfaceUp("eth0", false); err != nil {
		t.Fatal(err)
	}
	if err := m.Send([]byte("2")); !errors.Is(err, ErrLinkDown) {
		t.Errorf("Send on a down interface = %v, want ErrLinkDown", err)
	}
	if err := a.SetIfaceUp("eth0", true); err != nil {
		t.Fatal(err)
	}
	if err := b.SetIfaceUp("eth0", false); err != nil {
		t.Fatal(err)
	}
	if err := m.Send([]byte("3")); err != nil { // b's side is down: lost, no error
		t.Fatal(err)
	}
	if err := b.SetIfaceUp("eth0", true); err != nil {
		t.Fatal(err)
	}
	if err := m.Send([]byte("4")); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"eth0 198.18.0.1 1", "eth0 198.18.0.1 4"}, drain(b)); diff != "" {
		t.Errorf("b received (-want +got):\n%s", diff)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %v %v", e.Medium, e.Up, e.Err))
	}
	want := []string{
		"bcast eth0 (port 694) true <nil>",
		"bcast eth0 (port 694) false link down: eth0",
		"bcast eth0 (port 694) true <nil>",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Stats{Sent: 3, SendErrors: 1}, m.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestMemOverflowAndClose(t *testing.T) {
	n := NewMemNetwork(1)
	spec := []Spec{{Kind: Bcast, Iface: "eth0", Port: 694}}
	a := attach(t, n, "a", lan("eth0", "lan", memA), spec, Options{})
	b := attach(t, n, "b", lan("eth0", "lan", memB), spec, Options{RecvQueue: 1})
	for range 3 {
		if err := a.Media()[0].Send([]byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff(RecvStats{Received: 1, Overflow: 2}, b.RecvStats()); diff != "" {
		t.Errorf("b stats (-want +got):\n%s", diff)
	}
	b.Close()
	if got := drain(b); len(got) != 1 {
		t.Errorf("queued datagram lost on Close: %v", got)
	}
	if _, ok := <-b.Recv(); ok {
		t.Error("Recv not closed")
	}
	if err := a.Media()[0].Send([]byte("y")); err != nil {
		t.Errorf("Send to a closed peer: %v", err)
	}
	if err := b.Media()[0].Send([]byte("z")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send from a closed host = %v, want ErrClosed", err)
	}
}

func TestMemAttachErrors(t *testing.T) {
	n := NewMemNetwork(1)
	ok := []Spec{{Kind: Bcast, Iface: "eth0", Port: 694}}
	attach(t, n, "a", lan("eth0", "lan", memA), ok, Options{})
	for name, tc := range map[string]struct {
		host  string
		ifs   []MemIface
		specs []Spec
	}{
		"duplicate host": {"a", lan("eth0", "lan", memB), ok},
		"missing iface":  {"b", lan("eth1", "lan", memB), ok},
		"bad spec":       {"b", lan("eth0", "lan", memB), []Spec{{Kind: Bcast, Iface: "eth0"}}},
		"ipv6 address":   {"b", lan("eth0", "lan", netip.MustParsePrefix("2001:db8::1/64")), ok},
	} {
		if _, err := n.Attach(tc.host, tc.ifs, tc.specs, Options{}); err == nil {
			t.Errorf("%s: Attach succeeded", name)
		}
	}
}
