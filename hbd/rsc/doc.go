// Package rsc executes resource operations: it runs the scripts, OCF
// agents, systemd units and built-in agents named in haresources, and
// acquires and releases whole resource groups the way heartbeat's shell
// ResourceManager does. It decides nothing about *when* a group moves; the
// daemon's state machine does, and consumes this package's results as
// events.
//
// # Resolution
//
// A haresources token NAME::a::b is resolved by Registry.Agent:
//
//   - "systemd:UNIT" → a systemd unit, over D-Bus (hbd extension);
//   - "ocf:PROVIDER:TYPE" → $OCF_ROOT/resource.d/PROVIDER/TYPE (hbd extension);
//   - a name registered with Registry.Register (the daemon's built-in IP
//     agents: IPaddr, IPaddr2, IPv6addr, SendArp);
//   - otherwise a heartbeat script: the first regular, executable file of
//     $HA_RESOURCEDIR/NAME and /etc/init.d/NAME (ResourceManager scriptpath),
//     called as "PATH a b start|stop|status".
//
// # Status
//
// heartbeat's we_own_resource ignores the exit code of "status" and reads
// its stdout as a shell case pattern: "*[Nn][Oo][Tt] *[Rr]unning*" is not
// running, "*[Rr]unning*" or "*OK*" is running, anything else is not
// running. hbd keeps the text rule and, by default (StatusTextThenExitCode),
// only adds to it where the text matches neither pattern: "[Ss]topped" (what
// heartbeat's own OCF wrappers print) and LSB exit 3 ("program is not
// running") are Stopped, anything else is Unknown. A silent exit 0 is
// deliberately Unknown rather than Running: a script without a status
// branch also exits 0 silently, and calling it Running would make TakeGroup
// skip the start of a stopped resource. Unknown is treated as "not running"
// where that is safe (TakeGroup starts it, as heartbeat would) and as "maybe
// running" where that is safe (after a failed stop it is escalated, never
// assumed stopped). StatusTextOnly is heartbeat's rule exactly for the
// text. Under both rules a status that cannot be run at all (no script, a
// timeout, killed by a signal) is Unknown, where heartbeat, which had no
// timeouts, read a missing script as "not running".
//
// # OCF parameters
//
// "ocf:heartbeat:Dummy::state=/tmp/x::fake=y" runs the agent with
// OCF_RESKEY_state=/tmp/x and OCF_RESKEY_fake=y: every argument must be
// NAME=VALUE with NAME a shell identifier, split at the first "=", each
// NAME at most once. OCF_RESOURCE_INSTANCE is TYPE, or TYPE-XXXXXXXX (a hash
// of the arguments) when there are arguments, so that two differently
// configured instances do not share an agent's default state file.
// "status" is the OCF "monitor" action: 0 (and 8, promoted) is Running, 7 is
// Stopped, anything else is Unknown; "stop" exiting 7 counts as success.
//
// # Failures
//
// Manager.TakeGroup mirrors acquireresourcegroup: left to right, status
// first, start what is not running; on the first failed start it logs CRIT
// "Giving up resources due to failure of R", stops the whole group right to
// left (members never started included) and reports GaveUp, so the daemon
// can hand the group to the peer (heartbeat's "sleep 30; hb_standby
// foreign"). Manager.GiveGroup mirrors giveupresourcegroup: right to left,
// stop retried while it fails (HA_STOPRETRYMAX, 10 attempts 1 s apart);
// when it still fails, status decides: Stopped logs heartbeat's "probably
// not LSB-compliant" warning and carries on, anything else is reported as
// StopFailed at CRIT. heartbeat would then run RecoverFromFailedStop
// (pkill -9 heartbeat ipfail ccm, then reboot -nf); hbd kills and reboots
// nothing and leaves that decision to the daemon, but never reports a
// resource it could not stop as released.
package rsc
