package ctl

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type answer struct {
	Node string `json:"node"`
	N    int    `json:"n"`
}

func TestRoundTripAndSocketMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, 200, answer{Node: "node1", N: 7})
	})
	mux.HandleFunc("POST /v1/fail", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusConflict, errors.New("cluster not stable"))
	})
	s, err := Listen(dir, mux, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })

	st, err := os.Stat(SocketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want 0600", st.Mode().Perm())
	}

	c := NewClient(dir)
	var got answer
	if err := c.Do(context.Background(), "GET", "/v1/status", nil, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(answer{Node: "node1", N: 7}, got); diff != "" {
		t.Fatalf("answer (-want +got):\n%s", diff)
	}
	err = c.Do(context.Background(), "POST", "/v1/fail", nil, nil)
	if err == nil || err.Error() != "hbd: cluster not stable" {
		t.Fatalf("err = %v, want the server's message", err)
	}

	// A second daemon on the same run dir must refuse to start.
	if _, err := Listen(dir, mux, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("second Listen on a live socket succeeded")
	}
}

func TestClientReportsNotRunning(t *testing.T) {
	c := NewClient(t.TempDir())
	err := c.Do(context.Background(), "GET", "/v1/status", nil, nil)
	if !errors.Is(err, ErrNotRunning) {
		t.Fatalf("err = %v, want ErrNotRunning", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(SocketPath(dir), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Listen(dir, http.NewServeMux(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("stale socket file not replaced: %v", err)
	}
	s.Close()
}
