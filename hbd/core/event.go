package core

import (
	"net/netip"
	"time"

	"github.com/hbd-project/hbd/hbd/wire"
)

// Event is an input to Machine.Step. Every event carries the time at which
// it happened; the machine never reads a clock.
type Event interface {
	when() time.Time
}

// Start begins the protocol: it sends the startup statuses (init, up, up)
// and arms the keepalive, initdead and deadtime-pop timers. It must be the
// first event; events before it are ignored.
type Start struct {
	Time time.Time
	// Load is the "ld" field (first line of /proc/loadavg); empty keeps
	// the previous value.
	Load string
}

// Tick advances time: it fires due timers (keepalive status, rexmit
// requests, reqnodes retries) and runs check_for_timeouts. Deliver it at
// Machine.NextDeadline, or at least every 250 ms (heartbeat's POLL_INTERVAL).
// Queued packets should be stepped before the tick that follows them.
type Tick struct {
	Time time.Time
	Load string // as in Start
}

// RejectReason says why the I/O layer refused a datagram. The core only
// counts these, so all drop statistics live in one place.
type RejectReason int

const (
	Accepted   RejectReason = iota // not rejected
	AuthFailed                     // digest/trailer mismatch ("authtoken does not match")
	Malformed                      // cannot be decoded
)

// Packet is a decoded, authenticated cluster message received on a medium.
type Packet struct {
	Time time.Time
	// Link is the medium's link name (Config.Links) it arrived on.
	Link string
	// From is the UDP source, for diagnostics only.
	From netip.AddrPort
	Msg  *wire.Message
	// Reject is set when the I/O layer could not decode or authenticate
	// the datagram; Msg is then ignored and the drop is only counted.
	Reject RejectReason
}

// PingReply reports an authentic NS_st echo reply for ping node Node
// (ping host or ping_group name) that passed the plugin's checks (§3.5).
type PingReply struct {
	Time time.Time
	Node string
}

// LinkEvent reports that a local medium went down (or came back). A down
// medium is left out of Send.Links; peer link status still follows
// heartbeat's timeout rule (heartbeat has no interface events).
type LinkEvent struct {
	Time time.Time
	Link string
	Up   bool
}

// ClusterSend asks the machine to send a message to the cluster on behalf
// of a local client, as send_cluster_msg does: it gets the control fields,
// a sequence number (unless its type starts with NS_), a history slot, and
// is looped back through the receive path first.
type ClusterSend struct {
	Time time.Time
	Msg  *wire.Message
}

// Shutdown asks for a graceful shutdown (hb_initiate_shutdown). Before comm
// is up it is deferred until comm comes up (§11 item 12); then the machine
// sends its status and answers with ShutdownReady.
type Shutdown struct {
	Time time.Time
}

func (e Start) when() time.Time       { return e.Time }
func (e Tick) when() time.Time        { return e.Time }
func (e Packet) when() time.Time      { return e.Time }
func (e PingReply) when() time.Time   { return e.Time }
func (e LinkEvent) when() time.Time   { return e.Time }
func (e ClusterSend) when() time.Time { return e.Time }
func (e Shutdown) when() time.Time    { return e.Time }
