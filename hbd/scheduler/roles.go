package scheduler

// rscStateMatrix is rsc_state_matrix (pcmk_sched_primitive.c): the next
// role on the way from a role to a goal role.
var rscStateMatrix = [5][5]Role{
	/* Unknown */ {RoleUnknown, RoleStopped, RoleStopped, RoleStopped, RoleStopped},
	/* Stopped */ {RoleStopped, RoleStopped, RoleStarted, RoleUnpromoted, RoleUnpromoted},
	/* Started */ {RoleStopped, RoleStopped, RoleStarted, RoleUnpromoted, RolePromoted},
	/* Unpromoted */ {RoleStopped, RoleStopped, RoleStopped, RoleUnpromoted, RolePromoted},
	/* Promoted */ {RoleStopped, RoleUnpromoted, RoleUnpromoted, RoleUnpromoted, RolePromoted},
}

type roleStep int

const (
	stepError roleStep = iota
	stepNull
	stepStop
	stepStart
	stepPromote
	stepDemote
)

// rscActionMatrix is rsc_action_matrix: which action moves between roles.
var rscActionMatrix = [5][5]roleStep{
	/* Unknown */ {stepError, stepStop, stepError, stepError, stepError},
	/* Stopped */ {stepError, stepNull, stepStart, stepStart, stepError},
	/* Started */ {stepError, stepStop, stepNull, stepNull, stepPromote},
	/* Unpromoted */ {stepError, stepStop, stepStop, stepNull, stepPromote},
	/* Promoted */ {stepError, stepDemote, stepDemote, stepDemote, stepNull},
}

// doRoleStep runs one rsc_action_matrix entry; false stops the walk
// (RoleError).
func (ws *workingSet) doRoleStep(r *Resource, from, to Role, node *Node, optional bool) bool {
	switch rscActionMatrix[from][to] {
	case stepError:
		return false
	case stepStop:
		ws.stopRsc(r, optional)
	case stepStart:
		ws.startRsc(r, node, optional)
	case stepPromote:
		ws.promoteRsc(r, node, optional)
	case stepDemote:
		ws.demoteRsc(r, optional)
	}
	return true
}

// promoteRsc is PromoteRsc: promote is runnable only if the start is.
func (ws *workingSet) promoteRsc(r *Resource, next *Node, optional bool) {
	runnable := true
	for _, a := range r.actions {
		if a.task == "start" && a.node == next && !a.runnable {
			runnable = false
		}
	}
	p := ws.customAction(r, "promote", next, optional)
	if !runnable {
		p.runnable = false
	}
}

// demoteRsc is DemoteRsc: demote wherever the resource runs.
func (ws *workingSet) demoteRsc(r *Resource, optional bool) {
	for _, n := range r.runningOn {
		ws.customAction(r, "demote", n, optional)
	}
}

// roleTransitions is the role part of pcmk__primitive_create_actions:
// down to Stopped, back up to the current role, then to the next role.
func (ws *workingSet) roleTransitions(r *Resource, chosen *Node, needStop, needPromote bool) {
	role := r.role
	for role != RoleStopped {
		next := rscStateMatrix[role][RoleStopped]
		if !ws.doRoleStep(r, role, next, chosen, !needStop) {
			break
		}
		role = next
	}
	for r.role <= r.nextRole && role != r.role && !r.blocked {
		next := rscStateMatrix[role][r.role]
		required := needStop
		if next == RolePromoted && needPromote {
			required = true
		}
		if !ws.doRoleStep(r, role, next, chosen, !required) {
			break
		}
		role = next
	}
	role = r.role
	for role != r.nextRole {
		next := rscStateMatrix[role][r.nextRole]
		if !ws.doRoleStep(r, role, next, chosen, false) {
			break
		}
		role = next
	}
}
