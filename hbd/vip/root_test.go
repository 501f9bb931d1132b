package vip

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/arp"
)

// checkGARPShape checks every frame is heartbeat's: broadcast, from a0's
// MAC, sender = target IP = vip, request with a zero target MAC, reply
// with a0's, alternating from a request, 42 bytes.
func checkGARPShape(t *testing.T, l *lab, vip netip.Addr, got []garpFrame) {
	t.Helper()
	mac := l.mac.String()
	for i, g := range got {
		want := garpFrame{At: g.At, Raw: g.Raw, EthDst: "ff:ff:ff:ff:ff:ff", EthSrc: mac,
			Op: uint16(arp.OperationRequest), SHA: mac, THA: "00:00:00:00:00:00", SPA: vip, TPA: vip}
		if i%2 == 1 {
			want.Op, want.THA = uint16(arp.OperationReply), mac
		}
		if diff := cmp.Diff(want, g, netipEq); diff != "" {
			t.Errorf("frame %d (-want +got):\n%s", i, diff)
		}
		if len(g.Raw) != 42 {
			t.Errorf("frame %d is %d bytes, send_arp's are 42", i, len(g.Raw))
		}
	}
}

func garpTimes(g []garpFrame) []time.Time {
	out := make([]time.Time, len(g))
	for i := range g {
		out[i] = g[i].At
	}
	return out
}

// TestRootIPaddrStart is the takeover path with IPaddr's defaults: findif,
// alias label, heartbeat's 10-pair burst, and the first GARP within 5 ms
// of the address being added.
func TestRootIPaddrStart(t *testing.T) {
	l := newLab(t)
	m, added := l.newManager(t, Options{ConfDir: confDir(t, nil)})
	spec, err := ParseSpec(IPaddr, "198.18.7.100")
	if err != nil {
		t.Fatal(err)
	}
	vip := spec.IP.Addr
	if err := m.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	// findif: a0, /24 from the connected route, broadcast computed.
	if got, want := l.addrLine(t, "198.18.7.100"), "a0 inet 198.18.7.100/24 brd 198.18.7.255 scope global secondary a0:0"; !strings.HasPrefix(got, want) {
		t.Errorf("ip addr: %q, want %q…", got, want)
	}
	if up, err := m.Status(spec); err != nil || !up {
		t.Errorf("Status after Start = %v, %v; want true", up, err)
	}

	got := l.sniff.waitGARPs(t, vip, 20, 8*time.Second)
	time.Sleep(600 * time.Millisecond) // nothing more may come
	if n := len(l.sniff.garps(vip)); n != 20 {
		t.Fatalf("captured %d gratuitous ARPs, want 20 (10 request/reply pairs)", n)
	}
	checkGARPShape(t, l, vip, got)
	checkSpacing(t, "IPaddr burst", garpTimes(got), 250*time.Millisecond, 20*time.Millisecond)

	at := added.get(vip)
	if len(at) != 1 {
		t.Fatalf("%d address adds recorded, want 1", len(at))
	}
	lat := got[0].At.Sub(at[0])
	t.Logf("first gratuitous ARP captured %v after the address add returned", lat)
	if lat > 5*time.Millisecond {
		t.Errorf("first gratuitous ARP %v after the add, want ≤ 5ms", lat)
	}

	if err := m.Stop(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if got := l.addrLine(t, "198.18.7.100"); got != "" {
		t.Errorf("after Stop: %q still configured", got)
	}
	if up, err := m.Status(spec); err != nil || up {
		t.Errorf("Status after Stop = %v, %v; want false", up, err)
	}
	if err := m.Stop(t.Context(), spec); err != nil {
		t.Errorf("second Stop: %v, want success (idempotent)", err)
	}
	if got := l.addrLine(t, "198.18.7.1"); got == "" {
		t.Errorf("Stop removed the interface's own address")
	}
}

// TestRootIPaddr2StopCancelsBurst uses IPaddr2 with a label and
// arp_config overrides, and stops it in the middle of its burst.
func TestRootIPaddr2StopCancelsBurst(t *testing.T) {
	l := newLab(t)
	conf := confDir(t, map[string]string{
		"arp_config":    "ARP_INTERVAL_MS=400\nARP_REPEAT=3\n",
		"arp_config:a0": "ARP_REPEAT=10 # per interface wins\n",
	})
	m, _ := l.newManager(t, Options{ConfDir: conf})
	spec, err := ParseSpec(IPaddr2, "198.18.7.101/25/a0:web")
	if err != nil {
		t.Fatal(err)
	}
	vip := spec.IP.Addr
	if err := m.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if got, want := l.addrLine(t, "198.18.7.101"), "a0 inet 198.18.7.101/25 brd 198.18.7.127 scope global a0:web"; !strings.HasPrefix(got, want) {
		t.Errorf("ip addr: %q, want %q…", got, want)
	}
	before := l.sniff.waitGARPs(t, vip, 4, 3*time.Second) // at 0, 200, 400, 600 ms
	if err := m.Stop(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	checkSpacing(t, "IPaddr2 burst (ARP_INTERVAL_MS=400)", garpTimes(before), 200*time.Millisecond, 20*time.Millisecond)
	time.Sleep(time.Second)
	after := l.sniff.garps(vip)
	for _, g := range after {
		if g.At.After(stopped.Add(2 * time.Millisecond)) {
			t.Errorf("gratuitous ARP %v after Stop returned: the burst was not cancelled", g.At.Sub(stopped))
		}
	}
	if len(after) >= 20 {
		t.Errorf("%d gratuitous ARPs: the whole burst was sent", len(after))
	}
	t.Logf("Stop after %d of 20 packets; none after it", len(after))
	if got := l.addrLine(t, "198.18.7.101"); got != "" {
		t.Errorf("after Stop: %q still configured", got)
	}
}

// TestRootAliasesAndOwnership checks alias numbering against existing
// aliases, idempotent Start, and that a Manager that did not start an
// address (another hbctl process) finds and removes only it.
func TestRootAliasesAndOwnership(t *testing.T) {
	l := newLab(t)
	conf := confDir(t, map[string]string{"arp_config": "ARP_REPEAT=1\n"})
	m, added := l.newManager(t, Options{ConfDir: conf})
	l.node.IP(t, "addr", "add", "198.18.7.50/24", "dev", nodeIf, "label", "a0:0")
	specs := map[string]Spec{}
	for _, arg := range []string{"198.18.7.100/24/a0", "198.18.7.101", "198.18.7.1"} {
		s, err := ParseSpec(IPaddr, arg)
		if err != nil {
			t.Fatal(err)
		}
		specs[arg] = s
	}
	for _, arg := range []string{"198.18.7.100/24/a0", "198.18.7.101", "198.18.7.100/24/a0"} {
		if err := m.Start(t.Context(), specs[arg]); err != nil {
			t.Fatal(err)
		}
	}
	for ip, label := range map[string]string{"198.18.7.50": "a0:0", "198.18.7.100": "a0:1", "198.18.7.101": "a0:2"} {
		if got := l.addrLine(t, ip); !strings.Contains(got, " "+label+"\\") { // -o ends the label with "\"
			t.Errorf("%s: %q, want label %s", ip, got, label)
		}
	}
	if n := len(added.get(netip.MustParseAddr("198.18.7.100"))); n != 1 {
		t.Errorf("198.18.7.100 added %d times, want 1 (second Start is a no-op)", n)
	}

	// The node's own address is never IPaddr's: not running, not removed.
	own := specs["198.18.7.1"]
	if up, err := m.Status(own); err != nil || up {
		t.Errorf("Status(%s) = %v, %v; want false (not an alias)", own, up, err)
	}
	other, _ := l.newManager(t, Options{ConfDir: conf})
	if err := other.Stop(t.Context(), own); err != nil {
		t.Fatal(err)
	}
	if l.addrLine(t, "198.18.7.1") == "" {
		t.Fatal("IPaddr stop removed the interface's primary address")
	}

	s := specs["198.18.7.100/24/a0"]
	if up, err := other.Status(s); err != nil || !up {
		t.Errorf("another Manager's Status(%s) = %v, %v; want true", s, up, err)
	}
	if err := other.Stop(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	for ip, want := range map[string]bool{"198.18.7.100": false, "198.18.7.101": true, "198.18.7.50": true, "198.18.7.1": true} {
		if got := l.addrLine(t, ip) != ""; got != want {
			t.Errorf("after stopping 198.18.7.100: %s configured = %v, want %v", ip, got, want)
		}
	}

	// IPaddr refuses to take over the interface's own address.
	if err := m.Start(t.Context(), own); err == nil || !strings.Contains(err.Error(), "as its own address") {
		t.Errorf("Start(%s) = %v, want a refusal", own, err)
	}

	// Started but deleted with no watcher running: Start puts it back,
	// with the label it had.
	l.node.IP(t, "addr", "del", "198.18.7.101/24", "dev", nodeIf)
	if up, err := m.Status(specs["198.18.7.101"]); err != nil || up {
		t.Errorf("Status after deletion = %v, %v; want false", up, err)
	}
	if err := m.Start(t.Context(), specs["198.18.7.101"]); err != nil {
		t.Fatal(err)
	}
	if got := l.addrLine(t, "198.18.7.101"); !strings.Contains(got, " a0:2\\") {
		t.Errorf("after Start of a deleted address: %q, want it back as a0:2", got)
	}

	noRoute, _ := ParseSpec(IPaddr, "198.19.99.1")
	if err := m.Start(t.Context(), noRoute); err == nil || !strings.Contains(err.Error(), "no directly connected route contains 198.19.99.1") {
		t.Errorf("Start without a route: %v, want findif's error", err)
	}
	noIf, _ := ParseSpec(IPaddr2, "198.18.7.102/24/nosuch0")
	if err := m.Start(t.Context(), noIf); err == nil || !strings.Contains(err.Error(), "nosuch0") {
		t.Errorf("Start on a missing interface: %v", err)
	}
	if up, err := m.Status(noIf); err != nil || up {
		t.Errorf("Status on a missing interface = %v, %v; want false, nil", up, err)
	}
}

// TestRootWatcherRestores deletes a started address behind the Manager's
// back and expects it back, announced, and reported.
func TestRootWatcherRestores(t *testing.T) {
	l := newLab(t)
	conf := confDir(t, map[string]string{"arp_config": "ARP_REPEAT=1\nARP_INTERVAL_MS=100\n"})
	events := make(chan Event, 8)
	m, added := l.newManager(t, Options{ConfDir: conf, OnEvent: func(e Event) { events <- e }})
	ctx, cancel := context.WithCancel(context.Background())
	watchDone := make(chan error, 1)
	go func() { watchDone <- m.Watch(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-watchDone; err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
	spec, _ := ParseSpec(IPaddr, "198.18.7.100/24/a0")
	vip := spec.IP.Addr
	if err := m.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if got := l.sniff.waitGARPs(t, vip, 2, 2*time.Second); len(got) != 2 {
		t.Fatalf("%d gratuitous ARPs after Start, want 2", len(got))
	}

	deleting := time.Now() // the deletion itself is somewhat later: "ip" has to start
	l.node.IP(t, "addr", "del", "198.18.7.100/24", "dev", nodeIf)
	select {
	case e := <-events:
		want := Event{Spec: spec, Iface: nodeIf, Label: "a0:0"}
		if diff := cmp.Diff(want, e, netipEq); diff != "" {
			t.Errorf("event (-want +got):\n%s", diff)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no event 3s after the address was deleted")
	}
	if got := l.addrLine(t, "198.18.7.100"); !strings.Contains(got, "198.18.7.100/24 brd 198.18.7.255 scope global secondary a0:0") {
		t.Errorf("after restore: %q", got)
	}
	got := l.sniff.waitGARPs(t, vip, 4, 2*time.Second)
	if len(got) != 4 {
		t.Fatalf("%d gratuitous ARPs, want 2 more after the restore", len(got))
	}
	checkGARPShape(t, l, vip, got)
	at := added.get(vip)
	t.Logf("restored: address back %v and first GARP captured %v after running 'ip addr del' began",
		at[len(at)-1].Sub(deleting), got[2].At.Sub(deleting))

	// Our own Stop is not a removal by something else.
	if err := m.Stop(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-events:
		t.Errorf("event after Stop: %+v", e)
	case <-time.After(500 * time.Millisecond):
	}
	if got := l.addrLine(t, "198.18.7.100"); got != "" {
		t.Errorf("after Stop: %q came back", got)
	}
}

// TestRootIPv6 adds an IPv6 address without DAD and expects the
// unsolicited Neighbor Advertisements on the other side.
func TestRootIPv6(t *testing.T) {
	l := newLab(t)
	l.node.IP(t, "addr", "add", "2001:2:0:7::1/64", "dev", nodeIf, "nodad")
	l.obs.IP(t, "addr", "add", "2001:2:0:7::2/64", "dev", obsIf, "nodad")
	m, added := l.newManager(t, Options{ConfDir: confDir(t, nil)})
	spec, err := ParseSpec(IPv6addr, "2001:2:0:7::100")
	if err != nil {
		t.Fatal(err)
	}
	vip := spec.IP.Addr
	if err := m.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	line := l.addrLine(t, "2001:2:0:7::100")
	if !strings.Contains(line, "inet6 2001:2:0:7::100/64 scope global nodad") || strings.Contains(line, "tentative") {
		t.Errorf("ip addr: %q, want a /64 without DAD", line)
	}
	deadline := time.Now().Add(3 * time.Second)
	for len(l.sniff.nas(vip)) < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	got := l.sniff.nas(vip)
	if len(got) != 5 {
		t.Fatalf("captured %d neighbor advertisements for %s, want 5", len(got), vip)
	}
	var at []time.Time
	for _, na := range got {
		want := naFrame{At: na.At, EthDst: "33:33:00:00:00:01", EthSrc: l.mac.String(),
			Src: vip, Dst: netip.MustParseAddr("ff02::1"), Target: vip, HopLimit: 255,
			Override: true, TLLA: l.mac.String()}
		if diff := cmp.Diff(want, na, netipEq); diff != "" {
			t.Errorf("NA (-want +got):\n%s", diff)
		}
		at = append(at, na.At)
	}
	checkSpacing(t, "IPv6addr NAs", at, 200*time.Millisecond, 20*time.Millisecond)
	t.Logf("first NA captured %v after the address add returned", got[0].At.Sub(added.get(vip)[0]))

	if err := m.Stop(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	if got := l.addrLine(t, "2001:2:0:7::100"); got != "" {
		t.Errorf("after Stop: %q", got)
	}
}

// TestRootSendArp announces an address that is already configured,
// without touching it, with SendArp's defaults (5 pairs, 100 ms apart).
func TestRootSendArp(t *testing.T) {
	l := newLab(t)
	m, added := l.newManager(t, Options{ConfDir: confDir(t, nil)})
	vip := netip.MustParseAddr("198.18.7.1")
	if err := m.SendArp(t.Context(), vip, nodeIf); err != nil {
		t.Fatal(err)
	}
	got := l.sniff.waitGARPs(t, vip, 10, 3*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := len(l.sniff.garps(vip)); n != 10 {
		t.Fatalf("captured %d gratuitous ARPs, want 10", n)
	}
	checkGARPShape(t, l, vip, got)
	checkSpacing(t, "SendArp burst", garpTimes(got), 100*time.Millisecond, 20*time.Millisecond)
	m.StopSendArp(vip)
	if n := len(added.get(vip)); n != 0 {
		t.Errorf("SendArp added the address %d times", n)
	}
}

// TestRootForegroundAndRefresh uses ARP_BACKGROUND=no (Start waits for
// the burst) and garp_refresh (a request and a reply every period after
// the burst, until Stop).
func TestRootForegroundAndRefresh(t *testing.T) {
	l := newLab(t)
	conf := confDir(t, map[string]string{"arp_config": "ARP_REPEAT=2\nARP_INTERVAL_MS=200\nARP_BACKGROUND=no\n"})
	m, _ := l.newManager(t, Options{ConfDir: conf, GARPRefresh: 400 * time.Millisecond})
	spec, _ := ParseSpec(IPaddr2, "198.18.7.120/24/a0")
	vip := spec.IP.Addr
	begin := time.Now()
	if err := m.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	returned := time.Now()
	if took := returned.Sub(begin); took < 300*time.Millisecond {
		t.Errorf("Start returned after %v, before its 300 ms foreground burst", took)
	}
	// The last packet of the burst left before Start returned (it may
	// reach the sniffer a little later).
	if g := l.sniff.waitGARPs(t, vip, 4, time.Second); len(g) < 4 || g[3].At.After(returned.Add(5*time.Millisecond)) {
		t.Errorf("burst not over when Start returned: %d packets", len(g))
	}
	// Burst at 0, 100, 200, 300 ms; refresh pairs at 700, 1100, 1500 ms.
	got := l.sniff.waitGARPs(t, vip, 10, 3*time.Second)
	if len(got) != 10 {
		t.Fatalf("%d gratuitous ARPs, want 4 + 3 refresh pairs", len(got))
	}
	checkGARPShape(t, l, vip, got)
	// Each period starts when the last one (or the burst) ended; a pair
	// leaves back to back.
	periods := []time.Time{got[3].At}
	for i := 4; i < len(got); i += 2 {
		periods = append(periods, got[i].At)
		if d := got[i+1].At.Sub(got[i].At); d > 5*time.Millisecond {
			t.Errorf("refresh reply %v after its request, want back to back", d)
		}
	}
	checkSpacing(t, "garp_refresh", periods, 400*time.Millisecond, 30*time.Millisecond)
	if err := m.Stop(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	n := len(l.sniff.garps(vip))
	time.Sleep(600 * time.Millisecond)
	if m := len(l.sniff.garps(vip)); m != n {
		t.Errorf("%d gratuitous ARPs after Stop: refresh not stopped", m-n)
	}
}

// TestRootWatcherGivesUp deletes an address again and again: after
// maxRestores restores the watcher reports ErrFlapping and leaves it.
func TestRootWatcherGivesUp(t *testing.T) {
	l := newLab(t)
	conf := confDir(t, map[string]string{"arp_config": "ARP_REPEAT=1\nARP_INTERVAL_MS=20\n"})
	events := make(chan Event, 16)
	m, _ := l.newManager(t, Options{ConfDir: conf, OnEvent: func(e Event) { events <- e }})
	ctx, cancel := context.WithCancel(context.Background())
	watchDone := make(chan error, 1)
	go func() { watchDone <- m.Watch(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-watchDone
	})
	spec, _ := ParseSpec(IPaddr2, "198.18.7.130/24/a0")
	if err := m.Start(t.Context(), spec); err != nil {
		t.Fatal(err)
	}
	for i := range maxRestores + 1 {
		l.node.IP(t, "addr", "del", "198.18.7.130/24", "dev", nodeIf)
		var e Event
		select {
		case e = <-events:
		case <-time.After(3 * time.Second):
			t.Fatalf("deletion %d: no event", i+1)
		}
		if i < maxRestores {
			if e.Err != nil {
				t.Fatalf("deletion %d: %v", i+1, e.Err)
			}
			continue
		}
		if !errors.Is(e.Err, ErrFlapping) {
			t.Fatalf("deletion %d: event error %v, want ErrFlapping", i+1, e.Err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if got := l.addrLine(t, "198.18.7.130"); got != "" {
		t.Errorf("restored after giving up: %q", got)
	}
	if up, err := m.Status(spec); err != nil || up {
		t.Errorf("Status = %v, %v; want false", up, err)
	}
}
