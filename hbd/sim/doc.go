// Package sim is hbd's deterministic cluster simulator: two hosts, each
// running the daemon's own decision logic (a node.Machine: membership core
// plus R1 resource manager, composed by package node exactly as the daemon
// runs them) and a model executor, joined by a simulated Ethernet segment
// with random loss, delay, full and one-way partitions; with crashes
// (kill -9, STONITH resets, the reboot after a failed stop), graceful
// stops, restarts (each with a higher generation), hb_standby/hb_takeover
// commands and failing resource operations. The host, like the daemon,
// carries out only the machine's external actions; all routing between
// the parts is package node's. Everything runs on one goroutine in simulated time and one
// seed fixes the whole run:
//
//	rep, err := sim.Run(sim.Config{Seed: 42, Mode: takeover.AutoFailback})
//
// Run drives the faults for Config.FaultPhase, then lets the cluster run
// fault-free and checks invariants:
//
//   - after every event, never two owners: a group's resources never run
//     on both nodes while each node's membership view has the other alive
//     and neither is giving everything up (the healed-partition restart:
//     core.PartitionHealed/core.Restart or takeover.PartitionRestart, or
//     the give-up of a graceful stop). heartbeat R1 has no quorum: during
//     a partition both sides legitimately take over, and the heal makes
//     one side give everything up and restart;
//   - at every release, ordered stops: a group is reported released
//     (GroupOpDone) only once all its resources are stopped, and they
//     were stopped right to left;
//   - convergence: the first time after the quiet period that the cluster
//     has stayed settled for holdDown (both up and hearing each other, no
//     operation or resource message in flight, both resource managers
//     stable with no timer armed), every group runs on exactly one node,
//     and what each resource manager reports (cl_status rscstatus)
//     matches what runs. A group whose last start failed may be left
//     stopped, as heartbeat leaves it (§6.3). Not settling within
//     settleLimit is a failure too.
//
// The executor model starts a group's resources left to right and stops
// them right to left, each step after a random delay; during the fault
// phase a start may fail (the group is rolled back, as ResourceManager
// does) and, rarely, a stop may fail and leave a resource running (the
// node then reboots).
//
// A failing schedule returns an error naming the seed and the invariant;
// Config.Trace records a readable trace for replay (go test ./hbd/sim
// -run TestSchedules -seed=N prints it).
package sim
