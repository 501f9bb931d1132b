// Package hacf parses heartbeat's /etc/ha.d/ha.cf exactly as heartbeat
// 3.0.6 does (heartbeat/config.c parse_config, add_option, init_config and
// the HBcomm plugins' parse functions): same lexical rules, same defaults,
// same checks, quirks included. Where heartbeat would crash or read past a
// buffer, hbd reports an error instead.
//
// Checks that need the running system (does the interface exist, does the
// user exist, can the STONITH plugin load its configuration) are left to
// the code that uses the configuration, except for the interface check,
// which Options.CheckInterface can enable.
package hacf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"strings"
	"time"
)

// MaxFileSize bounds the input Parse reads.
const MaxFileSize = 1 << 20

// Limits from heartbeat.h.
const (
	maxNodes    = 100 // MAXNODE, ping nodes included
	maxMedia    = 64  // MAXMEDIA, ping media included
	maxNodeName = 99  // HOSTLENG-1: longer names overflow heartbeat's buffer
	defaultPort = 694 // UDPPORT
)

// Options are the inputs heartbeat takes from the system rather than ha.cf.
type Options struct {
	// LocalNode is this node's name (uname -n, or /etc/ha.d/nodeinfo). It
	// must be declared with "node" unless "autojoin any". Compared
	// lower-cased, as heartbeat does.
	LocalNode string
	// NoResourceManagement is heartbeat -M: no R1 resource management, so
	// autojoin other|any is allowed.
	NoResourceManagement bool
	// DefaultUDPPort is the port of /etc/services "ha-cluster/udp". Zero
	// means look it up in /etc/services, falling back to 694.
	DefaultUDPPort int
	// CheckInterface, if set, is called for each bcast and mcast interface
	// as heartbeat does at parse time (it needs an IPv4 address); an error
	// rejects the configuration.
	CheckInterface func(name string) error
}

// Error is one problem in ha.cf, reported as FILE:LINE: message. Line is 0
// for a problem with the file as a whole (e.g. no node declared).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ErrorList is every problem found; heartbeat also reports them all before
// refusing to start. errors.As(err, &*Error) finds the first.
type ErrorList []*Error

func (l ErrorList) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Warning is a non-fatal remark, formatted like Error.
type Warning Error

func (w Warning) String() string { e := Error(w); return e.Error() }

// AutoFailback is the effective failback mode.
type AutoFailback int

const (
	FailbackLegacy AutoFailback = iota // nice_failback off
	FailbackOn
	FailbackOff
)

func (a AutoFailback) String() string {
	return [...]string{"legacy", "on", "off"}[a]
}

// Autojoin is the runtime join mode.
type Autojoin int

const (
	JoinNone Autojoin = iota
	JoinOther
	JoinAny
)

func (a Autojoin) String() string { return [...]string{"none", "other", "any"}[a] }

// Node is a cluster member declared with "node".
type Node struct {
	Name string // lower-cased
	Line int
}

// Medium is a non-ping heartbeat medium: Bcast, Ucast, Mcast, Serial or
// Other.
type Medium interface{ medium() }

// Bcast is "bcast IFACE" (one per interface).
type Bcast struct {
	Iface string
	// Port is the UDP port in effect when the first bcast line was read:
	// heartbeat's bcast plugin latches udpport once.
	Port uint16
	Line int
}

// Ucast is "ucast IFACE HOST".
type Ucast struct {
	Iface string
	Host  string     // as written: an address or a host name
	Addr  netip.Addr // Host when it is an IPv4 literal, else invalid
	Port  uint16     // latched like Bcast.Port, at the first ucast line
	Line  int
}

// Mcast is "mcast IFACE GROUP PORT TTL LOOP".
type Mcast struct {
	Iface string
	Group netip.Addr
	Port  uint16
	TTL   uint8
	Loop  uint8
	Line  int
}

// Serial is "serial DEVICE" (one per device).
type Serial struct {
	Device string
	Line   int
}

// Other is a medium hbd accepts but does not parse further (mcast6,
// ucast6): Args is the rest of the line.
type Other struct {
	Type string
	Args string
	Line int
}

func (Bcast) medium()  {}
func (Ucast) medium()  {}
func (Mcast) medium()  {}
func (Serial) medium() {}
func (Other) medium()  {}

// Ping is one "ping" (or "ping6") host: a ping node named after it.
type Ping struct {
	Host string // as written
	Name string // node name: Host lower-cased
	IPv6 bool   // from ping6
	Line int
}

// PingGroup is "ping_group NAME HOST...": one ping node, alive while any
// host answers.
type PingGroup struct {
	Name  string
	Hosts []string
	Line  int
}

// Stonith is "stonith TYPE CONFIGFILE".
type Stonith struct {
	Type, ConfigFile string
	Line             int
}

// StonithHost is "stonith_host HOST|* TYPE PARAMS".
type StonithHost struct {
	Host   string // lower-cased, or "*"
	Type   string
	Params string // rest of the line, positional
	// Applies is false when Host names another node: heartbeat ignores
	// the line entirely then, without validating it.
	Applies bool
	Line    int
}

// Child is a "respawn" or "failfast" client.
type Child struct {
	User     string
	Command  string // the rest of the line, run with sh -c "exec ..."
	Failfast bool
	Line     int
}

// APIAuth is an "apiauth CLIENT [uid=..] [gid=..]" line.
type APIAuth struct {
	Client     string
	UIDs, GIDs []string
	Line       int
}

// Config is a parsed ha.cf with heartbeat's defaults filled in.
type Config struct {
	File      string
	LocalNode string // Options.LocalNode, lower-cased

	Nodes      []Node
	Media      []Medium // non-ping media, in file order
	Ping       []Ping
	PingGroups []PingGroup

	Keepalive time.Duration
	Deadtime  time.Duration
	Warntime  time.Duration
	Initdead  time.Duration
	Deadping  time.Duration // deadtime unless set

	UDPPort        int // the final udpport value (media latch theirs)
	Baud           int
	Hopfudge       int
	Debug          int
	AutoFailback   AutoFailback
	Autojoin       Autojoin
	Pacemaker      string // "" when off, else the value given
	Cluster        string
	MsgFmt         string
	HBGenMethod    string
	UUIDFrom       string
	MaxRexmitDelay time.Duration

	Logfile     string
	Debugfile   string
	LogFacility string
	UseLogd     bool

	Watchdog     string
	Stonith      *Stonith
	StonithHosts []StonithHost
	Children     []Child
	APIAuth      []APIAuth
	Env          map[string]string // HA_-prefixed names, for respawned clients

	// ResourceManagement is heartbeat's DoManageResources: R1 haresources
	// handling, off with pacemaker or Options.NoResourceManagement.
	ResourceManagement bool

	params map[string]param
}

type param struct {
	value string
	line  int // 0: a default or computed value
}

// Param returns a directive's value as heartbeat records it: the raw
// string as written (the last one given wins), else heartbeat's default,
// else the value init_config computed ("<n>ms" for warntime, initdead).
// It is what cl_status hbparameter -p NAME prints.
func (c *Config) Param(name string) (value string, ok bool) {
	p, ok := c.params[name]
	return p.value, ok
}

// ParamLine returns the line a directive's recorded value came from, 0 for
// defaults and computed values or when it is not set.
func (c *Config) ParamLine(name string) int { return c.params[name].line }

// HasNode reports whether name (compared lower-cased) is a declared node.
func (c *Config) HasNode(name string) bool {
	name = asciiLower(name)
	for _, n := range c.Nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

// Load reads and parses the ha.cf at path.
func Load(path string, opts Options) (*Config, []Warning, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is already in the message
		}
		return nil, nil, ErrorList{{File: path, Msg: "cannot open config file: " + err.Error()}}
	}
	defer f.Close()
	return Parse(f, path, opts)
}

// Parse parses an ha.cf from r; name is used in errors and warnings. On
// error the Config is nil and the error is an ErrorList.
func Parse(r io.Reader, name string, opts Options) (*Config, []Warning, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, nil, ErrorList{{File: name, Msg: err.Error()}}
	}
	if len(data) > MaxFileSize {
		return nil, nil, ErrorList{{File: name, Msg: fmt.Sprintf("file larger than %d bytes", MaxFileSize)}}
	}
	p := newParser(name, opts)
	for ln, line := range bytes.Split(data, []byte("\n")) {
		p.line = ln + 1
		p.parseLine(string(line))
	}
	p.line = 0
	p.finish()
	if len(p.errs) > 0 {
		return nil, p.warns, p.errs
	}
	return p.cfg, p.warns, nil
}

// errorf and warnf report at the current line.
func (p *parser) errorf(format string, args ...any) {
	p.errorAt(p.line, format, args...)
}

func (p *parser) errorAt(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warnf(format string, args ...any) {
	p.warnAt(p.line, format, args...)
}

func (p *parser) warnAt(line int, format string, args ...any) {
	p.warns = append(p.warns, Warning{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// errInvalid is returned by setters whose only message is the generic one.
var errInvalid = errors.New("invalid value")
