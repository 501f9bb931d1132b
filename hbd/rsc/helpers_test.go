package rsc

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hbd-project/hbd/haresources"
)

// record is one captured log record, attributes flattened to strings.
type record struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

// recorder is a slog.Handler keeping every record, for asserting what was
// logged and with which resource attributes.
type recorder struct {
	mu    *sync.Mutex
	recs  *[]record
	attrs []slog.Attr
}

func newRecorder() *recorder { return &recorder{mu: new(sync.Mutex), recs: new([]record)} }

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	rec := record{Level: r.Level, Msg: r.Message, Attrs: map[string]string{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = a.Value.String()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.String()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.recs = append(*h.recs, rec)
	return nil
}

func (h *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &recorder{mu: h.mu, recs: h.recs, attrs: append(append([]slog.Attr(nil), h.attrs...), as...)}
}

func (h *recorder) WithGroup(string) slog.Handler { return h }

func (h *recorder) records() []record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]record(nil), *h.recs...)
}

// find returns the records whose message contains s.
func (h *recorder) find(s string) []record {
	var out []record
	for _, r := range h.records() {
		if strings.Contains(r.Msg, s) {
			out = append(out, r)
		}
	}
	return out
}

// writeScript creates an executable sh script.
func writeScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// group parses one haresources line with the real parser, so tokens and
// arguments are exactly what the daemon will pass.
func group(t *testing.T, line string) haresources.Group {
	t.Helper()
	f, err := haresources.Parse(strings.NewReader(line+"\n"), "haresources")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Groups) != 1 {
		t.Fatalf("%q: %d groups", line, len(f.Groups))
	}
	return f.Groups[0]
}

// resource parses a single token.
func resource(t *testing.T, token string) haresources.Resource {
	t.Helper()
	return group(t, "node1 "+token).Resources[0]
}

// steps renders a trace compactly.
func steps(tr []Step) []string {
	out := make([]string, len(tr))
	for i, s := range tr {
		out[i] = s.String()
	}
	return out
}

// testEnv is an Env confined to temporary directories.
func testEnv(t *testing.T) Env {
	dir := t.TempDir()
	return Env{
		HADir:       filepath.Join(dir, "ha.d"),
		ResourceDir: filepath.Join(dir, "ha.d", "resource.d"),
		InitDir:     filepath.Join(dir, "init.d"),
		OCFRoot:     filepath.Join(dir, "ocf"),
		CurHost:     "node1",
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
