package takeover

// IsStable is hb_rsc_isstable.
func (m *Machine) IsStable() bool {
	idle := m.running == nil && len(m.jobs) == 0
	if !m.nice() {
		return idle
	}
	if m.shutdownBusy && m.rstate == StateInit {
		return true
	}
	return m.otherStable && !m.takeoverBusy && m.goingStandby == standbyNot &&
		m.standbyUntil.IsZero() && idle &&
		(m.rstate == StateStable || m.rstate == StateShutdown || m.rstate == StateInit)
}

// RscStatus is what cl_status rscstatus prints (hb_rsc_resource_state):
// "transition" while unstable, else the held set. Like heartbeat, legacy
// mode never tracks the held set, so it reports "none" there; use Groups
// for the real per-group state.
func (m *Machine) RscStatus() string {
	if !m.IsStable() {
		return "transition"
	}
	return m.iHold.String()
}

// Held is i_hold_resources.
func (m *Machine) Held() Set { return m.iHold }

// State is resourcestate.
func (m *Machine) State() RState { return m.rstate }

// Groups returns each group's local state, in file order.
func (m *Machine) Groups() []GroupInfo {
	out := make([]GroupInfo, len(m.groups))
	for i, g := range m.groups {
		out[i] = GroupInfo{Key: g.key, Local: g.local, State: g.state}
	}
	return out
}

// GroupInfo is one entry of Machine.Groups.
type GroupInfo struct {
	Key   string
	Local bool // the group's haresources node is this node
	State GroupState
}

// Halted reports that a stop failed and the machine stopped acting
// (RecoverFailedStop was emitted).
func (m *Machine) Halted() bool { return m.halted }
