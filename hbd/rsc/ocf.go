package rsc

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hbd-project/hbd/haresources"
)

// ocfPrefix marks an OCF agent token: "ocf:PROVIDER:TYPE".
const ocfPrefix = "ocf:"

// OCFAgent runs OCF resource agents named "ocf:PROVIDER:TYPE", as
// $OCF_ROOT/resource.d/PROVIDER/TYPE start|stop|monitor, with the
// resource's arguments as OCF_RESKEY_* parameters (see the package
// documentation for the mapping). heartbeat 3.0.6 reached OCF agents only
// through per-agent wrappers in resource.d (ra_execocf); this calls them
// directly.
type OCFAgent struct {
	Env Env
}

// ocfSpec is a parsed OCF resource.
type ocfSpec struct {
	provider, typ string
	params        []string // OCF_RESKEY_NAME=VALUE, in argument order
	instance      string
}

var paramName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// parseOCF splits "ocf:PROVIDER:TYPE" and maps the arguments to parameters.
func parseOCF(r haresources.Resource) (ocfSpec, error) {
	rest, ok := strings.CutPrefix(r.Name, ocfPrefix)
	provider, typ, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return ocfSpec{}, fmt.Errorf("%w %q: want ocf:PROVIDER:TYPE", ErrBadName, r.Name)
	}
	for _, part := range []string{provider, typ} {
		if err := checkName(part); err != nil {
			return ocfSpec{}, fmt.Errorf("%s: %w", r.Name, err)
		}
	}
	s := ocfSpec{provider: provider, typ: typ, instance: typ}
	seen := map[string]bool{}
	for _, arg := range r.Args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || !paramName.MatchString(name) {
			return ocfSpec{}, fmt.Errorf("%w: %s: argument %q is not NAME=VALUE", ErrBadName, r.Name, arg)
		}
		if seen[name] {
			return ocfSpec{}, fmt.Errorf("%w: %s: parameter %s given twice", ErrBadName, r.Name, name)
		}
		seen[name] = true
		s.params = append(s.params, "OCF_RESKEY_"+name+"="+value)
	}
	if len(r.Args) > 0 {
		// Agents derive default state file names from the instance (Dummy:
		// $HA_RSCTMP/Dummy-$OCF_RESOURCE_INSTANCE.state), so differently
		// configured instances of one type need different names.
		h := fnv.New32a()
		h.Write([]byte(strings.Join(r.Args, "\x00")))
		s.instance = fmt.Sprintf("%s-%08x", typ, h.Sum32())
	}
	return s, nil
}

func (a *OCFAgent) Validate(r haresources.Resource) error {
	_, err := parseOCF(r)
	return err
}

// path returns the agent's executable, refusing anything that is not a
// regular executable file.
func (a *OCFAgent) path(s ocfSpec) (string, error) {
	p := filepath.Join(a.Env.withDefaults().OCFRoot, "resource.d", s.provider, s.typ)
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%w: OCF agent %s", ErrNotFound, p)
		}
		return "", fmt.Errorf("OCF agent %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%w: OCF agent %s is not an executable file", ErrNotFound, p)
	}
	return p, nil
}

func (a *OCFAgent) Start(ctx context.Context, r haresources.Resource, log *slog.Logger) error {
	_, err := a.call(ctx, r, "start", log)
	return err
}

// Stop accepts OCF_NOT_RUNNING as success: the goal of a stop is met.
func (a *OCFAgent) Stop(ctx context.Context, r haresources.Resource, log *slog.Logger) error {
	_, err := a.call(ctx, r, "stop", log)
	if xe, ok := errors.AsType[*ExitError](err); ok && xe.Code == codeNotRunning {
		return nil
	}
	return err
}

// Status runs the OCF monitor action: 0 (and 8, running promoted) is
// Running, 7 is Stopped, anything else is Unknown — an agent reporting an
// error may have left the resource half up.
func (a *OCFAgent) Status(ctx context.Context, r haresources.Resource, log *slog.Logger) (State, error) {
	code, err := a.call(ctx, r, "monitor", log)
	switch {
	case code == codeOK || code == codeRunningPromote:
		return Running, nil
	case code == codeNotRunning:
		return Stopped, nil
	}
	return Unknown, err
}

// call runs one action and returns its exit status (-1 if it did not exit
// by itself) and an error for any status other than 0.
func (a *OCFAgent) call(ctx context.Context, r haresources.Resource, action string, log *slog.Logger) (int, error) {
	s, err := parseOCF(r)
	if err != nil {
		return -1, err
	}
	path, err := a.path(s)
	if err != nil {
		return -1, err
	}
	more := []string{
		"OCF_RA_VERSION_MAJOR=1",
		"OCF_RA_VERSION_MINOR=0",
		"OCF_RESOURCE_PROVIDER=" + s.provider,
		"OCF_RESOURCE_TYPE=" + s.typ,
		"OCF_RESOURCE_INSTANCE=" + s.instance,
	}
	if dl, ok := ctx.Deadline(); ok {
		// As Pacemaker passes it: agents that wait for their service size
		// the wait to the operation's timeout, in milliseconds.
		more = append(more, "OCF_RESKEY_CRM_meta_timeout="+strconv.FormatInt(time.Until(dl).Milliseconds(), 10))
	}
	more = append(more, s.params...)
	level := slog.LevelInfo
	if action == "monitor" {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, "Running "+path+" "+action, "op", action, "instance", s.instance)
	res, err := run(ctx, command{path: path, args: []string{action}, env: a.Env.environ(more...), log: log.With("op", action)})
	if err != nil {
		return res.code, fmt.Errorf("%s %s: %w", path, action, err)
	}
	return res.code, nil
}
