// Command hbd is the daemon: a drop-in replacement for heartbeat 3.0.6 that
// reads /etc/ha.d/ha.cf, authkeys and haresources unchanged.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/hbd-project/hbd/hbd"
	"github.com/hbd-project/hbd/hbd/asynclog"
)

type options struct {
	confDir, stateDir, runDir, node string
	check, version                  bool
	garpRefresh                     time.Duration
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := pflag.NewFlagSet("hbd", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVarP(&o.confDir, "confdir", "c", "/etc/ha.d", "directory holding ha.cf, authkeys and haresources")
	fs.StringVar(&o.stateDir, "state-dir", "/var/lib/heartbeat", "state directory (hb_generation, hb_uuid)")
	fs.StringVar(&o.runDir, "run-dir", "/run/hbd", "run directory (control socket, pid file)")
	fs.StringVar(&o.node, "node", "", "local node name (default: DIR/nodeinfo or uname -n, lower-cased)")
	fs.DurationVar(&o.garpRefresh, "garp-refresh", 0, "re-announce held virtual addresses this often (hbd extension; 0: off, as heartbeat)")
	fs.BoolVar(&o.check, "check", false, "validate the configuration, print it with defaults filled in, and exit")
	fs.BoolVarP(&o.version, "version", "V", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hbd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if o.version {
		fmt.Fprintln(stdout, hbd.Version)
		return 0
	}
	cfg, err := hbd.LoadConfig(o.confDir, hbd.LoadOptions{LocalNode: o.node})
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if o.check {
		for _, w := range cfg.Warnings {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
		if err := cfg.WriteEffective(stdout); err != nil {
			fmt.Fprintf(stderr, "hbd: %v\n", err)
			return 1
		}
		return 0
	}
	return daemon(o, cfg, stderr)
}

// daemon runs hbd in the foreground until SIGTERM or SIGINT (a graceful
// shutdown; a second signal exits at once).
func daemon(o options, cfg *hbd.Config, stderr io.Writer) int {
	log, closeLog, err := newLogger(cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "hbd: %v\n", err)
		return 1
	}
	defer closeLog()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		graceful := false
		for s := range sigs {
			switch {
			case s == syscall.SIGHUP:
				log.Warn("SIGHUP: configuration reload is not implemented yet; restart hbd to apply changes")
			case !graceful:
				graceful = true
				log.Info("signal received, shutting down", "signal", s.String())
				cancel()
			default:
				log.Warn("second signal, exiting now; resources this node holds are left running", "signal", s.String())
				closeLog()
				os.Exit(1)
			}
		}
	}()

	err = hbd.Run(ctx, hbd.Options{
		ConfDir: o.confDir, StateDir: o.stateDir, RunDir: o.runDir, Node: o.node, Logger: log, Config: cfg, GARPRefresh: o.garpRefresh,
	})
	switch {
	case errors.Is(err, hbd.ErrRestart):
		// As cause_shutdown_restart: wait out the peer's deadtime so it
		// sees us gone, then start again with a new generation. exec
		// keeps the pid, so supervisors and pid files stay valid.
		wait := cfg.HaCf.Deadtime + time.Second
		log.Warn("restarting", "after", wait)
		closeLog()
		time.Sleep(wait)
		self, xerr := os.Executable()
		if xerr == nil {
			xerr = syscall.Exec(self, os.Args, os.Environ())
		}
		fmt.Fprintf(stderr, "hbd: restart failed: %v\n", xerr)
		return 1
	case err != nil:
		log.Error("hbd stopped", "err", err)
		return 1
	}
	return 0
}

// logFlushTimeout bounds how long closing the log waits for queued
// records. A sink that never drains (a stderr pipe nobody reads, a logfile
// on a hung disk) must not keep hbd from exiting or restarting; whatever is
// still queued for it then is lost.
const logFlushTimeout = 2 * time.Second

// newLogger logs to stderr and, as heartbeat does, to ha.cf's logfile
// (and debugfile at debug level). Records go through a queue so a slow
// disk never delays the daemon's heartbeats. Each sink has a queue and
// writer of its own: with one shared writer, a stuck stderr would also
// silence the logfile.
func newLogger(cfg *hbd.Config, stderr io.Writer) (*slog.Logger, func(), error) {
	level := slog.LevelInfo
	if d, ok := cfg.HaCf.Param("debug"); ok && d != "0" {
		level = slog.LevelDebug
	}
	var queues []*asynclog.Handler
	queued := func(h slog.Handler) slog.Handler {
		q := asynclog.New(h, 4096)
		queues = append(queues, q)
		return q
	}
	handlers := []slog.Handler{queued(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))}
	var files []*os.File
	for _, f := range []struct {
		path  string
		level slog.Level
	}{{cfg.HaCf.Logfile, slog.LevelInfo}, {cfg.HaCf.Debugfile, slog.LevelDebug}} {
		if f.path == "" || f.path == "/dev/null" {
			continue
		}
		fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			for _, q := range queues {
				q.Close()
			}
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		files = append(files, fh)
		handlers = append(handlers, queued(slog.NewTextHandler(fh, &slog.HandlerOptions{Level: f.level})))
	}
	var once sync.Once
	closeLog := func() {
		once.Do(func() {
			// Flush every sink at once, and give up on those that do
			// not drain in time (their writer stays blocked until exit).
			var wg sync.WaitGroup
			for _, q := range queues {
				wg.Go(q.Close)
			}
			flushed := make(chan struct{})
			go func() { wg.Wait(); close(flushed) }()
			select {
			case <-flushed:
				for _, f := range files {
					f.Close()
				}
			case <-time.After(logFlushTimeout):
				// The files stay open: a writer may still be inside a
				// write to one. Exit or exec closes them.
			}
		})
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closeLog, nil
}
