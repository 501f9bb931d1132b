package rsc

import (
	"errors"
	"strings"
	"testing"

	"github.com/hbd-project/hbd/haresources"
)

func TestRegistryResolution(t *testing.T) {
	reg := NewRegistry(Env{}, StatusTextThenExitCode)
	ip := newFake()
	if err := reg.Register("IPaddr", ip); err != nil {
		t.Fatal(err)
	}
	for token, want := range map[string]Agent{
		"10.0.0.1":                 ip, // the parser makes this IPaddr::10.0.0.1
		"IPaddr::10.0.0.1/24":      ip,
		"IPaddr2::10.0.0.1/24":     reg.Scripts, // not registered: a script
		"apache":                   reg.Scripts,
		"ocf:heartbeat:Dummy":      reg.OCF,
		"systemd:nginx":            reg.Systemd,
		"Filesystem::/dev/sda1::/": reg.Scripts,
	} {
		got, err := reg.Agent(resource(t, token))
		if err != nil || got != want {
			t.Errorf("%s: %T %v, want %T", token, got, err, want)
		}
	}

	if err := reg.Register("IPaddr", newFake()); err == nil {
		t.Error("registering IPaddr twice succeeded")
	}
	for _, name := range []string{"", "../x", "ocf:heartbeat:Dummy", "systemd:x"} {
		if err := reg.Register(name, newFake()); err == nil {
			t.Errorf("Register(%q) succeeded", name)
		}
	}
	if err := reg.Register("x", nil); err == nil {
		t.Error("Register with a nil agent succeeded")
	}
	if _, err := (&Registry{}).Agent(resource(t, "systemd:x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("no systemd agent: %v", err)
	}
}

func TestRegistryValidate(t *testing.T) {
	reg := NewRegistry(Env{}, StatusTextThenExitCode)
	f, err := haresources.Parse(strings.NewReader(`node1 10.0.0.1 ocf:heartbeat:Dummy::state=/x apache
node2 ocf:heartbeat:Dummy::nonsense systemd:web::extra good
`), "haresources")
	if err != nil {
		t.Fatal(err)
	}
	err = reg.Validate(f.Groups)
	if !errors.Is(err, ErrBadName) {
		t.Fatalf("Validate: %v, want ErrBadName", err)
	}
	msg := err.Error()
	for _, want := range []string{"line 2: ocf:heartbeat:Dummy::nonsense", "line 2: systemd:web::extra"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Validate error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "line 1") || strings.Contains(msg, "good") {
		t.Errorf("Validate rejected a good resource: %q", msg)
	}
}
