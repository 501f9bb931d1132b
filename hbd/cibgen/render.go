package cibgen

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Schema and feature set of every generated CIB: the newest that Debian's
// Pacemaker 2.1.5 knows (a newer crm_feature_set makes crm_simulate abort,
// pacemaker-engine.md §2.1).
const (
	ValidateWith = "pacemaker-3.9"
	FeatureSet   = "3.16.1"
	// defaultMonitorTimeoutMS is the monitor timeout unless a resource
	// sets one (Pacemaker's default action timeout is also 20 s).
	defaultMonitorTimeoutMS = 20000
)

// XML renders the cluster as a CIB document.
func (c *Cluster) XML() []byte {
	var b bytes.Buffer
	if err := c.WriteXML(&b); err != nil {
		panic(err) // bytes.Buffer writes do not fail
	}
	return b.Bytes()
}

// WriteXML writes the cluster as a CIB document to w.
func (c *Cluster) WriteXML(w io.Writer) error {
	quorum := "0"
	if c.HaveQuorum {
		quorum = "1"
	}
	dc := ""
	for _, n := range c.Nodes {
		if n.Online {
			dc = n.ID
			break
		}
	}
	date := ""
	if c.ExecutionDate != 0 {
		date = strconv.FormatInt(c.ExecutionDate, 10)
	}
	if c.EmptyStatus {
		dc = ""
	}
	root := el("cib", "validate-with", ValidateWith, "crm_feature_set", FeatureSet,
		"epoch", "1", "num_updates", "0", "admin_epoch", "0", "have-quorum", quorum,
		"dc-uuid", dc, "execution-date", date)
	conf := el("configuration")
	root.add(conf, c.status())

	conf.add(el("crm_config").add(nvset("cluster_property_set", "cib-bootstrap-options", c.Options)))
	nodes := el("nodes")
	for _, n := range c.Nodes {
		var attrs []NV
		if n.Standby {
			attrs = append(attrs, NV{"standby", "on"})
		}
		nodes.add(el("node", "id", n.ID, "uname", n.Name, "type", "member").
			add(nvset("instance_attributes", "nodes-"+n.ID, attrs)))
	}
	conf.add(nodes)
	rscs := el("resources")
	for _, r := range c.Resources {
		rscs.add(r.element())
	}
	conf.add(rscs)
	cons := el("constraints")
	for _, l := range c.Locations {
		if !l.Rule {
			cons.add(el("rsc_location", "id", l.ID, "rsc", l.Rsc, "role", l.Role, "node", l.Node, "score", l.Score))
			continue
		}
		cons.add(el("rsc_location", "id", l.ID, "rsc", l.Rsc).add(
			el("rule", "id", l.ID+"-rule", "score", l.Score, "role", l.Role).add(
				el("expression", "id", l.ID+"-expr", "attribute", "#uname", "operation", "eq", "value", l.Node))))
	}
	for _, o := range c.Colocations {
		cons.add(el("rsc_colocation", "id", o.ID, "rsc", o.Rsc, "with-rsc", o.WithRsc, "score", o.Score,
			"rsc-role", o.RscRole, "with-rsc-role", o.WithRscRole))
	}
	for _, o := range c.Orders {
		cons.add(el("rsc_order", "id", o.ID, "first", o.First, "then", o.Then, "kind", o.Kind,
			"symmetrical", o.Symmetrical))
	}
	conf.add(cons)
	if len(c.RscDefaults) > 0 {
		conf.add(el("rsc_defaults").add(nvset("meta_attributes", "rsc-options", c.RscDefaults)))
	}
	if _, err := io.WriteString(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"); err != nil {
		return err
	}
	return root.write(w)
}

func (r *Resource) element() *elem {
	var e *elem
	switch r.Kind {
	case Primitive:
		e = el("primitive", "id", r.ID, "class", r.Class, "provider", r.Provider, "type", r.Type)
		e.add(nvset("instance_attributes", r.ID+"-instance_attributes", r.Params))
	case Group:
		e = el("group", "id", r.ID)
	case Clone:
		e = el("clone", "id", r.ID)
	}
	e.add(nvset("meta_attributes", r.ID+"-meta_attributes", r.Meta))
	if r.Kind == Primitive && r.Monitor > 0 {
		monitor := func(interval int, role string) *elem {
			return el("op", "id", fmt.Sprintf("%s-monitor-interval-%d", r.ID, interval),
				"name", "monitor", "interval", strconv.Itoa(interval)+"ms", "role", role,
				"timeout", strconv.Itoa(r.monitorTimeout())+"ms")
		}
		if r.PromotedMonitor > 0 {
			e.add(el("operations").add(monitor(r.PromotedMonitor, "Promoted"), monitor(r.Monitor, "Unpromoted")))
		} else {
			e.add(el("operations").add(monitor(r.Monitor, "")))
		}
	}
	for _, ch := range r.Children {
		e.add(ch.element())
	}
	return e
}

// status renders node_state entries with the operation history and fail
// counts. Every record carries the op-digest Pacemaker would have stored, so
// the scheduler sees no parameter change ("Restart … due to resource
// definition change", pacemaker-engine.md §4.1 item 2).
func (c *Cluster) status() *elem {
	st := el("status")
	if c.EmptyStatus {
		return st
	}
	for _, n := range c.Nodes {
		if !n.Online {
			st.add(el("node_state", "id", n.ID, "uname", n.Name, "in_ccm", "false",
				"crmd", "offline", "join", "down", "expected", "down"))
			continue
		}
		ns := el("node_state", "id", n.ID, "uname", n.Name, "in_ccm", "true",
			"crmd", "online", "join", "member", "expected", "member")
		attrs := slices.Clone(n.Transient)
		for _, f := range n.FailCounts {
			key := fmt.Sprintf("%s#%s_%d", f.Rsc, f.Op, f.IntervalMS)
			attrs = append(attrs, NV{"fail-count-" + key, f.Count},
				NV{"last-failure-" + key, strconv.FormatInt(f.LastFailure, 10)})
		}
		if len(attrs) > 0 {
			ns.add(el("transient_attributes", "id", n.ID).add(nvset("instance_attributes", "status-"+n.ID, attrs)))
		}
		if len(n.History) > 0 {
			lrms := el("lrm_resources")
			call := 0
			for _, h := range n.History {
				lrms.add(c.lrmResource(h, &call))
			}
			ns.add(el("lrm", "id", n.ID).add(lrms))
		}
		st.add(ns)
	}
	return st
}

// lrmResource renders one primitive's history on a node. call numbers the
// node's operations (call-id), which is how Pacemaker orders the history.
func (c *Cluster) lrmResource(h History, call *int) *elem {
	r := h.Rsc
	e := el("lrm_resource", "id", r.ID, "class", r.Class, "provider", r.Provider, "type", r.Type)
	op := func(id, task string, interval, rc, targetRC int) *elem {
		*call++
		key := fmt.Sprintf("%d:-1:%d:%s", *call, targetRC, transitionUUID)
		return el("lrm_rsc_op", "id", id, "operation_key", fmt.Sprintf("%s_%s_%d", r.ID, task, interval),
			"operation", task, "crm-debug-origin", "hbd-cibgen", "crm_feature_set", FeatureSet,
			"transition-key", key, "transition-magic", fmt.Sprintf("0:%d;%s", rc, key),
			"exit-reason", "", "call-id", strconv.Itoa(*call), "rc-code", strconv.Itoa(rc),
			"op-status", "0", "interval", strconv.Itoa(interval),
			"last-rc-change", strconv.FormatInt(c.ExecutionDate-600+int64(*call), 10),
			"exec-time", "0", "queue-time", "0", "op-digest", opDigest(r, interval))
	}
	switch h.State {
	case Probed:
		e.add(op(r.ID+"_last_0", "monitor", 0, 7, 7))
	case Running:
		e.add(op(r.ID+"_last_0", "start", 0, 0, 0))
		if r.Monitor > 0 {
			e.add(op(fmt.Sprintf("%s_monitor_%d", r.ID, r.Monitor), "monitor", r.Monitor, 0, 0))
		}
	case MonitorFailed:
		e.add(op(r.ID+"_last_0", "start", 0, 0, 0))
		e.add(op(fmt.Sprintf("%s_monitor_%d", r.ID, r.Monitor), "monitor", r.Monitor, 7, 0))
		e.add(op(r.ID+"_last_failure_0", "monitor", r.Monitor, 7, 0))
	case Promoted:
		// The promote is the last op; the Promoted monitor returns 8. The
		// digests are those of plain ops: they do not cover the role.
		e.add(op(r.ID+"_last_0", "promote", 0, 0, 0))
		e.add(op(fmt.Sprintf("%s_monitor_%d", r.ID, r.PromotedMonitor), "monitor", r.PromotedMonitor, 8, 8))
	case StartFailed:
		e.add(op(r.ID+"_last_0", "start", 0, 1, 0))
		e.add(op(r.ID+"_last_failure_0", "start", 0, 1, 0))
	}
	return e
}

// transitionUUID stands in for the DC's transition UUID, as crm_simulate's
// own injected history does.
const transitionUUID = "00000000-0000-0000-0000-000000000000"

// opDigest is the op-digest Pacemaker 2.1.5 records: the MD5 of the
// operation's parameters serialised as " <parameters a="1" b="2"/>\n"
// (libxml's unformatted dump with attributes sorted by name). A recurring
// operation also carries its timeout as CRM_meta_timeout. Verified against
// the digests crm_simulate writes.
func opDigest(r *Resource, intervalMS int) string {
	params := slices.Clone(r.Params)
	if intervalMS > 0 {
		params = append(params, NV{"CRM_meta_timeout", strconv.Itoa(r.monitorTimeout())})
	}
	slices.SortFunc(params, func(a, b NV) int { return strings.Compare(a.Name, b.Name) })
	var b strings.Builder
	b.WriteString(" <parameters")
	for _, p := range params {
		b.WriteString(" " + p.Name + `="`)
		xml.EscapeText(&b, []byte(p.Value))
		b.WriteString(`"`)
	}
	b.WriteString("/>\n")
	sum := md5.Sum([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}
