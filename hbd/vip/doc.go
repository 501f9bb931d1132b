// Package vip is hbd's built-in IP address takeover: heartbeat's IPaddr,
// IPaddr2, IPv6addr and SendArp resource agents done in process, so that
// the first gratuitous ARP leaves within milliseconds of the address being
// added instead of after a fork/exec of ifconfig and send_arp.
//
// Behaviour follows the agents heartbeat 3.0.6 runs (heartbeat-spec.md §9):
//
//   - findif: with no interface (or no netmask) given, the interface and
//     prefix length come from the directly connected route that contains
//     the address, longest prefix first; no such route is an error.
//   - IPaddr puts the address on an alias label IFACE:N, the first N not in
//     use (find_free_interface); IPaddr2 uses IFACE:LABEL when given.
//   - Start adds the address and announces it with heartbeat's send_arp
//     burst: per repeat an ARP request then an ARP reply, both broadcast
//     with sender IP = target IP = the address, one packet every
//     ARP_INTERVAL_MS/2. Defaults are IPaddr's (500 ms, 10 repeats) or
//     IPaddr2's and SendArp's (200 ms, 5), overridden by
//     /etc/ha.d/conf/arp_config and arp_config:IFACE as heartbeat's IPaddr
//     did. IPv6 addresses are added without DAD and announced with
//     unsolicited Neighbor Advertisements to ff02::1.
//   - Start and Stop are idempotent; Stop removes only the address.
//   - Watch notices when something else deletes a started address, puts it
//     back and announces it again (keepalived users' complaint about
//     systemd-networkd silently dropping VIPs, peers.md §2), and gives up
//     if that keeps happening.
//   - garp_refresh (hbd's, off by default) re-announces started addresses
//     periodically after the burst.
//
// A Manager acts in one network namespace, fixed when it is created, no
// matter which thread later calls it: the netlink handle is bound to it and
// packet sockets are opened on a thread moved into it.
package vip
