// Package cibgen writes Pacemaker 2.1.5 CIBs for testing hbd's crm mode:
//
//   - Generate: seeded random clusters (2–6 nodes, up to 20 primitives,
//     groups, clones, location/colocation/order constraints with scores up
//     to ±INFINITY, standby and offline nodes, stickiness, migration
//     thresholds, and a status section with running resources, failed
//     monitors and starts, and fail counts), for the differential test
//     against crm_simulate (pacemaker-engine.md §4). Features selects what
//     may appear, so the test can grow with the scheduler.
//   - Bench: the cold-start benchmark clusters (groups of four).
//   - Cluster.XML renders either, and is also how harescib writes its CIBs.
//
// The status section is written directly rather than "settled" through a
// crm_simulate run (pacemaker-engine.md §4.1 item 2): every operation record
// carries the op-digest Pacemaker computes, so no "resource definition
// change" restarts appear, and a seed gives the same bytes whether or not
// Pacemaker is installed. The generated CIBs pass crm_verify (TestCrmVerify).
package cibgen
