package crmoracle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// DefaultTimeout bounds one crm_simulate or crm_verify run when the Runner
// sets none. The benchmark CIBs need more (32 nodes × 4000 resources takes
// crm_simulate over 300 s); set Runner.Timeout for those.
const DefaultTimeout = 2 * time.Minute

// Available reports whether crm_simulate is on PATH.
func Available() bool {
	_, err := exec.LookPath("crm_simulate")
	return err == nil
}

// VerifyAvailable reports whether crm_verify is on PATH.
func VerifyAvailable() bool {
	_, err := exec.LookPath("crm_verify")
	return err == nil
}

// Runner runs the Pacemaker tools. The zero value is ready to use.
type Runner struct {
	// Timeout bounds each run; 0 means DefaultTimeout.
	Timeout time.Duration
	// ScratchDir is where each run gets its own CIB_shadow_dir (removed
	// afterwards); "" means os.TempDir(). As root, crm_simulate otherwise
	// writes shadow files into Pacemaker's state directory and leaves them
	// behind when it aborts (pacemaker-engine.md §2.1).
	ScratchDir string
}

// Result is one finished crm_simulate run.
type Result struct {
	Summary  *Summary // parsed stdout
	Stdout   string
	Stderr   string
	ExitCode int // 1 with "Transition failed" still carries a Summary
	Elapsed  time.Duration
}

// Simulate runs `crm_simulate -x file -S [extra…]` and parses its output.
// A non-zero exit is not an error as long as the output parses: an invalid
// transition (an ordering loop) exits 1 after printing the scheduler's
// decisions. The error reports a missing binary, a timeout, a crash (exit
// above 128, e.g. the abort on a too-new crm_feature_set) or output that is
// not crm_simulate's.
//
// Executing the transition is slow for big clusters (about 70 s for 16
// nodes × 100 resources from a cold start, most of it in the simulated
// probes); use Run there.
func (r Runner) Simulate(ctx context.Context, file string, extra ...string) (*Result, error) {
	return r.scheduler(ctx, "-S", file, extra)
}

// Run is like Simulate with -R: the scheduler's decisions (Transition
// Summary) without executing them, so the Summary has no revised status.
func (r Runner) Run(ctx context.Context, file string, extra ...string) (*Result, error) {
	return r.scheduler(ctx, "-R", file, extra)
}

func (r Runner) scheduler(ctx context.Context, mode, file string, extra []string) (*Result, error) {
	file, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	args := append([]string{"-x", file, mode}, extra...)
	res, err := r.run(ctx, "crm_simulate", args...)
	if err != nil {
		return nil, err
	}
	if res.ExitCode > 128 {
		return res, fmt.Errorf("crm_simulate %s: exit %d: %s", strings.Join(args, " "), res.ExitCode, lastLine(res.Stderr))
	}
	if res.Summary, err = ParseSummary(res.Stdout); err != nil {
		return res, fmt.Errorf("crm_simulate %s (exit %d, %q): parsing output: %w", strings.Join(args, " "), res.ExitCode, lastLine(res.Stderr), err)
	}
	return res, nil
}

// TimeGraph runs `crm_simulate -x file -G graphOut -Q`, the scheduler
// alone writing its transition graph, and returns the wall time: the
// benchmark measurement of issue part 7.
func (r Runner) TimeGraph(ctx context.Context, file, graphOut string) (time.Duration, error) {
	file, err := filepath.Abs(file)
	if err != nil {
		return 0, err
	}
	if graphOut, err = filepath.Abs(graphOut); err != nil {
		return 0, err
	}
	res, err := r.run(ctx, "crm_simulate", "-x", file, "-G", graphOut, "-Q")
	if err != nil {
		return 0, err
	}
	if res.ExitCode != 0 {
		return res.Elapsed, fmt.Errorf("crm_simulate -x %s -G %s -Q: exit %d: %s", file, graphOut, res.ExitCode, lastLine(res.Stderr))
	}
	return res.Elapsed, nil
}

// Verify runs `crm_verify -x file`. It returns nil when the CIB is valid,
// otherwise an error carrying crm_verify's messages.
func (r Runner) Verify(ctx context.Context, file string) error {
	file, err := filepath.Abs(file)
	if err != nil {
		return err
	}
	res, err := r.run(ctx, "crm_verify", "-x", file)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		msg := strings.TrimSpace(res.Stderr + "\n" + res.Stdout)
		return fmt.Errorf("crm_verify -x %s: exit %d:\n%s", file, res.ExitCode, msg)
	}
	return nil
}

func (r Runner) run(ctx context.Context, prog string, args ...string) (*Result, error) {
	path, err := exec.LookPath(prog)
	if err != nil {
		return nil, fmt.Errorf("%s not installed (Debian package pacemaker-cli-utils): %w", prog, err)
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	shadow, err := os.MkdirTemp(r.ScratchDir, "crmoracle-")
	if err != nil {
		return nil, fmt.Errorf("%s: scratch directory: %w", prog, err)
	}
	defer os.RemoveAll(shadow)

	cmd := exec.CommandContext(ctx, path, args...)
	// Run in the scratch directory so that nothing (a core dump) lands in
	// the caller's; callers' relative paths were made absolute above.
	cmd.Dir = shadow
	// LC_ALL=C as the regression runner sets it; the shadow dir keeps
	// crm_simulate's working copies out of /var/lib/pacemaker.
	cmd.Env = append(os.Environ(), "LC_ALL=C", "CIB_shadow_dir="+shadow)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err = cmd.Run()
	res := &Result{Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	if ctx.Err() != nil { // deadline (the timeout) or the caller cancelled
		return nil, fmt.Errorf("%s %s: %w (timeout %v)", prog, strings.Join(args, " "), ctx.Err(), timeout)
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		res.ExitCode = exitErr.ExitCode()
		if res.ExitCode < 0 { // killed by a signal
			res.ExitCode = 128 + int(signalOf(exitErr))
		}
	case err != nil:
		return nil, fmt.Errorf("%s %s: %w", prog, strings.Join(args, " "), err)
	}
	return res, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
