package hacf

import (
	"bufio"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

func (p *parser) mediaCount() int { return len(p.cfg.Media) + p.pingNodeCount() }

func (p *parser) roomForMedium() error {
	if p.mediaCount() >= maxMedia {
		return fmt.Errorf("too many media specified (> %d)", maxMedia)
	}
	return nil
}

// latchPort returns the port a bcast or ucast plugin uses: udpport as
// recorded when the plugin's first line is read, else the default. Later
// udpport lines do not change it.
func (p *parser) latchPort(latched *int) uint16 {
	if *latched == 0 {
		*latched = p.defaultPort()
		if v, ok := p.cfg.params["udpport"]; ok {
			*latched = int(atoi(v.value))
		}
	}
	return uint16(*latched)
}

// defaultPort is Options.DefaultUDPPort, else /etc/services ha-cluster/udp,
// else 694.
func (p *parser) defaultPort() int {
	if p.opts.DefaultUDPPort == 0 {
		p.opts.DefaultUDPPort = servicesPort("/etc/services", "ha-cluster")
	}
	return p.opts.DefaultUDPPort
}

func servicesPort(path, service string) int {
	f, err := os.Open(path)
	if err != nil {
		return defaultPort
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fs := strings.Fields(line)
		if len(fs) < 2 {
			continue
		}
		port, proto, ok := strings.Cut(fs[1], "/")
		if !ok || proto != "udp" {
			continue
		}
		for _, name := range append([]string{fs[0]}, fs[2:]...) {
			if name == service {
				if n, err := strconv.Atoi(port); err == nil && n > 0 && n <= 0xffff {
					return n
				}
			}
		}
	}
	return defaultPort
}

func (p *parser) checkInterface(iface string) error {
	if p.opts.CheckInterface == nil {
		return nil
	}
	return p.opts.CheckInterface(iface)
}

func addBcast(p *parser, iface string) error {
	if err := p.roomForMedium(); err != nil {
		return err
	}
	if err := p.checkInterface(iface); err != nil {
		return fmt.Errorf("IP interface [%s] does not exist: %v", iface, err)
	}
	p.cfg.Media = append(p.cfg.Media, Bcast{Iface: iface, Port: p.latchPort(&p.bcastPort), Line: p.line})
	return nil
}

func addSerial(p *parser, dev string) error {
	if err := p.roomForMedium(); err != nil {
		return err
	}
	p.cfg.Media = append(p.cfg.Media, Serial{Device: dev, Line: p.line})
	return nil
}

// wholeMedium wraps the parse-function media: on success they count as
// media statements for the "baud must come first" remark.
func (p *parser) wholeMedium(parse func() error) error {
	if err := p.roomForMedium(); err != nil {
		return err
	}
	if err := parse(); err != nil {
		return err
	}
	p.anyMediaYet = true
	return nil
}

func (p *parser) extraArgs(kind string, rest string) {
	if extra := strings.Trim(rest, whitespace); extra != "" {
		p.warnf("%s: extra arguments ignored [%s]", kind, extra)
	}
}

func parseUcast(p *parser, rest string) error {
	return p.wholeMedium(func() error {
		dev, rest := nextToken(rest, whitespace)
		if dev == "" {
			// heartbeat dereferences a NULL medium here and crashes.
			return errors.New("missing interface and target")
		}
		host, rest := nextToken(rest, whitespace)
		if host == "" {
			return fmt.Errorf("[%s] missing target IP address/hostname", dev)
		}
		u := Ucast{Iface: dev, Host: host, Line: p.line}
		if a, err := netip.ParseAddr(host); err == nil {
			if !a.Is4() {
				return fmt.Errorf("[%s] target [%s] is not an IPv4 address", dev, host)
			}
			u.Addr = a
		}
		p.extraArgs("ucast", rest)
		u.Port = p.latchPort(&p.ucastPort)
		p.cfg.Media = append(p.cfg.Media, u)
		return nil
	})
}

func parseMcast(p *parser, rest string) error {
	return p.wholeMedium(func() error {
		var tok [5]string
		for i := range tok {
			tok[i], rest = nextToken(rest, whitespace)
		}
		dev := tok[0]
		if dev == "" {
			// heartbeat dereferences a NULL medium here and crashes.
			return errors.New("missing interface, group, port, ttl and loop")
		}
		if err := p.checkInterface(dev); err != nil {
			return fmt.Errorf("device [%s] is invalid or not set up properly: %v", dev, err)
		}
		missing := []string{"", "mcast address", "port", "ttl", "loop"}
		for i := 1; i < 5; i++ {
			if tok[i] == "" {
				return fmt.Errorf("[%s] missing %s", dev, missing[i])
			}
		}
		group, err := netip.ParseAddr(tok[1])
		if err != nil || !group.Is4() || group.As4()[0]&0xf0 != 0xe0 {
			return fmt.Errorf("[%s] bad addr [%s] (want an IPv4 group in 224.0.0.0/4)", dev, tok[1])
		}
		// heartbeat stores atoi() results in a u_short and u_chars, so
		// "70000" is port 4464 and ttl "260" is 4.
		m := Mcast{Iface: dev, Group: group, Port: uint16(atoi(tok[2])), TTL: uint8(atoi(tok[3])), Loop: uint8(atoi(tok[4])), Line: p.line}
		switch {
		case m.Port == 0:
			return fmt.Errorf("[%s] bad port [%s]", dev, tok[2])
		case m.TTL > 4:
			return fmt.Errorf("[%s] bad ttl [%d] (must be 0..4)", dev, m.TTL)
		case m.Loop > 1:
			return fmt.Errorf("[%s] bad loop [%d] (must be 0 or 1)", dev, m.Loop)
		}
		p.extraArgs("mcast", rest)
		p.cfg.Media = append(p.cfg.Media, m)
		return nil
	})
}

func (p *parser) addOther(kind, rest string) error {
	return p.wholeMedium(func() error {
		if rest == "" {
			return errors.New("missing arguments")
		}
		p.cfg.Media = append(p.cfg.Media, Other{Type: kind, Args: rest, Line: p.line})
		return nil
	})
}

// pingNodeName checks a name that becomes a (ping) node.
func (p *parser) pingNodeName(name string) (string, error) {
	if len(p.cfg.Nodes)+p.pingNodeCount() >= maxNodes {
		return "", fmt.Errorf("too many nodes (max %d, ping nodes included)", maxNodes)
	}
	if len(name) > maxNodeName {
		return "", fmt.Errorf("node name longer than %d bytes", maxNodeName)
	}
	return asciiLower(name), nil
}

func (p *parser) addPing(host string, v6 bool) error {
	if err := p.roomForMedium(); err != nil {
		return err
	}
	name, err := p.pingNodeName(host)
	if err != nil {
		return err
	}
	if a, err := netip.ParseAddr(host); err == nil && !v6 && !a.Is4() {
		return fmt.Errorf("unknown host: %s (ping takes IPv4 hosts; see ping6)", host)
	}
	p.cfg.Ping = append(p.cfg.Ping, Ping{Host: host, Name: name, IPv6: v6, Line: p.line})
	return nil
}

func parsePingGroup(p *parser, rest string) error {
	return p.wholeMedium(func() error {
		group, rest := nextToken(rest, whitespace)
		if group == "" {
			return errors.New("missing group name and hosts")
		}
		name, err := p.pingNodeName(group)
		if err != nil {
			return err
		}
		hosts := fields(rest, whitespace)
		if len(hosts) == 0 {
			return fmt.Errorf("[%s] no hosts", group)
		}
		p.cfg.PingGroups = append(p.cfg.PingGroups, PingGroup{Name: name, Hosts: hosts, Line: p.line})
		return nil
	})
}
