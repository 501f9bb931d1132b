package cib

import "fmt"

func (p *parser) status(st *element) error {
	for _, e := range st.children {
		switch e.name {
		case "node_state":
		case "tickets":
			if len(e.children) > 0 {
				p.unsupported(e, "tickets")
			}
			continue
		default:
			continue // status-1.0.rng accepts anything; Pacemaker ignores it
		}
		ns := NodeState{
			ID: e.attr("id"), Uname: e.attr("uname"), InCCM: e.attr("in_ccm"), Crmd: e.attr("crmd"),
			Join: e.attr("join"), Expected: e.attr("expected"), Shutdown: e.attr("shutdown"),
		}
		if ns.ID == "" {
			// unpack_node_history skips node_state entries without an id.
			continue
		}
		if e.attr("remote_node") == "true" {
			p.unsupported(e, "remote node state")
		}
		for _, ch := range e.children {
			switch ch.name {
			case "transient_attributes":
				for _, set := range ch.children {
					if set.name != "instance_attributes" {
						continue
					}
					s, err := p.nvset(set)
					if err != nil {
						return err
					}
					ns.Transient = append(ns.Transient, s.Pairs...)
				}
			case "lrm":
				if rs := ch.child("lrm_resources"); rs != nil {
					for _, r := range rs.children {
						if r.name != "lrm_resource" {
							continue
						}
						lr := LRMResource{
							ID: r.attr("id"), Class: r.attr("class"), Provider: r.attr("provider"),
							Type: r.attr("type"), Container: r.attr("container"),
						}
						if lr.ID == "" {
							return fmt.Errorf("cib: line %d: <lrm_resource> without id", r.line)
						}
						if lr.Container != "" {
							p.unsupported(r, "resource container")
						}
						for _, o := range r.children {
							if o.name != "lrm_rsc_op" {
								continue
							}
							lr.Ops = append(lr.Ops, LRMOp{
								ID: o.attr("id"), OperationKey: o.attr("operation_key"),
								Operation: o.attr("operation"), CallID: o.attr("call-id"),
								RCCode: o.attr("rc-code"), OpStatus: o.attr("op-status"),
								Interval: o.attr("interval"), TransitionKey: o.attr("transition-key"),
								TransitionMagic: o.attr("transition-magic"),
								LastRCChange:    o.attr("last-rc-change"), LastRun: o.attr("last-run"),
								ExitReason: o.attr("exit-reason"), OpDigest: o.attr("op-digest"),
								OnNode:          o.attr("on_node"),
								OpRestartDigest: o.attr("op-restart-digest"),
								OpForceRestart:  o.attr("op-force-restart"),
								HasOpDigest:     o.hasAttr("op-digest"),
								HasRestart:      o.hasAttr("op-restart-digest"),
								OpSecureParams:  o.attr("op-secure-params"),
								OpSecureDigest:  o.attr("op-secure-digest"),
								HasSecure:       o.hasAttr("op-secure-digest"),
								FeatureSet:      o.attr("crm_feature_set"),
							})
						}
						ns.Resources = append(ns.Resources, lr)
					}
				}
			}
		}
		p.c.Status = append(p.c.Status, ns)
	}
	return nil
}
