package hacf

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// opts is what most tests parse with: a fixed default port, so the tests
// do not depend on this machine's /etc/services.
var opts = Options{LocalNode: "node1", DefaultUDPPort: 694}

// base is the smallest valid config; tests append their lines after it, so
// the first appended line is line 3.
const base = "bcast eth0\nnode node1\n"

func parse(t *testing.T, text string, o Options) (*Config, []Warning, error) {
	t.Helper()
	return Parse(strings.NewReader(text), "ha.cf", o)
}

func mustParse(t *testing.T, text string) (*Config, []Warning) {
	t.Helper()
	c, w, err := parse(t, text, opts)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return c, w
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

// ignoreInternal compares the typed view only (netip.Addr is compared
// with ==).
var ignoreInternal = cmp.Options{cmpopts.IgnoreUnexported(Config{}), cmpopts.EquateComparable(netip.Addr{})}

func TestExampleConfig(t *testing.T) {
	c, w, err := Load("testdata/example.cf", opts)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:      "testdata/example.cf",
		LocalNode: "node1",
		Nodes:     []Node{{"node1", 11}, {"node2", 12}},
		Media:     []Medium{Mcast{Iface: "eth0", Group: ip("239.0.12.1"), Port: 694, TTL: 1, Loop: 0, Line: 8}},
		Ping:      []Ping{{Host: "198.18.0.3", Name: "198.18.0.3", Line: 9}},
		Keepalive: 500 * time.Millisecond, Deadtime: 3 * time.Second, Warntime: 2 * time.Second,
		Initdead: 6 * time.Second, Deadping: 3 * time.Second,
		UDPPort: 694, Baud: 19200, Hopfudge: 1, AutoFailback: FailbackOn, Cluster: "linux-ha",
		MsgFmt: "classic", HBGenMethod: "file", UUIDFrom: "file", MaxRexmitDelay: 250 * time.Millisecond,
		Logfile: "/var/log/ha-log", Debugfile: "/var/log/ha-debug",
		Env: map[string]string{}, ResourceManagement: true,
	}
	if diff := cmp.Diff(want, c, ignoreInternal); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	// The only remark heartbeat makes too: initdead 6 s < 10 s.
	if len(w) != 1 || w[0].Line != 6 || !strings.Contains(w[0].Msg, "Initial dead time [6000 ms] may be too small") {
		t.Errorf("warnings = %v", w)
	}
	// Raw values, as cl_status hbparameter prints them.
	for name, want := range map[string]string{"deadtime": "3", "keepalive": "500ms", "warntime": "2", "initdead": "6", "udpport": "694"} {
		if got, _ := c.Param(name); got != want {
			t.Errorf("Param(%s) = %q, want %q", name, got, want)
		}
	}
	if got := c.ParamLine("deadtime"); got != 5 {
		t.Errorf("ParamLine(deadtime) = %d, want 5", got)
	}
}

func TestFullConfig(t *testing.T) {
	c, w, err := Load("testdata/full.cf", Options{LocalNode: "ALPHA", DefaultUDPPort: 694})
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:      "testdata/full.cf",
		LocalNode: "alpha",
		Nodes:     []Node{{"alpha", 25}, {"beta", 25}},
		Media: []Medium{
			Bcast{Iface: "eth0", Port: 695, Line: 10}, Bcast{Iface: "eth1", Port: 695, Line: 10},
			Ucast{Iface: "eth1", Host: "10.0.0.2", Addr: ip("10.0.0.2"), Port: 695, Line: 11},
			Ucast{Iface: "eth1", Host: "peer.example", Port: 695, Line: 12},
			Mcast{Iface: "eth2", Group: ip("239.1.2.3"), Port: 696, TTL: 0, Loop: 1, Line: 13},
		},
		Ping:       []Ping{{Host: "10.0.0.254", Name: "10.0.0.254", Line: 14}, {Host: "GW.example", Name: "gw.example", Line: 14}},
		PingGroups: []PingGroup{{Name: "uplinks", Hosts: []string{"10.0.1.1", "10.0.1.2"}, Line: 15}},
		Keepalive:  250 * time.Millisecond, Deadtime: 2500 * time.Millisecond, Warntime: 1500 * time.Millisecond,
		Initdead: 20 * time.Second, Deadping: 5 * time.Second,
		UDPPort: 695, Baud: 19200, Hopfudge: 2, Debug: 1, AutoFailback: FailbackOff, Cluster: "prod",
		MsgFmt: "netstring", HBGenMethod: "time", UUIDFrom: "nodename", MaxRexmitDelay: 500 * time.Millisecond,
		LogFacility: "local0", Logfile: "/dev/null", Debugfile: "/dev/null",
		StonithHosts: []StonithHost{
			{Host: "*", Type: "null", Params: "alpha beta", Applies: true, Line: 23},
			{Host: "other", Params: "external/ssh alpha", Line: 24},
		},
		APIAuth:            []APIAuth{{Client: "mon", UIDs: []string{"root", "hacluster"}, GIDs: []string{"haclient"}, Line: 28}},
		Children:           []Child{{User: "hacluster", Command: "/usr/lib/heartbeat/ipfail", Line: 29}},
		Env:                map[string]string{"HA_FOO": "bar"},
		ResourceManagement: true,
	}
	if diff := cmp.Diff(want, c, ignoreInternal); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	var unsupported []string
	for _, x := range w {
		if strings.HasSuffix(x.Msg, "parsed, not yet supported by hbd") {
			unsupported = append(unsupported, fmt.Sprintf("%d:%s", x.Line, strings.SplitN(x.Msg, ":", 2)[0]))
		}
	}
	wantUnsupported := []string{"3:logfacility", "23:stonith_host", "24:stonith_host", "26:realtime", "27:coredumps", "28:apiauth", "29:respawn", "30:env"}
	if diff := cmp.Diff(wantUnsupported, unsupported); diff != "" {
		t.Errorf("unsupported warnings (-want +got):\n%s", diff)
	}
	// logfacility without logfile/debugfile records /dev/null for both.
	if v, _ := c.Param("logfile"); v != "/dev/null" {
		t.Errorf("Param(logfile) = %q", v)
	}
}

// TestDefaults checks every default against heartbeat -D and init_config.
func TestDefaults(t *testing.T) {
	c, _ := mustParse(t, base)
	wantParams := map[string]string{
		"cluster": "linux-ha", "hopfudge": "1", "keepalive": "1000ms", "deadtime": "30000ms",
		"baud": "19200", "auto_failback": "legacy", "hbgenmethod": "file", "realtime": "true",
		"msgfmt": "classic", "conn_logd_time": "60", "log_badpack": "true", "syslogmsgfmt": "true",
		"coredumps": "true", "pacemaker": "false", "autojoin": "none", "uuidfrom": "file",
		"compression": "zlib", "compression_threshold": "2", "traditional_compression": "no",
		"max_rexmit_delay": "250", "record_config_changes": "on", "record_pengine_inputs": "on",
		"enable_config_writes": "on", "memreserve": "6500",
		// computed by init_config
		"debug": "0", "warntime": "15000ms", "initdead": "30000ms", "deadping": "30000ms", "udpport": "694", "use_logd": "yes",
	}
	got := map[string]string{}
	for _, p := range c.Params() {
		got[p.Name] = p.Value
		if p.Line != 0 {
			t.Errorf("default %s has line %d", p.Name, p.Line)
		}
	}
	if diff := cmp.Diff(wantParams, got); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	type timing struct{ Keepalive, Deadtime, Warntime, Initdead, Deadping time.Duration }
	wantT := timing{time.Second, 30 * time.Second, 15 * time.Second, 30 * time.Second, 30 * time.Second}
	if diff := cmp.Diff(wantT, timing{c.Keepalive, c.Deadtime, c.Warntime, c.Initdead, c.Deadping}); diff != "" {
		t.Errorf("timing (-want +got):\n%s", diff)
	}
	if c.AutoFailback != FailbackLegacy || !c.UseLogd || !c.ResourceManagement || c.Hopfudge != 1 || c.Baud != 19200 {
		t.Errorf("defaults: %+v", c)
	}
}

func TestInitdeadDefault(t *testing.T) {
	for _, tc := range []struct {
		deadtime string
		want     time.Duration
	}{
		{"3", 12 * time.Second},      // < 6 s: 12 s
		{"5999ms", 12 * time.Second}, // still < 6 s
		{"6", 12 * time.Second},      // 6..10 s: twice deadtime
		{"10", 20 * time.Second},     // 10 s is not > 10 s
		{"10001ms", 10001 * time.Millisecond},
		{"60", 60 * time.Second},
	} {
		c, _ := mustParse(t, base+"deadtime "+tc.deadtime+"\n")
		if c.Initdead != tc.want {
			t.Errorf("deadtime %s: initdead %v, want %v", tc.deadtime, c.Initdead, tc.want)
		}
		if v, _ := c.Param("initdead"); v != fmt.Sprintf("%dms", tc.want.Milliseconds()) {
			t.Errorf("deadtime %s: Param(initdead) = %q", tc.deadtime, v)
		}
		if c.Warntime != msec(ms(c.Deadtime)/2) || c.Deadping != c.Deadtime { // integer ms, as heartbeat
			t.Errorf("deadtime %s: warntime %v deadping %v", tc.deadtime, c.Warntime, c.Deadping)
		}
	}
}

func TestGetMsec(t *testing.T) {
	for in, want := range map[string]int64{
		"2": 2000, "1.5": 1500, "0.1": 100, "500ms": 500, "500MS": 500, "500msec": 500,
		"250000us": 250, "250000usec": 250, "499us": 0, "501us": 1, "0.0005": 1, "0.0004": 0,
		" 5": 5000, "5 ms": 5, "1.2.3": 1200, ".5": 500, ".": 0, "": 0, "0": 0,
		"1s": -1, "1sec": -1, "2000 s": -1, "ms": -1, "abc": -1, "-1": -1, "1e3": -1,
		"\v1": -1, "1m": -1, "99999999999999999999": -1, "9223372036854ms": 9223372036854,
		"9223372036855ms": -1,
	} {
		if got := getMsec(in); got != want {
			t.Errorf("getMsec(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int32{
		"12": 12, "12abc": 12, "abc": 0, "": 0, "-1": -1, " +7": 7, "\v9": 9,
		"99999999999":            1215752191, // truncated to 32 bits, like (int)strtol
		"999999999999999999999":  -1,         // LONG_MAX, then truncated
		"-999999999999999999999": 0,          // LONG_MIN, then truncated
	} {
		if got := atoi(in); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseBool(t *testing.T) {
	for _, s := range []string{"true", "ON", "Yes", "y", "1"} {
		if v, ok := parseBool(s); !ok || !v {
			t.Errorf("parseBool(%q) = %v, %v", s, v, ok)
		}
	}
	for _, s := range []string{"false", "Off", "NO", "n", "0"} {
		if v, ok := parseBool(s); !ok || v {
			t.Errorf("parseBool(%q) = %v, %v", s, v, ok)
		}
	}
	// "yeſ" would match "yes" under Unicode folding; strcasecmp is ASCII.
	for _, s := range []string{"", "2", "enabled", "yeſ", "tru"} {
		if _, ok := parseBool(s); ok {
			t.Errorf("parseBool(%q) accepted", s)
		}
	}
}

// TestAccept covers every directive's accepted forms.
func TestAccept(t *testing.T) {
	for _, tc := range []struct {
		lines string
		check func(c *Config) any // returns the value compared with want
		want  any
	}{
		{"node a b,c\tD", func(c *Config) any { return nodeNames(c) }, []string{"node1", "a", "b", "c", "d"}},
		{"keepalive 2 3", func(c *Config) any { return c.Keepalive }, 3 * time.Second}, // last token wins
		{"keepalive", func(c *Config) any { return c.Keepalive }, time.Second},         // no value: nothing happens
		{"deadtime 0.5\nkeepalive 100ms", func(c *Config) any { return c.Deadtime }, 500 * time.Millisecond},
		{"warntime 250000us", func(c *Config) any { return c.Warntime }, 250 * time.Millisecond},
		{"deadping 40", func(c *Config) any { return c.Deadping }, 40 * time.Second},
		{"initdead 30", func(c *Config) any { return c.Initdead }, 30 * time.Second},
		{"hopfudge 255", func(c *Config) any { return c.Hopfudge }, 255},
		{"hopfudge abc", func(c *Config) any { return c.Hopfudge }, 0}, // atoi: heartbeat accepts it
		{"debug 3", func(c *Config) any { return c.Debug }, 3},
		{"udpport 1694\nbcast eth1", func(c *Config) any { return c.Media[1] }, Bcast{Iface: "eth1", Port: 694, Line: 4}},
		{"auto_failback LEGACY", func(c *Config) any { return c.AutoFailback }, FailbackLegacy},
		{"auto_failback yes", func(c *Config) any { return c.AutoFailback }, FailbackOn},
		{"auto_failback 0", func(c *Config) any { return c.AutoFailback }, FailbackOff},
		{"autojoin other\npacemaker respawn", func(c *Config) any { return []any{c.Autojoin, c.ResourceManagement, c.Pacemaker} }, []any{JoinOther, false, "respawn"}},
		{"autojoin any\ncrm yes", func(c *Config) any { return []any{c.Autojoin, c.Pacemaker} }, []any{JoinAny, "yes"}},
		{"pacemaker off", func(c *Config) any { return []any{c.Pacemaker, c.ResourceManagement} }, []any{"", true}},
		{"pacemaker on\ncrm_daemon_dir /usr/lib/pacemaker", func(c *Config) any { v, _ := c.Param("crm_daemon_dir"); return v }, "/usr/lib/pacemaker"},
		{"crmd_spawns_pengine no\npacemaker minimal", func(c *Config) any { return c.Pacemaker }, "minimal"},
		{"cluster c1", func(c *Config) any { return c.Cluster }, "c1"},
		{"msgfmt netstring", func(c *Config) any { return c.MsgFmt }, "netstring"},
		{"hbgenmethod time", func(c *Config) any { return c.HBGenMethod }, "time"},
		{"uuidfrom nodename", func(c *Config) any { return c.UUIDFrom }, "nodename"},
		{"max_rexmit_delay 100", func(c *Config) any { return c.MaxRexmitDelay }, 100 * time.Millisecond},
		{"logfacility daemon", func(c *Config) any { return []string{c.LogFacility, c.Logfile, c.Debugfile} }, []string{"daemon", "/dev/null", "/dev/null"}},
		{"logfacility none", func(c *Config) any { return []any{c.Logfile, c.UseLogd} }, []any{"", true}}, // none is not a facility: logd
		{"logfile /tmp/l\nuse_logd no", func(c *Config) any { return []any{c.Logfile, c.UseLogd} }, []any{"/tmp/l", false}},
		{"debugfile /tmp/d", func(c *Config) any { return []any{c.Debugfile, c.UseLogd} }, []any{"/tmp/d", false}},
		{"watchdog /dev/watchdog", func(c *Config) any { return c.Watchdog }, "/dev/watchdog"},
		{"baud 115200\nserial /dev/ttyS0 /dev/ttyS1", func(c *Config) any { return []any{c.Baud, c.Media[1:]} }, []any{115200, []Medium{Serial{"/dev/ttyS0", 4}, Serial{"/dev/ttyS1", 4}}}},
		{"ucast eth0 10.1.1.1 ignored", func(c *Config) any { return c.Media[1] }, Ucast{Iface: "eth0", Host: "10.1.1.1", Addr: ip("10.1.1.1"), Port: 694, Line: 3}},
		{"mcast eth0 224.0.0.1 70000 260 1", func(c *Config) any { return c.Media[1] }, Mcast{Iface: "eth0", Group: ip("224.0.0.1"), Port: 4464, TTL: 4, Loop: 1, Line: 3}},
		{"mcast eth0 239.255.255.255 1 0 0", func(c *Config) any { return c.Media[1].(Mcast).Group }, ip("239.255.255.255")},
		{"ping 10.0.0.1, Router", func(c *Config) any { return c.Ping }, []Ping{{"10.0.0.1", "10.0.0.1", false, 3}, {"Router", "router", false, 3}}},
		{"ping6 fe80::1", func(c *Config) any { return c.Ping }, []Ping{{"fe80::1", "fe80::1", true, 3}}},
		{"ping_group G 10.0.0.1 10.0.0.2", func(c *Config) any { return c.PingGroups }, []PingGroup{{"g", []string{"10.0.0.1", "10.0.0.2"}, 3}}},
		{"ucast6 eth0 fe80::2", func(c *Config) any { return c.Media[1] }, Other{"ucast6", "eth0 fe80::2", 3}},
		{"stonith baytech /etc/ha.d/baytech.cfg", func(c *Config) any { return c.Stonith }, &Stonith{"baytech", "/etc/ha.d/baytech.cfg", 3}},
		{"stonith_host NODE1 external/ssh node2 x y", func(c *Config) any { return c.StonithHosts }, []StonithHost{{"node1", "external/ssh", "node2 x y", true, 3}}},
		{"stonith_host node9", func(c *Config) any { return c.StonithHosts }, []StonithHost{{Host: "node9", Line: 3}}}, // not ours: not checked
		{"apiauth ipfail gid=haclient uid=", func(c *Config) any { return c.APIAuth }, []APIAuth{{"ipfail", []string{}, []string{"haclient"}, 3}}},
		{"respawn root /bin/sh -c 'exit 0'", func(c *Config) any { return c.Children }, []Child{{"root", "/bin/sh -c 'exit 0'", false, 3}}},
		{"failfast hacluster /usr/lib/heartbeat/ccm", func(c *Config) any { return c.Children[0].Failfast }, true},
		{"env A=b=c", func(c *Config) any { return c.Env }, map[string]string{"HA_A": "b=c"}},
		{"env A", func(c *Config) any { return c.Env }, map[string]string{"HA_A": ""}}, // heartbeat reads garbage
		{"rtprio 99\nrealtime off\ncompression bz2\ncompression_threshold 8\ntraditional_compression y\nmemreserve 100\ncoredumps n\ncoreroot /var/cores\nconn_logd_time 5\nuse_apphbd no\nlog_badpack no\nsyslogmsgfmt no\nquorum_server q\nrecord_config_changes off\nrecord_pengine_inputs off\nenable_config_writes off",
			func(c *Config) any { v, _ := c.Param("compression"); return v }, "bz2"},
	} {
		c, _, err := parse(t, base+tc.lines+"\n", opts)
		if err != nil {
			t.Errorf("%q: %v", tc.lines, err)
			continue
		}
		if diff := cmp.Diff(tc.want, tc.check(c), cmpopts.EquateComparable(netip.Addr{})); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.lines, diff)
		}
	}
}

func nodeNames(c *Config) []string {
	var out []string
	for _, n := range c.Nodes {
		out = append(out, n.Name)
	}
	return out
}

// TestReject covers every check: the error names the right line and says
// what is wrong.
func TestReject(t *testing.T) {
	for _, tc := range []struct {
		text string // appended to base unless it starts with '!'
		line int
		msg  string
	}{
		{"keepalive 1s", 3, "invalid time [1s]"},
		{"keepalive 1sec", 3, "invalid time [1sec]"},
		{"keepalive 2000 ms", 3, "invalid time [ms]"},
		{"keepalive 0", 3, "keepalive: invalid value [0]"},
		{"deadtime -1", 3, "invalid time [-1]"},
		{"warntime 0", 3, "warntime: invalid value [0]"},
		{"deadtime 2", 3, "Dead time [2000] is too small compared to keepalive [1000]"},
		{"keepalive 15", 3, "Dead time [30000] is too small compared to keepalive [15000]"},
		{"deadtime 10\ninitdead 9", 4, "Initial dead time [9000] is smaller than deadtime [10000]"},
		{"deadping 2", 3, "Ping dead time [2000] is too small compared to keepalive [1000]"},
		{"hopfudge 256", 3, "hopfudge: invalid value [256] (must be 0..255)"},
		{"debug -1", 3, "debug: invalid value [-1]"},
		{"udpport 0", 3, "invalid port [0]"},
		{"udpport http", 3, "invalid port [http]"},
		{"baud 1200", 3, "invalid baudrate [1200]"},
		{"baud 19200\nbaud 19200", 4, "baudrate multiply specified"},
		{"watchdog /dev/a\nwatchdog /dev/b", 4, "watchdog device multiply specified"},
		{"auto_failback maybe", 3, "auto_failback: invalid value [maybe]"},
		{"nice_failback maybe", 3, "nice_failback: invalid value [maybe]"},
		{"autojoin all", 3, "autojoin: invalid value [all]"},
		{"autojoin other", 3, "R1 style resource management conflicts with autojoin other"},
		{"autojoin any", 3, "R1 style resource management conflicts with autojoin any"},
		{"pacemaker on\npacemaker on", 4, "pacemaker/crm directive used multiple times"},
		{"crm respawn\npacemaker off", 4, "pacemaker/crm directive used multiple times"},
		{"pacemaker sometimes", 3, "pacemaker: invalid value [sometimes]"},
		{"crm_daemon_dir /usr/lib/pacemaker", 3, "refused before a pacemaker directive"},
		{"pacemaker on\ncrmd_spawns_pengine yes", 4, "must come before the pacemaker directive"},
		{"msgfmt NETSTRING", 3, "msgfmt: invalid value [NETSTRING]"},
		{"hbgenmethod clock", 3, "hbgenmethod: invalid value [clock]"},
		{"uuidfrom host", 3, "uuidfrom: invalid value [host]"},
		{"compression lzo", 3, "compression: invalid value [lzo]"},
		{"compression_threshold 0", 3, "compression_threshold: invalid value [0]"},
		{"max_rexmit_delay 0", 3, "max_rexmit_delay: invalid value [0]"},
		{"memreserve -5", 3, "memreserve: invalid value [-5]"},
		{"rtprio 0", 3, "rtprio: invalid value [0]"},
		{"realtime sometimes", 3, "invalid boolean [sometimes]"},
		{"logfacility local8", 3, "log facility [local8] not valid"},
		{"use_logd no", 3, "No log entry found in ha.cf and use_logd is set to off"},
		{"env =x", 3, "invalid nvpair [=x]"},
		{"frobnicate yes", 3, "Illegal directive [frobnicate]"},
		{"Node node2", 3, "Illegal directive [Node]"},
		{"node,node2", 3, "Illegal directive [node,node2]"},
		{"mcast eth0 239.0.0.1 694 5 0", 3, "mcast: [eth0] bad ttl [5] (must be 0..4)"},
		{"mcast eth0 239.0.0.1 694 1 2", 3, "bad loop [2]"},
		{"mcast eth0 239.0.0.1 65536 1 0", 3, "bad port [65536]"},
		{"mcast eth0 239.0.0.1 694 1", 3, "[eth0] missing loop"},
		{"mcast eth0 239.0.0.1", 3, "[eth0] missing port"},
		{"mcast eth0", 3, "[eth0] missing mcast address"},
		{"mcast", 3, "mcast: missing interface"},
		{"mcast eth0 10.0.0.1 694 1 0", 3, "bad addr [10.0.0.1]"},
		{"mcast eth0 240.0.0.1 694 1 0", 3, "bad addr [240.0.0.1]"},
		{"mcast eth0 239.1 694 1 0", 3, "bad addr [239.1]"},
		{"mcast eth0 239.0.0.01 694 1 0", 3, "bad addr [239.0.0.01]"},
		{"ucast eth0", 3, "[eth0] missing target"},
		{"ucast", 3, "ucast: missing interface"},
		{"ucast eth0 ::1", 3, "is not an IPv4 address"},
		{"ping ::1", 3, "unknown host: ::1"},
		{"ping_group g", 3, "ping_group: [g] no hosts"},
		{"ping_group", 3, "missing group name"},
		{"mcast6", 3, "mcast6: missing arguments"},
		{"stonith", 3, "no Stonith type given"},
		{"stonith null", 3, "no configuration file given"},
		{"stonith_host", 3, "no Stonith hostname"},
		{"stonith_host *", 3, "no Stonith type given"},
		{"apiauth", 3, "syntax: apiauth client"},
		{"apiauth x", 3, "one of uid= or gid= is required"},
		{"apiauth x uid=a uid=b", 3, "duplicate uid list"},
		{"apiauth x gid=a gid=b", 3, "duplicate gid list"},
		{"apiauth x foo", 3, "missing uid or gid in [foo]"},
		{"apiauth x uid=a\napiauth x gid=b", 4, "duplicate apiauth directive for API client x"},
		{"respawn", 3, "no user given"},
		{"respawn root", 3, "no command given"},
		{"respawn root bin/true", 3, "not full pathname"},
		{"node " + strings.Repeat("n", 100), 3, "node name longer than 99 bytes"},
		{"!bcast eth0\nnode node2", 2, "Current node [node1] not in configuration"},
		{"!node node1", 0, "No heartbeat media defined"},
		{"!bcast eth0", 0, "Current node [node1] not in configuration"},
	} {
		text := base + tc.text + "\n"
		if strings.HasPrefix(tc.text, "!") {
			text = tc.text[1:] + "\n"
		}
		_, _, err := parse(t, text, opts)
		if err == nil {
			t.Errorf("%q: accepted", tc.text)
			continue
		}
		var list ErrorList
		if !errors.As(err, &list) {
			t.Fatalf("%q: error %T is not an ErrorList", tc.text, err)
		}
		found := false
		for _, e := range list {
			found = found || (e.File == "ha.cf" && e.Line == tc.line && strings.Contains(e.Msg, tc.msg))
		}
		if !found {
			t.Errorf("%q: got %v\nwant ha.cf:%d: ...%s...", tc.text, err, tc.line, tc.msg)
		}
	}
}

func TestNoNodes(t *testing.T) {
	_, _, err := parse(t, "bcast eth0\n", Options{})
	if err == nil || !strings.Contains(err.Error(), "ha.cf: no nodes defined") {
		t.Errorf("err = %v", err)
	}
	// A ping node counts as a node for this check (heartbeat's nodecount),
	// and ping media count as media: heartbeat starts with this.
	c, w, err := parse(t, "ping 10.0.0.1\n", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Media) != 0 || !hasWarning(w, 0, "only ping media defined") {
		t.Errorf("media %v, warnings %v", c.Media, w)
	}
}

func hasWarning(ws []Warning, line int, msg string) bool {
	for _, w := range ws {
		if w.Line == line && strings.Contains(w.Msg, msg) {
			return true
		}
	}
	return false
}

func TestLexical(t *testing.T) {
	for _, tc := range []struct {
		text  string
		nodes []string
	}{
		{"node a#b c", []string{"a"}},                  // '#' anywhere starts a comment
		{"node a\rnode b", []string{"a"}},              // a CR ends the line
		{"node a\x00 b", []string{"a"}},                // so does a NUL (C strings)
		{"  \tnode a,,b , c", []string{"a", "b", "c"}}, // leading blanks; commas delimit
		{"node a\\\nnode b", []string{"a\\", "b"}},     // no continuation lines
		{"node\ta\fb", []string{"a", "b"}},
		{"node a\vb", []string{"a\vb"}}, // \v is not a delimiter
		{"# node a\n\n   \nnode b\r\n", []string{"b"}},
	} {
		c, _, err := parse(t, "bcast eth0\n"+tc.text+"\n", Options{})
		if err != nil {
			t.Errorf("%q: %v", tc.text, err)
			continue
		}
		if diff := cmp.Diff(tc.nodes, nodeNames(c)); diff != "" {
			t.Errorf("%q nodes (-want +got):\n%s", tc.text, diff)
		}
	}
	c, w := mustParse(t, "udp eth1\nnode node1\n")
	if diff := cmp.Diff([]Medium{Bcast{Iface: "eth1", Port: 694, Line: 1}}, c.Media); diff != "" {
		t.Errorf("udp (-want +got):\n%s", diff)
	}
	if !hasWarning(w, 1, "directive 'udp' replaced by 'bcast'") {
		t.Errorf("warnings %v", w)
	}
}

// TestNiceFailback pins set_nice_failback's bug: it looks at whether an
// earlier auto_failback chose on/off, never at its own value.
func TestNiceFailback(t *testing.T) {
	for _, tc := range []struct {
		lines string
		want  AutoFailback
		param string
	}{
		{"nice_failback on", FailbackLegacy, "legacy"},
		{"nice_failback off", FailbackLegacy, "legacy"},
		{"auto_failback on\nnice_failback on", FailbackOff, "on"}, // raw value stays "on"
		{"auto_failback off\nnice_failback yes", FailbackOff, "off"},
		{"auto_failback legacy\nnice_failback on", FailbackLegacy, "legacy"},
		{"nice_failback on\nauto_failback on", FailbackOn, "on"},
	} {
		c, w := mustParse(t, base+tc.lines+"\n")
		p, _ := c.Param("auto_failback")
		if c.AutoFailback != tc.want || p != tc.param {
			t.Errorf("%q: auto_failback %v (param %q), want %v (%q)", tc.lines, c.AutoFailback, p, tc.want, tc.param)
		}
		if !hasWarning(w, strings.Count(tc.lines[:strings.Index(tc.lines, "nice")], "\n")+3, "nice_failback flag is obsolete") {
			t.Errorf("%q: warnings %v", tc.lines, w)
		}
	}
	_, w := mustParse(t, base)
	if !hasWarning(w, 0, "Deprecated 'legacy' auto_failback") {
		t.Errorf("no legacy warning: %v", w)
	}
	_, w = mustParse(t, base+"auto_failback legacy\npacemaker on\n")
	if hasWarning(w, 3, "Deprecated 'legacy' auto_failback") {
		t.Errorf("legacy warning without R1 resource management: %v", w)
	}
}

// TestUDPPortLatch: bcast and ucast read udpport once, at their first line.
func TestUDPPortLatch(t *testing.T) {
	c, w := mustParse(t, "bcast eth0\nudpport 700\nucast eth1 10.0.0.2\nudpport 701\nucast eth2 10.0.0.3\nbcast eth3\nnode node1\n")
	var ports []uint16
	for _, m := range c.Media {
		switch m := m.(type) {
		case Bcast:
			ports = append(ports, m.Port)
		case Ucast:
			ports = append(ports, m.Port)
		}
	}
	if diff := cmp.Diff([]uint16{694, 700, 700, 694}, ports); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
	if c.UDPPort != 701 || !hasWarning(w, 2, "bcast media keep port 694") || !hasWarning(w, 4, "ucast media keep port 700") {
		t.Errorf("UDPPort %d, warnings %v", c.UDPPort, w)
	}
	c, _, err := parse(t, base, Options{LocalNode: "node1", DefaultUDPPort: 1694})
	if err != nil || c.Media[0].(Bcast).Port != 1694 || c.UDPPort != 1694 {
		t.Errorf("DefaultUDPPort: %v %+v", err, c)
	}
}

func TestServicesPort(t *testing.T) {
	if got := servicesPort("testdata/services", "ha-cluster"); got != 1694 {
		t.Errorf("ha-cluster/udp = %d, want 1694 (the tcp entry does not count)", got)
	}
	if got := servicesPort("testdata/services", "nope"); got != 694 {
		t.Errorf("missing service = %d, want 694", got)
	}
	if got := servicesPort("testdata/no-such-file", "ha-cluster"); got != 694 {
		t.Errorf("missing file = %d, want 694", got)
	}
}

func TestLocalNode(t *testing.T) {
	c, _, err := parse(t, "bcast eth0\nnode NODE1\n", Options{LocalNode: "Node1"})
	if err != nil || c.LocalNode != "node1" {
		t.Errorf("case-insensitive local node: %v", err)
	}
	c, _, err = parse(t, "bcast eth0\nautojoin any\npacemaker on\n", Options{LocalNode: "n9"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Node{{Name: "n9"}}, c.Nodes); diff != "" {
		t.Errorf("autojoin any adds the local node (-want +got):\n%s", diff)
	}
	// heartbeat -M: no resource management, so autojoin is allowed.
	if _, _, err := parse(t, base+"autojoin other\n", Options{LocalNode: "node1", NoResourceManagement: true}); err != nil {
		t.Errorf("-M with autojoin: %v", err)
	}
}

func TestCheckInterface(t *testing.T) {
	o := opts
	o.CheckInterface = func(name string) error {
		if name == "eth0" {
			return nil
		}
		return errors.New("no such device")
	}
	if _, _, err := parse(t, base+"mcast eth0 239.0.0.1 694 1 0\nucast eth9 10.0.0.1\n", o); err != nil {
		t.Errorf("eth0 (and ucast, which heartbeat does not check): %v", err)
	}
	for text, want := range map[string]string{
		"bcast eth9":                   "ha.cf:3: bcast: IP interface [eth9] does not exist: no such device",
		"mcast eth9 239.0.0.1 694 1 0": "ha.cf:3: mcast: device [eth9] is invalid or not set up properly: no such device",
	} {
		if _, _, err := parse(t, base+text+"\n", o); err == nil || err.Error() != want {
			t.Errorf("%q: err %v, want %s", text, err, want)
		}
	}
}

func TestLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("node node1\n")
	for i := range maxMedia {
		fmt.Fprintf(&b, "bcast eth%d\n", i)
	}
	if _, _, err := parse(t, b.String(), opts); err != nil {
		t.Errorf("%d media: %v", maxMedia, err)
	}
	b.WriteString("ping 10.0.0.1\n")
	if _, _, err := parse(t, b.String(), opts); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("ha.cf:%d: ping: too many media", maxMedia+2)) {
		t.Errorf("%d media: %v", maxMedia+1, err)
	}
	b.Reset()
	b.WriteString("bcast eth0\nnode node1")
	for i := range maxNodes - 1 {
		fmt.Fprintf(&b, " n%d", i)
	}
	if _, _, err := parse(t, b.String()+"\n", opts); err != nil {
		t.Errorf("%d nodes: %v", maxNodes, err)
	}
	if _, _, err := parse(t, b.String()+" one-too-many\n", opts); err == nil || !strings.Contains(err.Error(), "too many nodes") {
		t.Errorf("%d nodes: %v", maxNodes+1, err)
	}
	big := strings.Repeat("#", MaxFileSize+1)
	if _, _, err := parse(t, big, opts); err == nil || !strings.Contains(err.Error(), "file larger than") {
		t.Errorf("oversized input: %v", err)
	}
}

func TestErrorFormat(t *testing.T) {
	_, _, err := parse(t, "bcast eth0\nkeepalive 1s\nfoo\n", opts)
	want := "ha.cf:2: keepalive: invalid time [1s] (a number of seconds, or with an ms or us suffix)\n" +
		"ha.cf:3: Illegal directive [foo]\n" +
		"ha.cf: no nodes defined\n" +
		"ha.cf: Current node [node1] not in configuration: cluster nodes are named by `uname -n` and must be declared with a 'node' directive"
	if err == nil || err.Error() != want {
		t.Errorf("err =\n%v\nwant\n%s", err, want)
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != 2 || e.File != "ha.cf" {
		t.Errorf("errors.As: %+v", e)
	}
	if _, _, err := Load("testdata/no-such-file", opts); err == nil || err.Error() != "testdata/no-such-file: cannot open config file: no such file or directory" {
		t.Errorf("Load missing file: %v", err)
	}
}

// TestDirectivesTable: the documented table is what the parser accepts,
// and unsupported directives say so once per line.
func TestDirectivesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Directives() {
		if seen[d.Name] {
			t.Errorf("%s listed twice", d.Name)
		}
		seen[d.Name] = true
		_, w, _ := parse(t, base+d.Name+"\n"+d.Name+"\n", opts)
		n := 0
		for _, x := range w {
			if strings.HasSuffix(x.Msg, d.Name+": parsed, not yet supported by hbd") {
				n++
			}
		}
		if want := map[bool]int{true: 0, false: 2}[d.Supported]; n != want {
			t.Errorf("%s: %d unsupported warnings, want %d", d.Name, n, want)
		}
	}
	if len(seen) != 58 {
		t.Errorf("%d directives, want heartbeat's 44 + 5 whole-line + 9 media = 58", len(seen))
	}
}

// TestWriteEffective: the output is valid ha.cf with the same meaning.
func TestWriteEffective(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.cf")
	if len(files) == 0 {
		t.Fatal("no testdata/*.cf")
	}
	for _, f := range files {
		o := Options{LocalNode: "node1", DefaultUDPPort: 694}
		if strings.HasSuffix(f, "full.cf") {
			o.LocalNode = "alpha"
		}
		c, _, err := Load(f, o)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, c, o)
	}
	// The udpport latch survives the round trip too.
	c, _ := mustParse(t, "bcast eth0\nudpport 700\nucast eth1 10.0.0.2\nudpport 701\nnode node1\n")
	out := roundTrip(t, c, opts)
	if !strings.HasSuffix(out, "\nudpport 694\nbcast eth0\nudpport 700\nucast eth1 10.0.0.2\nudpport 701\n") {
		t.Errorf("udpport lines:\n%s", out)
	}
}

func roundTrip(t *testing.T, c *Config, o Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := c.WriteEffective(&buf); err != nil {
		t.Fatal(err)
	}
	c2, _, err := Parse(bytes.NewReader(buf.Bytes()), c.File, o)
	if err != nil {
		t.Fatalf("%s: effective config does not parse: %v\n%s", c.File, err, buf.String())
	}
	if diff := cmp.Diff(c, c2, ignoreInternal, ignoreLines); diff != "" {
		t.Errorf("%s: round trip (-orig +reparsed):\n%s\n%s", c.File, diff, buf.String())
	}
	return buf.String()
}

// ignoreLines drops the Line fields, which WriteEffective renumbers.
var ignoreLines = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "Line"
}, cmp.Ignore())
