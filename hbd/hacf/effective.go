package hacf

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Param is one recorded directive value (see Config.Param).
type Param struct {
	Name  string
	Value string
	Line  int // 0 for defaults and computed values
}

// Params returns every recorded value in heartbeat's directive order: what
// heartbeat -v prints under "HA configuration and status".
func (c *Config) Params() []Param {
	var out []Param
	for _, d := range table {
		if p, ok := c.params[d.name]; ok {
			out = append(out, Param{Name: d.name, Value: p.value, Line: p.line})
		}
	}
	return out
}

// WriteEffective prints the effective configuration in ha.cf syntax, one
// directive per line, defaults filled in and times in ms. Parsing the
// output gives the same effective configuration.
func (c *Config) WriteEffective(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# effective configuration of %s\n", c.File)
	for _, d := range table {
		for _, line := range c.effectiveLines(d.name) {
			fmt.Fprintln(bw, line)
		}
	}
	return bw.Flush()
}

// effectiveLines renders one directive. Typed directives come from the
// Config fields; the rest from the recorded raw value.
func (c *Config) effectiveLines(name string) []string {
	kv := func(v any) []string { return []string{fmt.Sprintf("%s %v", name, v)} }
	switch name {
	case "node":
		var out []string
		for _, n := range c.Nodes {
			out = append(out, "node "+n.Name)
		}
		return out
	case "keepalive":
		return kv(msString(c.Keepalive))
	case "deadtime":
		return kv(msString(c.Deadtime))
	case "deadping":
		return kv(msString(c.Deadping))
	case "initdead":
		return kv(msString(c.Initdead))
	case "warntime":
		return kv(msString(c.Warntime))
	case "udpport":
		return kv(c.UDPPort)
	case "nice_failback", "crm", "crm_daemon_dir":
		return nil // folded into auto_failback / pacemaker
	case "auto_failback":
		return kv(c.AutoFailback)
	case "autojoin":
		return kv(c.Autojoin)
	case "pacemaker":
		out := kv(c.paramOr("pacemaker", "false"))
		if v, ok := c.Param("crm_daemon_dir"); ok {
			// Only accepted after pacemaker (see the table).
			out = append(out, "crm_daemon_dir "+v)
		}
		return out
	case "max_rexmit_delay":
		return kv(ms(c.MaxRexmitDelay))
	case "env":
		var out []string
		for _, k := range sortedKeys(c.Env) {
			out = append(out, fmt.Sprintf("env %s=%s", strings.TrimPrefix(k, "HA_"), c.Env[k]))
		}
		return out
	case "stonith":
		if c.Stonith == nil {
			return nil
		}
		return kv(c.Stonith.Type + " " + c.Stonith.ConfigFile)
	case "stonith_host":
		var out []string
		for _, s := range c.StonithHosts {
			out = append(out, strings.Join(nonEmpty("stonith_host", s.Host, s.Type, s.Params), " "))
		}
		return out
	case "apiauth":
		var out []string
		for _, a := range c.APIAuth {
			l := "apiauth " + a.Client
			if a.UIDs != nil {
				l += " uid=" + strings.Join(a.UIDs, ",")
			}
			if a.GIDs != nil {
				l += " gid=" + strings.Join(a.GIDs, ",")
			}
			out = append(out, l)
		}
		return out
	case "respawn", "failfast":
		var out []string
		for _, ch := range c.Children {
			if ch.Failfast == (name == "failfast") {
				out = append(out, name+" "+ch.User+" "+ch.Command)
			}
		}
		return out
	case "bcast":
		return c.mediaLines()
	case "ucast", "mcast", "serial", "mcast6", "ucast6":
		return nil // written with bcast, to keep the file order
	case "ping", "ping6":
		var out []string
		for _, p := range c.Ping {
			if p.IPv6 == (name == "ping6") {
				out = append(out, name+" "+p.Host)
			}
		}
		return out
	case "ping_group":
		var out []string
		for _, g := range c.PingGroups {
			out = append(out, "ping_group "+g.Name+" "+strings.Join(g.Hosts, " "))
		}
		return out
	}
	if v, ok := c.Param(name); ok {
		return kv(v)
	}
	return nil
}

// mediaLines renders all non-ping media, in file order. bcast and ucast
// carry the port they latched at their first line; udpport lines are
// repeated around them when that differs from the final udpport, so the
// output parses back to the same ports.
func (c *Config) mediaLines() []string {
	var out []string
	cur := c.UDPPort // the udpport line written before the media
	var bcastSeen, ucastSeen bool
	latch := func(seen *bool, port uint16) {
		if !*seen && port != uint16(cur) {
			out = append(out, fmt.Sprintf("udpport %d", port))
			cur = int(port)
		}
		*seen = true
	}
	for _, m := range c.Media {
		switch m := m.(type) {
		case Bcast:
			latch(&bcastSeen, m.Port)
			out = append(out, "bcast "+m.Iface)
		case Ucast:
			latch(&ucastSeen, m.Port)
			out = append(out, "ucast "+m.Iface+" "+m.Host)
		case Mcast:
			out = append(out, fmt.Sprintf("mcast %s %s %d %d %d", m.Iface, m.Group, m.Port, m.TTL, m.Loop))
		case Serial:
			out = append(out, "serial "+m.Device)
		case Other:
			out = append(out, m.Type+" "+m.Args)
		}
	}
	if cur != c.UDPPort {
		out = append(out, fmt.Sprintf("udpport %d", c.UDPPort))
	}
	return out
}

func (c *Config) paramOr(name, def string) string {
	if v, ok := c.Param(name); ok {
		return v
	}
	return def
}

func msString(d time.Duration) string { return fmt.Sprintf("%dms", ms(d)) }

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
