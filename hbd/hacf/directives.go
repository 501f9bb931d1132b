package hacf

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// directive is one ha.cf keyword. Option directives have set, called once
// per token; whole-line directives (and media plugins with a parse
// function) have whole, called with the rest of the line.
type directive struct {
	name      string
	supported bool   // hbd acts on it
	record    bool   // heartbeat records the raw value (cl_status hbparameter)
	def       string // default heartbeat records when the directive is absent
	defDoc    string // default as documented, when def does not say it all
	set       func(p *parser, v string) error
	whole     func(p *parser, rest string) error
}

// DirectiveInfo describes a directive for documentation (the README table).
type DirectiveInfo struct {
	Name      string
	Supported bool   // false: parsed and checked, then ignored with a warning
	Default   string // "" when there is none
	WholeLine bool   // gets the rest of the line rather than one token
}

// Directives lists every directive heartbeat 3.0.6 accepts (with the
// Debian build's HBcomm plugins), in heartbeat's own order.
func Directives() []DirectiveInfo {
	out := make([]DirectiveInfo, len(table))
	for i, d := range table {
		def := d.defDoc
		if def == "" {
			def = d.def
		}
		out[i] = DirectiveInfo{Name: d.name, Supported: d.supported, Default: def, WholeLine: d.whole != nil}
	}
	return out
}

func lookup(name string) *directive {
	for i := range table {
		if table[i].name == name {
			return &table[i]
		}
	}
	return nil
}

// table is heartbeat's Directives[] (same order: Params and WriteEffective
// follow it), then WLdirectives[], then the HBcomm plugins. It is filled in
// init because some setters call lookup, which reads table: a plain
// initializer would be an initialization cycle.
var table []directive

func init() {
	table = []directive{
		{name: "cluster", supported: true, record: true, def: "linux-ha", set: func(p *parser, v string) error { p.cfg.Cluster = v; return nil }},
		{name: "node", supported: true, set: func(p *parser, v string) error { return p.addNode(v) }},
		{name: "hopfudge", supported: true, record: true, def: "1", set: setIntRange(0, 255, func(c *Config, n int) { c.Hopfudge = n })},
		{name: "keepalive", supported: true, record: true, def: "1000ms", set: setTime(func(p *parser, ms int64) error {
			if ms <= 0 {
				return errInvalid
			}
			p.cfg.Keepalive = msec(ms)
			return nil
		})},
		{name: "deadtime", supported: true, record: true, def: "30000ms", set: setTime(func(p *parser, ms int64) error {
			p.cfg.Deadtime = msec(ms)
			return nil
		})},
		{name: "deadping", supported: true, record: true, defDoc: "deadtime", set: setTime(func(p *parser, ms int64) error {
			p.cfg.Deadping, p.deadpingSet = msec(ms), true
			return nil
		})},
		{name: "initdead", supported: true, record: true, defDoc: "deadtime if > 10s, 12s if < 6s, else 2*deadtime", set: setTime(func(p *parser, ms int64) error {
			p.cfg.Initdead, p.initdeadSet = msec(ms), true
			return nil
		})},
		{name: "warntime", supported: true, record: true, defDoc: "deadtime/2", set: setTime(func(p *parser, ms int64) error {
			if ms <= 0 {
				return errInvalid
			}
			p.cfg.Warntime, p.warntimeSet = msec(ms), true
			return nil
		})},
		{name: "watchdog", record: true, set: func(p *parser, v string) error {
			if p.watchdogSeen {
				return errors.New("watchdog device multiply specified")
			}
			p.watchdogSeen, p.cfg.Watchdog = true, v
			return nil
		}},
		{name: "baud", record: true, def: "19200", set: setBaud},
		{name: "udpport", supported: true, record: true, defDoc: "/etc/services ha-cluster/udp, else 694", set: setUDPPort},
		{name: "logfacility", record: true, set: setFacility},
		{name: "logfile", supported: true, record: true, set: func(p *parser, v string) error { p.cfg.Logfile = v; return nil }},
		{name: "debugfile", supported: true, record: true, set: func(p *parser, v string) error { p.cfg.Debugfile = v; return nil }},
		{name: "nice_failback", supported: true, set: setNiceFailback},
		{name: "auto_failback", supported: true, record: true, def: "legacy", set: setAutoFailback},
		{name: "rtprio", record: true, set: setIntRange(1, 99, nil)}, // sched_get_priority_{min,max}(SCHED_FIFO)
		{name: "hbgenmethod", supported: true, record: true, def: "file", set: setWord(func(c *Config, v string) { c.HBGenMethod = v }, "file", "time")},
		{name: "realtime", record: true, def: "true", set: setBool},
		{name: "debug", supported: true, record: true, def: "0", set: setIntRange(0, 255, func(c *Config, n int) { c.Debug = n })},
		{name: "msgfmt", supported: true, record: true, def: "classic", set: setWord(func(c *Config, v string) { c.MsgFmt = v }, "classic", "netstring")},
		{name: "use_logd", record: true, defDoc: "yes when no logfile/debugfile/logfacility", set: func(p *parser, v string) error {
			b, ok := parseBool(v)
			if !ok {
				return errInvalid
			}
			p.useLogd, p.cfg.UseLogd = &b, b
			return nil
		}},
		{name: "conn_logd_time", record: true, def: "60", set: setTime(func(p *parser, ms int64) error {
			if ms <= 0 {
				return errInvalid
			}
			return nil
		})},
		{name: "use_apphbd", set: setBool},
		{name: "log_badpack", supported: true, record: true, def: "true", set: setBool},
		{name: "syslogmsgfmt", record: true, def: "true", set: setBool},
		{name: "coredumps", record: true, def: "true", set: setBool},
		{name: "coreroot", record: true, set: func(*parser, string) error { return nil }},
		{name: "crm_daemon_dir", record: true, set: func(p *parser, v string) error {
			// config.c tests fail_if_after_pacemaker()'s result with the
			// wrong polarity, so this is refused unless pacemaker came first.
			if _, ok := p.cfg.params["pacemaker"]; !ok {
				return errors.New("refused before a pacemaker directive (heartbeat 3.0.6 inverts its own ordering check)")
			}
			return nil
		}},
		{name: "crmd_spawns_pengine", record: true, set: func(p *parser, v string) error {
			if _, ok := p.cfg.params["pacemaker"]; ok {
				return errors.New("must come before the pacemaker directive")
			}
			return setBool(p, v)
		}},
		{name: "crm", set: func(p *parser, v string) error {
			// Historical alias: heartbeat records the value as "pacemaker".
			if err := setPacemaker(p, v); err != nil {
				return err
			}
			p.cfg.params["pacemaker"] = param{value: v, line: p.line}
			return nil
		}},
		{name: "pacemaker", record: true, def: "false", set: setPacemaker},
		{name: "autojoin", supported: true, record: true, def: "none", set: func(p *parser, v string) error {
			for j, s := range []string{"none", "other", "any"} {
				if equalFold(v, s) {
					p.cfg.Autojoin = Autojoin(j)
					return nil
				}
			}
			return errInvalid
		}},
		{name: "uuidfrom", supported: true, record: true, def: "file", set: setWord(func(c *Config, v string) { c.UUIDFrom = v }, "file", "nodename")},
		{name: "compression", record: true, def: "zlib", set: setWord(nil, "zlib", "bz2")}, // the installed compress plugins
		{name: "compression_threshold", record: true, def: "2", set: setIntRange(1, 1<<31-1, nil)},
		{name: "traditional_compression", record: true, def: "no", set: setBool},
		{name: "env", set: setEnv},
		{name: "max_rexmit_delay", supported: true, record: true, def: "250", set: setIntRange(1, 1<<31-1, func(c *Config, n int) {
			c.MaxRexmitDelay = msec(int64(n))
		})},
		{name: "record_config_changes", record: true, def: "on", set: setBool},
		{name: "record_pengine_inputs", record: true, def: "on", set: setBool},
		{name: "enable_config_writes", record: true, def: "on", set: setBool},
		{name: "memreserve", record: true, def: "6500", set: setIntRange(1, 1<<31-1, nil)},
		{name: "quorum_server", record: true, set: func(*parser, string) error { return nil }},

		// WLdirectives[]
		{name: "stonith", whole: parseStonith},
		{name: "stonith_host", whole: parseStonithHost},
		{name: "apiauth", whole: parseAPIAuth},
		{name: "respawn", whole: func(p *parser, rest string) error { return p.addChild(rest, false) }},
		{name: "failfast", whole: func(p *parser, rest string) error { return p.addChild(rest, true) }},

		// HBcomm plugins: "new" ones are option directives (one medium per
		// token), "parse" ones get the whole line.
		{name: "bcast", supported: true, set: addBcast},
		{name: "ucast", supported: true, whole: parseUcast},
		{name: "mcast", supported: true, whole: parseMcast},
		{name: "ping", supported: true, set: func(p *parser, v string) error { return p.addPing(v, false) }},
		{name: "ping_group", supported: true, whole: parsePingGroup},
		{name: "serial", set: addSerial},
		{name: "mcast6", whole: func(p *parser, rest string) error { return p.addOther("mcast6", rest) }},
		{name: "ucast6", whole: func(p *parser, rest string) error { return p.addOther("ucast6", rest) }},
		{name: "ping6", set: func(p *parser, v string) error { return p.addPing(v, true) }},
	}
}

func msec(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// setTime parses a time with cl_get_msec; a negative result is invalid.
func setTime(apply func(p *parser, ms int64) error) func(p *parser, v string) error {
	return func(p *parser, v string) error {
		ms := getMsec(v)
		if ms < 0 {
			return fmt.Errorf("invalid time [%s] (a number of seconds, or with an ms or us suffix)", v)
		}
		return apply(p, ms)
	}
}

// setIntRange checks atoi(v) (so "12abc" is 12 and "abc" is 0, as in
// heartbeat) against [lo, hi].
func setIntRange(lo, hi int, apply func(c *Config, n int)) func(p *parser, v string) error {
	return func(p *parser, v string) error {
		n := int(atoi(v))
		if n < lo || n > hi {
			return fmt.Errorf("invalid value [%s] (must be %d..%d)", v, lo, hi)
		}
		if apply != nil {
			apply(p.cfg, n)
		}
		return nil
	}
}

// setWord accepts one of the given words exactly (heartbeat uses strcmp).
func setWord(apply func(c *Config, v string), words ...string) func(p *parser, v string) error {
	return func(p *parser, v string) error {
		for _, w := range words {
			if v == w {
				if apply != nil {
					apply(p.cfg, v)
				}
				return nil
			}
		}
		return fmt.Errorf("invalid value [%s] (one of %q)", v, words)
	}
}

func setBool(_ *parser, v string) error {
	if _, ok := parseBool(v); !ok {
		return fmt.Errorf("invalid boolean [%s]", v)
	}
	return nil
}

func setBaud(p *parser, v string) error {
	if p.baudSeen {
		return errors.New("baudrate multiply specified")
	}
	p.baudSeen = true
	switch n := atoi(v); n {
	case 9600, 19200, 38400, 57600, 115200, 230400, 460800:
		p.cfg.Baud = int(n)
	default:
		return fmt.Errorf("invalid baudrate [%s]", v)
	}
	if p.anyMediaYet && p.line != 0 { // not for the default
		p.warnf("baud: baudrate setting must precede media statements")
	}
	return nil
}

func setUDPPort(p *parser, v string) error {
	n := int(atoi(v))
	if n <= 0 {
		return fmt.Errorf("invalid port [%s]", v)
	}
	if n > 0xffff {
		p.warnf("udpport: %d does not fit in 16 bits; heartbeat uses %d", n, n&0xffff)
	}
	for _, l := range []struct {
		kind string
		port int
	}{{"bcast", p.bcastPort}, {"ucast", p.ucastPort}} {
		if l.port != 0 && l.port != n {
			p.warnf("udpport: %s media keep port %d: heartbeat reads udpport once, at the first %s line", l.kind, l.port&0xffff, l.kind)
		}
	}
	p.cfg.UDPPort = n
	return nil
}

// facilities are glibc's facilitynames[], which cl_syslogfac_str2int uses.
var facilities = map[string]int{
	"auth": 4 << 3, "authpriv": 10 << 3, "cron": 9 << 3, "daemon": 3 << 3,
	"ftp": 11 << 3, "kern": 0, "lpr": 6 << 3, "mail": 2 << 3, "mark": 24 << 3,
	"news": 7 << 3, "security": 4 << 3, "syslog": 5 << 3, "user": 1 << 3,
	"uucp": 8 << 3, "local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3,
	"local3": 19 << 3, "local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3,
	"local7": 23 << 3, "none": 0,
}

func setFacility(p *parser, v string) error {
	f, ok := facilities[v]
	if !ok {
		return fmt.Errorf("log facility [%s] not valid", v)
	}
	p.facility, p.cfg.LogFacility = f, v
	return nil
}

func setAutoFailback(p *parser, v string) error {
	if b, ok := parseBool(v); ok {
		p.niceFailback = true
		p.cfg.AutoFailback = FailbackOff
		if b {
			p.cfg.AutoFailback = FailbackOn
		}
		return nil
	}
	if equalFold(v, "legacy") {
		p.niceFailback = false
		p.cfg.AutoFailback = FailbackLegacy
		return nil
	}
	return errInvalid
}

// setNiceFailback reproduces set_nice_failback, bug included: it tests the
// global nice_failback (set only by an earlier auto_failback on/off), not
// the value given, so "nice_failback on" alone means auto_failback legacy.
func setNiceFailback(p *parser, v string) error {
	if _, ok := parseBool(v); !ok {
		return errInvalid
	}
	p.warnf("nice_failback flag is obsolete. Use auto_failback {on, off, legacy} instead.")
	mode := "legacy"
	if p.niceFailback {
		mode = "off"
	}
	p.warnf("'nice_failback %s' has been interpreted as 'auto_failback %s'", v, mode)
	return setAutoFailback(p, mode)
}

func setPacemaker(p *parser, v string) error {
	if p.pacemakerSeen {
		return errors.New("pacemaker/crm directive used multiple times")
	}
	p.pacemakerSeen = true
	for _, m := range []string{"minimal", "manual", "respawn", "ccm-only", "valgrind"} {
		if equalFold(v, m) {
			p.pacemakerOn(v)
			return nil
		}
	}
	on, ok := parseBool(v)
	if !ok {
		return errInvalid
	}
	if on {
		p.pacemakerOn(v)
	}
	return nil
}

func (p *parser) pacemakerOn(v string) {
	p.cfg.Pacemaker = v
	p.cfg.ResourceManagement = false
}

func setEnv(p *parser, v string) error {
	name, val, ok := strings.Cut(v, "=")
	if name == "" {
		return fmt.Errorf("invalid nvpair [%s] (want NAME=value)", v)
	}
	if !ok {
		// heartbeat accepts this and reads the value from past the end of
		// the string; hbd uses an empty value.
		p.warnf("env: [%s] has no '=': HA_%s is set to the empty string", v, name)
	}
	p.cfg.Env["HA_"+name] = val
	return nil
}

func (p *parser) addNode(name string) error {
	if len(p.cfg.Nodes)+p.pingNodeCount() >= maxNodes {
		return fmt.Errorf("too many nodes (max %d, ping nodes included)", maxNodes)
	}
	if len(name) > maxNodeName {
		return fmt.Errorf("node name longer than %d bytes", maxNodeName)
	}
	name = asciiLower(name)
	if p.cfg.HasNode(name) {
		p.warnf("node: %s declared twice", name)
	}
	p.cfg.Nodes = append(p.cfg.Nodes, Node{Name: name, Line: p.line})
	return nil
}

func (p *parser) pingNodeCount() int { return len(p.cfg.Ping) + len(p.cfg.PingGroups) }
