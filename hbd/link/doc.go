// Package link carries heartbeat datagrams over heartbeat 3.0.6's UDP media
// (ha.cf "bcast", "ucast" and "mcast" lines) and over an in-memory network
// for tests of the layers above.
//
// A Transport bundles every configured medium of one node: Media() sends on
// each medium, Recv() delivers every datagram received, tagged with the link
// (interface name) it came in on, so liveness can be kept per link as
// heartbeat does (link status is per medium name x node, and heartbeat names
// a UDP medium after its interface).
//
// The real implementation (Open) sets its sockets up exactly as heartbeat's
// HBcomm plugins do (lib/plugins/HBcomm/bcast.c, ucast.c, mcast.c), with one
// deliberate difference: heartbeat opens one receive socket per medium and
// lets the kernel share the port (SO_REUSEADDR/SO_REUSEPORT); here media on
// the same interface and port share one receive socket, and multicast media
// with the same group and port share one socket that is demultiplexed by the
// arrival interface (IP_PKTINFO). With SO_REUSEPORT the kernel load-balances
// unicast datagrams between the sockets of a group, so one socket per
// (interface, port) is the only way to attribute each datagram to exactly
// one link.
//
// MemNetwork is the in-memory twin (hashicorp/memberlist's MockNetwork idea)
// with seeded, per-segment loss, delay and partitions.
//
// The package is Linux-only, like the socket options it mirrors
// (SO_BINDTODEVICE, IP_MULTICAST_ALL, IP_PKTINFO).
package link
