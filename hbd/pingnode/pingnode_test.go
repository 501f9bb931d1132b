package pingnode

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// golden reads the heartbeat 3.0.6 echo request and reply captured in
// testdata (IPv4 packets).
func golden(t *testing.T) (req, reply []byte) {
	t.Helper()
	f, err := os.Open("testdata/heartbeat-3.0.6-ping_group.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pkts [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			b, err := hex.DecodeString(l)
			if err != nil {
				t.Fatal(err)
			}
			pkts = append(pkts, b)
		}
	}
	if len(pkts) != 2 {
		t.Fatalf("%d packets in testdata, want 2", len(pkts))
	}
	return pkts[0], pkts[1]
}

func TestHeartbeatID(t *testing.T) {
	want := uint16(0x5a74) // big-endian host: htons would be a no-op
	if binary.NativeEndian.Uint16([]byte{1, 0}) == 1 {
		want = 0x745a // little-endian host: ping.c's missing htons swaps bytes
	}
	if got := HeartbeatID(0x7_5a74); got != want {
		t.Errorf("HeartbeatID(0x75a74) = %#04x, want %#04x", got, want)
	}
}

// TestGoldenEcho rebuilds heartbeat's echo request byte for byte (header,
// checksum, payload) and parses the ping node's reply.
func TestGoldenEcho(t *testing.T) {
	req, reply := golden(t)
	icmpReq := req[20:]
	payload := icmpReq[8:]
	got, err := marshalEcho(0x745a, 0, payload)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(icmpReq, got); diff != "" {
		t.Errorf("echo request (-heartbeat +ours):\n%s", diff)
	}
	id, seq, data, err := parseReply(reply)
	if err != nil {
		t.Fatal(err)
	}
	if id != 0x745a || seq != 0 || string(data) != string(payload) {
		t.Errorf("parseReply = id %#x seq %d data %q", id, seq, data)
	}
	if !strings.Contains(string(data), "info=ping_group,") || !strings.Contains(string(data), "src=grp1,") {
		t.Errorf("payload %q is not heartbeat's NS_st for grp1", data)
	}
	// The same reply without the IP header, as net.IPConn delivers it.
	if _, _, d2, err := parseReply(reply[20:]); err != nil || string(d2) != string(payload) {
		t.Errorf("parseReply without IP header: %q, %v", d2, err)
	}
}

func TestParseReplyRejects(t *testing.T) {
	req, reply := golden(t)
	for name, b := range map[string][]byte{
		"echo request":   req,
		"empty":          nil,
		"short ICMP":     reply[20:23],
		"bad IP hdr len": {0x41, 0, 0, 0},
		"truncated IP":   reply[:15],
	} {
		if _, _, _, err := parseReply(b); err == nil {
			t.Errorf("%s: parseReply succeeded", name)
		}
	}
}

func TestWindow(t *testing.T) {
	var w window
	steps := []struct {
		seq  uint16
		dups bool
	}{
		{0, false}, // ping_group.c's zeroed table would call this a duplicate
		{0, true},
		{1, false},
		{128, false}, // evicts 0
		{0, false},
		{1, true},
		{65535, false},
		{65535, true},
	}
	for i, s := range steps {
		if got := w.seen(s.seq); got != s.dups {
			t.Errorf("step %d: seen(%d) = %v, want %v", i, s.seq, got, s.dups)
		}
	}
}

// fakeConn is a net.PacketConn that records writes and serves queued reads.
type fakeConn struct {
	mu       sync.Mutex
	writes   []write
	failTo   netip.Addr // WriteTo to this address fails
	in       chan read
	wake     chan struct{} // closed by a past read deadline or Close
	closed   bool
	deadline bool
}

type write struct {
	To   string
	Data []byte
}

type read struct {
	b    []byte
	from netip.Addr
}

func newFakeConn() *fakeConn {
	return &fakeConn{in: make(chan read, 16), wake: make(chan struct{})}
}

func (c *fakeConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case r := <-c.in:
		return copy(b, r.b), &net.IPAddr{IP: r.from.AsSlice()}, nil
	case <-c.wake:
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.closed {
			return 0, nil, net.ErrClosed
		}
		return 0, nil, os.ErrDeadlineExceeded
	}
}

func (c *fakeConn) WriteTo(b []byte, a net.Addr) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ip, _ := netip.AddrFromSlice(a.(*net.IPAddr).IP)
	if ip == c.failTo {
		return 0, errors.New("network is unreachable")
	}
	c.writes = append(c.writes, write{ip.String(), append([]byte(nil), b...)})
	return len(b), nil
}

func (c *fakeConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.closed {
		c.closed = true
		if !c.deadline {
			close(c.wake)
		}
	}
	return nil
}

func (c *fakeConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.After(time.Now()) && !c.deadline && !c.closed {
		c.deadline = true
		close(c.wake)
	}
	return nil
}

func (c *fakeConn) LocalAddr() net.Addr                { return &net.IPAddr{} }
func (c *fakeConn) SetDeadline(t time.Time) error      { return c.SetReadDeadline(t) }
func (c *fakeConn) SetWriteDeadline(t time.Time) error { return nil }

var (
	h2 = netip.MustParseAddr("198.18.0.2")
	h3 = netip.MustParseAddr("198.18.0.3")
	h9 = netip.MustParseAddr("198.18.0.9")
)

// verifySrc accepts payloads "src=<node>"; a stand-in for NS_st auth.
func verifySrc(node string, p []byte) bool { return string(p) == "src="+node }

func testConfig() Config {
	return Config{
		ID: 0x1234,
		Nodes: []Node{
			{Name: "198.18.0.2", Hosts: []netip.Addr{h2}},
			{Name: "grp", Hosts: []netip.Addr{h2, h3}, Group: true},
		},
		Verify: verifySrc,
	}
}

// reply builds the ping node's answer to an echo request.
func reply(t *testing.T, req []byte) []byte {
	t.Helper()
	r := append([]byte(nil), req...)
	r[0] = 0 // echo reply; the checksum is not checked on receive
	return r
}

func TestSendAndHandle(t *testing.T) {
	c := newFakeConn()
	p := newPinger(testConfig(), c)
	for _, n := range []string{"grp", "grp", "198.18.0.2"} {
		if err := p.Send(n, []byte("src="+n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.Send("nobody", nil); err == nil {
		t.Error("Send to an unknown node succeeded")
	}
	type sent struct {
		To       string
		ID, Seq  uint16
		Data     string
		Checksum bool
	}
	var got []sent
	for _, w := range c.writes {
		id, seq := binary.BigEndian.Uint16(w.Data[4:]), binary.BigEndian.Uint16(w.Data[6:])
		got = append(got, sent{w.To, id, seq, string(w.Data[8:]), w.Data[0] == 8 && checksumOK(w.Data)})
	}
	want := []sent{
		{"198.18.0.2", 0x1234, 0, "src=grp", true}, // ping_group: same seq to every member
		{"198.18.0.3", 0x1234, 0, "src=grp", true},
		{"198.18.0.2", 0x1234, 1, "src=grp", true},
		{"198.18.0.3", 0x1234, 1, "src=grp", true},
		{"198.18.0.2", 0x1234, 0, "src=198.18.0.2", true}, // own counter per node
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("sent (-want +got):\n%s", diff)
	}

	now := time.Unix(1000, 0)
	type res struct {
		Ev Event
		OK bool
	}
	cmpAddr := cmp.Comparer(func(a, b netip.Addr) bool { return a == b })
	check := func(name string, b []byte, from netip.Addr, want res) {
		t.Helper()
		ev, ok := p.handle(b, from, now)
		if diff := cmp.Diff(want, res{ev, ok}, cmpAddr); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	g2, g3 := reply(t, c.writes[0].Data), reply(t, c.writes[1].Data)
	check("group member .3", g3, h3, res{Event{"grp", h3, 0, now}, true})
	check("group member .2, same seq", g2, h2, res{})
	check("ping node", reply(t, c.writes[4].Data), h2, res{Event{"198.18.0.2", h2, 0, now}, true})
	check("stranger", g2, h9, res{})
	check("echo request", c.writes[0].Data, h2, res{})
	bad := reply(t, c.writes[2].Data)
	bad[8] = 'X' // payload no longer verifies
	check("forged payload", bad, h3, res{})
	other := reply(t, c.writes[2].Data)
	other[5] = 0x35 // someone else's identifier
	check("other identifier", other, h3, res{})
	if diff := cmp.Diff(Stats{Sent: 5, Replies: 5, Rejected: 2, Duplicates: 1}, p.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

// checksumOK verifies the Internet checksum of an ICMP message.
func checksumOK(b []byte) bool {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return s == 0xffff
}

func TestSendErrors(t *testing.T) {
	c := newFakeConn()
	c.failTo = h3
	p := newPinger(testConfig(), c)
	err := p.Send("grp", []byte("src=grp"))
	if err == nil || !strings.Contains(err.Error(), "198.18.0.3") {
		t.Errorf("Send = %v, want an error naming 198.18.0.3", err)
	}
	if diff := cmp.Diff(Stats{Sent: 1, SendErrors: 1}, p.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if err := p.Send("198.18.0.2", make([]byte, maxPayload+1)); err == nil {
		t.Error("oversized payload accepted")
	}
}

func TestRun(t *testing.T) {
	c := newFakeConn()
	p := newPinger(testConfig(), c)
	if err := p.Send("198.18.0.2", []byte("src=198.18.0.2")); err != nil {
		t.Fatal(err)
	}
	events := make(chan Event, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, events) }()
	c.in <- read{reply(t, c.writes[0].Data), h2}
	select {
	case ev := <-events:
		if ev.Node != "198.18.0.2" || ev.From != h2 || ev.Time.IsZero() {
			t.Errorf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel = %v, want context.Canceled", err)
	}

	c2 := newFakeConn()
	p2 := newPinger(testConfig(), c2)
	go func() { done <- p2.Run(t.Context(), events) }()
	p2.Close()
	if err := <-done; err != nil {
		t.Errorf("Run after Close = %v, want nil", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := testConfig()
	if err := validate(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for name, mod := range map[string]func(*Config){
		"no verify":      func(c *Config) { c.Verify = nil },
		"no nodes":       func(c *Config) { c.Nodes = nil },
		"duplicate name": func(c *Config) { c.Nodes[1].Name = c.Nodes[0].Name },
		"empty name":     func(c *Config) { c.Nodes[0].Name = "" },
		"ping two hosts": func(c *Config) { c.Nodes[0].Hosts = []netip.Addr{h2, h3} },
		"group no hosts": func(c *Config) { c.Nodes[1].Hosts = nil },
		"ipv6 host":      func(c *Config) { c.Nodes[0].Hosts = []netip.Addr{netip.MustParseAddr("2001:db8::1")} },
	} {
		c := testConfig()
		c.Nodes = append([]Node(nil), c.Nodes...)
		mod(&c)
		if err := validate(c); err == nil {
			t.Errorf("%s: validate succeeded", name)
		}
	}
}
