// Package lab is the network-namespace test lab for cross-process tests:
// real Debian heartbeat 3.0.6 nodes and hbd nodes side by side on private
// Ethernet segments, with nothing reaching the host's network.
//
// # Topology
//
// New creates, under a fresh prefix "hb" + 6 hex digits:
//
//	<prefix>-sw      switch: one Linux bridge per LAN (br0, br1, …)
//	<prefix>-<node>  one per node; interface eth<k> on LAN k, 198.18.k.<i+1>/24
//	<prefix>-obs     observer/client/ping target; 198.18.k.254/24
//
// Every veth pair is created inside the switch namespace with its peer born
// in the node namespace under its final name (eth0 in every node, so one
// ha.cf fits all), so no interface ever exists in the host namespace.
// Addresses are in 198.18.0.0/15 only. Every command is run through
// CheckNotRootNetns first.
//
//	func TestX(t *testing.T) {
//		lab.Require(t, lab.HeartbeatBinary)      // skips unless root with the tools
//		l, err := lab.New(t, lab.Options{LANs: 2}) // nodes "hsa", "hsb"
//		if err != nil {
//			t.Fatal(err)
//		}
//		a, b := l.Node("hsa"), l.Node("hsb")
//		err = a.Ping(b.Addr(0))                         // or a.Exec("ip", "addr")
//		p, err := l.Observer().Start("pinger", "ping", a.Addr(1).String())
//		c, err := l.Switch().Capture("br0", "udp port 694") // c.Stop(); c.Frames()
//		a.LinkDown("eth1")                                  // pull the cable; LinkUp
//		l.Partition([]*lab.Node{a}, []*lab.Node{b})         // split all LANs; Heal
//	}
//
// New registers Close with t.Cleanup, so namespaces, processes and the lab
// directory go away also when the test fails or panics; Close can be called
// earlier and more than once. If the test binary dies without cleanup (go
// test -timeout, SIGKILL), the next New reaps labs whose owner process is
// gone (records in /run/hbd-lab). Processes are only ever killed by PID.
// Set Options.Dir to keep configs, logs and pcaps (e.g. tests/artifacts/…);
// otherwise a failing test gets the tails of all logs in its output.
//
// # Real heartbeat
//
//	hb, err := l.StartHeartbeat(a, lab.Config{
//		HaCf:        "keepalive 500ms\ndeadtime 3\ninitdead 6\nudpport 694\nbcast eth0\nauto_failback on\nnode hsa hsb\n",
//		Haresources: "hsa hbdtest::r1\n",
//	})
//	st, err := hb.ClStatus("nodestatus", "hsb") // "active"; exit status 1 = dead
//	line, err := hb.WaitLog(`node hsb: is dead`, 10*time.Second)
//	hb.Kill(syscall.SIGKILL)                    // master control process, by PID
//	hb.PowerOff()                               // every process of the node at once
//
// heartbeat runs with -f in the node's network namespace plus private UTS
// (hostname = node name), mount and PID namespaces (unshare --pid --fork
// --kill-child --mount-proc). The mount namespace gives it the node's own
// /etc/ha.d, /var/lib/heartbeat (kept across restarts of the node), tmpfs
// /run and an empty /etc/init.d; see StartHeartbeat. A small shell stays
// PID 1 of the node, so heartbeat's re-exec and daemonizing after a healed
// partition keeps the node up, and MCP follows /run/heartbeat.pid. Exec and
// ClStatus enter all of the node's namespaces with nsenter, the PID
// namespace included (heartbeat's API rejects clients whose PID it cannot
// see). A config heartbeat rejects shows as its exit status in Wait.
//
// # Resource scripts and host safety
//
// heartbeat's ResourceManager answers a failed resource stop with "pkill -9
// heartbeat" and "reboot -nf". The lab defuses both: every resource.d
// script (the stock ones and Config.Scripts) sits behind a guard that
// makes stop exit 0. Behind that, in the node's PID namespace pkill sees
// only the node's processes, reboot(2) only ends the namespace (see
// reboot(2), "Behavior inside PID namespaces"), and the tmpfs /run hides
// the host's systemd and D-Bus sockets from systemctl. The resource
// "hbdtest" (TestScript) records calls and state in <lab dir>/<node>/log.
//
// # hbd
//
// StartHbd writes the same Config into <lab dir>/<node>/hbd/ha.d and runs
// bin/hbd -c … --state-dir … --run-dir … --node NAME in the same kind of
// node namespaces, so both daemons meet the same world.
package lab
