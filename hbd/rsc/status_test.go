package rsc

import (
	"os/exec"
	"strings"
	"testing"
)

var statusTexts = []string{
	"",
	"running",
	"Running",
	"RUNNING", // not [Rr]unning
	"foo is running.",
	"not running",
	"Not running",
	"NOT   running",
	"foo is not currently running",
	"notrunning", // the glob needs the space after "not"
	"not\nrunning",
	"stopped",
	"OK",
	"ok",
	"BROKEN", // contains "OK": heartbeat calls this running
	"status: OK\n",
	"Running OK",
	"line one\nfoo is not running\n",
	"nothing to see",
}

// TestStatusTextMatchesShell runs we_own_resource's case statement in a
// real shell on every sample and checks the Go translation agrees.
func TestStatusTextMatchesShell(t *testing.T) {
	const weOwn = `case "$1" in
*[Nn][Oo][Tt]\ *[Rr]unning*) echo stopped;;
*[Rr]unning*|*OK*) echo running;;
*) echo stopped;;
esac`
	for _, text := range statusTexts {
		out, err := exec.Command("sh", "-c", weOwn, "sh", text).Output()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSpace(string(out))
		got, err := judgeStatus(StatusTextOnly, text, 0)
		if err != nil {
			t.Errorf("%q: %v", text, err)
		}
		if got.String() != want {
			t.Errorf("%q: Go says %v, sh says %s", text, got, want)
		}
	}
}

func TestJudgeStatusExitCode(t *testing.T) {
	tests := []struct {
		text string
		code int
		rule StatusRule
		want State
	}{
		// Text wins under both rules, whatever the exit code.
		{"foo is running", 3, StatusTextThenExitCode, Running},
		{"foo is not running", 0, StatusTextThenExitCode, Stopped},
		// Silent LSB scripts.
		{"stopped", 0, StatusTextThenExitCode, Stopped},
		{"Stopped.", 1, StatusTextThenExitCode, Stopped},
		{"", 3, StatusTextThenExitCode, Stopped},
		{"", 0, StatusTextThenExitCode, Unknown}, // never Running on a bare 0
		{"", 1, StatusTextThenExitCode, Unknown},
		{"usage: foo start|stop", 2, StatusTextThenExitCode, Unknown},
		{"", 0, StatusTextOnly, Stopped},
		{"", 4, StatusTextOnly, Stopped},
	}
	for _, tc := range tests {
		got, err := judgeStatus(tc.rule, tc.text, tc.code)
		if got != tc.want {
			t.Errorf("%v %q exit %d: got %v, want %v", tc.rule, tc.text, tc.code, got, tc.want)
		}
		if (err != nil) != (got == Unknown) {
			t.Errorf("%v %q exit %d: state %v with error %v", tc.rule, tc.text, tc.code, got, err)
		}
	}
}
