// Package pingnode implements heartbeat 3.0.6's ping nodes (ha.cf "ping
// HOST…" and "ping_group NAME HOST…", lib/plugins/HBcomm/ping.c and
// ping_group.c) and reports each authenticated echo reply as an Event.
// Whether a ping node is dead (deadping) is the caller's decision.
//
// heartbeat does not ping with an arbitrary payload: for every outgoing
// status message it builds a signed NS_st message ("t=NS_st st=ping
// info=ping src=<node> ts=… auth=…", netstring with trailer) and sends it as
// the data of an ICMP echo request, "the packet we want to hear back from
// them, just as though we were they". The ping node echoes it back and the
// reply is accepted only if that payload authenticates. The caller builds
// and verifies those payloads (Send's payload, Config.Verify); this package
// knows nothing about the codec or authkeys.
//
// Why a raw ICMP socket (golang.org/x/net/icmp) and not pro-bing: pro-bing
// v0.9.1 writes its own echo data in sendICMP (8-byte timestamp + 16-byte
// tracker UUID + 0x01 padding up to Size), offers no way to set it per
// packet, drops every reply whose data does not start with its own UUID
// (processPacket/getPacketUUID), and its Packet passed to OnRecv carries no
// payload. A signed NS_st could therefore neither be sent nor verified with
// it. A raw socket, as ping.c uses, carries the payload byte for byte.
package pingnode
