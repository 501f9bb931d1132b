package takeover

import "github.com/hbd-project/hbd/hbd/core"

// A job is one heartbeat resource child: a notify_world script (mach_down,
// ip-request, ip-request-resp), go_standby or hb_giveup_resources. heartbeat
// runs the queued remote requests one at a time (QueueRemoteRscReq,
// StartNextRemoteRscReq); we run every job that way, so the executor never
// has more than one group operation outstanding.
type job struct {
	name     string
	ops      []groupOp
	next     int
	busy     bool // ops[next] is outstanding
	issued   int  // operations actually started (not skipped)
	finished bool // all ops done; done runs at the end of the step
	// done runs when every op has finished: what the child does after its
	// ResourceManager loop (send a message, log).
	done func()
}

type groupOp struct {
	g  *group
	op Op
}

func (m *Machine) enqueue(j *job) {
	m.jobs = append(m.jobs, j)
	m.startNext()
}

// startNext is StartNextRemoteRscReq plus the ResourceManager loop of the
// running child: it issues the next group operation, skipping groups
// already in the wanted state (takegroup's status check; a stopped group
// needs no givegroup), and finishes jobs that have nothing left to do.
func (m *Machine) startNext() {
	for !m.halted {
		if m.running == nil {
			if len(m.jobs) == 0 {
				return
			}
			m.running = m.jobs[0]
			m.jobs = m.jobs[1:]
		}
		j := m.running
		if j.busy || j.finished {
			return
		}
		for j.next < len(j.ops) {
			o := j.ops[j.next]
			switch {
			case o.op == OpTake && o.g.state == Stopped:
				o.g.state = Taking
				j.busy = true
				j.issued++
				m.emit(TakeGroup{Key: o.g.key})
				return
			case o.op == OpGive && (o.g.state == Held || o.g.state == Stuck):
				o.g.state = Giving
				j.busy = true
				j.issued++
				m.emit(GiveGroup{Key: o.g.key})
				return
			}
			j.next++
		}
		// The child has done its ResourceManager work; what it does last
		// (and its exit) happens after its parent's step: see flush.
		j.finished = true
		return
	}
}

// finishJob runs the end of the running job's child and its exit
// (RscMgmtProcessDied → StartNextRemoteRscReq).
func (m *Machine) finishJob() bool {
	j := m.running
	if j == nil || !j.finished {
		return false
	}
	m.running = nil
	if j.done != nil {
		j.done()
	}
	m.childDied(j.name)
	m.startNext()
	return true
}

// opDone handles the executor's report for the operation of the running
// job.
func (m *Machine) opDone(e GroupOpDone) {
	j := m.running
	if j == nil || !j.busy || j.ops[j.next].g.key != e.Key || j.ops[j.next].op != e.Op {
		m.logf(core.LevelErr, "Unexpected %s result for resource group %s", e.Op, e.Key)
		return
	}
	g := j.ops[j.next].g
	j.next++
	j.busy = false
	switch {
	case e.StillRunning:
		// RecoverFromFailedStop: heartbeat kills itself and reboots.
		g.state = Stuck
		m.logf(core.LevelCrit, "Resource group %s could not be stopped: it is still running.", g.key)
		m.logf(core.LevelCrit, "Resource %s: machine must be rebooted (RecoverFromFailedStop).", g.key)
		m.emit(RecoverFailedStop{Key: g.key})
		m.halted = true
		return
	case e.Op == OpTake && e.OK:
		g.state = Held
	case e.Op == OpTake:
		// acquireresourcegroup already gave the group up again; it then
		// runs (sleep 30; hb_standby <type>) in the background.
		g.state = Stopped
		m.logf(core.LevelCrit, "Giving up resources due to failure of %s", g.key)
		t := Foreign
		if g.local {
			t = Local
		}
		m.failedStandby |= t
		if m.failedStandbyAt.IsZero() {
			m.failedStandbyAt = m.now.Add(failedTakeWait)
		}
	case e.Op == OpGive:
		if !e.OK {
			m.logf(core.LevelWarn, "Resource group %s: stop failed but the resource is stopped (probably not LSB-compliant). Machine reboot narrowly avoided!", g.key)
		}
		g.state = Stopped
	}
	m.startNext()
}

// childDied is RscMgmtProcessDied's bookkeeping for a finished job.
func (m *Machine) childDied(name string) {
	switch {
	case name == "ip-request-resp":
		m.localDone = true
		m.announce(name)
	case !m.nice() && name == "status" && m.peerStatus == core.StatusDead:
		m.foreignDone = true
		m.announce(name)
	}
}
