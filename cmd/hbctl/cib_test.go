package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/cib"
	"github.com/hbd-project/hbd/hbd/crmoracle"
)

const testHACF = `# two nodes, one link
keepalive 1
deadtime 10
bcast eth0
auto_failback off
node alpha
node Beta
`

const testHaresources = `alpha 192.168.1.10/24/eth0 httpd
beta IPaddr2::192.168.1.20 Filesystem::/dev/sdb1::/data::ext3 \
     mysql
`

func confDir(t *testing.T, hacf, hares string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range map[string]string{"ha.cf": hacf, "haresources": hares} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runCibCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = dispatch(args, &o, &e)
	return code, o.String(), e.String()
}

func TestCibFromHaresources(t *testing.T) {
	dir := confDir(t, testHACF, testHaresources)
	code, out, errOut := runCibCmd("cib", "from-haresources", "-c", dir)
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
	c, err := cib.Parse([]byte(out))
	if err != nil {
		t.Fatalf("output is not a CIB: %v\n%s", err, out)
	}
	type group struct {
		ID      string
		Members []string
	}
	var groups []group
	for _, r := range c.Resources {
		g := group{ID: r.Kind.String() + " " + r.ID}
		for _, m := range r.Children {
			agent := m.Class + ":" + m.Type
			if m.Provider != "" {
				agent = m.Class + ":" + m.Provider + ":" + m.Type
			}
			g.Members = append(g.Members, m.ID+" "+agent)
		}
		groups = append(groups, g)
	}
	want := []group{
		{"group grp_192.168.1.10_24_eth0", []string{"ip_192.168.1.10 ocf:heartbeat:IPaddr2", "httpd lsb:httpd"}},
		{"group grp_IPaddr2__192.168.1.20", []string{"ip_192.168.1.20 ocf:heartbeat:IPaddr2",
			"Filesystem ocf:heartbeat:Filesystem", "mysql lsb:mysql"}},
	}
	if diff := cmp.Diff(want, groups); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	var prefs []string
	for _, l := range c.Locations {
		for _, r := range l.Rules {
			for _, e := range r.Expressions {
				prefs = append(prefs, l.Rsc+" "+r.Score+" "+e.Attribute+" "+e.Operation+" "+e.Value)
			}
		}
	}
	wantPrefs := []string{"grp_192.168.1.10_24_eth0 100 #uname eq alpha", "grp_IPaddr2__192.168.1.20 100 #uname eq beta"}
	if diff := cmp.Diff(wantPrefs, prefs); diff != "" {
		t.Errorf("location preferences (-want +got):\n%s", diff)
	}
	if len(c.RscDefaults) != 1 || !cmp.Equal(c.RscDefaults[0].Pairs[0].Value, "INFINITY") {
		t.Errorf("rsc_defaults %+v, want resource-stickiness INFINITY for auto_failback off", c.RscDefaults)
	}
	var nodes []string
	for _, n := range c.Nodes {
		nodes = append(nodes, n.Uname)
	}
	if diff := cmp.Diff([]string{"alpha", "beta"}, nodes); diff != "" {
		t.Errorf("nodes (-want +got):\n%s", diff)
	}
	if len(c.Status) != 0 {
		t.Errorf("status has %d node states, want none without --online", len(c.Status))
	}
}

func TestCibFromHaresourcesOutputFile(t *testing.T) {
	dir := confDir(t, testHACF, testHaresources)
	path := filepath.Join(t.TempDir(), "cib.xml")
	code, out, errOut := runCibCmd("cib", "from-haresources", "-c", dir, "-o", path, "--online")
	if code != 0 || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cib.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Status) != 2 || c.Status[0].Crmd != "online" {
		t.Errorf("--online: status %+v, want both nodes online", c.Status)
	}
	if !crmoracle.Available() || !crmoracle.VerifyAvailable() {
		t.Skip("crm_verify/crm_simulate not installed: the CIB is not checked against Pacemaker")
	}
	r := crmoracle.Runner{ScratchDir: t.TempDir()}
	if err := r.Verify(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	res, err := r.Simulate(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	want := []crmoracle.Placed{
		{Rsc: "Filesystem", Node: "beta", Role: "Started"},
		{Rsc: "httpd", Node: "alpha", Role: "Started"},
		{Rsc: "ip_192.168.1.10", Node: "alpha", Role: "Started"},
		{Rsc: "ip_192.168.1.20", Node: "beta", Role: "Started"},
		{Rsc: "mysql", Node: "beta", Role: "Started"},
	}
	if diff := cmp.Diff(want, res.Summary.Revised.Placement(nil)); diff != "" {
		t.Errorf("crm_simulate placement (-want +got):\n%s", diff)
	}
}

func TestCibFromHaresourcesErrors(t *testing.T) {
	for _, tc := range []struct {
		name, hacf, hares string
		want              string // in stderr
	}{
		{"unknown node", testHACF, "alpha a\ngamma b\n", "haresources:2: node \"gamma\" is not a node in ha.cf"},
		{"bad resource", testHACF, "alpha a\n\nbeta Filesystem::/dev/sdb1\n", "haresources:3: resource \"Filesystem::/dev/sdb1\""},
		{"bad address", testHACF, "alpha 10.0.0.300\n", "haresources:1:"},
		{"bad ha.cf", strings.Replace(testHACF, "auto_failback off", "auto_failback maybe", 1), "alpha a\n", "ha.cf:5:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := confDir(t, tc.hacf, tc.hares)
			code, out, errOut := runCibCmd("cib", "from-haresources", "-c", dir)
			if code != 1 || out != "" || !strings.Contains(errOut, filepath.Join(dir, tc.want)) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and %q", code, out, errOut, filepath.Join(dir, tc.want))
			}
		})
	}
	if code, _, _ := runCibCmd("cib", "from-haresources", "-c", t.TempDir()); code != 1 {
		t.Errorf("missing files: exit %d, want 1", code)
	}
	for _, args := range [][]string{{"cib"}, {"cib", "frobnicate"}, {"cib", "from-haresources", "extra"}, {"cib", "from-haresources", "--bogus"}} {
		if code, _, _ := runCibCmd(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
