package scheduler

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/cib"
)

// statusNode is a frozen view of one node for the node list: the current
// status is taken from the unpacked state, the revised one is the expected
// result of executing the transition.
type statusNode struct {
	name        string
	online      bool
	unclean     bool
	standby     bool
	pending     bool
	maintenance bool
	hasRsc      bool
}

func agentString(r *Resource) string {
	if r.Provider != "" {
		return r.Class + ":" + r.Provider + ":" + r.Type
	}
	return r.Class + ":" + r.Type
}

func (ws *workingSet) snapshotStatus() []statusNode {
	var out []statusNode
	for _, n := range ws.nodes {
		online := n.Online || n.displayOnline
		has := false
		for _, r := range ws.primitives() {
			for _, rn := range r.runningOn {
				if rn == n {
					has = true
				}
			}
		}
		out = append(out, statusNode{name: n.Name, online: online, unclean: n.Unclean, standby: n.Standby && !n.Pending,
			pending: n.Pending, maintenance: n.Maintenance, hasRsc: has})
	}
	return out
}

// revisedStatus is the node list after the transition: fenced nodes are
// down and clean.
func (ws *workingSet) revisedStatus() []statusNode {
	out := ws.snapshotStatus()
	for i, n := range ws.nodes {
		for _, f := range ws.nodeActions {
			// Unfencing ("on") leaves the node up.
			if f.node == n && !f.optional && f.fenceType != "on" {
				out[i].online = false
				out[i].unclean = false
			}
		}
		out[i].hasRsc = false
		for _, r := range ws.primitives() {
			if r.revisedNode() == n {
				out[i].hasRsc = true
			}
		}
	}
	return out
}

// revisedNodes is where a primitive runs once crm_simulate has executed
// the transition: an unmanaged resource stays wherever it is active, a
// managed one where its stop cannot run, plus the node its start runs on
// (or where it already is and the start is not needed).
func (r *Resource) revisedNodes() []*Node {
	if !r.managed {
		return r.runningOn
	}
	var out []*Node
	for _, n := range r.runningOn {
		if stop := findAction(r, "stop", n); stop != nil && !stop.runnable {
			out = append(out, n)
		}
	}
	next := r.allocatedTo
	if next != nil && !slices.Contains(out, next) {
		start := findAction(r, "start", next)
		if start != nil && (start.runnable || (start.optional && slices.Contains(r.runningOn, next))) {
			out = append(out, next)
		}
	}
	return out
}

// revisedNode is the first of revisedNodes, or nil.
func (r *Resource) revisedNode() *Node {
	if ns := r.revisedNodes(); len(ns) > 0 {
		return ns[0]
	}
	return nil
}

// placement is where a primitive is (current) or will be (revised), and
// in which role.
func placement(r *Resource, revised bool) ([]*Node, Role, bool) {
	if !revised {
		return r.runningOn, r.role, r.failed
	}
	nodes := r.revisedNodes()
	if len(nodes) == 0 {
		return nil, RoleStopped, false
	}
	n := nodes[0]
	role := r.nextRole
	if !r.managed || role == RoleUnknown || role == RoleStopped {
		role = r.role
	}
	if p := findAction(r, "promote", n); p != nil && !p.runnable && role == RolePromoted {
		role = RoleUnpromoted
	}
	// The failure stays in the history of a node where nothing ran: the
	// resource is unmanaged or its stop there was blocked.
	failed := false
	for _, m := range nodes {
		if r.failed && slices.Contains(r.runningOn, m) {
			if stop := findAction(r, "stop", m); !r.managed || (stop != nil && !stop.runnable) {
				failed = true
			}
		}
	}
	return nodes, role, failed
}

// statusView is one rendering of the cluster: the state as unpacked
// (current) or the expected state once the transition has run (revised).
// Every question the formatters ask about a resource goes through it, so
// the same printing code serves both.
type statusView struct {
	revised bool
	probes  []failedProbe
}

// failedProbe is a probe that found its resource not installed or
// misconfigured; Pacemaker keeps it in data_set->failed and the status
// shows the resource as "Stopped (<result>)" instead of plain "Stopped".
type failedProbe struct {
	rsc, node, result string
}

// ocfExitText is services_ocf_exitcode_str for the results a masked probe
// failure can have.
func ocfExitText(rc int) string {
	switch rc {
	case 0:
		return "ok"
	case 1:
		return "error"
	case 2:
		return "invalid parameter"
	case 3:
		return "unimplemented feature"
	case 4:
		return "insufficient privileges"
	case 5:
		return "not installed"
	case 6:
		return "not configured"
	case 7:
		return "not running"
	}
	return "unknown"
}

// opResourceID is the resource part of an operation key
// "<rsc>_<task>_<interval>" (parse_op_key).
func opResourceID(key string) string {
	i := strings.LastIndexByte(key, '_')
	if i <= 0 {
		return ""
	}
	j := strings.LastIndexByte(key[:i], '_')
	if j <= 0 {
		return ""
	}
	return key[:j]
}

// collectFailedProbes lists the probes pcmk_xe_mask_probe_failure treats
// as a resource being absent rather than failed: result "not installed"
// or "invalid parameter", or execution status "not installed". Entries
// without on_node are skipped, as pe__failed_probe_for_rsc does.
func (ws *workingSet) collectFailedProbes() []failedProbe {
	var out []failedProbe
	// An expired failure is not recorded at all; expiry depends on the
	// resource's failure-timeout, so find the history's resource.
	byID := map[string]*Resource{}
	for _, r := range ws.primitives() {
		for _, id := range []string{r.ID, r.baseID} {
			if _, ok := byID[id]; !ok && id != "" {
				byID[id] = r
			}
		}
	}
	for _, n := range ws.nodes {
		st := ws.nodeState[n]
		if st == nil {
			continue
		}
		for _, lr := range st.Resources {
			for _, op := range lr.Ops {
				if op.Operation != "monitor" || parseIntervalMS(op.Interval) != 0 || op.OnNode == "" {
					continue
				}
				rc, _ := strconv.Atoi(op.RCCode)
				status, _ := strconv.Atoi(op.OpStatus)
				if rc != 5 && rc != 2 && status != 7 {
					continue
				}
				key := op.OperationKey
				if key == "" {
					key = op.ID
				}
				id := opResourceID(key)
				if id == "" {
					continue
				}
				if r := byID[lr.ID]; r != nil {
					h := parseHistOp(&op)
					if ws.operationExpired(r, n, &h) {
						continue
					}
				}
				out = append(out, failedProbe{rsc: id, node: op.OnNode, result: ocfExitText(rc)})
			}
		}
	}
	return out
}

// failedProbe finds a failed probe of one of ids on node ("" matches
// any node).
func (v *statusView) failedProbe(node string, ids ...string) (string, bool) {
	for _, p := range v.probes {
		if node != "" && !strings.EqualFold(p.node, node) {
			continue
		}
		if slices.Contains(ids, p.rsc) {
			return p.result, true
		}
	}
	return "", false
}

// nodeOnline is node->details->online as the formatters see it.
func nodeOnline(n *Node) bool { return n.Online || n.displayOnline }

func writeNodeList(b *strings.Builder, nodes []statusNode) {
	b.WriteString("  * Node List:\n")
	// data_set->nodes is kept sorted by name (pe__cmp_node_name), so the
	// listing does not follow the CIB's order.
	nodes = slices.Clone(nodes)
	slices.SortStableFunc(nodes, func(x, y statusNode) int { return naturalCompare(x.name, y.name) })
	var online, offline []string
	for _, n := range nodes {
		switch {
		case n.unclean && n.online:
			b.WriteString("    * Node " + n.name + ": UNCLEAN (online)\n")
		case n.unclean && n.pending:
			b.WriteString("    * Node " + n.name + ": UNCLEAN (pending)\n")
		case n.unclean:
			b.WriteString("    * Node " + n.name + ": UNCLEAN (offline)\n")
		case n.pending:
			b.WriteString("    * Node " + n.name + ": pending\n")
		case n.standby && !n.online:
			b.WriteString("    * Node " + n.name + ": OFFLINE (standby)\n")
		case n.standby && n.hasRsc:
			b.WriteString("    * Node " + n.name + ": standby (with active resources)\n")
		case n.standby:
			b.WriteString("    * Node " + n.name + ": standby\n")
		case n.maintenance && !n.online:
			b.WriteString("    * Node " + n.name + ": OFFLINE (maintenance)\n")
		case n.maintenance:
			b.WriteString("    * Node " + n.name + ": maintenance\n")
		case n.online:
			online = append(online, n.name)
		default:
			offline = append(offline, n.name)
		}
	}
	if len(online) > 0 {
		b.WriteString("    * Online: [ " + strings.Join(online, " ") + " ]\n")
	}
	if len(offline) > 0 {
		b.WriteString("    * OFFLINE: [ " + strings.Join(offline, " ") + " ]\n")
	}
}

// configuredRole is the resource's target-role meta-attribute, parsed
// case-insensitively as text2role does, with the original text.
func configuredRole(r *Resource) (Role, string) {
	v, ok := r.meta["target-role"]
	if !ok {
		return RoleUnknown, ""
	}
	for _, role := range []Role{RoleStopped, RoleStarted, RoleUnpromoted, RolePromoted} {
		if strings.EqualFold(v, role.String()) {
			return role, v
		}
	}
	switch {
	case strings.EqualFold(v, "Slave"):
		return RoleUnpromoted, v
	case strings.EqualFold(v, "Master"):
		return RolePromoted, v
	}
	return RoleUnknown, v
}

// isDisabled is pe__resource_is_disabled.
func isDisabled(r *Resource) bool {
	role, _ := configuredRole(r)
	return role == RoleStopped || (role == RoleUnpromoted && r.top().promotable)
}

// printableID is rsc_printable_id: instances of anonymous clones show
// their configured id, without the ":N" instance suffix.
func printableID(r *Resource) string {
	if top := r.top(); top.Kind == cib.KindClone && !top.unique && r.baseID != "" {
		return r.baseID
	}
	return r.ID
}

// primActive is native_active: a resource on an unclean node counts as
// active, a managed one on a node that is cleanly down does not.
func (v *statusView) primActive(r *Resource) bool {
	nodes, _, _ := placement(r, v.revised)
	for _, n := range nodes {
		if n.Unclean {
			return true
		}
		if !nodeOnline(n) && r.managed {
			continue
		}
		return true
	}
	return false
}

// active is the resource variants' active(rsc, all) method: with all, a
// collective resource is active only if every child is.
func (v *statusView) active(r *Resource, all bool) bool {
	if r.Kind == cib.KindPrimitive {
		return v.primActive(r)
	}
	anyActive, every := false, true
	for _, c := range r.Children {
		if v.active(c, all) {
			anyActive = true
		} else {
			every = false
		}
	}
	if all {
		return every && (anyActive || r.Kind == cib.KindClone)
	}
	return anyActive
}

// location is the resource's location(rsc, &list, current) method: the
// distinct nodes any of its primitives is on.
func (v *statusView) location(r *Resource) []*Node {
	var out []*Node
	walk(r, func(p *Resource) {
		if p.Kind != cib.KindPrimitive {
			return
		}
		nodes, _, _ := placement(p, v.revised)
		for _, n := range nodes {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	})
	return out
}

// state is the resource's state(rsc, current) method: a collective
// resource reports the highest role of its children.
func (v *statusView) state(r *Resource) Role {
	if r.Kind == cib.KindPrimitive {
		nodes, role, _ := placement(r, v.revised)
		if len(nodes) == 0 {
			return RoleStopped
		}
		return role
	}
	best := RoleUnknown
	for _, c := range r.Children {
		best = max(best, v.state(c))
	}
	return best
}

// anyPrimitive reports whether f holds for r or any primitive below it.
func anyPrimitive(r *Resource, f func(*Resource) bool) bool {
	found := false
	walk(r, func(p *Resource) {
		if !found && f(p) {
			found = true
		}
	})
	return found
}

// primitiveLine is pcmk__native_output_string for the text output.
func (v *statusView) primitiveLine(r *Resource) string {
	nodes, role, failed := placement(r, v.revised)
	if len(nodes) == 0 {
		role = RoleStopped
	} else if role == RoleStopped || role == RoleUnknown {
		role = RoleStarted
	}
	// native_displayable_role
	if role == RoleStarted && r.top().promotable {
		role = RoleUnpromoted
	}
	var node *Node
	if len(nodes) == 1 {
		node = nodes[0]
	}
	var b strings.Builder
	b.WriteString(printableID(r) + "\t(" + agentString(r) + "):\t")
	if r.orphan {
		b.WriteString(" ORPHANED")
	}
	if failed {
		b.WriteString(" FAILED")
		if role > RoleUnpromoted {
			b.WriteString(" " + role.String())
		}
	} else {
		b.WriteString(" " + role.String())
	}
	if node != nil {
		b.WriteString(" " + node.Name)
	}
	if role == RoleStopped {
		name := ""
		if node != nil {
			name = node.Name
		}
		if res, ok := v.failedProbe(name, printableID(r), r.top().ID); ok {
			b.WriteString(" (" + res + ") ")
		}
	}
	var flags []string
	if node != nil && !nodeOnline(node) && node.Unclean {
		flags = append(flags, "UNCLEAN")
	}
	switch target, text := configuredRole(r); {
	case target == RoleStopped:
		flags = append(flags, "disabled")
	case target == RoleUnpromoted && r.top().promotable:
		flags = append(flags, "target-role:"+text)
	}
	switch {
	case r.blocked:
		flags = append(flags, "blocked")
	case !r.managed:
		flags = append(flags, "unmanaged")
	}
	if r.failIgnored {
		flags = append(flags, "failure ignored")
	}
	if len(flags) > 0 {
		b.WriteString(" (" + strings.Join(flags, ", ") + ")")
	}
	if len(nodes) > 1 {
		names := make([]string, len(nodes))
		for i, n := range nodes {
			names[i] = n.Name
		}
		b.WriteString(" [ " + strings.Join(names, " ") + " ]")
	}
	return b.String()
}

// writeResources is the "resource-list" message: every top-level
// resource, except orphans that are no longer active and resources that
// are active but, as far as their running_on list goes, on no node (see
// runningOn).
func (v *statusView) writeResources(b *strings.Builder, rscs []*Resource) {
	b.WriteString("  * Full List of Resources:\n")
	if len(rscs) == 0 {
		b.WriteString("    * No resources\n")
	}
	for _, r := range rscs {
		if r.orphan && !v.active(r, true) {
			continue
		}
		if v.active(r, false) && len(v.runningOn(r)) == 0 {
			continue
		}
		v.writeResource(b, r, "    ")
	}
}

func (v *statusView) writeResource(b *strings.Builder, r *Resource, indent string) {
	switch r.Kind {
	case cib.KindGroup:
		v.writeGroup(b, r, indent)
	case cib.KindClone:
		v.writeClone(b, r, indent)
	default:
		b.WriteString(indent + "* " + v.primitiveLine(r) + "\n")
	}
}

// writeGroup is pe__group_default with inactive members shown.
func (v *statusView) writeGroup(b *strings.Builder, g *Resource, indent string) {
	var flags []string
	if !g.managed {
		flags = append(flags, "unmanaged")
	}
	if isDisabled(g) {
		flags = append(flags, "disabled")
	}
	suffix := ""
	if len(flags) > 0 {
		suffix = " (" + strings.Join(flags, ", ") + ")"
	}
	b.WriteString(indent + "* Resource Group: " + g.ID + suffix + ":\n")
	for _, c := range g.Children {
		v.writeResource(b, c, indent+"  ")
	}
}

// cloneConfiguredRole is configured_role: the clone's target-role, or
// that of its first instance.
func cloneConfiguredRole(c *Resource) Role {
	if _, ok := c.meta["target-role"]; !ok && len(c.Children) > 0 {
		role, _ := configuredRole(c.Children[0])
		return role
	}
	role, _ := configuredRole(c)
	return role
}

// writeClone is pe__clone_default: unique clones list every instance,
// anonymous ones summarise the instances that are fully active on one
// healthy node by role and print the others individually.
func (v *statusView) writeClone(b *strings.Builder, c *Resource, indent string) {
	var flags []string
	if c.promotable {
		flags = append(flags, "promotable")
	}
	if c.unique {
		flags = append(flags, "unique")
	}
	if isDisabled(c) {
		flags = append(flags, "disabled")
	}
	if !c.managed {
		flags = append(flags, "unmanaged")
	}
	base := c.ID
	if len(c.xml.Children) > 0 {
		base = c.xml.Children[0].ID
	}
	b.WriteString(indent + "* Clone Set: " + c.ID + " [" + base + "]")
	if len(flags) > 0 {
		b.WriteString(" (" + strings.Join(flags, ", ") + ")")
	}
	b.WriteString(":\n")
	inner := indent + "  "

	// Instances print in the order they were created (by instance
	// number), which scheduling may have changed.
	insts := slices.Clone(c.Children)
	slices.SortStableFunc(insts, func(x, y *Resource) int { return cmp.Compare(x.instanceNum, y.instanceNum) })
	var promoted, started []string
	stopped := map[string]string{} // instance id or node name -> state
	for _, inst := range insts {
		full := false
		partial := v.active(inst, false)
		switch {
		case c.unique:
			full = true
		case !partial:
			if !inst.orphan {
				stopped[inst.ID] = "Stopped"
			}
		case anyPrimitive(inst, func(p *Resource) bool { return p.orphan }),
			anyPrimitive(inst, func(p *Resource) bool { return !p.managed }) || !inst.managed,
			anyPrimitive(inst, func(p *Resource) bool { _, _, f := placement(p, v.revised); return f }):
			full = true
		case v.active(inst, true):
			loc := v.location(inst)
			switch {
			case len(loc) != 1: // a group whose members are spread out
				full = true
			case !nodeOnline(loc[0]) && loc[0].Unclean:
				full = true
			case v.state(inst) > RoleUnpromoted:
				promoted = append(promoted, loc[0].Name)
			default:
				started = append(started, loc[0].Name)
			}
		default: // partially active group
			full = true
		}
		if full {
			v.writeResource(b, inst, inner)
		}
	}
	slices.SortFunc(promoted, naturalCompare)
	slices.SortFunc(started, naturalCompare)
	if len(promoted) > 0 {
		b.WriteString(inner + "* Promoted: [ " + strings.Join(promoted, " ") + " ]\n")
	}
	if len(started) > 0 {
		label := "Started"
		if c.promotable {
			label = "Unpromoted"
			if cloneConfiguredRole(c) == RoleUnpromoted {
				label = "Unpromoted (target-role)"
			}
		}
		b.WriteString(inner + "* " + label + ": [ " + strings.Join(started, " ") + " ]\n")
	}

	if active := len(promoted) + len(started); !c.unique && c.cloneMax > active {
		// The Stopped list of an anonymous clone names nodes, not
		// instances: the clone's allowed nodes where nothing of it runs.
		stopped = map[string]string{}
		running := v.runningOn(c)
		state := "Stopped"
		if cloneConfiguredRole(c) == RoleStopped {
			state = "Stopped (disabled)"
		}
		for i, allowed := range c.nodesForStatus {
			n := c.statusNodes[i]
			if !allowed || slices.Contains(running, n) {
				continue
			}
			if res, ok := v.failedProbe(n.Name, c.ID, base); ok {
				stopped[n.Name] = "Stopped (" + res + ")"
			} else {
				stopped[n.Name] = state
			}
		}
	}
	var states []string
	for _, s := range stopped {
		if !slices.Contains(states, s) {
			states = append(states, s)
		}
	}
	slices.Sort(states)
	for _, s := range states {
		var names []string
		for name, st := range stopped {
			if st == s {
				names = append(names, name)
			}
		}
		slices.SortFunc(names, naturalCompare)
		b.WriteString(inner + "* " + s + ": [ " + strings.Join(names, " ") + " ]\n")
	}
}

// statusHeader is what crm_simulate prints before the current status: the
// schema notice, the execution date, the maintenance-mode banner and the count of disabled
// and blocked resource instances.
func (ws *workingSet) statusHeader() string {
	var b strings.Builder
	if ws.opts.validateWith == "none" {
		// cli_config_update's notice for a CIB that opts out of schemas.
		b.WriteString("Schema validation of configuration is disabled (enabling is encouraged and prevents common misconfigurations)\n")
	}
	if ws.executionDate != 0 {
		fmt.Fprintf(&b, "Using the original execution date of: %s\n",
			time.Unix(ws.executionDate, 0).UTC().Format("2006-01-02 15:04:05Z"))
	}
	if ws.opts.maintenanceMode {
		b.WriteString("\n              *** Resource management is DISABLED ***\n")
		b.WriteString("  The cluster will not attempt to start, stop or recover services\n\n")
	}
	total, disabled, blocked := ws.instanceCounts()
	if disabled > 0 || blocked > 0 {
		fmt.Fprintf(&b, "%d of %d resource instances DISABLED and %d BLOCKED from further action due to failure\n", disabled, total, blocked)
	}
	return b.String()
}

// instanceCounts is pe__count_common over every resource: primitives,
// except orphans that are no longer active, and how many of them are
// disabled or blocked.
func (ws *workingSet) instanceCounts() (total, disabled, blocked int) {
	for _, r := range ws.primitives() {
		if r.orphan && len(r.runningOn) == 0 {
			continue
		}
		total++
		if isDisabled(r) {
			disabled++
		}
		if r.blocked {
			blocked++
		}
	}
	return total, disabled, blocked
}

// writeStatus prints the node list and the resource list of an unpacked
// working set, as the "Current cluster status" section shows them.
func (ws *workingSet) writeStatus(b *strings.Builder) {
	writeNodeList(b, ws.snapshotStatus())
	b.WriteString("\n")
	v := statusView{probes: ws.collectFailedProbes()}
	v.writeResources(b, ws.resources)
}

// runningOn is a resource's running_on as native_add_running builds it:
// every node a primitive below it is on, except that an unmanaged
// primitive passes a node up to its parents only if the node is online.
// So a collective resource whose only activity is an unmanaged member on
// a lost node is "running" nowhere.
func (v *statusView) runningOn(c *Resource) []*Node {
	var out []*Node
	walk(c, func(p *Resource) {
		if p.Kind != cib.KindPrimitive {
			return
		}
		nodes, _, _ := placement(p, v.revised)
		for _, n := range nodes {
			if (p == c || p.managed || nodeOnline(n)) && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	})
	return out
}

// naturalCompare is pcmk__numeric_strcasecmp: digit runs compare as
// numbers, the rest case-insensitively.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		if isDigit(a[0]) && isDigit(b[0]) {
			i, j := 0, 0
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			na, nb := strings.TrimLeft(a[:i], "0"), strings.TrimLeft(b[:j], "0")
			if len(na) != len(nb) {
				return cmpInt64(int64(len(na)), int64(len(nb)))
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[i:], b[j:]
			continue
		}
		ca, cb := toLower(a[0]), toLower(b[0])
		if ca != cb {
			return cmpInt64(int64(ca), int64(cb))
		}
		a, b = a[1:], b[1:]
	}
	return cmpInt64(int64(len(a)), int64(len(b)))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func toLower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// CurrentStatus renders "Current cluster status:" as crm_simulate does,
// with the notices crm_simulate prints before it.
func (t *Transition) CurrentStatus() string { return t.current }

// currentStatus renders the current status of a freshly unpacked working
// set, with the notices before it.
func (ws *workingSet) currentStatus() string {
	var b strings.Builder
	b.WriteString(ws.statusHeader())
	b.WriteString("Current cluster status:\n")
	ws.writeStatus(&b)
	return b.String()
}

// RevisedStatus renders "Revised Cluster Status:" for the state after the
// transition has been executed successfully.
func (t *Transition) RevisedStatus() string {
	// The status crm_simulate shows is that of the CIB its execution of
	// the transition graph produced (revise.go).
	if s, ok := t.executedRevisedStatus(); ok {
		return s
	}
	var b strings.Builder
	b.WriteString("Revised Cluster Status:\n")
	writeNodeList(&b, t.revised)
	b.WriteString("\n")
	v := statusView{revised: true, probes: t.ws.collectFailedProbes()}
	v.writeResources(&b, t.rscs)
	return b.String()
}

// Render is the crm_simulate -S layout: current status, Transition
// Summary, executed actions and revised status.
func (t *Transition) Render() string {
	var b strings.Builder
	b.WriteString(t.CurrentStatus())
	b.WriteString("\nTransition Summary:\n")
	b.WriteString(t.SummaryText())
	b.WriteString("\nExecuting Cluster Transition:\n")
	b.WriteString(t.ExecutedText())
	b.WriteString(t.RevisedNotice())
	b.WriteString("\n")
	b.WriteString(t.RevisedStatus())
	return b.String()
}
