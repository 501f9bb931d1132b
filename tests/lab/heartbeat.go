package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Heartbeat is a real Debian heartbeat 3.0.6 running as a lab node.
type Heartbeat struct {
	Node      *Node
	Dir       string // <lab dir>/<node>: ha.d, varlib, log
	LogFile   string // heartbeat's logfile (info and up)
	DebugFile string // heartbeat's debugfile (everything)

	*nodeNS // Exec, Running, Wait, Output
}

// StartHeartbeat starts the real heartbeat in the foreground (-f, plus
// args) as node n, with cfg written to <lab dir>/<node>/ha.d:
//
//   - ip netns exec: n's network namespace;
//   - unshare --uts: hostname = n.Name;
//   - unshare --mount: <dir>/ha.d bind-mounted over /etc/ha.d, a per-node
//     /var/lib/heartbeat (hb_uuid, hb_generation, hostcache, fifo; kept
//     across restarts of the node), a tmpfs /run and an empty /etc/init.d;
//   - unshare --pid --kill-child --mount-proc: killing the lab's process
//     kills every heartbeat process, and heartbeat's emergency "pkill -9
//     heartbeat" and "reboot -nf" can reach nothing outside the namespace.
//
// The call returns once heartbeat runs, or has already exited (a rejected
// config: see Wait and Output); use WaitLog or ClStatus to wait for cluster
// states. A node runs one cluster daemon at a time.
func (l *Lab) StartHeartbeat(n *Node, cfg Config, args ...string) (*Heartbeat, error) {
	if n == nil || n.ports == nil {
		return nil, errors.New("start heartbeat: not a lab node")
	}
	hb := &Heartbeat{Node: n, Dir: filepath.Join(l.Dir, n.Name)}
	if err := l.claimNode(n, hb); err != nil {
		return nil, fmt.Errorf("start heartbeat: %w", err)
	}
	logDir := filepath.Join(hb.Dir, "log")
	hb.LogFile, hb.DebugFile = filepath.Join(logDir, "ha-log"), filepath.Join(logDir, "ha-debug")

	dirs := nodeDirs{
		haD:    filepath.Join(hb.Dir, "ha.d"),
		varlib: filepath.Join(hb.Dir, "varlib"),
		initd:  filepath.Join(hb.Dir, "initd"),
	}
	if err := os.RemoveAll(dirs.haD); err != nil {
		return nil, fmt.Errorf("start heartbeat on %s: %w", n.Name, err)
	}
	if err := writeHaDir(dirs.haD, logDir, cfg); err != nil {
		return nil, fmt.Errorf("start heartbeat on %s: %w", n.Name, err)
	}
	d, err := l.startInNodeNS(n, "heartbeat", dirs, append([]string{HeartbeatBinary, "-f"}, args...))
	if err != nil {
		return nil, fmt.Errorf("start heartbeat on %s: %w", n.Name, err)
	}
	d.proc.extra = []string{hb.LogFile, filepath.Join(logDir, "rsc.log")}
	hb.nodeNS = d
	return hb, nil
}

// ClStatus runs cl_status inside the node and returns its trimmed
// standard output. A non-zero exit status (1: node dead or heartbeat
// stopped, 11: bad parameter, …) is an error wrapping *exec.ExitError.
func (hb *Heartbeat) ClStatus(args ...string) (string, error) {
	out, err := hb.Exec(append([]string{ClStatusBinary}, args...)...)
	return strings.TrimSpace(out), err
}

// MCP returns the host PID of heartbeat's master control process, read
// from /run/heartbeat.pid inside the node (it changes when heartbeat
// re-execs and daemonizes). It waits up to 5 s for the pidfile.
func (hb *Heartbeat) MCP() (int, error) {
	pidfile := fmt.Sprintf("/proc/%d/root/run/heartbeat.pid", hb.initPID)
	deadline := time.Now().Add(5 * time.Second)
	for {
		b, err := os.ReadFile(pidfile)
		if err == nil {
			nsPID, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				return 0, fmt.Errorf("%s: bad /run/heartbeat.pid %q", hb.Node.Name, b)
			}
			pid, err := hostPIDOf(hb.initPID, nsPID)
			if err == nil {
				return pid, checkPIDInNetns(pid, hb.Node.NS)
			}
		}
		if hb.proc.Exited() {
			return 0, fmt.Errorf("%s: heartbeat is not running", hb.Node.Name)
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%s: no live master control process in /run/heartbeat.pid", hb.Node.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill sends sig to the master control process: SIGTERM for a graceful
// stop, SIGHUP to reload, SIGKILL for a crash of heartbeat (its children
// notice and exit by themselves; PowerOff kills the whole node at once).
func (hb *Heartbeat) Kill(sig syscall.Signal) error {
	pid, err := hb.MCP()
	if err != nil {
		return err
	}
	return hb.signal(pid, sig)
}

// Log returns heartbeat's logfile so far.
func (hb *Heartbeat) Log() string {
	b, _ := os.ReadFile(hb.LogFile)
	return string(b)
}

// WaitLog waits until a line of heartbeat's logfile matches pattern and
// returns that line.
func (hb *Heartbeat) WaitLog(pattern string, timeout time.Duration) (string, error) {
	return waitFile(hb.LogFile, pattern, timeout)
}
