package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// execTimeout bounds Exec so that a hung tool fails the test instead of
// hanging it until go test's global timeout (which skips all cleanup).
const execTimeout = 60 * time.Second

// Exec runs a command inside the node's network namespace and returns its
// combined output.
func (n *Node) Exec(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	return n.ExecContext(ctx, args...)
}

// ExecContext is Exec with a caller-supplied deadline.
func (n *Node) ExecContext(ctx context.Context, args ...string) (string, error) {
	if err := CheckNotRootNetns(n.NS); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.NS}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %s: %w: %s", n.Name, strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

// Ping sends one echo request to addr and waits at most 2 s for the reply.
// The deadline is the lab's own because ping's timeout options differ
// between iputils-ping and inetutils-ping (which lingers 10 s).
func (n *Node) Ping(addr netip.Addr) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := n.ExecContext(ctx, "ping", "-n", "-c", "1", "-W", "1", addr.String())
	return err
}

// Eventually calls f every 200 ms until it returns nil or timeout has
// passed, and returns f's last error.
func Eventually(timeout time.Duration, f func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Proc is a background process started by the lab. Its stdout and stderr
// go to LogPath. Close kills it by PID if it still runs.
type Proc struct {
	Name    string
	LogPath string

	cmd   *exec.Cmd
	done  chan struct{}
	err   error    // from Wait, valid after done
	extra []string // more log files to show when a test fails
}

// Start runs a command in the background inside the node's network
// namespace. name labels the log file (<lab dir>/<node>/<name>.log).
func (n *Node) Start(name string, args ...string) (*Proc, error) {
	return n.lab.start(n, name, append([]string{"ip", "netns", "exec", n.NS}, args...), nil)
}

// start runs argv (which must enter n's namespace itself) with env (nil:
// inherit) and registers it for Close.
func (l *Lab) start(n *Node, name string, argv, env []string) (*Proc, error) {
	if err := CheckNotRootNetns(n.NS); err != nil {
		return nil, err
	}
	dir := filepath.Join(l.Dir, n.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	logPath, err := uniquePath(dir, name, ".log")
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer f.Close() // the child has its own copy

	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	// Same process group as go test on purpose: a ^C on the terminal then
	// kills the lab's processes too (the namespaces are reaped by the next
	// New, see sweepStale).
	cmd.Stdout, cmd.Stderr = f, f

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("start %s: lab is closed", name)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s in %s: %w", name, n.NS, err)
	}
	p := &Proc{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	l.procs = append(l.procs, p)
	return p, nil
}

// uniquePath returns dir/base+ext, or dir/base-N+ext if that exists.
func uniquePath(dir, base, ext string) (string, error) {
	for i := 0; i < 1000; i++ {
		p := filepath.Join(dir, base+ext)
		if i > 0 {
			p = filepath.Join(dir, fmt.Sprintf("%s-%d%s", base, i, ext))
		}
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p, nil
		}
	}
	return "", fmt.Errorf("no free file name for %s in %s", base, dir)
}

// PID is the process ID of the started command (ip netns exec execs it, so
// this is the command itself).
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Signal sends sig to the process unless it has exited.
func (p *Proc) Signal(sig syscall.Signal) error {
	if p.Exited() {
		return fmt.Errorf("%s: already exited: %v", p.Name, p.err)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s: signal %v: %w", p.Name, sig, err)
	}
	return nil
}

// Exited reports whether the process has terminated.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to timeout for the process to exit and returns its exit
// error (nil for status 0).
func (p *Proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s: still running after %v", p.Name, timeout)
	}
}

// Stop sends SIGTERM and waits up to timeout, then kills.
func (p *Proc) Stop(timeout time.Duration) error {
	if p.Exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		p.kill()
		return fmt.Errorf("%s: did not stop within %v after SIGTERM, killed", p.Name, timeout)
	}
}

// kill SIGKILLs the process and reaps it.
func (p *Proc) kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Log returns the process output so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// WaitLog waits until a line of the process output matches pattern and
// returns that line.
func (p *Proc) WaitLog(pattern string, timeout time.Duration) (string, error) {
	return waitFile(p.LogPath, pattern, timeout)
}

func (p *Proc) logFiles() []string { return append([]string{p.LogPath}, p.extra...) }

// waitFile polls path until one of its lines matches pattern.
func waitFile(path, pattern string, timeout time.Duration) (string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", fmt.Errorf("wait for %q: %w", pattern, err)
	}
	deadline := time.Now().Add(timeout)
	for {
		b, _ := os.ReadFile(path) // may not exist yet
		for line := range strings.Lines(string(b)) {
			if re.MatchString(line) {
				return strings.TrimRight(line, "\n"), nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no line matching %q in %s within %v", pattern, path, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
