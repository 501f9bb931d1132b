package wire_test

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/authkeys"
	"github.com/hbd-project/hbd/hbd/wire"
	"github.com/hbd-project/hbd/hbd/wire/wirepcap"
)

var controlFields = []string{"destuuid", "src", "srcuuid", "seq", "hg", "ts", "ld", "ttl", "auth"}

// TestControlApplyGolden strips the control fields from every message the
// real nodes sent, puts them back with Control.Apply and checks that the
// packet comes out byte for byte as captured: same order, same in-place
// rules, same NS_ exceptions.
func TestControlApplyGolden(t *testing.T) {
	path := filepath.Join(goldenDir, "bcast-2node-standby-failover-rexmit-sha1.pcap")
	dgs, err := wirepcap.Read(path, goldenPorts)
	if err != nil {
		t.Skipf("capture not available: %v", err)
	}
	keys, err := authkeys.Parse(strings.NewReader("auth 1\n1 sha1 s3cr3t\n"), "authkeys")
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]int{}
	for _, d := range dgs {
		p, err := wire.Decode(d.Payload)
		if err != nil {
			t.Fatalf("record %d: %v", d.Record, err)
		}
		if p.Format != wire.Netstring {
			continue
		}
		m := p.Msg
		c := controlFrom(t, m)
		stripped := m.Clone()
		for _, n := range controlFields {
			stripped.Del(n)
		}
		c.Apply(stripped)
		got, err := wire.Encode(stripped, keys)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, d.Payload) {
			t.Fatalf("record %d (%s):\n got %q\nwant %q", d.Record, m.Type(), got, d.Payload)
		}
		types[m.Type()]++
	}
	t.Logf("message types rebuilt: %v", types)
	if types["NS_ackmsg"] == 0 || types["status"] == 0 {
		t.Errorf("capture lacks the NS_ and sequenced messages this test needs: %v", types)
	}
}

func controlFrom(t *testing.T, m *wire.Message) *wire.Control {
	t.Helper()
	hex := func(name string) uint64 {
		v, ok := m.Get(name)
		if !ok {
			return 0
		}
		n, err := strconv.ParseUint(v, 16, 64)
		if err != nil {
			t.Fatalf("%s=%q: %v", name, v, err)
		}
		return n
	}
	c := &wire.Control{Seq: hex("seq"), Gen: hex("hg"), Time: int64(hex("ts"))}
	c.Src, _ = m.Get("src")
	c.Load, _ = m.Get("ld")
	ttl, _ := m.Get("ttl")
	c.TTL, _ = strconv.Atoi(ttl)
	if f := m.Field("srcuuid"); f != nil {
		c.SrcUUID = f.Value
	}
	if f := m.Field("destuuid"); f != nil {
		c.DestUUID = f.Value
	}
	return c
}

func TestControlApplyInPlaceAndNoSeq(t *testing.T) {
	c := &wire.Control{Src: "hsa", SrcUUID: []byte("0123456789abcdef"), Seq: 0x1f, Gen: 0x6b038347, Time: 0x6b038350, Load: "n/a", TTL: 3}

	// A client such as ipfail puts src early; it is modified where it is.
	m := &wire.Message{}
	m.Add("t", "num_ping_nodes")
	m.Add("src", "ipfail-wrote-this")
	m.Add("num_ping", "1")
	c.Apply(m)
	var names []string
	for _, f := range m.Fields {
		names = append(names, f.Name)
	}
	want := []string{"t", "src", "num_ping", "srcuuid", "seq", "hg", "ts", "ld", "ttl"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("field order (-want +got):\n%s", diff)
	}
	if v, _ := m.Get("src"); v != "hsa" {
		t.Errorf("src = %q, want it replaced by hsa", v)
	}
	if v, _ := m.Get("seq"); v != "1f" {
		t.Errorf("seq = %q, want lower-case hex 1f", v)
	}

	// NS_ messages get no seq or ld and keep what they already have.
	ns := &wire.Message{}
	ns.Add("t", "NS_st")
	ns.Add("src", "198.18.0.2")
	ns.Add("ts", "1")
	c.Apply(ns)
	names = names[:0]
	for _, f := range ns.Fields {
		names = append(names, f.Name+"="+string(f.Value))
	}
	want = []string{"t=NS_st", "src=198.18.0.2", "ts=1", "srcuuid=0123456789abcdef", "hg=6b038347", "ttl=3"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("NS_ fields (-want +got):\n%s", diff)
	}
}
