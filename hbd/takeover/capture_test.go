package takeover

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/wire"
	"github.com/hbd-project/hbd/hbd/wire/wirepcap"
)

// captureDir holds real heartbeat 3.0.6 traffic (the shared test data).
const captureDir = "../../../shared/testdata/heartbeat-3.0.6"

// resourceTypes are the message types of the resource layer.
var resourceTypes = map[string]bool{
	"starting": true, "resource": true, "ask_resources": true, "ip-request": true,
	"ip-request-resp": true, "hb_takeover": true, "shutdone": true, "stonith": true,
}

type capturedMsg struct {
	at   time.Time
	line string // as pair.wire renders it
}

// captureSequence decodes a capture and returns its resource messages in
// wire order, without retransmitted copies, rendered without the control
// fields the membership core adds.
func captureSequence(t *testing.T, name string) []capturedMsg {
	t.Helper()
	path := filepath.Join(captureDir, name)
	dgs, err := wirepcap.Read(path, []uint16{694})
	if err != nil {
		t.Skipf("%s: %v (the shared test data is not checked out)", path, err)
	}
	seen := map[string]bool{}
	var out []capturedMsg
	for _, d := range dgs {
		p, err := wire.Decode(d.Payload)
		if err != nil {
			continue // the legacy capture has one malformed datagram on purpose
		}
		m := p.Msg
		if !resourceTypes[m.Type()] {
			continue
		}
		src, _ := m.Get("src")
		hg, _ := m.Get("hg")
		seq, _ := m.Get("seq")
		if id := src + "/" + hg + "/" + seq; seen[id] {
			continue
		} else {
			seen[id] = true
		}
		var fields []string
		for _, f := range m.Fields {
			switch f.Name {
			case "src", "srcuuid", "destuuid", "seq", "hg", "ts", "ld", "ttl", "auth":
				continue
			}
			fields = append(fields, fmt.Sprintf("%s=%s", f.Name, f.Value))
		}
		out = append(out, capturedMsg{at: d.Time, line: src + ": " + strings.Join(fields, " ")})
	}
	return out
}

// window returns the captured lines in [from, to) (UTC clock times).
func window(msgs []capturedMsg, from, to string) []string {
	day := "2026-11-23T"
	a, _ := time.Parse(time.RFC3339, day+from+"Z")
	b, _ := time.Parse(time.RFC3339, day+to+"Z")
	var out []string
	for _, m := range msgs {
		if !m.at.Before(a) && m.at.Before(b) {
			out = append(out, m.line)
		}
	}
	return out
}

// TestAgainstCapture replays the lab story of
// bcast-2node-standby-failover-rexmit-sha1.pcap with two machines and
// compares, phase by phase, the resource messages with what the real pair
// sent: hb_standby all on hsa, kill -9 of hsb, hsb's return with
// auto_failback, and a graceful stop of hsb.
func TestAgainstCapture(t *testing.T) {
	real := captureSequence(t, "bcast-2node-standby-failover-rexmit-sha1.pcap")
	phases := []struct {
		name     string
		from, to string
		run      func(p *pair)
	}{
		{"hb_standby all on hsa", "00:10:20", "00:10:40", func(p *pair) {
			p.at(30*time.Second, 0, Standby{Which: All})
			p.runUntil(60 * time.Second)
		}},
		{"kill -9 of hsb", "00:10:59", "00:11:10", func(p *pair) {
			p.crash(1)
			p.at(66*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusDead})
			p.runUntil(80 * time.Second)
		}},
		{"hsb returns, auto_failback", "00:11:20", "00:11:40", func(p *pair) {
			rejoin(p, 81*time.Second, 1)
			p.runUntil(120 * time.Second)
		}},
		{"graceful stop of hsb", "00:12:15", "00:12:40", func(p *pair) {
			p.at(130*time.Second, 1, Shutdown{})
			p.runUntil(135 * time.Second)
			p.crash(1)
			p.at(145*time.Second, 0, NodeStatus{Node: "hsb", Old: core.StatusActive, New: core.StatusDead})
			p.runUntil(150 * time.Second)
		}},
	}
	p := startPair(t, AutoFailback)
	for _, ph := range phases {
		k := len(p.wire)
		ph.run(p)
		want := window(real, ph.from, ph.to)
		if len(want) == 0 {
			t.Fatalf("%s: no resource messages in the capture between %s and %s", ph.name, ph.from, ph.to)
		}
		if diff := cmp.Diff(want, p.wireSince(k)); diff != "" {
			t.Errorf("%s: messages (-capture +ours):\n%s", ph.name, diff)
		}
	}
}

// TestAgainstLegacyCapture does the same for the legacy capture's first
// phases: hsa alone after initdead, then hsb joining and asking for its
// group back.
func TestAgainstLegacyCapture(t *testing.T) {
	real := captureSequence(t, "legacy-failback-partition-sha1.pcap")
	p := newPair(t, Legacy, false)
	p.crash(1)
	p.at(12*time.Second, 0, NodeStatus{Node: "hsb", New: core.StatusDead})
	p.at(12*time.Second, 0, CommUp{})
	p.runUntil(30 * time.Second)
	alone, joins := window(real, "00:20:00", "00:20:19"), window(real, "00:20:19", "00:20:30")
	if len(alone) == 0 || len(joins) == 0 {
		t.Fatal("no resource messages in the capture windows")
	}
	if diff := cmp.Diff(alone, p.wireSince(0)); diff != "" {
		t.Errorf("alone: messages (-capture +ours):\n%s", diff)
	}
	k := len(p.wire)
	rejoin(p, 31*time.Second, 1)
	p.runUntil(40 * time.Second)
	if diff := cmp.Diff(joins, p.wireSince(k)); diff != "" {
		t.Errorf("hsb joins: messages (-capture +ours):\n%s", diff)
	}
}
