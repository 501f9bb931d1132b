package scheduler

import (
	"cmp"
	"slices"
	"strings"
)

// Clone notifications (pcmk_sched_notif.c, Pacemaker 2.1.5).
//
// A clone with notify=true wraps each of its start, stop, promote and
// demote phases in four pseudo-actions: pre_notify_X and
// confirmed-pre_notify_X before the phase, post_notify_Xed and
// confirmed-post_notify_Xed after it. The boundaries exist from action
// creation on, so ordering propagation treats them like any other action.
// The per-instance "notify" operations between them are only created when
// the graph is built, once every action's flags are final: which
// instances start, stop, promote or demote decides both who is notified
// and what the notifications say.

// notifyEntry is one instance in a notification list, with its node (nil
// for an inactive instance).
type notifyEntry struct {
	rsc  *Resource
	node *Node
}

// notifyData is notify_data_t: one phase's boundaries and, once
// collected, who takes part in it.
type notifyData struct {
	task                         string // the phase: start, stop, promote or demote
	pre, preDone, post, postDone *action

	start, stop, promote, demote []notifyEntry
	active, inactive             []notifyEntry
	promoted, unpromoted         []notifyEntry
	keys                         map[string]string // notify_* meta-attributes
}

// cloneNotifications are a clone's four notification phases (nil when the
// clone does not notify); expanded records that the notify operations
// were created, so a second graph build does not add them again.
type cloneNotifications struct {
	start, stop, promote, demote *notifyData
	expanded                     bool
}

// notifies reports whether a clone asked for notifications (pe_rsc_notify).
func (r *Resource) notifies() bool { return isTrue(r.meta["notify"]) }

// notificationsOf returns the clone's notification state, creating it.
func notificationsOf(c *Resource) *cloneNotifications {
	if c.notifications == nil {
		c.notifications = &cloneNotifications{}
	}
	return c.notifications
}

// addStartNotifications creates the start phase's boundaries around the
// clone's start and running pseudo-actions (clone_create_pseudo_actions).
func (ws *workingSet) addStartNotifications(c *Resource, start, started *action) {
	if !c.notifies() {
		return
	}
	notificationsOf(c).start = ws.notificationBoundaries(c, "start", start, started)
}

// addStopNotifications creates the stop phase's boundaries: a restart's
// stop notifications complete before its start notifications begin.
func (ws *workingSet) addStopNotifications(c *Resource, stop, stopped *action) {
	if !c.notifies() {
		return
	}
	n := notificationsOf(c)
	n.stop = ws.notificationBoundaries(c, "stop", stop, stopped)
	if n.start != nil {
		orderActions(n.stop.postDone, n.start.pre, ordOptional)
	}
}

// addPromoteNotifications creates the promote phase's boundaries around
// the clone's promote and promoted pseudo-actions (create_promotable_actions).
func (ws *workingSet) addPromoteNotifications(c *Resource, promote, promoted *action) {
	if !c.notifies() {
		return
	}
	notificationsOf(c).promote = ws.notificationBoundaries(c, "promote", promote, promoted)
}

// addPromotableNotifications creates the demote phase's boundaries
// (create_promotable_actions; the promote phase's were made just before)
// and orders the phases: demotion notifications first, promotion
// notifications last.
func (ws *workingSet) addPromotableNotifications(c *Resource, demote, demoted *action) {
	if !c.notifies() {
		return
	}
	n := notificationsOf(c)
	n.demote = ws.notificationBoundaries(c, "demote", demote, demoted)
	if n.start == nil || n.stop == nil || n.promote == nil {
		return
	}
	orderActions(n.stop.postDone, n.promote.pre, ordOptional)
	orderActions(n.start.postDone, n.promote.pre, ordOptional)
	orderActions(n.demote.postDone, n.promote.pre, ordOptional)
	orderActions(n.demote.postDone, n.start.pre, ordOptional)
	orderActions(n.demote.postDone, n.stop.pre, ordOptional)
}

// notifyAction is custom_action for a notification action, whose key
// carries keyTask instead of its task: an existing action with that key
// on the node is reused.
func (ws *workingSet) notifyAction(r *Resource, keyTask, task string, node *Node, optional bool) *action {
	if a := findOp(r, keyTask, 0, node); a != nil {
		if !optional {
			a.optional = false
		}
		return a
	}
	a := &action{id: len(ws.actions), rsc: r, task: task, keyTask: keyTask, node: node, optional: optional, runnable: true}
	r.actions = append(r.actions, a)
	ws.actions = append(ws.actions, a)
	if !r.managed {
		a.optional = true
	}
	ws.updateRunnable(a)
	return a
}

// notifyPhaseMeta is the meta-attributes a boundary pseudo-action carries.
func notifyPhaseMeta(typ, operation, keyType, keyOperation string) map[string]string {
	return map[string]string{
		"notify_type":          typ,
		"notify_operation":     operation,
		"notify_key_type":      keyType,
		"notify_key_operation": keyOperation,
	}
}

// notificationBoundaries is create_notification_boundaries: pre_notify ->
// confirmed-pre_notify -> start, and end -> post_notify ->
// confirmed-post_notify.
func (ws *workingSet) notificationBoundaries(c *Resource, task string, start, end *action) *notifyData {
	n := &notifyData{task: task}
	n.pre = ws.notifyAction(c, "pre_notify_"+start.task, "notify", nil, start.optional)
	n.pre.pseudo, n.pre.runnable = true, true
	n.pre.notifyMeta = notifyPhaseMeta("pre", task, "pre", start.task)
	n.preDone = ws.notifyAction(c, "confirmed-pre_notify_"+start.task, "notified", nil, start.optional)
	n.preDone.pseudo, n.preDone.runnable = true, true
	n.preDone.notifyMeta = notifyPhaseMeta("pre", task, "confirmed-pre", start.task)
	orderActions(n.preDone, start, ordOptional)
	orderActions(n.pre, n.preDone, ordOptional)

	n.post = ws.notifyAction(c, "post_notify_"+end.task, "notify", nil, end.optional)
	n.post.pseudo, n.post.runnable = true, end.runnable
	n.post.notifyMeta = notifyPhaseMeta("post", task, "post", end.task)
	n.postDone = ws.notifyAction(c, "confirmed-post_notify_"+end.task, "notified", nil, end.optional)
	n.postDone.pseudo, n.postDone.runnable = true, end.runnable
	n.postDone.notifyMeta = notifyPhaseMeta("post", task, "confirmed-post", end.task)
	orderActions(end, n.post, ordImpliesThen)
	orderActions(n.post, n.postDone, ordImpliesThen)

	orderActions(n.preDone, n.post, ordOptional)
	return n
}

// createNotifications is the notification part of clone_expand for every
// notifying clone: collect who takes part in each phase, derive the
// notify_* keys, and create the instances' notify operations. It runs once
// the transition's flags are final, before the graph is built.
func (ws *workingSet) createNotifications() {
	for _, r := range ws.resources {
		n := r.notifications
		if n == nil || n.expanded {
			continue
		}
		n.expanded = true
		for _, d := range []*notifyData{n.start, n.stop, n.promote, n.demote} {
			if d == nil {
				continue
			}
			d.collect(r, true, true)
			ws.notificationKeys(r, d)
			ws.notifyInstances(r, d)
		}
	}
}

// collect is collect_notification_data: the instances' current roles
// (state) and their required actions (activity).
func (d *notifyData) collect(r *Resource, state, activity bool) {
	if len(r.Children) > 0 {
		for _, c := range r.Children {
			d.collect(c, state, activity)
		}
		return
	}
	if state {
		e := notifyEntry{rsc: r}
		if len(r.runningOn) > 0 {
			e.node = r.runningOn[0]
		}
		switch r.role {
		case RoleStopped:
			d.inactive = append(d.inactive, e)
		case RoleStarted:
			d.active = append(d.active, e)
		case RoleUnpromoted:
			d.unpromoted = append(d.unpromoted, e)
			d.active = append(d.active, e)
		case RolePromoted:
			d.promoted = append(d.promoted, e)
			d.active = append(d.active, e)
		}
	}
	if !activity {
		return
	}
	for _, a := range r.actions {
		if a.optional || a.node == nil || a.intervalMS != 0 {
			continue
		}
		// A stop on an unclean node is listed even though fencing makes
		// it unrunnable.
		if !a.runnable && !(a.task == "stop" && a.node.Unclean) {
			continue
		}
		e := notifyEntry{rsc: r, node: a.node}
		switch a.task {
		case "start":
			d.start = append(d.start, e)
		case "stop":
			d.stop = append(d.stop, e)
		case "promote":
			d.promote = append(d.promote, e)
		case "demote":
			d.demote = append(d.demote, e)
		}
	}
}

// expandNotifyList is expand_list: the entries sorted by instance id then
// node id, one per instance, as space-separated instance and node names
// (" " for an empty list). Without withNodes, entries lacking a node count
// too.
func expandNotifyList(list []notifyEntry, withNodes bool) (rscs, nodes string) {
	if len(list) == 0 {
		return " ", " "
	}
	sorted := slices.Clone(list)
	slices.SortStableFunc(sorted, func(a, b notifyEntry) int {
		if c := cmp.Compare(a.rsc.ID, b.rsc.ID); c != 0 {
			return c
		}
		switch {
		case a.node == nil && b.node == nil:
			return 0
		case a.node == nil:
			return 1
		case b.node == nil:
			return -1
		}
		return cmp.Compare(a.node.ID, b.node.ID)
	})
	var rl, nl []string
	last := ""
	for _, e := range sorted {
		if withNodes && e.node == nil {
			continue
		}
		if e.rsc.ID == last {
			continue
		}
		last = e.rsc.ID
		rl = append(rl, e.rsc.ID)
		if withNodes {
			nl = append(nl, e.node.Name)
		}
	}
	return strings.Join(rl, " "), strings.Join(nl, " ")
}

// notifyNodeNames joins node names with spaces (" " when there are none).
func notifyNodeNames(nodes []*Node) string {
	if len(nodes) == 0 {
		return " "
	}
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.Name
	}
	return strings.Join(names, " ")
}

// notificationKeys is pcmk__create_notification_keys: the notify_* meta
// attributes every notification of the phase carries, and whether the
// phase's boundaries are required (something actually happens in it).
func (ws *workingSet) notificationKeys(c *Resource, d *notifyData) {
	keys := map[string]string{}
	required := false
	list := func(name string, entries []notifyEntry) {
		rscs, nodes := expandNotifyList(entries, true)
		keys["notify_"+name+"_resource"] = rscs
		keys["notify_"+name+"_uname"] = nodes
	}
	list("stop", d.stop)
	list("start", d.start)
	list("demote", d.demote)
	list("promote", d.promote)
	list("active", d.active)
	list("unpromoted", d.unpromoted)
	list("slave", d.unpromoted) // deprecated alias older agents read
	list("promoted", d.promoted)
	list("master", d.promoted) // deprecated alias older agents read
	keys["notify_inactive_resource"], _ = expandNotifyList(d.inactive, false)
	switch d.task {
	case "stop":
		required = len(d.stop) > 0
	case "start":
		required = len(d.start) > 0
	case "demote":
		required = len(d.demote) > 0
	case "promote":
		required = len(d.promote) > 0
	}

	var avail []*Node
	for _, n := range ws.nodes {
		if c.allowed[n.index].present {
			avail = append(avail, n)
		}
	}
	byName := func(a, b *Node) int { return naturalCompare(a.Name, b.Name) }
	slices.SortStableFunc(avail, byName)
	keys["notify_available_uname"] = notifyNodeNames(avail)
	all := slices.Clone(ws.nodes)
	slices.SortStableFunc(all, byName)
	keys["notify_all_uname"] = notifyNodeNames(all)
	d.keys = keys

	if required {
		d.pre.optional, d.preDone.optional = false, false
		d.post.optional, d.postDone.optional = false, false
	}
}

// addNotifyKeys is add_notify_data_to_action_meta: existing entries win,
// as add_hash_param never overwrites.
func addNotifyKeys(a *action, keys map[string]string) {
	if a.notifyMeta == nil {
		a.notifyMeta = make(map[string]string, len(keys))
	}
	for k, v := range keys {
		if _, ok := a.notifyMeta[k]; !ok {
			a.notifyMeta[k] = v
		}
	}
}

// notifyInstances is create_notifications: the notify operations for one
// phase on every instance (group members of a cloned group included).
func (ws *workingSet) notifyInstances(r *Resource, d *notifyData) {
	if len(r.Children) > 0 {
		for _, c := range r.Children {
			ws.notifyInstances(c, d)
		}
		return
	}
	for _, a := range r.actions {
		if a.optional || a.node == nil || a.intervalMS != 0 {
			continue
		}
		switch a.task {
		case "start", "stop", "promote", "demote":
			addNotifyKeys(a, d.keys)
		}
	}
	switch {
	case d.task == "start" && len(d.start) == 0,
		d.task == "promote" && len(d.promote) == 0,
		d.task == "demote" && len(d.demote) == 0:
		// Nothing to announce. Stops are announced even without stop
		// actions: fencing may imply them.
		return
	}
	stop := findActionAnyNode(r, "stop")
	start := findActionAnyNode(r, "start")

	if r.role != RoleStopped && (d.task == "stop" || d.task == "demote") {
		for _, n := range r.runningOn {
			// A stop implied by fencing the node needs no notification
			// there.
			if stop != nil && stop.pseudo && n.Unclean {
				continue
			}
			ws.notifyOn(r, n, d.pre, d.preDone, d)
			if d.task == "demote" || stop == nil || stop.optional {
				ws.postNotifyOn(r, n, d)
			}
		}
	}
	if r.nextRole != RoleStopped && r.allocatedTo != nil && (d.task == "start" || d.task == "promote") {
		if d.task != "start" || start == nil || start.optional {
			ws.notifyOn(r, r.allocatedTo, d.pre, d.preDone, d)
		}
		ws.postNotifyOn(r, r.allocatedTo, d)
	}
}

// notifyOn is pe_notify: the instance's notify operation on node between
// a boundary pseudo-action and its confirmation.
func (ws *workingSet) notifyOn(r *Resource, n *Node, op, confirm *action, d *notifyData) *action {
	if op == nil || confirm == nil || !n.Online || !op.runnable {
		return nil
	}
	typ := op.notifyMeta["notify_type"]
	a := ws.notifyAction(r, typ+"_notify_"+d.task, "notify", n, op.optional)
	for k, v := range op.notifyMeta {
		if a.notifyMeta == nil {
			a.notifyMeta = map[string]string{}
		}
		if _, ok := a.notifyMeta[k]; !ok {
			a.notifyMeta[k] = v
		}
	}
	addNotifyKeys(a, d.keys)
	orderActions(op, a, ordOptional)
	orderActions(a, confirm, ordOptional)
	return a
}

// postNotifyOn is pe_post_notify: the post-phase notification, after
// which the instance's recurring monitors may resume.
func (ws *workingSet) postNotifyOn(r *Resource, n *Node, d *notifyData) {
	if d.post == nil {
		return
	}
	ws.notifyOn(r, n, d.post, d.postDone, d)
	if d.postDone == nil {
		return
	}
	for _, mon := range r.actions {
		if mon.intervalMS == 0 || mon.task == "cancel" {
			continue
		}
		orderActions(d.postDone, mon, ordOptional)
	}
}

// notifiedTask is the task a clone action stands for when its flags are
// summarised from the instances' (orig_action_name): a notification
// boundary stands for the action it announces (the X of
// confirmed-pre_notify_X), every other action for its own task.
func notifiedTask(a *action) string {
	if a.task != "notify" && a.task != "notified" {
		return a.task
	}
	if _, after, ok := strings.Cut(a.keyTask, "_notify_"); ok {
		return after
	}
	return a.task
}

// notifiedCompletion is the notification part of action_uuid_for_ordering:
// an ordering against a notifying top-level clone's start, stop, promote or
// demote (or their completion pseudo-actions) waits until every
// notification about the phase was confirmed. It returns nil when the
// ordering keeps its action.
func notifiedCompletion(r *Resource, task string) *action {
	if r.notifications == nil || r.Parent != nil {
		return nil
	}
	var done string
	switch task {
	case "start", "running":
		done = "running"
	case "stop", "stopped":
		done = "stopped"
	case "promote", "promoted":
		done = "promoted"
	case "demote", "demoted":
		done = "demoted"
	default:
		return nil
	}
	return findOp(r, "confirmed-post_notify_"+done, 0, nil)
}
