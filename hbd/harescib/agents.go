package harescib

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/cibgen"
)

// Monitor intervals and timeouts in ms, as haresources2cib wrote them.
const (
	ipMonitor, ipMonitorTimeout       = 5000, 5000
	otherMonitor, otherMonitorTimeout = 120000, 60000
)

// wrapper is a heartbeat resource.d script that wraps an OCF agent of
// provider heartbeat, passing its "::" arguments positionally as the named
// parameters (heartbeat 3.0.6 resources/heartbeat/*.in, hto-mapfuncs).
type wrapper struct {
	params   []string // parameter names in argument order
	required int      // how many arguments the wrapper needs
}

var wrappers = map[string]wrapper{
	"Filesystem": {[]string{"device", "directory", "fstype", "options"}, 3},
	"MailTo":     {[]string{"email", "subject"}, 1},
	"IPsrcaddr":  {[]string{"ipaddress"}, 1},
	"LVM":        {[]string{"volgrpname"}, 1},
	"Delay":      {[]string{"startdelay", "stopdelay"}, 0},
	"apache":     {[]string{"configfile"}, 0},
	"Xinetd":     {[]string{"service"}, 1},
	"portblock":  {[]string{"protocol", "portno", "action"}, 3},
	"Raid1":      {[]string{"raidconf", "raiddev", "homehost"}, 2},
}

// primitive converts one haresources resource.
func primitive(r haresources.Resource, ids ids) (*cibgen.Resource, error) {
	p := &cibgen.Resource{Kind: cibgen.Primitive, Monitor: otherMonitor, MonitorTimeout: otherMonitorTimeout}
	switch {
	case r.IP != nil && (r.Name == "IPaddr" || r.Name == "IPaddr2"):
		// Both become IPaddr2: IPaddr's ifconfig aliases are obsolete, and
		// the address, mask, interface and broadcast mean the same to both.
		p.Class, p.Provider, p.Type = "ocf", "heartbeat", "IPaddr2"
		p.ID = ids.unique("ip_" + sanitize(r.IP.Addr.String()))
		p.Params = ipParams("ip", r.IP)
		p.Monitor, p.MonitorTimeout = ipMonitor, ipMonitorTimeout
	case r.IP != nil && r.Name == "IPv6addr":
		p.Class, p.Provider, p.Type = "ocf", "heartbeat", "IPv6addr"
		p.ID = ids.unique("ip_" + sanitize(r.IP.Addr.String()))
		p.Params = ipParams("ipv6addr", r.IP)
		p.Monitor, p.MonitorTimeout = ipMonitor, ipMonitorTimeout
	case r.Name == "SendArp":
		// SendArp::ip/nic
		if len(r.Args) != 1 {
			return nil, fmt.Errorf("SendArp takes one argument ip/nic, got %d", len(r.Args))
		}
		ip, nic, _ := strings.Cut(r.Args[0], "/")
		p.Class, p.Provider, p.Type = "ocf", "heartbeat", "SendArp"
		p.ID = ids.unique("SendArp_" + sanitize(ip))
		p.Params = []cibgen.NV{{Name: "ip", Value: ip}}
		if nic != "" {
			p.Params = append(p.Params, cibgen.NV{Name: "nic", Value: nic})
		}
	default:
		p.ID = ids.unique(sanitize(r.Name))
		if w, ok := wrappers[r.Name]; ok {
			if len(r.Args) < w.required || len(r.Args) > len(w.params) {
				return nil, fmt.Errorf("%s takes %s, got %d argument(s)", r.Name, argRange(w), len(r.Args))
			}
			p.Class, p.Provider, p.Type = "ocf", "heartbeat", r.Name
			for i, a := range r.Args {
				p.Params = append(p.Params, cibgen.NV{Name: w.params[i], Value: a})
			}
			break
		}
		// An init script or a heartbeat resource.d script: lsb takes no
		// parameters, so the arguments are recorded by position.
		p.Class, p.Type = "lsb", r.Name
		for i, a := range r.Args {
			p.Params = append(p.Params, cibgen.NV{Name: strconv.Itoa(i + 1), Value: a})
		}
	}
	return p, nil
}

// ipParams maps an address spec by meaning: addrParam (ip or ipv6addr),
// cidr_netmask, nic, iflabel and broadcast, each only when given, so that
// the agent works out what is missing as heartbeat's wrapper let it.
func ipParams(addrParam string, s *haresources.IPSpec) []cibgen.NV {
	out := []cibgen.NV{{Name: addrParam, Value: s.Addr.String()}}
	if s.Bits > 0 {
		out = append(out, cibgen.NV{Name: "cidr_netmask", Value: strconv.Itoa(s.Bits)})
	}
	if s.Iface != "" {
		out = append(out, cibgen.NV{Name: "nic", Value: s.Iface})
	}
	if s.Label != "" {
		out = append(out, cibgen.NV{Name: "iflabel", Value: s.Label})
	}
	if s.Broadcast.IsValid() {
		out = append(out, cibgen.NV{Name: "broadcast", Value: s.Broadcast.String()})
	}
	return out
}

func argRange(w wrapper) string {
	names := strings.Join(w.params, "::")
	if w.required == len(w.params) {
		return fmt.Sprintf("%d argument(s) (%s)", w.required, names)
	}
	return fmt.Sprintf("%d to %d arguments (%s)", w.required, len(w.params), names)
}
