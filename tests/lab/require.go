package lab

import (
	"errors"
	"os"
	"os/exec"
	"testing"
)

// errNotRoot is returned by New when the lab cannot run at all.
var errNotRoot = errors.New("the lab needs root (network and mount namespaces)")

// Paths of the Debian heartbeat 3.0.6 programs the lab drives.
const (
	HeartbeatBinary = "/usr/libexec/heartbeat/heartbeat"
	ClStatusBinary  = "/usr/bin/cl_status"
)

// Require skips the test unless it runs as root and every named program
// (looked up in PATH, or an absolute path) exists. The lab always needs ip,
// unshare and nsenter; pass extra ones such as "tcpdump" or
// HeartbeatBinary.
func Require(t testing.TB, programs ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipping: " + errNotRoot.Error())
	}
	for _, p := range append([]string{"ip", "unshare", "nsenter"}, programs...) {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("skipping: %s not available: %v", p, err)
		}
	}
}
