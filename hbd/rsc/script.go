package rsc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/hbd-project/hbd/haresources"
)

// ScriptAgent runs heartbeat resource scripts and LSB init scripts: the
// first regular, executable file among Env.ResourceDir/NAME and
// Env.InitDir/NAME, called as "PATH args... start|stop|status" (ResourceManager
// scriptpath and doscript).
type ScriptAgent struct {
	Env  Env
	Rule StatusRule
}

// Lookup returns the script for name. It is called for every operation,
// because ResourceManager resolves the script on every call too: a script
// installed after the daemon started is found.
//
// name must be a single path element. Traversal is refused by that check
// rather than by os.Root: a resource.d entry may legitimately be a symlink
// to a script elsewhere (an init script, an agent shim), which heartbeat's
// "test -f && test -x" follows and os.Root would refuse as an escape. What
// os.Root protects against, a name like "../../bin/sh", cannot pass the
// check.
func (a *ScriptAgent) Lookup(name string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	env := a.Env.withDefaults()
	var problems []error // why an existing entry was passed over
	for _, dir := range []string{env.ResourceDir, env.InitDir} {
		p := filepath.Join(dir, name)
		// Like "test -f && test -x": anything unusable is skipped, not fatal.
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			problems = append(problems, err)
		case !fi.Mode().IsRegular():
			problems = append(problems, fmt.Errorf("%s is not a regular file", p))
		case fi.Mode().Perm()&0o111 == 0:
			problems = append(problems, fmt.Errorf("%s is not executable", p))
		default:
			return p, nil
		}
	}
	err := fmt.Errorf("%w %s (looked in %s and %s)", ErrNotFound, name, env.ResourceDir, env.InitDir)
	return "", errors.Join(append([]error{err}, problems...)...)
}

// checkName accepts a name that names one entry of a directory.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("%w %q: must be a file name, not a path", ErrBadName, name)
	}
	return nil
}

// Validate checks the name only: whether the script exists is decided at
// each operation, as heartbeat does.
func (a *ScriptAgent) Validate(r haresources.Resource) error { return checkName(r.Name) }

func (a *ScriptAgent) Start(ctx context.Context, r haresources.Resource, log *slog.Logger) error {
	_, err := a.call(ctx, r, OpStart, log)
	return err
}

func (a *ScriptAgent) Stop(ctx context.Context, r haresources.Resource, log *slog.Logger) error {
	_, err := a.call(ctx, r, OpStop, log)
	return err
}

// Status runs "status" and judges it by a.Rule (we_own_resource). A script
// that could not be found, run or finished in time is Unknown.
func (a *ScriptAgent) Status(ctx context.Context, r haresources.Resource, log *slog.Logger) (State, error) {
	res, err := a.call(ctx, r, OpStatus, log)
	if err != nil {
		if _, ok := errors.AsType[*ExitError](err); !ok || res.code < 0 {
			return Unknown, err
		}
	}
	return judgeStatus(a.Rule, res.stdout, res.code)
}

func (a *ScriptAgent) call(ctx context.Context, r haresources.Resource, op Op, log *slog.Logger) (runResult, error) {
	path, err := a.Lookup(r.Name)
	if err != nil {
		return runResult{code: -1}, err
	}
	args := append(append([]string(nil), r.Args...), string(op))
	// doscript logs "Running SCRIPT ARGS OP" before a start or stop;
	// we_own_resource runs status silently.
	level := slog.LevelInfo
	if op == OpStatus {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, "Running "+path+" "+strings.Join(args, " "), "op", op)
	c := command{path: path, args: args, env: a.Env.environ(), log: log.With("op", op)}
	if op == OpStatus {
		c.meaning = lsbStatusMeaning
	}
	res, err := run(ctx, c)
	if err != nil {
		return res, fmt.Errorf("%s %s: %w", path, op, err)
	}
	return res, nil
}
