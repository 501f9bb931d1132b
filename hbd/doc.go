// Package hbd is the hbd daemon as a library: a drop-in replacement for the
// Linux-HA Heartbeat v1 (3.0.6) failover daemon.
//
// The decision logic lives in a pure state machine (events in, actions out,
// no I/O, no clock reads); everything that touches the network, the disk or
// a script sits behind small interfaces around it. Subpackages are named for
// what they are: hacf (ha.cf), wire (heartbeat's message codec), and so on.
package hbd
