package rsc

import (
	"fmt"
	"regexp"
)

// StatusRule is how a heartbeat/LSB script's "status" output is judged.
type StatusRule int

const (
	// StatusTextThenExitCode (the default) applies heartbeat's text rule;
	// when the text matches neither of its patterns, "stopped" (what
	// heartbeat's own OCF wrappers print) is Stopped, and otherwise the LSB
	// status exit code decides: 3 is Stopped, anything else (a silent 0
	// included) is Unknown.
	StatusTextThenExitCode StatusRule = iota
	// StatusTextOnly is heartbeat's we_own_resource exactly: the exit code
	// is ignored and text matching neither pattern is Stopped.
	StatusTextOnly
)

func (r StatusRule) String() string {
	switch r {
	case StatusTextThenExitCode:
		return "text-then-exit-code"
	case StatusTextOnly:
		return "text-only"
	}
	return fmt.Sprintf("StatusRule(%d)", int(r))
}

// The patterns of we_own_resource's case statement, translated from shell
// globs: the leading and trailing "*" make them unanchored, the "*" after
// "not " matches anything (newlines included, hence (?s)), and the case
// letters are exactly those of the globs: "RUNNING" is not "[Rr]unning".
// The "not running" branch comes first in the case, so it wins.
var (
	notRunningText = regexp.MustCompile(`(?s)[Nn][Oo][Tt] .*[Rr]unning`)
	runningText    = regexp.MustCompile(`[Rr]unning|OK`)
	// stoppedText is hbd's addition, consulted only after both.
	stoppedText = regexp.MustCompile(`[Ss]topped`)
)

// judgeStatus applies rule to a status run that completed (the script ran
// and exited by itself) with the given stdout and exit code.
func judgeStatus(rule StatusRule, stdout string, code int) (State, error) {
	switch {
	case notRunningText.MatchString(stdout):
		return Stopped, nil
	case runningText.MatchString(stdout):
		return Running, nil
	case rule == StatusTextOnly:
		return Stopped, nil
	case stoppedText.MatchString(stdout), code == lsbStatusStopped:
		return Stopped, nil
	}
	return Unknown, fmt.Errorf("status printed none of \"running\", \"not running\", \"stopped\" and exited %d (%s)",
		code, lsbStatusMeaning(code))
}
