package vip

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultConfDir is where heartbeat's IPaddr looks for arp_config
// (CONF_D=/etc/ha.d/conf).
const DefaultConfDir = "/etc/ha.d/conf"

// ARPConfig is the announcement schedule of one address: heartbeat's
// send_arp -i ARP_INTERVAL_MS -r ARP_REPEAT. Each repeat is a request and a
// reply Interval/2 apart (IPv6: one Neighbor Advertisement per repeat,
// Interval apart, as resource-agents' send_ua).
type ARPConfig struct {
	Interval time.Duration // ARP_INTERVAL_MS
	Repeat   int           // ARP_REPEAT
	// Background is ARP_BACKGROUND=yes: Start returns once the first
	// packet is out and the rest of the burst runs on its own. With "no",
	// heartbeat's IPaddr ran send_arp in the foreground; Start then waits
	// for the whole burst.
	Background bool
	// Netmask is ARP_NETMASK, accepted for compatibility only: heartbeat
	// passed it to send_arp, whose Linux version ignores it (§9.4).
	Netmask string
}

// DefaultARPConfig returns heartbeat's defaults for agent: IPaddr's
// ARP_INTERVAL_MS=500 ARP_REPEAT=10 (10 pairs over about 5 s, as in the
// IPaddr-garp capture), and arp_interval=200 arp_count=5 for IPaddr2,
// SendArp and IPv6addr (resource-agents IPaddr2, SendArp and send_ua).
func DefaultARPConfig(agent string) ARPConfig {
	c := ARPConfig{Interval: 200 * time.Millisecond, Repeat: 5, Background: true, Netmask: "ffffffffffff"}
	if agent == IPaddr {
		c.Interval, c.Repeat = 500*time.Millisecond, 10
	}
	return c
}

// LoadARPConfig applies dir/arp_config and then dir/arp_config:IFACE to
// def, in that order, as heartbeat's IPaddr sources them before falling
// back to its defaults. Missing files are not an error.
func LoadARPConfig(dir, iface string, def ARPConfig) (ARPConfig, error) {
	c := def
	for _, name := range []string{"arp_config", "arp_config:" + iface} {
		path := filepath.Join(dir, name)
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return def, fmt.Errorf("arp_config: %w", err)
		}
		err = ParseARPConfig(f, path, &c)
		f.Close()
		if err != nil {
			return def, err
		}
	}
	return c, nil
}

// ParseARPConfig applies the assignments in r (named name in errors) to c.
//
// heartbeat sources the file with sh. hbd reads the subset that is
// actually written there: "NAME=value" and "export NAME=value" lines,
// values optionally in single or double quotes, "#" comments, blank lines.
// Variables not starting with ARP_ are ignored (the file may set others);
// an unknown ARP_ variable, a bad value or any other line is an error,
// because a sourced file with a syntax error makes heartbeat's IPaddr
// start fail too, and a typo should not silently fall back to defaults.
func ParseARPConfig(r io.Reader, name string, c *ARPConfig) error {
	sc := bufio.NewScanner(io.LimitReader(r, 1<<16))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, val, err := parseAssignment(line)
		if err == nil {
			err = c.set(key, val)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func parseAssignment(line string) (key, val string, err error) {
	line = strings.TrimPrefix(line, "export ")
	key, val, ok := strings.Cut(strings.TrimSpace(line), "=")
	if !ok || !isShellName(key) {
		return "", "", fmt.Errorf("%q is not a NAME=value assignment", line)
	}
	switch {
	case len(val) >= 2 && (val[0] == '"' || val[0] == '\'') && strings.IndexByte(val[1:], val[0]) > 0:
		end := 1 + strings.IndexByte(val[1:], val[0])
		rest := strings.TrimSpace(val[end+1:])
		if rest != "" && rest[0] != '#' {
			return "", "", fmt.Errorf("unexpected %q after the quoted value of %s", rest, key)
		}
		val = val[1:end]
	case strings.ContainsAny(val, "\"'$`\\;&|()<>"):
		return "", "", fmt.Errorf("%s: only plain or quoted values are supported, not %q", key, val)
	default:
		// "X=1 # note": the comment starts at a blank followed by '#'.
		if i := strings.Index(val, " #"); i >= 0 {
			val = val[:i]
		}
		if f := strings.Fields(val); len(f) > 1 {
			return "", "", fmt.Errorf("%s: %q: one word expected (quote it)", key, val)
		}
		val = strings.TrimSpace(val)
	}
	return key, val, nil
}

func isShellName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func (c *ARPConfig) set(key, val string) error {
	switch key {
	case "ARP_INTERVAL_MS", "ARP_REPEAT":
		// resource-agents IPaddr validates both as positive integers.
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > 1_000_000 {
			return fmt.Errorf("%s=%q: want a positive integer", key, val)
		}
		if key == "ARP_REPEAT" {
			c.Repeat = n
		} else {
			c.Interval = time.Duration(n) * time.Millisecond
		}
	case "ARP_BACKGROUND":
		// IPaddr: case $ARP_BACKGROUND in yes) background;; *) foreground.
		c.Background = val == "yes"
	case "ARP_NETMASK":
		c.Netmask = val
	default:
		if strings.HasPrefix(key, "ARP_") {
			return fmt.Errorf("unknown variable %s (ARP_INTERVAL_MS, ARP_REPEAT, ARP_BACKGROUND, ARP_NETMASK)", key)
		}
	}
	return nil
}
