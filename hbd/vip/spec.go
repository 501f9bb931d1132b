package vip

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/hbd-project/hbd/haresources"
)

// The agents this package implements, named as in haresources.
const (
	IPaddr   = "IPaddr"
	IPaddr2  = "IPaddr2"
	IPv6addr = "IPv6addr"
	SendArp  = "SendArp"
)

// Spec is one IP resource: the agent and its haresources argument.
type Spec struct {
	Agent string // IPaddr, IPaddr2 or IPv6addr
	IP    haresources.IPSpec
}

// ParseSpec parses the argument of an IP agent as haresources writes it,
// e.g. ParseSpec("IPaddr", "10.0.0.1/24/eth0").
func ParseSpec(agent, arg string) (Spec, error) {
	ip, err := haresources.ParseIPSpec(agent, arg)
	if err != nil {
		return Spec{}, fmt.Errorf("%s::%s: %w", agent, arg, err)
	}
	return Spec{Agent: agent, IP: *ip}, nil
}

// SpecOf returns the Spec of a parsed haresources resource of an IP agent
// (haresources.Parse has already checked its argument).
func SpecOf(r haresources.Resource) (Spec, error) {
	if r.IP == nil {
		if len(r.Args) != 1 {
			return Spec{}, fmt.Errorf("%s: %s takes one argument, got %d", r.Token, r.Name, len(r.Args))
		}
		return ParseSpec(r.Name, r.Args[0])
	}
	s := Spec{Agent: r.Name, IP: *r.IP}
	return s, s.check()
}

// String returns the resource as haresources writes it.
func (s Spec) String() string { return s.Agent + "::" + s.IP.String() }

// check rejects specs ParseSpec would not produce, for callers that build
// a Spec by hand.
func (s Spec) check() error {
	a := s.IP.Addr
	switch {
	case !a.IsValid():
		return fmt.Errorf("%s: no address", s.Agent)
	case s.Agent == IPaddr && !a.Is4():
		return fmt.Errorf("%s: %s is not IPv4", s.Agent, a)
	case s.Agent == IPv6addr && !a.Is6():
		return fmt.Errorf("%s: %s is not IPv6", s.Agent, a)
	case s.Agent != IPaddr && s.Agent != IPaddr2 && s.Agent != IPv6addr:
		return fmt.Errorf("%q is not an IP agent (IPaddr, IPaddr2, IPv6addr)", s.Agent)
	case a.Is4In6() || a.Zone() != "":
		return fmt.Errorf("%s: %s: use a plain address", s.Agent, a)
	case s.IP.Bits < 0 || s.IP.Bits > a.BitLen():
		return fmt.Errorf("%s: prefix length %d out of range", s.Agent, s.IP.Bits)
	case s.IP.Label != "" && !a.Is4():
		// resource-agents IPaddr2: "IPv6 does not support iflabel"; the
		// kernel has no labels for IPv6 addresses.
		return fmt.Errorf("%s: %s: IPv6 addresses have no labels", s.Agent, a)
	}
	return nil
}

// ParseSendArpArg parses the argument of heartbeat's SendArp wrapper,
// "ip/nic": the address to announce and the interface it is on.
func ParseSendArpArg(arg string) (netip.Addr, string, error) {
	ip, nic, ok := strings.Cut(arg, "/")
	if !ok || nic == "" || strings.Contains(nic, "/") {
		return netip.Addr{}, "", fmt.Errorf("SendArp::%s: want ip/nic", arg)
	}
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return netip.Addr{}, "", fmt.Errorf("SendArp::%s: %q is not an IPv4 address", arg, ip)
	}
	if len(nic) > maxIfName {
		return netip.Addr{}, "", fmt.Errorf("SendArp::%s: interface name longer than %d bytes", arg, maxIfName)
	}
	return a, nic, nil
}

// maxIfName is IFNAMSIZ-1, the longest interface name or address label.
const maxIfName = 15
