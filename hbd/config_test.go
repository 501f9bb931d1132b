package hbd

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/link"
	"github.com/hbd-project/hbd/hbd/takeover"
)

func writeConf(t *testing.T, files map[string]string) string {
	t.Helper()
	d := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(d, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

const keys = "auth 1\n1 sha1 s3cret\n"

func TestConfigMapsOntoTheMachines(t *testing.T) {
	d := writeConf(t, map[string]string{
		"ha.cf": "keepalive 200ms\ndeadtime 2\nwarntime 1\ninitdead 4\nudpport 700\n" +
			"bcast eth0\nucast eth1 198.18.1.2\nmcast eth2 239.0.0.1 694 1 0\n" +
			"ping 198.18.0.254\nping_group routers 198.18.0.253 198.18.0.252\n" +
			"auto_failback off\nnode Node1 node2\n",
		"authkeys":    keys,
		"haresources": "node1 198.18.0.100/24/eth0 websvc\n",
	})
	c, err := LoadConfig(d, LoadOptions{LocalNode: "NODE1"})
	if err != nil {
		t.Fatal(err)
	}
	specs, err := mediaSpecs(context.Background(), c.HaCf)
	if err != nil {
		t.Fatal(err)
	}
	wantSpecs := []link.Spec{
		{Kind: link.Bcast, Iface: "eth0", Port: 700},
		{Kind: link.Ucast, Iface: "eth1", Peer: netip.MustParseAddr("198.18.1.2"), Port: 700},
		{Kind: link.Mcast, Iface: "eth2", Group: netip.MustParseAddr("239.0.0.1"), Port: 694, TTL: 1},
	}
	if diff := cmp.Diff(wantSpecs, specs, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("media (-want +got):\n%s", diff)
	}

	cc := coreConfig(c, 42, [16]byte{1}, 7, linkNames(specs))
	want := core.Config{
		LocalNode: "node1", Nodes: []string{"node1", "node2"},
		PingNodes: []core.PingNode{{Name: "198.18.0.254"}, {Name: "routers", Group: true}},
		Links:     []string{"eth0", "eth1", "eth2"},
		KeepAlive: 200 * time.Millisecond, DeadTime: 2 * time.Second, WarnTime: time.Second,
		InitDead: 4 * time.Second, DeadPing: 2 * time.Second, MaxRexmitDelay: 250 * time.Millisecond,
		HopFudge: 1, UUID: [16]byte{1}, Generation: 42, ManageResources: true, Seed: 7,
	}
	if diff := cmp.Diff(want, cc); diff != "" {
		t.Errorf("core config (-want +got):\n%s", diff)
	}

	tc := takeoverConfig(c)
	if tc.Mode != takeover.NiceFailback || tc.LocalNode != "node1" || len(tc.Groups) != 1 ||
		!cmp.Equal(tc.Nodes, []string{"node1", "node2"}) {
		t.Errorf("takeover config = %+v", tc)
	}

	pings, err := pingNodes(context.Background(), c.HaCf)
	if err != nil {
		t.Fatal(err)
	}
	if len(pings) != 2 || pings[1].Name != "routers" || !pings[1].Group || len(pings[1].Hosts) != 2 {
		t.Errorf("ping nodes = %+v", pings)
	}
}

func TestLoadConfigReportsEveryFile(t *testing.T) {
	d := writeConf(t, map[string]string{
		"ha.cf":       "keepalive 1s\nbcast eth0\nnode node1 node2\n",
		"authkeys":    "auth 3\n1 sha1 x\n",
		"haresources": "node1\n",
	})
	_, err := LoadConfig(d, LoadOptions{LocalNode: "node1"})
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"ha.cf:1:", "authkeys:1:", "haresources:1:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestLoadConfigChecksHaresourcesNodes(t *testing.T) {
	d := writeConf(t, map[string]string{
		"ha.cf":       "bcast eth0\nnode node1 node2\n",
		"authkeys":    keys,
		"haresources": "node1 websvc\nnode3 other\n",
	})
	_, err := LoadConfig(d, LoadOptions{LocalNode: "node1"})
	if err == nil || !strings.Contains(err.Error(), "haresources:2:") {
		t.Fatalf("err = %v, want haresources:2: naming node3", err)
	}
}

func TestLocalNodeNameFromNodeinfo(t *testing.T) {
	d := writeConf(t, map[string]string{"nodeinfo": "Alpha\n"})
	if n, err := LocalNodeName(d); err != nil || n != "alpha" {
		t.Fatalf("got %q, %v; want alpha", n, err)
	}
	// Without a trailing newline heartbeat ignores the file.
	d = writeConf(t, map[string]string{"nodeinfo": "Alpha"})
	if n, err := LocalNodeName(d); err != nil || n == "alpha" {
		t.Fatalf("got %q, %v; want uname -n", n, err)
	}
}
