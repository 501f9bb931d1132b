package link

import (
	"errors"
	"net/netip"
	"time"
)

// MaxMsg is heartbeat's MAXMSG (include/clplumbing/ipc.h): the size of every
// receive buffer. Larger datagrams are dropped.
const MaxMsg = 256 << 10

// maxUDPPayload is the largest payload of one IPv4 UDP datagram; sendto
// fails beyond it ("Unable to send … packet", heartbeat-spec §2.8).
const maxUDPPayload = 65507

// DefaultPort is heartbeat's UDPPORT, used when ha.cf has no udpport and
// /etc/services has no ha-cluster entry.
const DefaultPort = 694

// Datagram is one received heartbeat packet.
type Datagram struct {
	Link string         // medium name = interface it arrived on, e.g. "eth0"
	From netip.AddrPort // sender's address and (often ephemeral) port
	Data []byte         // the payload; owned by the receiver
	Time time.Time      // when it was read from the socket
}

// Medium is one configured heartbeat medium (one ha.cf media line, or one
// interface of a multi-interface "bcast" line).
type Medium interface {
	// Name is the medium name heartbeat uses for link status: the
	// interface name.
	Name() string
	// Spec is the configuration the medium was opened with.
	Spec() Spec
	// Send writes one datagram. It never blocks for longer than the
	// transport's write timeout and is safe for concurrent use.
	Send(b []byte) error
	// Stats returns the medium's send counters.
	Stats() Stats
}

// Stats counts one medium's sends.
type Stats struct {
	Sent       uint64 // datagrams handed to the kernel
	SendErrors uint64 // failed or timed-out sends
}

// RecvStats counts what a transport's receive side dropped.
type RecvStats struct {
	Received     uint64 // datagrams delivered on Recv
	Oversize     uint64 // dropped: larger than MaxMsg
	Unattributed uint64 // dropped: arrived on an interface no medium uses
	Overflow     uint64 // dropped: Recv channel full (MemNetwork only)
	RecvErrors   uint64 // socket read errors
}

// Event reports that a medium stopped or started working locally: its
// interface vanished, went down, lost its address, or a send failed; or it
// came back. Whether the peer is reachable over it is decided from received
// heartbeats, not from these events.
type Event struct {
	Link   string // interface name
	Medium string // Spec.String() of the medium
	Up     bool
	Err    error // why the medium went down; nil when Up
	Time   time.Time
}

// Transport is every medium of one node.
type Transport interface {
	// Media returns the media in configuration order.
	Media() []Medium
	// Recv delivers received datagrams. It is closed by Close.
	Recv() <-chan Datagram
	// RecvStats returns the receive-side counters.
	RecvStats() RecvStats
	// Close stops all media and closes Recv.
	Close() error
}

// Errors returned (wrapped) by Send.
var (
	// ErrNotReady means the medium's socket is not open yet, typically
	// because its interface has no IPv4 address; it is retried in the
	// background.
	ErrNotReady = errors.New("medium not ready")
	// ErrTooBig means the datagram exceeds what one UDP datagram carries.
	ErrTooBig = errors.New("datagram too big")
	// ErrClosed means the transport was closed.
	ErrClosed = errors.New("transport closed")
	// ErrLinkDown is returned by MemNetwork media whose interface is down.
	ErrLinkDown = errors.New("link down")
)
