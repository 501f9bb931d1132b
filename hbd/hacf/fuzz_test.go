package hacf

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse: Parse never panics, errors point into the input, and an
// accepted config satisfies heartbeat's invariants and survives a
// WriteEffective round trip.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.cf")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(base + "keepalive 2000 ms\nmcast eth0 239.0.0.1 694 5 0\n"))
	f.Add([]byte(base + "auto_failback on\nnice_failback on\nudpport 700\nucast eth0 10.0.0.1\n"))
	f.Add([]byte("ping_group g 10.0.0.1\nautojoin any\ncrm yes\ncrm_daemon_dir /x\n"))
	o := Options{LocalNode: "node1", DefaultUDPPort: 694}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := Parse(bytes.NewReader(data), "ha.cf", o)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range list {
				if e.File != "ha.cf" || e.Line < 0 || e.Line > lines || e.Msg == "" {
					t.Fatalf("bad error %#v", e)
				}
			}
			return
		}
		checkInvariants(t, c)
		var buf bytes.Buffer
		if err := c.WriteEffective(&buf); err != nil {
			t.Fatal(err)
		}
		c2, _, err := Parse(&buf, "ha.cf", o)
		if err != nil {
			t.Fatalf("effective config does not parse: %v\n%s", err, buf.String())
		}
		if diff := cmp.Diff(c, c2, ignoreInternal, ignoreLines); diff != "" {
			t.Fatalf("round trip (-orig +reparsed):\n%s", diff)
		}
	})
}

func checkInvariants(t *testing.T, c *Config) {
	t.Helper()
	switch {
	case c.Keepalive <= 0:
		t.Fatalf("keepalive %v", c.Keepalive)
	case c.Deadtime <= 2*c.Keepalive:
		t.Fatalf("deadtime %v <= 2*keepalive %v", c.Deadtime, c.Keepalive)
	case c.Initdead < c.Deadtime:
		t.Fatalf("initdead %v < deadtime %v", c.Initdead, c.Deadtime)
	case c.Deadping <= 2*c.Keepalive:
		t.Fatalf("deadping %v <= 2*keepalive %v", c.Deadping, c.Keepalive)
	case c.Warntime <= 0:
		t.Fatalf("warntime %v", c.Warntime)
	case len(c.Media)+len(c.Ping)+len(c.PingGroups) < 1 || len(c.Media)+len(c.Ping)+len(c.PingGroups) > maxMedia:
		t.Fatalf("%d media", len(c.Media)+len(c.Ping)+len(c.PingGroups))
	case len(c.Nodes)+len(c.Ping)+len(c.PingGroups) > maxNodes:
		t.Fatalf("%d nodes", len(c.Nodes))
	case !c.HasNode("node1"):
		t.Fatalf("local node missing from %v", c.Nodes)
	case c.ResourceManagement && c.Autojoin != JoinNone:
		t.Fatalf("R1 resource management with autojoin %v", c.Autojoin)
	case c.Hopfudge < 0 || c.Hopfudge > 255 || c.Debug < 0 || c.Debug > 255:
		t.Fatalf("hopfudge %d debug %d", c.Hopfudge, c.Debug)
	}
	for _, m := range c.Media {
		if m, ok := m.(Mcast); ok && (!m.Group.Is4() || m.Group.As4()[0]>>4 != 0xe || m.TTL > 4 || m.Loop > 1 || m.Port == 0) {
			t.Fatalf("bad mcast %+v", m)
		}
	}
	for _, n := range c.Nodes {
		if n.Name == "" || n.Name != asciiLower(n.Name) || len(n.Name) > maxNodeName {
			t.Fatalf("bad node name %q", n.Name)
		}
	}
}
