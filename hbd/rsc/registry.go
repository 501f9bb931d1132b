package rsc

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/hbd-project/hbd/haresources"
)

// Registry resolves a haresources token to the Agent that runs it, in this
// order: "systemd:UNIT", "ocf:PROVIDER:TYPE", a built-in agent registered by
// name, and finally a script in resource.d or init.d. Built-ins come before
// scripts so that the daemon's in-process IPaddr wins over a resource.d
// IPaddr shim that would only call back into it.
type Registry struct {
	Scripts Agent // plain names
	OCF     Agent // "ocf:…"
	Systemd Agent // "systemd:…"

	mu       sync.RWMutex
	builtins map[string]Agent
}

// NewRegistry returns a Registry with the script, OCF and systemd agents
// for env and no built-ins.
func NewRegistry(env Env, rule StatusRule) *Registry {
	return &Registry{
		Scripts: &ScriptAgent{Env: env, Rule: rule},
		OCF:     &OCFAgent{Env: env},
		Systemd: &SystemdAgent{},
	}
}

// Register makes a handle resources named name, such as "IPaddr" (bare
// addresses in haresources are IPaddr resources). Registering a name twice
// is an error: two packages claiming one agent is a wiring bug.
func (r *Registry) Register(name string, a Agent) error {
	if a == nil {
		return fmt.Errorf("register %q: nil agent", name)
	}
	if err := checkName(name); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	if strings.HasPrefix(name, ocfPrefix) || strings.HasPrefix(name, systemdPrefix) {
		return fmt.Errorf("register %q: the ocf: and systemd: classes are not names", name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.builtins[name]; dup {
		return fmt.Errorf("register %q: already registered", name)
	}
	if r.builtins == nil {
		r.builtins = map[string]Agent{}
	}
	r.builtins[name] = a
	return nil
}

// Agent returns the agent for res.
func (r *Registry) Agent(res haresources.Resource) (Agent, error) {
	var a Agent
	switch {
	case strings.HasPrefix(res.Name, systemdPrefix):
		a = r.Systemd
	case strings.HasPrefix(res.Name, ocfPrefix):
		a = r.OCF
	default:
		r.mu.RLock()
		a = r.builtins[res.Name]
		r.mu.RUnlock()
		if a == nil {
			a = r.Scripts
		}
	}
	if a == nil {
		return nil, fmt.Errorf("%s: %w: no agent configured for this class", res.Token, ErrNotFound)
	}
	return a, nil
}

// Validate checks every resource of every group with its agent's
// Validator, if it has one, and returns all the problems found.
func (r *Registry) Validate(groups []haresources.Group) error {
	var errs []error
	for _, g := range groups {
		for _, res := range g.Resources {
			a, err := r.Agent(res)
			if err == nil {
				if v, ok := a.(Validator); ok {
					err = v.Validate(res)
				}
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %s: %w", res.Line, res.Token, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Close releases what the class agents hold (the systemd connection).
// Built-in agents belong to whoever registered them and are left alone.
func (r *Registry) Close() {
	for _, a := range []Agent{r.Scripts, r.OCF, r.Systemd} {
		if c, ok := a.(interface{ Close() }); ok {
			c.Close()
		}
	}
}
