package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Hbd is an hbd daemon running as a lab node.
type Hbd struct {
	Node     *Node
	ConfDir  string // hbd's -c: the node's ha.d
	StateDir string // --state-dir; kept across restarts of the node
	RunDir   string // --run-dir
	LogFile  string // the logfile named in ha.cf

	*nodeNS // Exec, Running, Wait, Output
}

// writeFiles lays out and writes an hbd node's directories under dir
// (normally <lab dir>/<node>): the config is rewritten, state and run
// directories are kept if they exist.
func (h *Hbd) writeFiles(dir string, cfg Config) error {
	h.ConfDir = filepath.Join(dir, "hbd", "ha.d")
	h.StateDir = filepath.Join(dir, "hbd", "state")
	h.RunDir = filepath.Join(dir, "hbd", "run")
	logDir := filepath.Join(dir, "log")
	h.LogFile = filepath.Join(logDir, "ha-log")
	if err := os.RemoveAll(h.ConfDir); err != nil {
		return fmt.Errorf("hbd config: %w", err)
	}
	if err := writeHaDir(h.ConfDir, logDir, cfg); err != nil {
		return fmt.Errorf("hbd config: %w", err)
	}
	for _, d := range []string{h.StateDir, h.RunDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("hbd dirs: %w", err)
		}
	}
	return nil
}

// StartHbd starts binary (bin/hbd of this repository when empty; see
// HbdBinary) as node n:
//
//	hbd -c CONFDIR --state-dir DIR --run-dir DIR --node NAME [args]
//
// in the same namespaces as StartHeartbeat gives a real node: its network
// namespace, hostname n.Name, CONFDIR also mounted over /etc/ha.d (stock
// scripts source /etc/ha.d/shellfuncs), a private /var/lib/heartbeat, tmpfs
// /run and an empty /etc/init.d, inside a PID namespace that ends with the
// lab. So resource scripts run by hbd see the same world as under
// heartbeat, and nothing they do (or a reboot) reaches the host. A node
// runs one cluster daemon at a time.
func (l *Lab) StartHbd(n *Node, cfg Config, binary string, args ...string) (*Hbd, error) {
	if n == nil || n.ports == nil {
		return nil, errors.New("start hbd: not a lab node")
	}
	if binary == "" {
		var err error
		if binary, err = HbdBinary(); err != nil {
			return nil, fmt.Errorf("start hbd on %s: %w", n.Name, err)
		}
	}
	if _, err := os.Stat(binary); err != nil {
		return nil, fmt.Errorf("start hbd on %s: %w (run make first)", n.Name, err)
	}
	h := &Hbd{Node: n}
	if err := l.claimNode(n, h); err != nil {
		return nil, fmt.Errorf("start hbd: %w", err)
	}
	if err := h.writeFiles(filepath.Join(l.Dir, n.Name), cfg); err != nil {
		return nil, fmt.Errorf("start hbd on %s: %w", n.Name, err)
	}
	dirs := nodeDirs{
		haD:    h.ConfDir,
		varlib: filepath.Join(l.Dir, n.Name, "hbd", "varlib"),
		initd:  filepath.Join(l.Dir, n.Name, "initd"),
	}
	d, err := l.startInNodeNS(n, "hbd", dirs, append([]string{binary,
		"-c", h.ConfDir, "--state-dir", h.StateDir, "--run-dir", h.RunDir, "--node", n.Name}, args...))
	if err != nil {
		return nil, fmt.Errorf("start hbd on %s: %w", n.Name, err)
	}
	d.proc.extra = []string{h.LogFile}
	h.nodeNS = d
	return h, nil
}

// HbdBinary returns bin/hbd of the module containing the working
// directory (go test runs in the package directory, inside the module).
func HbdBinary() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find bin/hbd: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "bin", "hbd"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find bin/hbd: no go.mod above the working directory")
		}
		dir = parent
	}
}

// PID returns the daemon's process ID.
func (h *Hbd) PID() int { return h.mainPID }

// Kill sends sig to the daemon.
func (h *Hbd) Kill(sig syscall.Signal) error { return h.signal(h.mainPID, sig) }

// Log returns the logfile named in ha.cf.
func (h *Hbd) Log() string {
	b, _ := os.ReadFile(h.LogFile)
	return string(b)
}

// WaitLog waits until a line of the logfile matches pattern.
func (h *Hbd) WaitLog(pattern string, timeout time.Duration) (string, error) {
	return waitFile(h.LogFile, pattern, timeout)
}
