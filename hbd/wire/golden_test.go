package wire_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/authkeys"
	"github.com/hbd-project/hbd/hbd/wire"
	"github.com/hbd-project/hbd/hbd/wire/wirepcap"
)

// goldenDir holds real heartbeat 3.0.6 traffic (see its README.md).
const goldenDir = "../../../shared/testdata/heartbeat-3.0.6"

// The ports heartbeat used in the captures: udpport 694, and 695 for the
// mcast medium of the ucast-mcast-ping capture.
var goldenPorts = []uint16{694, 695}

// injected is the datagram of heartbeat-spec.md §0.7 that the lab sent to
// show that it kills a real node; legacy-failback-partition carries it.
const injected = "###\n5:t=abc,%%%\n"

type goldenCounts struct {
	Datagrams, Netstring, Classic, ICMP int
	NoTypePrefix, Truncated             int
	// NoInnerAuth counts netstring packets without the inner auth field,
	// which a node with "msgfmt netstring" sends.
	NoInnerAuth int
}

// Expected per capture, counted with tcpdump and the reference decoder
// hbwire.py. Keys are the README's. Contrary to the README, 18 packets of
// the legacy capture (hsb, 198.18.0.2) carry no inner auth field.
var golden = map[string]struct {
	keys string
	want goldenCounts
}{
	"bcast-startup-shutdown-sha1.pcap": {
		"auth 1\n1 sha1 s3cr3t\n", goldenCounts{Datagrams: 76, Netstring: 76}},
	"bcast-2node-standby-failover-rexmit-sha1.pcap": {
		"auth 1\n1 sha1 s3cr3t\n", goldenCounts{Datagrams: 1141, Netstring: 1098, Classic: 43}},
	"legacy-failback-partition-sha1.pcap": {
		"auth 1\n1 sha1 s3cr3t\n", goldenCounts{Datagrams: 408, Netstring: 407, NoTypePrefix: 1, NoInnerAuth: 18}},
	"ucast-mcast-ping-pinggroup-sha1.pcap": {
		"auth 1\n1 sha1 s3cr3t\n", goldenCounts{Datagrams: 266, Netstring: 266, ICMP: 164}},
	"mcast-startup-failover-sha1-s3cret.pcap": {
		"auth 1\n1 sha1 s3cret\n", goldenCounts{Datagrams: 173, Netstring: 172, Truncated: 1}},
	"IPaddr-garp.pcap": {
		"auth 1\n1 sha1 s3cr3t\n", goldenCounts{}},
}

// TestGolden decodes every heartbeat datagram of every capture, verifies
// it with the capture's key and re-encodes it to the same bytes.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(goldenDir, "*.pcap"))
	if len(files) == 0 {
		t.Skipf("no captures in %s (the shared test data is not checked out)", goldenDir)
	}
	var total goldenCounts
	for _, path := range files {
		name := filepath.Base(path)
		g, ok := golden[name]
		if !ok {
			t.Errorf("%s: new capture; add its key and counts to the golden table", name)
			continue
		}
		keys, err := authkeys.Parse(strings.NewReader(g.keys), name)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			got := checkCapture(t, path, keys)
			t.Logf("%+v", got)
			if diff := cmp.Diff(g.want, got); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			total.Datagrams += got.Datagrams
			total.Netstring += got.Netstring
			total.Classic += got.Classic
			total.ICMP += got.ICMP
			total.NoTypePrefix += got.NoTypePrefix
			total.Truncated += got.Truncated
			total.NoInnerAuth += got.NoInnerAuth
		})
	}
	t.Logf("all captures: %+v", total)
}

func checkCapture(t *testing.T, path string, keys *authkeys.Keys) goldenCounts {
	t.Helper()
	dgs, err := wirepcap.Read(path, goldenPorts)
	if err != nil {
		t.Fatal(err)
	}
	var c goldenCounts
	for _, d := range dgs {
		c.Datagrams++
		if d.Proto == wirepcap.ICMP {
			c.ICMP++
		}
		p, err := wire.Decode(d.Payload)
		if err != nil {
			var de *wire.DecodeError
			if !errors.As(err, &de) {
				t.Errorf("record %d: untyped error %v", d.Record, err)
			}
			switch {
			case d.Truncated && errors.Is(err, wire.ErrTruncated):
				c.Truncated++
			case string(d.Payload) == injected && errors.Is(err, wire.ErrNoTypePrefix):
				c.NoTypePrefix++
			default:
				t.Errorf("record %d (truncated %v): %v\n%q", d.Record, d.Truncated, err, d.Payload)
			}
			continue
		}
		if d.Truncated {
			t.Errorf("record %d: truncated datagram decoded: %q", d.Record, d.Payload)
		}
		var re []byte
		switch p.Format {
		case wire.Netstring:
			c.Netstring++
			// heartbeat only checks the trailer, but the inner field, when
			// there, must be right too.
			var opts []wire.Option
			if err := wire.VerifyInner(p.Wire(), keys); errors.Is(err, wire.ErrNoAuth) {
				c.NoInnerAuth++
				opts = append(opts, wire.WithoutInnerAuth())
			} else if err != nil {
				t.Errorf("record %d: inner auth: %v", d.Record, err)
			}
			re, err = wire.Encode(p.Wire(), keys, opts...)
		case wire.Classic:
			c.Classic++
			re, err = wire.EncodeClassic(p.Wire(), keys)
			if p.TrailingNUL {
				re = append(re, 0)
			}
		}
		if err := wire.Verify(p, keys); err != nil {
			t.Errorf("record %d: %v", d.Record, err)
		}
		if err != nil {
			t.Errorf("record %d: re-encode: %v", d.Record, err)
			continue
		}
		if !bytes.Equal(re, d.Payload) {
			t.Errorf("record %d: re-encoded differs:\n got %q\nwant %q", d.Record, re, d.Payload)
		}
	}
	return c
}

// TestGoldenWrongKey makes sure the golden test could fail: with the
// other capture's key nothing verifies.
func TestGoldenWrongKey(t *testing.T) {
	path := filepath.Join(goldenDir, "bcast-startup-shutdown-sha1.pcap")
	if _, err := os.Stat(path); err != nil {
		t.Skipf("capture not available: %v", err)
	}
	keys, err := authkeys.Parse(strings.NewReader("auth 1\n1 sha1 s3cret\n"), "wrong")
	if err != nil {
		t.Fatal(err)
	}
	dgs, err := wirepcap.Read(path, goldenPorts)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dgs {
		p, err := wire.Decode(d.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if err := wire.Verify(p, keys); !errors.Is(err, wire.ErrAuth) {
			t.Fatalf("record %d verified with the wrong key: %v", d.Record, err)
		}
	}
}
