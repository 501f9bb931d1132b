package harescib

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/cib"
	"github.com/hbd-project/hbd/hbd/cibgen"
	"github.com/hbd-project/hbd/hbd/crmoracle"
	"github.com/hbd-project/hbd/hbd/hacf"
	"github.com/hbd-project/hbd/hbd/scheduler"
)

// examples are haresources files with their ha.cf nodes and the node each
// group must start on.
var examples = []struct {
	name      string
	text      string
	nodes     []string
	preferred map[string]string // group id → node
}{
	{
		name:  "spec-6.3",
		text:  "alpha 192.168.1.10/24/eth0 httpd\nbeta IPaddr::192.168.1.20 Filesystem::/dev/sdb1::/data::ext3 mysql\n",
		nodes: []string{"alpha", "beta"},
		preferred: map[string]string{
			"grp_192.168.1.10_24_eth0": "alpha", "grp_IPaddr__192.168.1.20": "beta",
		},
	},
	{
		name: "three-nodes",
		text: "# one group per node, one of them a single resource\n" +
			"Node1 10.0.0.1 drbddisk::r0 Filesystem::/dev/drbd0::/srv::ext4::noatime nfs-kernel-server\n" +
			"node2 IPaddr2::10.0.0.2/16/eth1:nfs/10.0.255.255 \\\n  MailTo::root@localhost\n" +
			"node3 squid\n" +
			"node3 Delay::5::2 apache::/etc/apache2/apache2.conf\n",
		nodes: []string{"node1", "node2", "node3"},
		preferred: map[string]string{
			"grp_10.0.0.1": "node1", "grp_IPaddr2__10.0.0.2_16_eth1_nfs_10.0.255.255": "node2",
			"grp_squid": "node3", "grp_Delay__5__2": "node3",
		},
	},
}

func convert(t *testing.T, text string, nodes []string, fb hacf.AutoFailback, online bool) *cibgen.Cluster {
	t.Helper()
	f, err := haresources.Parse(strings.NewReader(text), "haresources")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Convert(f, Options{Nodes: nodes, AutoFailback: fb, Online: online})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// prim is the part of a converted primitive the tests check.
type prim struct {
	ID, Agent string
	Params    []cibgen.NV
	Monitor   [2]int
}

func summarize(r *cibgen.Resource) prim {
	agent := r.Class + ":" + r.Type
	if r.Provider != "" {
		agent = r.Class + ":" + r.Provider + ":" + r.Type
	}
	return prim{r.ID, agent, r.Params, [2]int{r.Monitor, r.MonitorTimeout}}
}

func TestConvert(t *testing.T) {
	c := convert(t, examples[1].text, examples[1].nodes, hacf.FailbackOn, false)
	var got [][]prim
	for _, g := range c.Resources {
		var members []prim
		for _, m := range g.Children {
			members = append(members, summarize(m))
		}
		got = append(got, members)
	}
	ip, other := [2]int{5000, 5000}, [2]int{120000, 60000}
	nv := func(kv ...string) []cibgen.NV {
		var out []cibgen.NV
		for i := 0; i < len(kv); i += 2 {
			out = append(out, cibgen.NV{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	want := [][]prim{
		{
			{"ip_10.0.0.1", "ocf:heartbeat:IPaddr2", nv("ip", "10.0.0.1"), ip},
			{"drbddisk", "lsb:drbddisk", nv("1", "r0"), other},
			{"Filesystem", "ocf:heartbeat:Filesystem", nv("device", "/dev/drbd0", "directory", "/srv", "fstype", "ext4", "options", "noatime"), other},
			{"nfs-kernel-server", "lsb:nfs-kernel-server", nil, other},
		},
		{
			{"ip_10.0.0.2", "ocf:heartbeat:IPaddr2", nv("ip", "10.0.0.2", "cidr_netmask", "16", "nic", "eth1", "iflabel", "nfs", "broadcast", "10.0.255.255"), ip},
			{"MailTo", "ocf:heartbeat:MailTo", nv("email", "root@localhost"), other},
		},
		{{"squid", "lsb:squid", nil, other}},
		{
			{"Delay", "ocf:heartbeat:Delay", nv("startdelay", "5", "stopdelay", "2"), other},
			{"apache", "ocf:heartbeat:apache", nv("configfile", "/etc/apache2/apache2.conf"), other},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	wantLoc := []cibgen.Location{
		{ID: "loc_grp_10.0.0.1", Rsc: "grp_10.0.0.1", Node: "node1", Score: "100", Rule: true},
		{ID: "loc_grp_IPaddr2__10.0.0.2_16_eth1_nfs_10.0.255.255", Rsc: "grp_IPaddr2__10.0.0.2_16_eth1_nfs_10.0.255.255", Node: "node2", Score: "100", Rule: true},
		{ID: "loc_grp_squid", Rsc: "grp_squid", Node: "node3", Score: "100", Rule: true},
		{ID: "loc_grp_Delay__5__2", Rsc: "grp_Delay__5__2", Node: "node3", Score: "100", Rule: true},
	}
	if diff := cmp.Diff(wantLoc, c.Locations); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
	if x := string(c.XML()); !strings.Contains(x, "<status/>") || strings.Contains(x, "execution-date") {
		t.Error("a CIB for a real cluster must have an empty status and no execution-date")
	}
}

func TestStickiness(t *testing.T) {
	for fb, want := range map[hacf.AutoFailback]string{
		hacf.FailbackOn: "0", hacf.FailbackLegacy: "0", hacf.FailbackOff: "INFINITY",
	} {
		c := convert(t, examples[0].text, examples[0].nodes, fb, false)
		if diff := cmp.Diff([]cibgen.NV{{Name: "resource-stickiness", Value: want}}, c.RscDefaults); diff != "" {
			t.Errorf("auto_failback %v: rsc_defaults (-want +got):\n%s", fb, diff)
		}
	}
}

func TestConvertErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"alpha a\ngamma b\n", "haresources:2: node \"gamma\""},
		{"alpha a\nbeta Filesystem::/dev/sda1\n", "haresources:2: resource \"Filesystem::/dev/sda1\": Filesystem takes 3 to 4 arguments"},
		{"alpha SendArp::1.2.3.4/eth0::x\n", "haresources:1: resource \"SendArp::1.2.3.4/eth0::x\": SendArp takes one argument"},
	} {
		f, err := haresources.Parse(strings.NewReader(tc.text), "haresources")
		if err != nil {
			t.Fatal(err)
		}
		_, err = Convert(f, Options{Nodes: []string{"alpha", "beta"}})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Convert(%q) error = %v, want prefix %q", tc.text, err, tc.want)
		}
		var herr *haresources.Error
		if !errors.As(err, &herr) {
			t.Errorf("Convert(%q) error %T is not a *haresources.Error", tc.text, err)
		}
	}
	f, _ := haresources.Parse(strings.NewReader("alpha a\n"), "haresources")
	if _, err := Convert(f, Options{}); err == nil {
		t.Error("Convert with no nodes succeeded")
	}
}

// TestDuplicateIDs checks that ids stay unique when resources repeat.
func TestDuplicateIDs(t *testing.T) {
	c := convert(t, "alpha 10.0.0.1 x::1\nbeta x::2 IPaddr2::10.0.0.1/24 x\n", []string{"alpha", "beta"}, hacf.FailbackOn, false)
	var ids []string
	for _, g := range c.Resources {
		for _, m := range g.Children {
			ids = append(ids, m.ID)
		}
	}
	if diff := cmp.Diff([]string{"ip_10.0.0.1", "x", "x_2", "ip_10.0.0.1_2", "x_3"}, ids); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

// TestPacemakerAccepts runs the converted examples through crm_verify and
// crm_simulate: the CIB validates, and on a cold start every group starts
// on the node its haresources line names.
func TestPacemakerAccepts(t *testing.T) {
	if !crmoracle.Available() || !crmoracle.VerifyAvailable() {
		t.Skip("crm_simulate/crm_verify not installed (Debian package pacemaker-cli-utils)")
	}
	dir := t.TempDir()
	r := crmoracle.Runner{ScratchDir: dir}
	ctx := context.Background()
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			for _, online := range []bool{false, true} {
				c := convert(t, ex.text, ex.nodes, hacf.FailbackOn, online)
				path := filepath.Join(dir, ex.name+".xml")
				if err := os.WriteFile(path, c.XML(), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := r.Verify(ctx, path); err != nil {
					t.Fatalf("online=%v: %v", online, err)
				}
			}
			res, err := r.Simulate(ctx, filepath.Join(dir, ex.name+".xml"))
			if err != nil {
				t.Fatal(err)
			}
			var want []crmoracle.Placed
			for _, g := range convert(t, ex.text, ex.nodes, hacf.FailbackOn, true).Resources {
				for _, m := range g.Children {
					want = append(want, crmoracle.Placed{Rsc: m.ID, Node: ex.preferred[g.ID], Role: "Started"})
				}
			}
			if d := crmoracle.DiffPlacement(sorted(want), res.Summary.Revised.Placement(nil)); d != "" {
				t.Errorf("cold start placement (-want +crm_simulate):\n%s", d)
			}
		})
	}
}

func sorted(p []crmoracle.Placed) []crmoracle.Placed {
	out := slices.Clone(p)
	slices.SortFunc(out, crmoracle.ComparePlaced)
	return out
}

// TestFailback plays heartbeat's failover and return with crm_simulate:
// start, take beta down (its group moves to alpha), bring beta back. With
// auto_failback on the group moves back to beta; with off it stays.
// --node-down, not --node-fail: a failed node keeps its old operation
// history in crm_simulate's output, so bringing it up would make the group
// look active on both nodes, where a real node rejoins with its history
// erased.
func TestFailback(t *testing.T) {
	if !crmoracle.Available() {
		t.Skip("crm_simulate not installed (Debian package pacemaker-cli-utils)")
	}
	r := crmoracle.Runner{ScratchDir: t.TempDir()}
	ctx := context.Background()
	ex := examples[0]
	for fb, wantBack := range map[hacf.AutoFailback]string{hacf.FailbackOn: "beta", hacf.FailbackOff: "alpha"} {
		dir := t.TempDir()
		step := func(in, out string, args ...string) *crmoracle.Summary {
			t.Helper()
			res, err := r.Simulate(ctx, filepath.Join(dir, in), append(args, "-O", filepath.Join(dir, out))...)
			if err != nil {
				t.Fatal(err)
			}
			return res.Summary
		}
		c := convert(t, ex.text, ex.nodes, fb, true)
		if err := os.WriteFile(filepath.Join(dir, "0.xml"), c.XML(), 0o644); err != nil {
			t.Fatal(err)
		}
		step("0.xml", "1.xml")
		failed := step("1.xml", "2.xml", "--node-down", "beta")
		back := step("2.xml", "3.xml", "--node-up", "beta")
		where := func(s *crmoracle.Summary) map[string]string {
			m := map[string]string{}
			for _, p := range s.Revised.Placement(nil) {
				m[p.Rsc] = p.Node
			}
			return m
		}
		for _, rsc := range []string{"ip_192.168.1.20", "Filesystem", "mysql"} {
			if got := where(failed)[rsc]; got != "alpha" {
				t.Errorf("auto_failback %v: after beta went down %s is on %q, want alpha", fb, rsc, got)
			}
			if got := where(back)[rsc]; got != wantBack {
				t.Errorf("auto_failback %v: after beta returned %s is on %q, want %s", fb, rsc, got, wantBack)
			}
		}
	}
}

// TestSchedulerAgrees checks that hbd's scheduler and crm_simulate compute
// the same cold-start transition and placement for the converted examples
// (what hbctl simulate prints is the scheduler's Render).
func TestSchedulerAgrees(t *testing.T) {
	if !crmoracle.Available() {
		t.Skip("crm_simulate not installed (Debian package pacemaker-cli-utils)")
	}
	r := crmoracle.Runner{ScratchDir: t.TempDir()}
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			c := convert(t, ex.text, ex.nodes, hacf.FailbackOff, true)
			path := filepath.Join(t.TempDir(), "cib.xml")
			if err := os.WriteFile(path, c.XML(), 0o644); err != nil {
				t.Fatal(err)
			}
			want, err := r.Simulate(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := cib.Parse(c.XML())
			if err != nil {
				t.Fatal(err)
			}
			tr, err := scheduler.Schedule(parsed)
			if err != nil {
				t.Fatal(err)
			}
			got, err := crmoracle.ParseSummary(tr.Render())
			if err != nil {
				t.Fatal(err)
			}
			if d := crmoracle.DiffLines(want.Summary.Transitions, got.Transitions); d != "" {
				t.Errorf("Transition Summary (-crm_simulate +hbd):\n%s", d)
			}
			if d := crmoracle.DiffPlacement(want.Summary.Revised.Placement(nil), got.Revised.Placement(nil)); d != "" {
				t.Errorf("placement (-crm_simulate +hbd):\n%s", d)
			}
		})
	}
}
