// Package garp finds gratuitous ARP announcements in lab captures. The
// failover demo and the end-to-end tests (tests/failover_test.go) both
// measure "kill → first GARP seen by the client" with it.
package garp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/hbd-project/hbd/tests/lab"
)

// Announcement is one gratuitous ARP frame: sender IP = target IP = the
// announced address, as heartbeat's send_arp sends them (spec §9.4), as a
// request (op 1) or a reply (op 2).
type Announcement struct {
	Time time.Time
	Op   uint16
	MAC  net.HardwareAddr // ARP sender hardware address
	IP   netip.Addr
}

// Parse returns the gratuitous ARPs for ip among frames, in capture order.
// Ordinary ARP requests ("who has ip, tell x") are not announcements and
// are left out: a client asking for the VIP must not count as a GARP.
func Parse(frames []lab.Frame, ip netip.Addr) []Announcement {
	var out []Announcement
	for _, f := range frames {
		a, ok := parse(f)
		if ok && a.IP == ip {
			out = append(out, a)
		}
	}
	return out
}

// parse decodes an Ethernet/ARP (IPv4 over Ethernet) frame and reports
// whether it is a gratuitous one.
func parse(f lab.Frame) (Announcement, bool) {
	b := f.Data
	// Ethernet header: dst(6) src(6) type(2); ARP: htype(2) ptype(2)
	// hlen(1) plen(1) op(2) sha(6) spa(4) tha(6) tpa(4).
	if len(b) < 14+28 || binary.BigEndian.Uint16(b[12:]) != 0x0806 {
		return Announcement{}, false
	}
	a := b[14:]
	if binary.BigEndian.Uint16(a[0:]) != 1 || binary.BigEndian.Uint16(a[2:]) != 0x0800 || a[4] != 6 || a[5] != 4 {
		return Announcement{}, false
	}
	op := binary.BigEndian.Uint16(a[6:])
	spa, tpa := a[14:18], a[24:28]
	if (op != 1 && op != 2) || !bytes.Equal(spa, tpa) {
		return Announcement{}, false
	}
	return Announcement{
		Time: f.Time,
		Op:   op,
		MAC:  net.HardwareAddr(bytes.Clone(a[8:14])),
		IP:   netip.AddrFrom4([4]byte(spa)),
	}, true
}

// First returns the first announcement of ip from mac at or after since in
// a capture that is still running. It re-reads the pcap file every 20 ms
// until timeout: tcpdump -U writes each frame as it arrives, and the
// frame's kernel timestamp, not the moment it is read here, is what
// counts, so polling costs no precision.
func First(c *lab.Capture, ip netip.Addr, mac net.HardwareAddr, since time.Time, timeout time.Duration) (Announcement, error) {
	deadline := time.Now().Add(timeout)
	for {
		// A frame still being written shows as a truncated record; the
		// complete ones before it are returned with the error.
		frames, _ := lab.ReadPcap(c.Path)
		for _, a := range Parse(frames, ip) {
			if !a.Time.Before(since) && bytes.Equal(a.MAC, mac) {
				return a, nil
			}
		}
		if time.Now().After(deadline) {
			return Announcement{}, fmt.Errorf("no gratuitous ARP for %s from %s within %v of %s",
				ip, mac, timeout, since.Format("15:04:05.000"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// MAC returns the hardware address of iface inside node n.
func MAC(n *lab.Node, iface string) (net.HardwareAddr, error) {
	out, err := n.Exec("cat", "/sys/class/net/"+iface+"/address")
	if err != nil {
		return nil, err
	}
	return net.ParseMAC(string(bytes.TrimSpace([]byte(out))))
}
