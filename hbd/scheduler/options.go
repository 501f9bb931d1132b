package scheduler

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/cib"
)

type noQuorumPolicy int

const (
	noQuorumStop noQuorumPolicy = iota
	noQuorumIgnore
	noQuorumFreeze
	noQuorumDemote
	noQuorumSuicide
)

// options are the cluster options the scheduler reads (unpack_config).
type options struct {
	stonithEnabled      bool
	symmetric           bool
	noQuorum            noQuorumPolicy
	haveQuorum          bool
	maintenanceMode     bool
	stopAll             bool
	startupFencing      bool
	stopOrphans         bool
	startupProbes       bool // enable-startup-probes
	stopOrphanActions   bool // stop-orphan-actions
	haveStonithResource bool
	now                 int64  // execution-date, 0 when unknown
	validateWith        string // the CIB's schema, "none" when validation is off
}

// flattenSets is pe__unpack_dataset_nvpairs without rules: sets are taken
// in descending score order (stable, so document order breaks ties) and the
// first value of a name wins.
func flattenSets(sets []cib.NVSet, into map[string]string) {
	idx := make([]int, len(sets))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(parseScore(sets[b].Score), parseScore(sets[a].Score))
	})
	for _, i := range idx {
		for _, p := range sets[i].Pairs {
			if _, ok := into[p.Name]; !ok {
				into[p.Name] = p.Value
			}
		}
	}
}

func unpackOptions(c *cib.CIB) options {
	m := map[string]string{}
	flattenSets(c.CRMConfig, m)
	boolOpt := func(name string, def bool) bool {
		v, ok := m[name]
		if !ok {
			return def
		}
		return isTrue(v)
	}
	o := options{
		stonithEnabled:    boolOpt("stonith-enabled", true),
		symmetric:         boolOpt("symmetric-cluster", true),
		maintenanceMode:   boolOpt("maintenance-mode", false),
		stopAll:           boolOpt("stop-all-resources", false),
		startupFencing:    boolOpt("startup-fencing", true),
		stopOrphans:       boolOpt("stop-orphan-resources", true),
		startupProbes:     boolOpt("enable-startup-probes", true),
		stopOrphanActions: boolOpt("stop-orphan-actions", true),
	}
	switch strings.ToLower(m["no-quorum-policy"]) {
	case "ignore":
		o.noQuorum = noQuorumIgnore
	case "freeze":
		o.noQuorum = noQuorumFreeze
	case "demote":
		o.noQuorum = noQuorumDemote
	case "suicide":
		o.noQuorum = noQuorumSuicide
	}
	// cib.c: have-quorum is crm_is_true of the attribute; absent means no.
	o.haveQuorum = isTrue(c.HaveQuorum)
	o.validateWith = c.ValidateWith
	if c.ExecutionDate != "" {
		if v, err := strconv.ParseInt(c.ExecutionDate, 10, 64); err == nil {
			o.now = v
		}
	}
	return o
}

// unsupportedOptions lists cluster options whose non-default values hbd
// does not implement.
func unsupportedOptions(c *cib.CIB) []string {
	m := map[string]string{}
	flattenSets(c.CRMConfig, m)
	var out []string
	if v, ok := m["placement-strategy"]; ok && v != "default" {
		out = append(out, "placement-strategy="+v)
	}
	if v, ok := m["node-health-strategy"]; ok && v != "none" {
		out = append(out, "node-health-strategy="+v)
	}
	if v, ok := m["shutdown-lock"]; ok && isTrue(v) {
		out = append(out, "shutdown-lock")
	}
	return out
}

// parseIntervalMS is crm_parse_interval_spec: a bare number is seconds,
// otherwise a number with a unit (ms, s, m/min, h/hr); ISO 8601 durations
// are not accepted here.
func parseIntervalMS(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	if s[0] == 'P' {
		return parseISODurationMS(s)
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0
	}
	switch strings.TrimSpace(strings.ToLower(s[i:])) {
	case "", "s", "sec":
		return n * 1000
	case "ms", "msec":
		return n
	case "m", "min":
		return n * 60000
	case "h", "hr":
		return n * 3600000
	case "us", "usec":
		return n / 1000
	}
	return 0
}

// parseISODurationMS is crm_parse_interval_spec's ISO 8601 branch: an
// interval such as "P30S" or "PT1H30M" is a duration ("P[nY][nM][nW][nD]
// [T[nH][nM][nS]]", a year taken as 365 days and a month as 30); anything
// malformed is 0.
func parseISODurationMS(s string) int64 {
	var total int64
	inTime := false
	num := ""
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
			num += string(c)
			continue
		case c == 'T' && num == "":
			inTime = true
			continue
		}
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0
		}
		num = ""
		var unit int64
		switch {
		case c == 'Y' && !inTime:
			unit = 365 * 86400
		case c == 'M' && !inTime:
			unit = 30 * 86400
		case c == 'W' && !inTime:
			unit = 7 * 86400
		case c == 'D' && !inTime:
			unit = 86400
		case c == 'H':
			unit = 3600
		case c == 'M':
			unit = 60
		case c == 'S':
			unit = 1
		default:
			return 0
		}
		total += n * unit * 1000
	}
	if num != "" {
		return 0
	}
	return total
}
