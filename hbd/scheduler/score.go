package scheduler

import (
	"math"
	"strconv"
	"strings"
)

// Infinity is Pacemaker's CRM_SCORE_INFINITY: scores saturate at ±Infinity.
const Infinity = 1000000

// parseScore is char2score (lib/common/scores.c): INFINITY words, the
// node-health colour names (0 by default), otherwise a leading integer
// (junk parses as 0), clamped to ±Infinity.
func parseScore(s string) int {
	switch s {
	case "":
		return 0
	case "INFINITY", "+INFINITY":
		return Infinity
	case "-INFINITY":
		return -Infinity
	case "red", "yellow", "green":
		return 0
	}
	return clampScore(scanLeadingInt(s))
}

// scanLeadingInt parses an optional sign and decimal digits from the start
// of s and ignores the rest, like strtoll.
func scanLeadingInt(s string) int64 {
	s = strings.TrimLeft(s, " \t\n")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i {
		return 0
	}
	v, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil {
		if s[0] == '-' {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return v
}

func clampScore(v int64) int {
	if v >= Infinity {
		return Infinity
	}
	if v <= -Infinity {
		return -Infinity
	}
	return int(v)
}

// addScores is pcmk__add_scores: -INFINITY wins over everything, then
// +INFINITY, otherwise the clamped sum.
func addScores(a, b int) int {
	if a <= -Infinity || b <= -Infinity {
		return -Infinity
	}
	if a >= Infinity || b >= Infinity {
		return Infinity
	}
	return clampScore(int64(a) + int64(b))
}

// scoreString is pcmk_readable_score.
func scoreString(s int) string {
	switch {
	case s >= Infinity:
		return "INFINITY"
	case s <= -Infinity:
		return "-INFINITY"
	}
	return strconv.Itoa(s)
}

// isTrue is crm_is_true / crm_str_to_boolean.
func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "true", "on", "yes", "y", "1":
		return true
	}
	return false
}

// isFalse reports whether s is one of crm_str_to_boolean's false words.
func isFalse(s string) bool {
	switch strings.ToLower(s) {
	case "false", "off", "no", "n", "0":
		return true
	}
	return false
}
