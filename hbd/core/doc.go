// Package core is hbd's decision core: the membership protocol of the
// Linux-HA Heartbeat 3.0.6 master control process, as a pure state
// machine. Resource takeover (haresources, nice_failback, standby) will be
// added to the same Machine later; today it owns membership.
//
// # Shape
//
// A Machine has no I/O, no goroutines and no clock. Events go in, each
// carrying the time at which it happened; actions come out, in the order
// the caller must perform them:
//
//	m, err := core.NewMachine(cfg)        // cfg mapped from hacf.Config
//	acts := m.Step(core.Start{Time: now, Load: loadavg()})
//	for {
//		perform(acts)                      // send, log, notify, …
//		select {
//		case p := <-packets:               // decoded and authenticated
//			acts = m.Step(core.Packet{Time: now(), Link: p.Link, Msg: p.Msg})
//		case r := <-pingReplies:
//			acts = m.Step(core.PingReply{Time: now(), Node: r.Node})
//		case <-timer.C:                    // armed at m.NextDeadline()
//			acts = m.Step(core.Tick{Time: now(), Load: loadavg()})
//		}
//	}
//
// The only randomness (each peer's ack_trigger, the first rexmit delay)
// comes from Config.Seed, so a run is a function of its inputs. The tests
// use this twice: scenario scripts with fake time (testdata/*.txt, see
// harness_test.go) and a simulated network of several machines and lossy
// media (simnet_test.go).
//
// # What the caller does
//
// The I/O layer decodes each datagram (netstring or classic), checks its
// authentication, and steps a Packet with the link name the medium was
// configured with ("eth0": heartbeat names links by interface). Datagrams
// it rejects are still stepped, with Packet.Reject set, so that every drop
// is counted in one place (Stats).
//
// For a Send action it adds the auth field and trailer, encodes, and
// writes to every medium in Send.Links (nil: all). The message already
// holds the control fields in 3.0.6's order (§2.5 of the spec: destuuid,
// src, srcuuid, seq, hg, ts, ld, ttl; NS_ messages have no seq and no ld).
// A Send with Rexmit set is a retransmission of a history message and must
// come out byte for byte as the first time (same seq, same ts, same auth).
// SendPing carries the NS_st to put in an ICMP echo to a ping node.
//
// Tick must come at NextDeadline, or at least every 250 ms (heartbeat's
// POLL_INTERVAL); packets already queued should be stepped before the tick
// that follows them, or a stalled daemon may declare a peer dead although
// its heartbeats are sitting in the socket buffer. The generation is read,
// incremented and persisted before NewMachine (IncrGeneration), and the
// uuid read or created (hb_uuid); both come in Config.
//
// # Fidelity
//
// Comments name the heartbeat function each piece reproduces
// (heartbeat/heartbeat.c unless said otherwise). Behaviour that shows on
// the wire or in cl_status follows heartbeat, including its oddities:
//
//   - startup sends status init, up, up at once with dt = deadtime+2 s, and
//     an extra status when dt drops back 5 s later (hb_add_deadtime,
//     hb_pop_deadtime);
//   - every outgoing message is looped back through the receive path before
//     it is sent, so replies go out first and seqs appear out of order on the
//     wire (process_outbound_packet);
//   - we ACK our own messages, and NS_rexmit numbers are decimal;
//   - links time out on the threshold of the last node in the node table
//     (check_for_timeouts reuses TooOld);
//   - the newest history slot is never found by process_rexmit, and closing
//     the last hole of a gap sends no ACK (is_lost_packet).
//
// Deliberate differences: a Tick that arrives after a stall runs the
// timeout check before the keepalive timer, so a stall longer than our own
// dead threshold is reported ("No local heartbeat", Restart) instead of
// hidden; a message whose srcuuid belongs to another node is attributed to
// that node without renaming it; the node table is Config.Nodes followed by
// Config.PingNodes rather than ha.cf order; LinkEvent (a local medium going
// down) has no heartbeat counterpart and only narrows Send.Links.
//
// # Where resources will plug in
//
// Messages the membership core does not handle come out as Deliver
// (heartbeat's HBDoMsg_default). The resource layer will hook the same
// places heartbeat does: comm_now_up (comm_up_resource_action), node death
// (markNodeDead → hb_rsc_recover_dead_resources), status changes, and the
// healed-partition and no-local-heartbeat restarts, which today are the
// PartitionHealed and Restart actions.
package core
