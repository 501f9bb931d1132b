package scheduler

import (
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

// location is resource_location: add score to node n (all nodes when n is
// nil) in r's table and, recursively, its children's.
func (ws *workingSet) location(r *Resource, n *Node, score int) {
	if n == nil {
		for _, nn := range ws.nodes {
			ws.nodeScore(r, nn, score)
		}
		if score <= -Infinity && r.allocatedTo != nil {
			r.allocatedTo = nil
		}
		return
	}
	ws.nodeScore(r, n, score)
}

// nodeScore is resource_node_score.
func (ws *workingSet) nodeScore(r *Resource, n *Node, score int) {
	for _, c := range r.Children {
		ws.nodeScore(c, n, score)
	}
	w := &r.allowed[n.index]
	if !w.present {
		*w = weight{present: true}
	}
	w.score = addScores(w.score, score)
}

// locationConstraint is an unpacked rsc_location: the resource, the
// per-node scores it contributes and an optional role filter.
type locationConstraint struct {
	id     string
	rsc    *Resource
	role   Role
	scores []nodeScorePair
}

type nodeScorePair struct {
	node  *Node
	score int
}

// unpackLocation is unpack_rsc_location / generate_location_rule.
func (ws *workingSet) unpackLocation(l *cib.Location) {
	r := ws.rscByID[l.Rsc]
	if r == nil {
		return // config error in Pacemaker: constraint ignored
	}
	lc := &locationConstraint{id: l.ID, rsc: r}
	if len(l.Rules) == 0 {
		// Simple form: the role is honoured only here, and only Promoted
		// filters.
		if role, _ := parseRole(l.Role); role == RolePromoted {
			lc.role = role
		}
		n := ws.nodeByName[l.Node]
		if n == nil {
			return
		}
		lc.scores = append(lc.scores, nodeScorePair{n, parseScore(l.Score)})
		ws.locations = append(ws.locations, lc)
		return
	}
	for _, rule := range l.Rules {
		rc := &locationConstraint{id: l.ID, rsc: r}
		if role, _ := parseRole(rule.Role); role == RolePromoted {
			rc.role = role
		}
		score := parseScore(rule.Score)
		for _, n := range ws.nodes {
			if ws.ruleMatches(rule, n) {
				rc.scores = append(rc.scores, nodeScorePair{n, score})
			}
		}
		ws.locations = append(ws.locations, rc)
	}
}

// applyLocation is pcmk__apply_location (and the group variant, which
// gives later members of a colocated group the nodes at score 0).
func (ws *workingSet) applyLocation(r *Resource, lc *locationConstraint, zero bool) {
	if r.Kind == cib.KindClone {
		ws.applyLocationToTable(r, lc, zero)
		for _, c := range r.Children {
			ws.applyLocation(c, lc, zero)
		}
		return
	}
	if r.Kind == cib.KindGroup {
		ws.applyLocationToTable(r, lc, zero)
		reset := r.colocated
		z := zero
		for _, c := range r.Children {
			ws.applyLocation(c, lc, z)
			if reset {
				reset = false
				z = true
			}
		}
		return
	}
	ws.applyLocationToTable(r, lc, zero)
}

func (ws *workingSet) applyLocationToTable(r *Resource, lc *locationConstraint, zero bool) {
	if lc.role != RoleUnknown && lc.role != r.nextRole {
		return
	}
	for _, p := range lc.scores {
		s := p.score
		if zero {
			s = 0
		}
		w := &r.allowed[p.node.index]
		if !w.present {
			*w = weight{present: true, score: s}
		} else {
			w.score = addScores(w.score, s)
		}
	}
}

// ruleMatches evaluates a location rule against a node's attributes
// (pe_test_rule with boolean-op and/or).
func (ws *workingSet) ruleMatches(rule *cib.Rule, n *Node) bool {
	or := strings.EqualFold(rule.BooleanOp, "or")
	empty := true
	for i := range rule.Expressions {
		empty = false
		ok := exprMatches(&rule.Expressions[i], n)
		if or && ok {
			return true
		}
		if !or && !ok {
			return false
		}
	}
	for _, sub := range rule.Rules {
		empty = false
		ok := ws.ruleMatches(sub, n)
		if or && ok {
			return true
		}
		if !or && !ok {
			return false
		}
	}
	if empty {
		return true
	}
	return !or
}

// exprMatches is pe__eval_attr_expr (expression_eval), for node attributes.
func exprMatches(e *cib.Expression, n *Node) bool {
	val, defined := n.attrs[e.Attribute]
	switch e.Operation {
	case "defined":
		return defined
	case "not_defined":
		return !defined
	}
	if !defined {
		// A missing attribute compares only with "ne".
		return e.Operation == "ne"
	}
	c, ok := compareValues(val, e.Value, e.Type)
	if !ok {
		return e.Operation == "ne"
	}
	switch e.Operation {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "lt":
		return c < 0
	case "lte":
		return c <= 0
	case "gt":
		return c > 0
	case "gte":
		return c >= 0
	}
	return false
}

// compareValues is compare_attr_expr_vals: the type defaults to number
// when either value looks like a decimal, integer when both parse as
// integers, otherwise string; a value that fails to parse as the chosen
// numeric type falls back to string comparison.
func compareValues(l, r, typ string) (int, bool) {
	typ = strings.ToLower(typ)
	if typ == "" {
		if strings.Contains(l, ".") || strings.Contains(r, ".") {
			typ = "number"
		} else if _, e1 := strconv.ParseInt(l, 10, 64); e1 == nil {
			if _, e2 := strconv.ParseInt(r, 10, 64); e2 == nil {
				typ = "integer"
			}
		}
		if typ == "" {
			typ = "string"
		}
	}
	switch typ {
	case "integer":
		a, e1 := parseLeadingInt(l)
		b, e2 := parseLeadingInt(r)
		if e1 && e2 {
			return cmpInt64(a, b), true
		}
	case "number":
		a, e1 := strconv.ParseFloat(strings.TrimSpace(l), 64)
		b, e2 := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if e1 == nil && e2 == nil {
			switch {
			case a < b:
				return -1, true
			case a > b:
				return 1, true
			}
			return 0, true
		}
	case "version":
		return compareVersions(l, r), true
	}
	return compareStringsFold(l, r), true
}

// parseLeadingInt is pcmk__scan_ll: leading integer, junk after it allowed
// (a decimal like "2.5" parses as 2).
func parseLeadingInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0, false
	}
	v, err := strconv.ParseInt(s[:j], 10, 64)
	return v, err == nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareStringsFold(a, b string) int {
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// compareVersions is compare_version: dot-separated integers.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		var x, y int64
		if i < len(pa) {
			x, _ = parseLeadingInt(pa[i])
		}
		if i < len(pb) {
			y, _ = parseLeadingInt(pb[i])
		}
		if c := cmpInt64(x, y); c != 0 {
			return c
		}
	}
	return 0
}
