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
	haveStonithResource bool
	now                 int64 // execution-date, 0 when unknown
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
		stonithEnabled:  boolOpt("stonith-enabled", true),
		symmetric:       boolOpt("symmetric-cluster", true),
		maintenanceMode: boolOpt("maintenance-mode", false),
		stopAll:         boolOpt("stop-all-resources", false),
		startupFencing:  boolOpt("startup-fencing", true),
		stopOrphans:     boolOpt("stop-orphan-resources", true),
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
