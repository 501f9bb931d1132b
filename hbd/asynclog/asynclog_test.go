package asynclog

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingWriter stands in for a log file on a hung disk.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestHandleNeverWaitsForAStuckWriter(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	h := New(slog.NewTextHandler(w, nil), 4)
	log := slog.New(h)

	done := make(chan struct{})
	go func() {
		for i := range 100 {
			log.Info("heartbeat", "i", i)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("logging blocked on a stuck writer")
	}
	// Four are queued and, once the writer has taken the first one into
	// its stuck Write, one more: 95 or 96 of 100 are dropped.
	if d := h.Dropped(); d < 95 || d > 96 {
		t.Fatalf("dropped %d records, want 95 or 96 of 100 with a queue of 4", d)
	}
	close(w.release)
	h.Close()
	if n := strings.Count(w.buf.String(), "msg=heartbeat"); int(h.Dropped())+n != 100 {
		t.Fatalf("written %d + dropped %d != 100", n, h.Dropped())
	}
}

func TestAttrsAndGroupsReachTheInnerHandler(t *testing.T) {
	var buf bytes.Buffer
	h := New(slog.NewTextHandler(&buf, nil), 16)
	slog.New(h).With("node", "node1").WithGroup("link").Info("up", "name", "eth0")
	h.Close()
	if got := buf.String(); !strings.Contains(got, "node=node1") || !strings.Contains(got, "link.name=eth0") {
		t.Fatalf("got %q", got)
	}
	if err := h.Handle(context.Background(), slog.Record{}); err != nil {
		t.Fatal(err)
	}
}
