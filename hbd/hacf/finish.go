package hacf

import (
	"fmt"
	"strconv"
	"time"
)

// finish is init_config after parse_config: defaults, computed values and
// the whole-file checks, in heartbeat's order.
func (p *parser) finish() {
	c := p.cfg
	for _, d := range table {
		if d.def != "" {
			p.setDefault(d.name, d.def)
		}
	}
	if p.mediaCount() < 1 {
		p.errorAt(0, "No heartbeat media defined")
	} else if len(c.Media) == 0 {
		// heartbeat counts ping media and starts; the node just never
		// hears another cluster node.
		p.warnAt(0, "only ping media defined: no other cluster node can be heard")
	}
	if !p.warntimeSet {
		c.Warntime = msec(ms(c.Deadtime) / 2) // integer ms, as heartbeat
		p.computed("warntime", c.Warntime)
	}
	if len(c.Nodes)+p.pingNodeCount() < 1 && c.Autojoin != JoinAny {
		p.errorAt(0, "no nodes defined")
	}
	p.checkLocalNode()
	if c.Deadtime <= 2*c.Keepalive {
		p.errorAt(p.lineOf("deadtime", "keepalive"), "Dead time [%d] is too small compared to keepalive [%d]: deadtime must be more than twice keepalive", ms(c.Deadtime), ms(c.Keepalive))
	}
	if !p.initdeadSet {
		switch {
		case c.Deadtime > 10*time.Second:
			c.Initdead = c.Deadtime
		case c.Deadtime < 6*time.Second:
			c.Initdead = 12 * time.Second
		default:
			c.Initdead = 2 * c.Deadtime
		}
		p.computed("initdead", c.Initdead)
	}
	if c.Initdead < c.Deadtime {
		p.errorAt(p.lineOf("initdead", "deadtime"), "Initial dead time [%d] is smaller than deadtime [%d]", ms(c.Initdead), ms(c.Deadtime))
	} else if c.Initdead < 10*time.Second {
		p.warnAt(p.lineOf("initdead", "deadtime"), "Initial dead time [%d ms] may be too small: it should be >= deadtime and >= 10 seconds", ms(c.Initdead))
	}
	if !p.deadpingSet {
		c.Deadping = c.Deadtime
		p.computed("deadping", c.Deadping)
	} else if c.Deadping <= 2*c.Keepalive {
		p.errorAt(p.lineOf("deadping", "keepalive"), "Ping dead time [%d] is too small compared to keepalive [%d]", ms(c.Deadping), ms(c.Keepalive))
	}
	if _, ok := c.params["udpport"]; !ok {
		c.UDPPort = p.defaultPort()
		c.params["udpport"] = param{value: strconv.Itoa(c.UDPPort)}
	}
	if !p.niceFailback && c.ResourceManagement {
		p.warnAt(c.params["auto_failback"].line, "Deprecated 'legacy' auto_failback option selected; please convert to 'auto_failback on'")
	}
	p.checkLogd()
	if p.facility > 0 {
		for _, name := range []string{"logfile", "debugfile"} {
			if _, ok := c.params[name]; !ok {
				c.params[name] = param{value: "/dev/null"}
			}
		}
		if c.Logfile == "" {
			c.Logfile = "/dev/null"
		}
		if c.Debugfile == "" {
			c.Debugfile = "/dev/null"
		}
	}
	if c.ResourceManagement && c.Autojoin != JoinNone {
		p.errorAt(c.params["autojoin"].line, "R1 style resource management conflicts with autojoin %s: unset autojoin or enable pacemaker", c.Autojoin)
	}
}

// checkLocalNode needs the local node among the declared nodes, unless
// autojoin any, which adds it. With no LocalNode there is nothing to check.
func (p *parser) checkLocalNode() {
	c := p.cfg
	if c.LocalNode == "" || c.HasNode(c.LocalNode) {
		return
	}
	if c.Autojoin == JoinAny {
		c.Nodes = append(c.Nodes, Node{Name: c.LocalNode})
		return
	}
	line := 0
	if len(c.Nodes) > 0 {
		line = c.Nodes[len(c.Nodes)-1].Line
	}
	p.errorAt(line, "Current node [%s] not in configuration: cluster nodes are named by `uname -n` and must be declared with a 'node' directive", c.LocalNode)
}

// checkLogd is check_logd_usage: with no logfile, debugfile or logfacility,
// logging goes to logd, and use_logd off is an error.
func (p *parser) checkLogd() {
	c := p.cfg
	_, lf := c.params["logfile"]
	_, df := c.params["debugfile"]
	if lf || df || p.facility > 0 {
		return
	}
	if p.useLogd == nil {
		c.UseLogd = true
		c.params["use_logd"] = param{value: "yes"}
		return
	}
	if !*p.useLogd {
		p.errorAt(c.params["use_logd"].line, "No log entry found in ha.cf and use_logd is set to off")
	}
}

// computed records a value init_config computed, as "<n>ms".
func (p *parser) computed(name string, d time.Duration) {
	p.cfg.params[name] = param{value: fmt.Sprintf("%dms", ms(d))}
}

// lineOf returns the line of the first of names set in the file, else 0.
func (p *parser) lineOf(names ...string) int {
	for _, n := range names {
		if l := p.cfg.params[n].line; l != 0 {
			return l
		}
	}
	return 0
}

func ms(d time.Duration) int64 { return d.Milliseconds() }
