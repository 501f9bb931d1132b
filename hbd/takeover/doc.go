// Package takeover is hbd's R1 resource manager: heartbeat 3.0.6's
// hb_resource.c together with the shell side it drives (ResourceManager,
// req_resource, mach_down and the rc.d scripts for ip-request,
// ip-request-resp, status and hb_takeover), as a pure state machine next to
// the membership core (package core).
//
// # Shape
//
// Like core.Machine, a Machine has no I/O, no goroutines, no clock and no
// randomness. Events go in with the time they happened; actions come out
// in the order they must be performed:
//
//	tk, err := takeover.NewMachine(takeover.Config{LocalNode: "hsa",
//		Nodes: []string{"hsa", "hsb"}, Groups: haresFile.Groups,
//		Mode: takeover.AutoFailback, Stonith: false})
//	for ev := range events { // see "Wiring" below
//		for _, a := range tk.Step(ev) {
//			switch a := a.(type) {
//			case takeover.ClusterSend: // core.Step(core.ClusterSend{Msg: a.Msg})
//			case takeover.TakeGroup: // executor: start a.Key, then GroupOpDone
//			case takeover.GiveGroup: // executor: stop a.Key, then GroupOpDone
//			case takeover.Fence: // STONITH worker: reset a.Node, then FenceDone
//			case takeover.RecoverFailedStop: // a stop failed: reboot the host
//			case takeover.PartitionRestart: // as core.Restart
//			case takeover.ShutdownDone: // all given up: core.Shutdown, exit
//			case takeover.Log:
//			}
//		}
//		// arm a timer at tk.NextDeadline() and step Tick when it fires
//	}
//
// State queries: RscStatus (what cl_status rscstatus prints), IsStable
// (hb_rsc_isstable), Held (i_hold_resources), State (resourcestate),
// Groups (per-group stopped/taking/held/giving/stuck) and Halted.
//
// # Wiring to the membership core
//
// The daemon turns the core's actions into events:
//
//   - core.CommUp → CommUp;
//   - core.NodeStatus for the peer (normal node) → NodeStatus; a change to
//     "dead" is mark_node_dead → hb_rsc_recover_dead_resources. When the
//     change came out of stepping a Packet from that node, set Gen to the
//     packet's hg: that is how a quick restart is told from a return
//     after a partition;
//   - core.Deliver → Message{Node: d.Node, Msg: d.Msg}. The copies of our
//     own messages that the core loops back may be passed or dropped: the
//     machine ran its own copy through its handlers when it sent it, as
//     heartbeat's process_outbound_packet does, and ignores them;
//   - core.Restart and PartitionRestart → Shutdown, and once ShutdownDone
//     comes, exit and start again with a new generation
//     (cause_shutdown_restart);
//   - SIGTERM → Shutdown, then core.Shutdown after ShutdownDone;
//   - hb_standby / hb_takeover → Standby / Takeover ("failback" is
//     Foreign).
//
// The executor runs TakeGroup and GiveGroup one at a time (there is never
// more than one outstanding) and answers GroupOpDone; a take that fails
// must already be rolled back, as ResourceManager does. The STONITH worker
// answers Fence with FenceDone. Tick must come at NextDeadline.
//
// # What it reproduces
//
// Comments name the heartbeat function each piece matches. The state is
// heartbeat's own: resourcestate (init, starting, bothstarting, rscrcvd,
// stable, shutdown), i_hold_resources and other_holds_resources as
// local/foreign bit sets, other_is_stable, takeover_in_progress,
// going_standby with its standby_running timer, rsc_needs_failback and
// the initial-acquisition flags. Messages carry heartbeat's fields in its
// order: starting; resource rsc_hold rtype=full isstable [info]; resource
// rsc_hold=foreign info=mach_down (no rtype, as mach_down writes it);
// ask_resources rsc_hold info; ip-request ipaddr; ip-request-resp dest
// ipaddr weown ok; hb_takeover rsc_hold; shutdone st=dead; stonith node
// result. The tests replay the lab captures and compare the sequences.
//
// heartbeat forks children for req_our_resources, go_standby,
// hb_giveup_resources and each rc.d script; the queued remote requests
// run one at a time. The machine models them as jobs in one FIFO; what a
// child does last (its messages, its exit) happens after its parent's
// step, which is what puts messages in heartbeat's order on the wire.
//
// heartbeat's oddities are kept: the shutdone receiver's go_standby
// acquires the set flipped to the requester's terms (its own local groups)
// while takeover_from_node takes the rest; req_our_resources reports
// isstable=1 before its takegroups ran; standby_rsctype leaks from one
// standby into the next "done"; legacy mode never tracks the held set, so
// rscstatus says "none" there (Groups has the truth).
//
// # Deliberate differences
//
// Structure:
//
//   - All resource children are serialised, not only the remote requests:
//     heartbeat may run go_standby or hb_giveup_resources beside a queued
//     mach_down.
//   - A peer declared dead before comm up (initdead) is recovered right
//     after comm up, after "starting".
//   - A group known to be stopped gets no givegroup (heartbeat's stop of a
//     stopped group is a no-op).
//   - After a failed takegroup heartbeat runs "hb_standby foreign" 30 s
//     later whatever the group (StandbyGroupType never matches, §6.3 and
//     §11 item 9); we ask for the failed group's own class, which moves it
//     to the peer, and retry 30 s later if the request cannot be sent.
//   - A group that cannot be stopped (StillRunning) makes the machine emit
//     RecoverFailedStop and halt (heartbeat kills itself and reboots); it
//     never reports the group released.
//   - The standby timer is checked on every event and Tick, not only when
//     a message arrives.
//
// Fixes for situations the simulator (package sim) found in which heartbeat
// ends with two owners, an orphaned group or a node stuck in transition:
//
//   - Split brains heartbeat misses. A peer back from the dead without a
//     new generation (or, with none known, straight to active) after we
//     recovered its death makes us give everything up and restart
//     (PartitionRestart), like heartbeat's "returning after partition",
//     whose generation check misses nodes that started apart. So do
//     announcements claiming the groups we hold while the peer is alive
//     (AuditResources' "Both machines own …", which heartbeat only logs;
//     a one-way partition).
//   - Quick restarts. A peer seen with a higher generation that was never
//     declared dead is recovered as if it had died (its groups went with
//     its old process) and a standby with it is cancelled; heartbeat only
//     logs "Heartbeat restart on node".
//   - Lost messages the core cannot retransmit (sequence tracking restarts
//     at a node's first status): "starting" is sent again after 10 s
//     without a resource message while we wait for one; a standby
//     requester finishes 10 s after the taker said isstable=1 without its
//     "done", and re-sends its own "done" after a minute without news (the
//     taker ignores duplicates; a heartbeat taker still working after a
//     minute would end the standby early and mis-track its held set); a
//     taker whose "other" is not followed within 10 s by the requester's
//     "resource … info=standby" cancels (the requester timed out; a late
//     "done" is still honoured) instead of waiting an hour; in legacy
//     mode an unanswered ip-request is sent again after 30 s.
//   - Stale news. Peer starting/resource messages older (seq) than one
//     already applied are ignored; an ip-request-resp is honoured only for
//     a group this process asked for; a cancelled standby's child sends no
//     "done" (it would answer the next request).
//   - Requests nobody can honour. A local standby request is not sent
//     unless our own copy would be accepted (comm up, peer active, no
//     standby in progress, both sides stable): heartbeat sends it, refuses
//     its copy, and the peer waits an hour for a "done". Auto failback also
//     waits for a running mach_down (takeover_in_progress).
//   - Start-up races. A shutdone before comm up is ignored (heartbeat runs
//     takeover_from_node while still starting). In legacy mode
//     req_our_resources waits until the peer is reported active (then
//     asks) or dead (then recovers): comm up can come before its first
//     status; with STONITH a peer dead at comm up is fenced before we
//     start our own groups; a peer that sent shutdone is not asked, and
//     the recovery of a dead or restarted peer never asks it.
package takeover
