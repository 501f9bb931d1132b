package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/ctl"
)

func serveStatus(t *testing.T, st ctl.Status) string {
	t.Helper()
	dir := t.TempDir()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) { ctl.WriteJSON(w, 200, st) })
	s, err := ctl.Listen(dir, mux, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve()
	t.Cleanup(func() { s.Close() })
	return dir
}

func TestStatusJSONRoundTripsTheSchema(t *testing.T) {
	want := ctl.Status{
		Version: "hbd-test", Node: "node1", Generation: 42, State: "active", CommUp: true,
		ManagedBy: "haresources", Resources: "none", KeepaliveMs: 200, DeadtimeMs: 600,
		Nodes: []ctl.Node{
			{Name: "node1", Type: "normal", Status: "active", Local: true, LastHeardMs: 10, DeadtimeMs: 600,
				Links: []ctl.Link{{Name: "eth0", Status: "up"}}},
			{Name: "node2", Type: "normal", Status: "dead", LastHeardMs: -1, DeadtimeMs: 600,
				Links: []ctl.Link{{Name: "eth0", Status: "dead"}}},
		},
		Counters: map[string]uint64{"drop_replay": 3, "rx_packets": 100},
		Groups:   []ctl.Group{{Key: "IPaddr2::198.18.0.100/24/eth0", Local: true, State: "held"}},
	}
	dir := serveStatus(t, want)
	var out, errb bytes.Buffer
	if rc := dispatch([]string{"status", "--run-dir", dir, "--json"}, &out, &errb); rc != 0 {
		t.Fatalf("rc=%d stderr=%s", rc, errb.String())
	}
	var got ctl.Status
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("status (-want +got):\n%s", diff)
	}

	// The CLI contract puts --run-dir before the command.
	out.Reset()
	if rc := dispatch([]string{"--run-dir", dir, "status", "--json"}, &out, &errb); rc != 0 {
		t.Fatalf("hbctl --run-dir DIR status --json: rc=%d stderr=%s", rc, errb.String())
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got.Node != "node1" {
		t.Fatalf("hbctl --run-dir DIR status --json: %v %q", err, out.String())
	}
	out.Reset()
	if rc := dispatch([]string{"--run-dir=" + dir, "status"}, &out, &errb); rc != 0 {
		t.Fatalf("hbctl --run-dir=DIR status: rc=%d stderr=%s", rc, errb.String())
	}

	out.Reset()
	if rc := dispatch([]string{"status", "--run-dir", dir}, &out, &errb); rc != 0 {
		t.Fatalf("rc=%d", rc)
	}
	for _, s := range []string{"node node1 (active), generation 42", "node1 (local)", "node2", "never", "eth0:dead", "drop_replay", "IPaddr2::198.18.0.100/24/eth0  local  held"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("human output lacks %q:\n%s", s, out.String())
		}
	}
}

func TestStatusWithoutDaemon(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := dispatch([]string{"status", "--run-dir", t.TempDir()}, &out, &errb); rc != 1 ||
		!strings.Contains(errb.String(), "not running") {
		t.Fatalf("rc=%d stderr=%q", rc, errb.String())
	}
}
