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
//	tk, err := takeover.NewMachine(takeover.Config{LocalNode: …, Nodes: …,
//		Groups: haresFile.Groups, Mode: takeover.AutoFailback})
//	for ev := range events {             // see "Wiring" below
//		for _, a := range tk.Step(ev) {
//			switch a := a.(type) {
//			case takeover.ClusterSend:   // core.Step(core.ClusterSend{Msg: a.Msg})
//			case takeover.TakeGroup:     // executor: start a.Key, then GroupOpDone
//			case takeover.GiveGroup:     // executor: stop a.Key, then GroupOpDone
//			case takeover.Fence:         // STONITH worker, then FenceDone
//			case takeover.RecoverFailedStop: // reboot the host
//			case takeover.ShutdownDone:  // core.Step(core.Shutdown{}), exit
//			case takeover.Log:
//			}
//		}
//		arm a timer at tk.NextDeadline() and step Tick when it fires
//	}
//
// # Wiring to the membership core
//
// The daemon turns the core's actions into events:
//
//   - core.CommUp → CommUp;
//   - core.NodeStatus for the peer (Type normal) → NodeStatus; a change to
//     "dead" is mark_node_dead → hb_rsc_recover_dead_resources;
//   - core.Deliver → Message{Node: d.Node, Msg: d.Msg}. The copies of our
//     own messages that the core loops back may be passed or dropped: the
//     machine ran its own copy through its handlers when it sent it, as
//     heartbeat's process_outbound_packet does, and ignores them;
//   - core.Restart → Shutdown, and once ShutdownDone comes, restart the
//     process with a new generation (cause_shutdown_restart);
//   - SIGTERM → Shutdown, then core.Shutdown after ShutdownDone;
//   - hb_standby / hb_takeover requests → Standby / Takeover ("failback"
//     is Foreign).
//
// Actions map back: ClusterSend → core.Step(core.ClusterSend{Msg}); the
// executor runs TakeGroup/GiveGroup one at a time and answers GroupOpDone;
// the STONITH worker answers Fence with FenceDone. Results may be stepped
// as soon as they are known; Tick must come at NextDeadline (heartbeat
// polls every 250 ms, any rate at least that fast is fine).
//
// # What it reproduces
//
// Comments name the heartbeat function each piece matches. The state is
// heartbeat's own: resourcestate (init, starting, bothstarting, rscrcvd,
// stable, shutdown), i_hold_resources and other_holds_resources as
// local/foreign bit sets, other_is_stable, takeover_in_progress,
// going_standby with its standby_running timer, rsc_needs_failback and the
// initial-acquisition flags. Messages carry heartbeat's fields in its
// order: starting; resource rsc_hold rtype=full isstable [info]; resource
// rsc_hold=foreign info=mach_down (no rtype, as mach_down writes it);
// ask_resources rsc_hold info; ip-request ipaddr; ip-request-resp dest
// ipaddr weown ok; hb_takeover rsc_hold; shutdone st=dead; stonith node
// result. The scenario tests replay the lab captures' sequences.
//
// heartbeat forks children for req_our_resources, go_standby,
// hb_giveup_resources and each rc.d script; only one resource child runs
// the queued remote requests at a time. The machine models them as jobs
// in one FIFO whose group operations run one at a time; a child's closing
// work (its messages, its exit) happens after its parent's step, which is
// what puts messages in heartbeat's order on the wire.
//
// # Deliberate differences
//
//   - All resource children are serialised, not only the remote requests:
//     the executor has one operation outstanding. heartbeat may run
//     go_standby or hb_giveup_resources beside a queued mach_down.
//   - A peer declared dead before comm up (initdead) is recovered right
//     after comm up (after "starting") instead of before it; heartbeat
//     reserves the stonith message's seq first but sends it after too.
//   - ResourceManager's status check is our per-group state: a group known
//     to be stopped gets no givegroup (heartbeat runs stop on every key at
//     shutdown; stopping a stopped group is a no-op there).
//   - After a failed takegroup, heartbeat runs "hb_standby foreign" 30 s
//     later whatever the group, because StandbyGroupType never matches
//     (§6.3, §11 item 9). We ask for the failed group's own class (local
//     or foreign), which is what the script means to do and what moves the
//     group to the peer.
//   - A group that cannot be stopped (GroupOpDone.StillRunning) makes the
//     machine emit RecoverFailedStop and halt: heartbeat's ResourceManager
//     kills every heartbeat and reboots. The daemon decides how to reboot;
//     the machine never reports the group released and sends nothing more.
//   - In legacy mode, comm up can come before the peer's first status
//     (any packet counts); heartbeat then counts the peer as not active,
//     skips the ip-request and starts its groups although the peer runs
//     them. We wait for the peer to be reported active (then ask) or dead
//     (then recover) before req_our_resources (found by the simulator).
//   - In legacy mode a peer that sent shutdone is not asked for our
//     groups (no ip-request): it is leaving and would never answer.
//   - A peer that restarts before it is declared dead (status active →
//     init, a new generation) is recovered as if it had died: its old
//     incarnation's groups are taken (after STONITH when needed).
//     heartbeat only logs the restart, and the groups the peer ran are
//     left to nobody (found by the simulator).
//   - While starting, or while the live peer is believed unstable outside
//     a standby, "starting" (heartbeat's request for resource state) is
//     sent again after 10 s without a resource message from the peer.
//     heartbeat waits forever, so a lost announcement (the core cannot
//     retransmit across the peer's first status, which resets sequence
//     tracking) leaves it in transition, refusing standby and delaying
//     shutdown (found by the simulator).
//   - A go_standby child whose standby was cancelled meanwhile (peer
//     death, timeout) does not send its "done": heartbeat's late "done"
//     is read by a returning peer as the answer to the next standby
//     request, making it take groups we still hold (found by the
//     simulator).
//   - In legacy mode with STONITH, a peer found dead at comm up is fenced
//     before we start our own groups too; heartbeat's comm-up
//     req_our_resources starts them at once, next to a peer that was never
//     heard and may run them (found by the simulator).
//   - A local standby request (hb_standby, a peer's hb_takeover, the
//     failed-start standby) is not sent unless ask_for_resources would
//     accept our own copy (comm up, no standby in progress, both sides
//     stable). heartbeat sends it anyway and refuses only its own copy;
//     the peer may accept it and then wait an hour for a "done" that
//     never comes, refusing standby and delaying shutdown meanwhile (found
//     by the simulator). The failed-start standby is retried 30 s later.
//   - A shutdone received before comm up is ignored; heartbeat runs
//     takeover_from_node for it while still starting, which lets a node
//     that just booted grab everything next to a peer that is starting
//     too (found by the simulator). The peer is declared dead later and
//     recovered then.
//   - When the peer's announcements and ours claim the same groups
//     (AuditResources' "Both machines own …") while the peer is alive, we
//     give everything up and restart (PartitionRestart). heartbeat only
//     logs it; after a one-way partition, where the peer never heard us
//     and took everything, both keep running the groups (found by the
//     simulator).
//   - A peer that comes back from the dead without restarting (status
//     dead → active) while we hold any of its groups makes us give
//     everything up and restart (PartitionRestart), as heartbeat's
//     "returning after partition" does; heartbeat's own check needs the
//     peer's generation from before the partition and misses nodes that
//     started apart, leaving both owning everything (found by the
//     simulator).
//   - A peer starting or resource message older (seq, same generation) than one already applied, which a retransmission can
//     deliver late, is ignored; heartbeat applies it and can be left
//     believing the peer unstable, refusing standby and delaying shutdown
//     until the next announcement (found by the simulator).
//   - The standby timer is checked on every event and on Tick (heartbeat
//     only checks it when a message arrives).
//   - The daemon restarts after core.Restart or PartitionRestart as a fresh process (a normal
//     start-up negotiation), having given everything up first.
//   - Legacy mode reports cl_status rscstatus as heartbeat does ("none"
//     unless in transition: i_hold_resources is not kept there); Groups
//     gives the real per-group state.
//
// heartbeat's own oddities are kept: the shutdone receiver's go_standby
// acquires the set flipped to the requester's terms (our own local groups)
// while takeover_from_node takes the rest; req_our_resources reports
// "isstable=1" before its takegroup ran; standby_rsctype leaks from one
// standby into the next "done" message.
package takeover
