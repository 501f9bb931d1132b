package hacf

import (
	"math"
	"strconv"
	"strings"
)

// The byte sets heartbeat splits on (heartbeat.h). Note that '\v' is in
// neither: heartbeat treats it as an ordinary character, and so do we.
const (
	whitespace = " \t\n\r\f"
	delims     = ", \t\n\r\f"
)

// maxMsec is the largest time hbd accepts, in ms: the most a time.Duration
// can hold. heartbeat's long could hold more, but no sane ha.cf comes near.
const maxMsec = math.MaxInt64 / 1_000_000

// getMsec mirrors cl_get_msec: "[ws] number [ws] [unit]" where number is a
// run of digits and dots read with atof, no unit means seconds, a unit
// starting with "ms" means milliseconds and one starting with "us"
// microseconds (case-insensitive, anything may follow those two letters),
// and any other suffix is invalid. The result is rounded half up to ms.
// It returns -1 for invalid input, as heartbeat does.
func getMsec(s string) int64 {
	s = strings.TrimLeft(s, whitespace)
	numLen := len(s) - len(strings.TrimLeft(s, "0123456789."))
	if numLen == 0 && s != "" {
		return -1
	}
	units := strings.TrimLeft(s[numLen:], whitespace)
	mult, div := 1000.0, 1.0
	switch {
	case hasPrefixFold(units, "ms"):
		mult = 1
	case hasPrefixFold(units, "us"):
		mult, div = 1, 1000
	case units != "":
		return -1
	}
	v := atof(s[:numLen])*mult/div + 0.5
	if v >= maxMsec+1 {
		// heartbeat's (long) cast would wrap to a negative value here, or
		// the ms would not fit a time.Duration: either way, invalid.
		return -1
	}
	return int64(v)
}

// atof parses the longest prefix of s (digits and dots only) that strtod
// would take: digits, optionally a dot and more digits. No digits gives 0.
func atof(s string) float64 {
	end := strings.IndexByte(s, '.')
	if end >= 0 {
		if next := strings.IndexByte(s[end+1:], '.'); next >= 0 {
			s = s[:end+1+next]
		}
	}
	if s == "" || s == "." {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil { // only a huge exponent-free number can get here: +Inf
		return math.Inf(1)
	}
	return v
}

// atoi mirrors glibc atoi, i.e. (int)strtol(s, NULL, 10): leading
// isspace() bytes, an optional sign, then digits; no digits gives 0, and
// overflow saturates at the long limits before the cast to int truncates.
func atoi(s string) int32 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v uint64
	overflow := false
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v > (math.MaxUint64-9)/10 {
			overflow = true
			break
		}
		v = v*10 + uint64(s[i]-'0')
	}
	var l int64
	switch {
	case neg && (overflow || v > 1<<63):
		l = math.MinInt64
	case neg:
		l = -int64(v)
	case overflow || v > math.MaxInt64:
		l = math.MaxInt64
	default:
		l = int64(v)
	}
	return int32(l)
}

// parseBool mirrors cl_str_to_boolean (ASCII case-insensitive).
func parseBool(s string) (val, ok bool) {
	for _, t := range []string{"true", "on", "yes", "y", "1"} {
		if equalFold(s, t) {
			return true, true
		}
	}
	for _, f := range []string{"false", "off", "no", "n", "0"} {
		if equalFold(s, f) {
			return false, true
		}
	}
	return false, false
}

// equalFold is strcasecmp()==0: ASCII only, unlike strings.EqualFold,
// which would also match e.g. the Kelvin sign against 'k'.
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerByte(a[i]) != lowerByte(b[i]) {
			return false
		}
	}
	return true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && equalFold(s[:len(prefix)], prefix)
}

func lowerByte(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// asciiLower mirrors inplace_ascii_strdown, used on every node name.
func asciiLower(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lowerByte(b[i])
	}
	return string(b)
}

// nextToken skips leading bytes in sep and returns the next token made of
// bytes not in sep, and the rest after it (strspn/strcspn style).
func nextToken(s, sep string) (tok, rest string) {
	s = strings.TrimLeft(s, sep)
	if i := strings.IndexAny(s, sep); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// fields splits s into all its sep-separated tokens.
func fields(s, sep string) []string {
	var out []string
	for {
		var tok string
		tok, s = nextToken(s, sep)
		if tok == "" {
			return out
		}
		out = append(out, tok)
	}
}
