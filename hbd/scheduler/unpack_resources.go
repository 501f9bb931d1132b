package scheduler

import (
	"fmt"

	"github.com/hbd-project/hbd/hbd/cib"
)

// unpackResources builds the resource tree (unpack_resources, common_unpack)
// and sorts the top-level list by priority, stably (pe__cmp_rsc_priority).
func (ws *workingSet) unpackResources(c *cib.CIB) error {
	defaults := map[string]string{}
	flattenSets(c.RscDefaults, defaults)
	for _, x := range c.Resources {
		r, err := ws.newResource(x, nil, defaults)
		if err != nil {
			return err
		}
		ws.resources = append(ws.resources, r)
	}
	return nil
}

func (ws *workingSet) newResource(x *cib.Resource, parent *Resource, defaults map[string]string) (*Resource, error) {
	if x.Kind == cib.KindClone {
		if parent != nil {
			return nil, fmt.Errorf("scheduler: clone %s inside %s", x.ID, parent.ID)
		}
		return ws.newClone(x, defaults)
	}
	if _, dup := ws.rscByID[x.ID]; dup {
		return nil, fmt.Errorf("scheduler: resource id %q defined twice", x.ID)
	}
	r := &Resource{
		ID: x.ID, Kind: x.Kind, Parent: parent, xml: x,
		Class: x.Class, Provider: x.Provider, Type: x.Type,
		meta: map[string]string{}, provisional: true,
	}
	ws.rscByID[r.ID] = r
	// get_meta_attributes: own sets, then the parent's values, then
	// rsc_defaults; earlier sources win.
	flattenSets(x.Meta, r.meta)
	if parent != nil {
		for k, v := range parent.meta {
			if _, ok := r.meta[k]; !ok {
				r.meta[k] = v
			}
		}
	}
	for k, v := range defaults {
		if _, ok := r.meta[k]; !ok {
			r.meta[k] = v
		}
	}
	ws.applyMeta(r)
	if ws.opts.symmetric {
		r.allowed = make(nodeTable, len(ws.nodes))
		for i := range r.allowed {
			r.allowed[i] = weight{present: true}
		}
	} else {
		r.allowed = make(nodeTable, len(ws.nodes))
	}
	for _, o := range x.Ops {
		oc := opConfig{name: o.Name, intervalMS: parseIntervalMS(o.Interval), onFail: o.OnFail, enabled: true}
		if o.Enabled != "" && isFalse(o.Enabled) {
			oc.enabled = false
		}
		oc.role, _ = parseRole(o.Role)
		r.ops = append(r.ops, oc)
	}
	for _, cx := range x.Children {
		ch, err := ws.newResource(cx, r, defaults)
		if err != nil {
			return nil, err
		}
		r.Children = append(r.Children, ch)
	}
	return r, nil
}

// applyMeta interprets the meta attributes common_unpack reads.
func (ws *workingSet) applyMeta(r *Resource) {
	m := r.meta
	r.priority = parseScore(m["priority"])
	r.critical = true
	if v, ok := m["critical"]; ok {
		r.critical = isTrue(v)
	}
	r.managed = true
	if v, ok := m["is-managed"]; ok {
		r.managed = isTrue(v)
	}
	if isTrue(m["maintenance"]) || ws.opts.maintenanceMode {
		r.managed = false
	}
	if v, ok := m["resource-stickiness"]; ok && v != "default" {
		r.stickiness = parseScore(v)
	}
	r.migrationThreshold = Infinity
	if v, ok := m["migration-threshold"]; ok && v != "default" {
		r.migrationThreshold = parseScore(v)
		if r.migrationThreshold < 0 {
			r.migrationThreshold = 1
		}
	}
	r.failureTimeout = int(parseIntervalMS(m["failure-timeout"]) / 1000)
	r.isStonith = r.Class == "stonith"
	r.ordered, r.colocated = true, true
	if v, ok := m["ordered"]; ok {
		r.ordered = isTrue(v)
	}
	if v, ok := m["collocated"]; ok {
		r.colocated = isTrue(v)
	}
	r.nextRole = RoleUnknown
	r.targetRole = RoleUnknown
	if v, ok := m["target-role"]; ok {
		// get_target_role: Started (the default) sets nothing; a role above
		// Started only means something in a promotable clone, where
		// Promoted is left to the promotion logic.
		role, ok := parseRole(v)
		switch {
		case !ok, role == RoleStarted:
		case role > RoleStarted && (!r.top().promotable || role > RoleUnpromoted):
		default:
			r.targetRole = role
		}
	}
	if v := m["requires"]; v == "nothing" {
		r.requiresNothing = true
	}
}

// newOrphan creates the resource for history of a resource that is no
// longer configured (create_fake_resource / process_orphan_resource).
func (ws *workingSet) newOrphan(lr *cib.LRMResource) *Resource {
	r := &Resource{
		ID: lr.ID, Kind: cib.KindPrimitive, Class: lr.Class, Provider: lr.Provider, Type: lr.Type,
		meta: map[string]string{}, provisional: true, orphan: true, managed: true, critical: true,
		migrationThreshold: Infinity, nextRole: RoleUnknown,
		allowed: make(nodeTable, len(ws.nodes)),
	}
	r.isStonith = r.Class == "stonith"
	if !ws.opts.stopOrphans || ws.opts.maintenanceMode {
		r.managed = false
	}
	// The orphan may not run anywhere: "__orphan_do_not_run__".
	for i := range r.allowed {
		r.allowed[i] = weight{present: true, score: -Infinity}
	}
	// An orphan may share its id with a configured group or clone, which
	// keeps the id for lookups.
	if _, taken := ws.rscByID[r.ID]; !taken {
		ws.rscByID[r.ID] = r
	}
	ws.resources = append(ws.resources, r)
	return r
}

// walk calls f for r and every descendant, parents first.
func walk(r *Resource, f func(*Resource)) {
	f(r)
	for _, c := range r.Children {
		walk(c, f)
	}
}

// primitives lists every primitive in tree order (cached once the
// resource list is complete).
func (ws *workingSet) primitives() []*Resource {
	if ws.prims != nil && ws.primsFor == len(ws.resources) {
		return ws.prims
	}
	var out []*Resource
	var walk func(r *Resource)
	walk = func(r *Resource) {
		if r.Kind == cib.KindPrimitive {
			out = append(out, r)
		}
		for _, c := range r.Children {
			walk(c)
		}
	}
	for _, r := range ws.resources {
		walk(r)
	}
	ws.prims, ws.primsFor = out, len(ws.resources)
	return out
}
