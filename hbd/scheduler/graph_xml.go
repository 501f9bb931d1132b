package scheduler

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/hbd-project/hbd/hbd/cib"
)

// ErrNoGraph is returned by WriteGraph for a Transition that was not
// produced by ScheduleWith.
var ErrNoGraph = errors.New("scheduler: transition has no graph")

// WriteGraph writes the transition graph as crm_simulate -G saves it
// (pcmk__create_graph's <transition_graph> XML, pretty-printed by libxml2
// with two-space indentation).
func (t *Transition) WriteGraph(w io.Writer) error {
	if t.sim == nil {
		return ErrNoGraph
	}
	bw := bufio.NewWriter(w)
	t.sim.graph.writeXML(bw)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("scheduler: writing transition graph: %w", err)
	}
	return nil
}

// xmlAttr is one attribute, written in the order given.
type xmlAttr struct{ name, value string }

func (g *transitionGraph) writeXML(w *bufio.Writer) {
	head := []xmlAttr{
		{"cluster-delay", g.clusterDelay},
		{"stonith-timeout", g.stonithTimeout},
		{"failed-stop-offset", "INFINITY"},
		{"failed-start-offset", "1"},
		{"batch-limit", g.batchLimit},
		{"transition_id", "0"},
	}
	if g.startFailureFatal {
		head[3].value = "INFINITY"
	}
	if ms := parseScore(g.migrationLimit); ms > 0 {
		head = append(head, xmlAttr{"migration-limit", g.migrationLimit})
	}
	if g.recheckBy > 0 {
		head = append(head, xmlAttr{"recheck-by", strconv.FormatInt(g.recheckBy, 10)})
	}
	if len(g.synapses) == 0 {
		writeEmpty(w, "", "transition_graph", head)
		return
	}
	writeOpen(w, "", "transition_graph", head)
	for _, s := range g.synapses {
		attrs := []xmlAttr{{"id", strconv.Itoa(s.id)}}
		if s.priority > 0 {
			attrs = append(attrs, xmlAttr{"priority", strconv.Itoa(s.priority)})
		}
		writeOpen(w, "  ", "synapse", attrs)
		writeOpen(w, "    ", "action_set", nil)
		g.writeAction(w, "      ", s.action, false)
		writeClose(w, "    ", "action_set")
		if len(s.inputs) == 0 {
			writeEmpty(w, "    ", "inputs", nil)
		} else {
			writeOpen(w, "    ", "inputs", nil)
			for _, in := range s.inputs {
				writeOpen(w, "      ", "trigger", nil)
				g.writeAction(w, "        ", in, true)
				writeClose(w, "      ", "trigger")
			}
			writeClose(w, "    ", "inputs")
		}
		writeClose(w, "  ", "synapse")
	}
	writeClose(w, "", "transition_graph")
}

// writeAction is create_graph_action: the element's own attributes, and
// unless skipDetails (an input), the resource, the attributes in effect
// and the nodes the action brings down.
func (g *transitionGraph) writeAction(w *bufio.Writer, indent string, a *action, skipDetails bool) {
	tag := graphElement(a)
	attrs := []xmlAttr{{"id", strconv.Itoa(graphActionID(a))}, {"operation", a.task}, {"operation_key", graphKey(a)}}
	if a.rsc != nil && a.rsc.cloneName != "" {
		attrs = append(attrs, xmlAttr{"internal_operation_key", a.key()})
	}
	if graphHasNode(a) {
		attrs = append(attrs, xmlAttr{"on_node", a.node.Name}, xmlAttr{"on_node_uuid", a.node.ID})
	}
	if skipDetails {
		writeEmpty(w, indent, tag, attrs)
		return
	}
	writeOpen(w, indent, tag, attrs)
	inner := indent + "  "
	if a.rsc != nil && !a.pseudo {
		id, long := primitiveID(a.rsc)
		pattrs := []xmlAttr{{"id", id}}
		if long != "" {
			pattrs = append(pattrs, xmlAttr{"long-id", long})
		}
		pattrs = append(pattrs, xmlAttr{"class", a.rsc.Class})
		if a.rsc.Provider != "" {
			pattrs = append(pattrs, xmlAttr{"provider", a.rsc.Provider})
		}
		pattrs = append(pattrs, xmlAttr{"type", a.rsc.Type})
		writeEmpty(w, inner, "primitive", pattrs)
	}
	writeAttributes(w, inner, g.actionAttributes(a))
	if graphHasNode(a) && (a.task == "do_shutdown" || (a.task == "stonith" && a.fenceType != "on")) {
		writeOpen(w, inner, "downed", nil)
		writeEmpty(w, inner+"  ", "node", []xmlAttr{{"id", a.node.ID}})
		writeClose(w, inner, "downed")
	}
	writeClose(w, indent, tag)
}

// actionAttributes is add_action_attributes: the feature set, the
// resource's parameters, the action's meta-attributes (CRM_meta_*) and
// the clone's, sorted by name.
func (g *transitionGraph) actionAttributes(a *action) []xmlAttr {
	m := map[string]string{"crm_feature_set": g.featureSet}
	if a.rsc != nil && a.rsc.Kind == cib.KindPrimitive && a.rsc.xml != nil {
		// The resource's parameters, then those its group or clone sets
		// for names it leaves unset (get_rsc_attributes recurses to the
		// parent); the operation's own instance attributes
		// (action->extra) are written first, so the resource's
		// overwrite them.
		params := map[string]string{}
		for p := a.rsc; p != nil; p = p.Parent {
			if p.xml != nil {
				flattenSets(p.xml.Instance, params)
			}
		}
		if op := g.findOpConfig(a); op != nil {
			flattenSets(op.Instance, params)
		}
		for k, v := range params {
			m[k] = v
		}
	}
	meta := g.actionMeta(a)
	for k, v := range meta {
		if strings.ContainsAny(k, "#:") {
			continue // cluster-generated node attributes (hash2metafield)
		}
		m[metaName(k)] = v
	}
	if a.rsc != nil {
		for p := a.rsc; p != nil; p = p.Parent {
			g.addGraphMeta(p, m)
		}
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	out := make([]xmlAttr, len(names))
	for i, k := range names {
		out[i] = xmlAttr{k, m[k]}
	}
	return out
}

// metaName is crm_meta_name: CRM_meta_ prefix, dashes to underscores.
func metaName(k string) string { return "CRM_meta_" + strings.ReplaceAll(k, "-", "_") }

// actionMeta is the action's meta table as unpack_operation and the
// graph producer fill it.
func (g *transitionGraph) actionMeta(a *action) map[string]string {
	meta := map[string]string{}
	if graphHasNode(a) {
		meta["on_node"] = a.node.Name
		meta["on_node_uuid"] = a.node.ID
	}
	switch {
	case a.task == "stonith":
		meta["stonith_action"] = a.fenceType
		for k, v := range a.node.attrs {
			meta[k] = v
		}
		return meta
	case a.task == "clear_failcount":
		meta["op_no_wait"] = "true"
	case a.task == "cancel":
		// pcmk__new_cancel_action names the operation it cancels.
		meta["operation"] = a.cancelTask
		if a.cancelCallID != "" {
			meta["call_id"] = a.cancelCallID
		}
	case a.rsc == nil:
		// An action without a resource never goes through
		// unpack_operation, so it gets no timeout; the shutdown request
		// is not waited for (sched_shutdown_op).
		if a.task == "do_shutdown" {
			meta["op_no_wait"] = "true"
		}
		maps.Copy(meta, a.notifyMeta)
		return meta
	}
	meta["timeout"] = strconv.FormatInt(g.defaultTimeoutMS(), 10)
	maps.Copy(meta, a.notifyMeta)
	if a.rsc == nil || a.rsc.xml == nil {
		return meta
	}
	op := g.findOpConfig(a)
	if a.task == "monitor" && a.intervalMS == 0 && (op == nil || op.Timeout == "") {
		// A probe without its own timeout borrows the shortest-interval
		// monitor's.
		if mon := minIntervalMonitor(a.rsc.xml); mon != nil && mon.Timeout != "" {
			meta["timeout"] = strconv.FormatInt(parseIntervalMS(mon.Timeout), 10)
		}
	}
	if op != nil {
		meta["name"] = op.Name
		if op.Role != "" {
			meta["role"] = op.Role
		}
		if op.OnFail != "" {
			meta["on-fail"] = op.OnFail
		}
		if op.Enabled != "" {
			meta["enabled"] = op.Enabled
		}
		if op.Timeout != "" {
			meta["timeout"] = strconv.FormatInt(parseIntervalMS(op.Timeout), 10)
		}
		if op.StartDelay != "" {
			// unpack_start_delay stores the delay in milliseconds.
			meta["start-delay"] = strconv.FormatInt(parseIntervalMS(op.StartDelay), 10)
		}
		// Only meta_attributes are action options here: the <op>'s
		// instance_attributes are agent parameters (action->extra).
		extra := map[string]string{}
		flattenSets(opMetaOnly(op), extra)
		for k, v := range extra {
			meta[k] = v
		}
	}
	if a.intervalMS > 0 {
		meta["interval"] = intervalString(a.intervalMS)
	}
	if a.task == "monitor" {
		if rc := targetRC(a); rc != ocfOK {
			meta["op_target_rc"] = strconv.Itoa(rc)
		}
	}
	return meta
}

// defaultTimeoutMS is the timeout of an action without its own: the
// op_defaults timeout, else 20 seconds.
func (g *transitionGraph) defaultTimeoutMS() int64 {
	if v, ok := g.opDefaults["timeout"]; ok {
		if ms := parseIntervalMS(v); ms > 0 {
			return ms
		}
	}
	return 20000
}

// findOpConfig is pcmk__find_action_config: the configured <op> with the
// action's name and interval.
func (g *transitionGraph) findOpConfig(a *action) *cib.Op {
	task := a.opTask()
	for i := range a.rsc.xml.Ops {
		op := &a.rsc.xml.Ops[i]
		if op.Name == task && parseIntervalMS(op.Interval) == a.intervalMS {
			return op
		}
	}
	return nil
}

// minIntervalMonitor is find_min_interval_mon: the enabled recurring
// monitor with the shortest interval.
func minIntervalMonitor(x *cib.Resource) *cib.Op {
	var best *cib.Op
	var bestMS int64
	for i := range x.Ops {
		op := &x.Ops[i]
		ms := parseIntervalMS(op.Interval)
		if op.Name != "monitor" || ms <= 0 || (op.Enabled != "" && !isTrue(op.Enabled)) {
			continue
		}
		if best == nil || ms < bestMS {
			best, bestMS = op, ms
		}
	}
	return best
}

// addGraphMeta is the resource variants' add_graph_meta: an instance's
// number, and a clone's uniqueness, notification and instance limits.
func (g *transitionGraph) addGraphMeta(r *Resource, m map[string]string) {
	switch r.Kind {
	case cib.KindPrimitive:
		if cloneOf(r) != nil && r.Parent != nil && r.Parent.Kind == cib.KindClone {
			m[metaName("clone")] = strconv.Itoa(r.instanceNum)
		}
	case cib.KindGroup:
		if c := cloneOf(r); c != nil && r.Parent == c {
			m[metaName("clone")] = strconv.Itoa(r.instanceNum)
		}
	case cib.KindClone:
		m[metaName("globally-unique")] = strconv.FormatBool(r.unique)
		m[metaName("notify")] = strconv.FormatBool(isTrue(r.meta["notify"]))
		m[metaName("clone-max")] = strconv.Itoa(r.cloneMax)
		m[metaName("clone-node-max")] = strconv.Itoa(r.cloneNodeMax)
		if r.promotable {
			m[metaName("promoted-max")] = strconv.Itoa(r.promotedMax)
			m[metaName("promoted-node-max")] = strconv.Itoa(r.promotedNodeMax)
			m[metaName("master-max")] = strconv.Itoa(r.promotedMax)
			m[metaName("master-node-max")] = strconv.Itoa(r.promotedNodeMax)
		}
	}
}

func writeOpen(w *bufio.Writer, indent, tag string, attrs []xmlAttr) {
	writeTag(w, indent, tag, attrs)
	w.WriteString(">\n")
}

// writeAttributes writes an action's <attributes>. A parameter whose name
// is not a valid XML name (lsb resources converted from haresources have
// parameters "1", "2", …) cannot be an attribute: Pacemaker's
// hash2smartfield writes it as a <param name= value=> child instead.
func writeAttributes(w *bufio.Writer, indent string, attrs []xmlAttr) {
	var plain, params []xmlAttr
	for _, a := range attrs {
		if validXMLName(a.name) {
			plain = append(plain, a)
		} else {
			params = append(params, a)
		}
	}
	if len(params) == 0 {
		writeEmpty(w, indent, "attributes", plain)
		return
	}
	writeOpen(w, indent, "attributes", plain)
	for _, p := range params {
		writeEmpty(w, indent+"  ", "param", []xmlAttr{{"name", p.name}, {"value", p.value}})
	}
	writeClose(w, indent, "attributes")
}

// validXMLName reports whether s can be an XML attribute name.
func validXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == ':' || unicode.IsLetter(r):
		case i > 0 && (r == '-' || r == '.' || unicode.IsDigit(r)):
		default:
			return false
		}
	}
	return true
}

func writeEmpty(w *bufio.Writer, indent, tag string, attrs []xmlAttr) {
	writeTag(w, indent, tag, attrs)
	w.WriteString("/>\n")
}

func writeClose(w *bufio.Writer, indent, tag string) {
	w.WriteString(indent + "</" + tag + ">\n")
}

func writeTag(w *bufio.Writer, indent, tag string, attrs []xmlAttr) {
	w.WriteString(indent + "<" + tag)
	for _, a := range attrs {
		w.WriteString(" " + a.name + "=\"")
		w.WriteString(escapeAttr(a.value))
		w.WriteString("\"")
	}
}

// escapeAttr escapes an attribute value the way libxml2 serialises it.
func escapeAttr(s string) string {
	if !strings.ContainsAny(s, "&<>\"\n\r\t") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\n':
			b.WriteString("&#10;")
		case '\r':
			b.WriteString("&#13;")
		case '\t':
			b.WriteString("&#9;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// opMetaOnly is an <op>'s meta_attributes sets: its Meta less the sets
// that are also in Instance.
func opMetaOnly(op *cib.Op) []cib.NVSet {
	var out []cib.NVSet
	for _, s := range op.Meta {
		if !slices.ContainsFunc(op.Instance, func(i cib.NVSet) bool { return i.ID == s.ID }) {
			out = append(out, s)
		}
	}
	return out
}
