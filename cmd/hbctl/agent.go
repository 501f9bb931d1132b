package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/hbd-project/hbd/hbd/vip"
	"github.com/spf13/pflag"
)

func init() {
	register("agent", "run a built-in resource agent (IPaddr, IPaddr2, IPv6addr, SendArp) as heartbeat's resource.d scripts do", runAgent)
}

// defaultStateDir is where SendArp records that it was started, as
// heartbeat's SendArp does under HA_RSCTMP.
const defaultStateDir = "/run/hbd/rsctmp"

// Exit codes of heartbeat's resource scripts: LSB for start, stop and
// status (IPaddr: "echo stopped; return 3"), OCF for monitor (the 3.0.6
// wrappers run the OCF agent's monitor, which returns 7 when stopped).
const (
	exitOK         = 0
	exitFailed     = 1
	exitUsage      = 2
	exitStopped    = 3 // LSB status: not running
	exitStatusErr  = 4 // LSB status: unknown
	exitNotRunning = 7 // OCF monitor: not running
)

func agentUsage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintln(w, `usage: hbctl agent [OPTIONS] AGENT ARG start|stop|status|monitor

heartbeat's resource.d calling convention, e.g.
  hbctl agent IPaddr 10.0.0.1/24/eth0 start
  hbctl agent IPaddr2 10.0.0.1/24/eth0:web status
  hbctl agent IPv6addr 2001:db8::10/64 stop
  hbctl agent SendArp 10.0.0.1/eth0 start

status prints "running" (exit 0) or "stopped" (exit 3); monitor exits 0
or 7. start stays until its gratuitous ARP burst is over.

options:`)
	fs.PrintDefaults()
}

func runAgent(args []string, stdout, stderr io.Writer) int {
	flags := pflag.NewFlagSet("agent", pflag.ContinueOnError)
	flags.SetOutput(stderr)
	// Options come before the agent: its arguments are heartbeat's and
	// may in principle start with "-".
	flags.SetInterspersed(false)
	confDir := flags.String("conf-dir", vip.DefaultConfDir, "directory of arp_config and arp_config:IFACE")
	stateDir := flags.String("state-dir", defaultStateDir, "where SendArp records that it is started")
	quiet := flags.BoolP("quiet", "q", false, "log warnings and errors only")
	flags.Usage = func() { agentUsage(stderr, flags) }
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return exitOK
		}
		fmt.Fprintf(stderr, "hbctl agent: %v\n", err)
		return exitUsage
	}
	rest := flags.Args()
	if len(rest) != 3 {
		fmt.Fprintf(stderr, "hbctl agent: want AGENT ARG OPERATION, got %d arguments\n", len(rest))
		agentUsage(stderr, flags)
		return exitUsage
	}
	agent, arg, op := rest[0], rest[1], rest[2]
	switch op {
	case "start", "stop", "status", "monitor":
	default:
		fmt.Fprintf(stderr, "hbctl agent %s: unknown operation %q (start, stop, status, monitor)\n", agent, op)
		return exitUsage
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})).With("agent", agent)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := agentRun{op: op, stdout: stdout, stderr: stderr, log: log}
	switch agent {
	case vip.IPaddr, vip.IPaddr2, vip.IPv6addr:
		spec, err := vip.ParseSpec(agent, arg)
		if err != nil {
			fmt.Fprintf(stderr, "hbctl agent: %v\n", err)
			return exitUsage
		}
		return a.ip(ctx, spec, *confDir)
	case vip.SendArp:
		ip, nic, err := vip.ParseSendArpArg(arg)
		if err != nil {
			fmt.Fprintf(stderr, "hbctl agent: %v\n", err)
			return exitUsage
		}
		state := filepath.Join(*stateDir, "SendArp-"+ip.String())
		return a.sendArp(ctx, state, func(m *vip.Manager) error { return m.SendArp(ctx, ip, nic) }, *confDir)
	}
	fmt.Fprintf(stderr, "hbctl agent: unknown agent %q (IPaddr, IPaddr2, IPv6addr, SendArp)\n", agent)
	return exitUsage
}

// agentRun is one invocation.
type agentRun struct {
	op             string
	stdout, stderr io.Writer
	log            *slog.Logger
}

// manager returns a Manager for this process's network namespace. Every
// burst rechecks that the address is still there: once this process has
// returned, nothing can tell it that a stop removed the address.
func (a agentRun) manager(confDir string) (*vip.Manager, error) {
	return vip.New(vip.Options{ConfDir: confDir, Recheck: true, Logger: a.log})
}

func (a agentRun) fail(err error) int {
	fmt.Fprintf(a.stderr, "hbctl agent: %v\n", err)
	return exitFailed
}

// ip runs an IP agent's operation.
func (a agentRun) ip(ctx context.Context, spec vip.Spec, confDir string) int {
	m, err := a.manager(confDir)
	if err != nil {
		return a.fail(err)
	}
	defer m.Close()
	switch a.op {
	case "start":
		if err := m.Start(ctx, spec); err != nil {
			return a.fail(err)
		}
		if err := m.Wait(ctx); err != nil {
			a.log.Warn("announcement cut short", "err", err)
		}
		return exitOK
	case "stop":
		if err := m.Stop(ctx, spec); err != nil {
			return a.fail(err)
		}
		return exitOK
	}
	up, err := m.Status(spec)
	return a.report(up, err)
}

// report prints heartbeat's status words, which are what heartbeat's
// ResourceManager reads: it matches "running" (not "not running") on
// stdout and ignores the exit code.
func (a agentRun) report(up bool, err error) int {
	switch {
	case err != nil:
		fmt.Fprintln(a.stdout, "unknown")
		fmt.Fprintf(a.stderr, "hbctl agent: %v\n", err)
		if a.op == "monitor" {
			return exitFailed
		}
		return exitStatusErr
	case up:
		fmt.Fprintln(a.stdout, "running")
		return exitOK
	case a.op == "monitor":
		fmt.Fprintln(a.stdout, "stopped")
		return exitNotRunning
	}
	fmt.Fprintln(a.stdout, "stopped")
	return exitStopped
}

// sendArp runs SendArp: a pseudo resource, "running" between start and
// stop, whatever the address does (heartbeat's SendArp keeps a state file
// for the same reason: the address it announces belongs to someone else).
func (a agentRun) sendArp(ctx context.Context, state string, send func(*vip.Manager) error, confDir string) int {
	switch a.op {
	case "start":
		if err := os.MkdirAll(filepath.Dir(state), 0o755); err != nil {
			return a.fail(fmt.Errorf("SendArp state: %w", err))
		}
		m, err := a.manager(confDir)
		if err != nil {
			return a.fail(err)
		}
		defer m.Close()
		if err := send(m); err != nil {
			return a.fail(err)
		}
		if err := os.WriteFile(state, nil, 0o644); err != nil {
			return a.fail(fmt.Errorf("SendArp state: %w", err))
		}
		if err := m.Wait(ctx); err != nil {
			a.log.Warn("announcement cut short", "err", err)
		}
		return exitOK
	case "stop":
		if err := os.Remove(state); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return a.fail(fmt.Errorf("SendArp state: %w", err))
		}
		return exitOK
	}
	_, err := os.Stat(state)
	if errors.Is(err, fs.ErrNotExist) {
		return a.report(false, nil)
	}
	if err != nil {
		err = fmt.Errorf("SendArp state: %w", err)
	}
	return a.report(err == nil, err)
}
