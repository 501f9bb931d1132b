package rsc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// outputGrace is how long a finished (or killed) child's pipes are read
// after it exits. A start script that backgrounds a daemon without closing
// stdout would otherwise keep the operation open for as long as the daemon
// lives.
const outputGrace = 2 * time.Second

// command is one run of a script or agent.
type command struct {
	path string
	args []string
	env  []string
	log  *slog.Logger // already carries the resource's attributes
	// meaning names exit codes in errors; nil means codeMeaning.
	meaning func(int) string
}

// runResult is what a finished child left behind.
type runResult struct {
	stdout string // kept stdout, at most maxKept bytes
	code   int    // exit status; -1 when it did not exit normally
}

// ExitError is a script or agent that exited with a non-zero status or was
// killed by a signal.
type ExitError struct {
	Code   int    // exit status; -1 when killed by a signal
	Signal string // the signal's name when killed
	// Meaning is the LSB/OCF reading of Code ("not running", …).
	Meaning string
}

func (e *ExitError) Error() string {
	if e.Code < 0 {
		return "killed by signal " + e.Signal
	}
	if e.Meaning != "" {
		return fmt.Sprintf("exit code %d (%s)", e.Code, e.Meaning)
	}
	return fmt.Sprintf("exit code %d", e.Code)
}

// run executes c and waits for it. It never returns before the child has
// exited: on ctx's end the child's whole process group is killed, since a
// script's helpers (a sleep, a pipeline, a daemon not yet detached) must
// not outlive an operation that was given up on. The child gets stdin from
// /dev/null and its own process group, so signals meant for the daemon's
// group (a terminal's ^C) do not reach it either.
//
// A nil error means exit status 0. Otherwise the error is context.Cause(ctx)
// when ctx ended the run (ErrTimeout for an operation timeout), an
// *ExitError, or the reason it could not be started.
func run(ctx context.Context, c command) (runResult, error) {
	if err := ctx.Err(); err != nil {
		return runResult{code: -1}, context.Cause(ctx)
	}
	stdout := newLineLog(c.log, "stdout", true)
	stderr := newLineLog(c.log, "stderr", false)
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Env = c.env
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// exec may call Cancel when the time runs out in the very instant
		// the script finishes. Once it has been reaped its group may hold
		// only a daemon it started successfully, which must live.
		if err := cmd.Process.Signal(syscall.Signal(0)); errors.Is(err, os.ErrProcessDone) {
			return err
		}
		// The group's id is the leader's pid (Setpgid with Pgid 0). While
		// any member lives the kernel does not reuse that id.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = outputGrace

	err := cmd.Run()
	stdout.flush()
	stderr.flush()
	out, trunc := stdout.text()
	if trunc {
		c.log.Warn("stdout longer than kept; status matched on its start", "kept", maxKept)
	}
	res := runResult{stdout: out, code: -1}
	if cmd.ProcessState != nil {
		res.code = cmd.ProcessState.ExitCode()
	}
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil:
		// Killed by us (or finished in the instant the time ran out): the
		// operation did not complete within its time.
		return res, context.Cause(ctx)
	case errors.Is(err, exec.ErrWaitDelay):
		// Exit status 0, but something it started still holds the output
		// pipe: the operation succeeded, the holder is left alone.
		c.log.Warn("a child process kept stdout/stderr open after the script exited; no longer reading it")
		return res, nil
	}
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		xe := &ExitError{Code: ee.ExitCode()}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			xe.Signal = ws.Signal().String()
		} else if c.meaning != nil {
			xe.Meaning = c.meaning(xe.Code)
		} else {
			xe.Meaning = codeMeaning(xe.Code)
		}
		return res, xe
	}
	return res, fmt.Errorf("run %s: %w", c.path, err)
}
