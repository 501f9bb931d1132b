package vip

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// maxAliases is where heartbeat's find_free_interface gives up ("while
// [ $j -lt 512 ]").
const maxAliases = 512

// aliasLabel returns the IPaddr alias label for an address on iface: the
// first IFACE:N, N = 0…511, not in used. heartbeat's IPaddr skips the
// aliases ifconfig -a lists and those another IPaddr has locked; the
// caller passes both (the labels on the interface and those of addresses
// this process is starting).
func aliasLabel(iface string, used []string) (string, error) {
	taken := make(map[int]bool, len(used))
	for _, l := range used {
		rest, ok := strings.CutPrefix(l, iface+":")
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(rest); err == nil && n >= 0 && strconv.Itoa(n) == rest {
			taken[n] = true
		}
	}
	for n := range maxAliases {
		if taken[n] {
			continue
		}
		l := iface + ":" + strconv.Itoa(n)
		if len(l) > maxIfName {
			return "", fmt.Errorf("alias label %q is longer than %d bytes", l, maxIfName)
		}
		return l, nil
	}
	return "", fmt.Errorf("no free alias on %s: %s:0 to %s:%d are all in use", iface, iface, iface, maxAliases-1)
}

// labelFor returns the label to give the address of spec on iface: an
// alias for IPaddr, IFACE:LABEL for IPaddr2 with a label (resource-agents
// IPaddr2 iflabel), none otherwise (the kernel then uses the interface
// name).
func labelFor(spec Spec, iface string, used []string) (string, error) {
	switch {
	case spec.Agent == IPaddr:
		return aliasLabel(iface, used)
	case spec.IP.Label != "":
		l := iface + ":" + spec.IP.Label
		if len(l) > maxIfName {
			return "", fmt.Errorf("label %q is longer than %d bytes", l, maxIfName)
		}
		return l, nil
	}
	return "", nil
}

// broadcast returns the broadcast address of an IPv4 prefix, the highest
// address in it (heartbeat's findif.c: ip | ~netmask; what "brd +" and the
// IPaddr-garp capture show). /31 and /32 have none (RFC 3021), nor has
// IPv6.
func broadcast(p netip.Prefix) netip.Addr {
	if !p.Addr().Is4() || p.Bits() >= 31 {
		return netip.Addr{}
	}
	a := p.Addr().As4()
	for i := range a {
		host := p.Bits() - 8*i // bits of this byte in the network part
		switch {
		case host <= 0:
			a[i] = 0xff
		case host < 8:
			a[i] |= 0xff >> host
		}
	}
	return netip.AddrFrom4(a)
}
