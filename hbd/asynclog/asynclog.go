// Package asynclog is a slog handler that never blocks its caller. The
// daemon's owner goroutine logs while it decides when to send heartbeats; a
// log file on a slow or hung disk must not delay a heartbeat, so records go
// through a bounded queue to a writer goroutine, and when the queue is full
// they are dropped and counted rather than waited for.
package asynclog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
)

type item struct {
	h slog.Handler
	r slog.Record
}

type queue struct {
	ch      chan item
	dropped atomic.Uint64
	done    chan struct{}
	// mu guards closing ch against a concurrent send: Handle holds it
	// shared for its non-blocking send, Close exclusively.
	mu     sync.RWMutex
	closed bool
}

// Handler forwards records to an inner handler from its own goroutine.
type Handler struct {
	inner slog.Handler
	q     *queue
}

// New starts a writer goroutine for inner with room for size queued records.
func New(inner slog.Handler, size int) *Handler {
	q := &queue{ch: make(chan item, size), done: make(chan struct{})}
	go func() {
		defer close(q.done)
		for it := range q.ch {
			_ = it.h.Handle(context.Background(), it.r)
		}
	}()
	return &Handler{inner: inner, q: q}
}

func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

// Handle queues the record; it returns at once even when the writer is stuck.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	h.q.mu.RLock()
	defer h.q.mu.RUnlock()
	if h.q.closed {
		h.q.dropped.Add(1)
		return nil
	}
	select {
	case h.q.ch <- item{h: h.inner, r: r.Clone()}:
	default:
		h.q.dropped.Add(1)
	}
	return nil
}

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	return &Handler{inner: h.inner.WithAttrs(as), q: h.q}
}

func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{inner: h.inner.WithGroup(name), q: h.q}
}

// Dropped is how many records were discarded because the queue was full.
func (h *Handler) Dropped() uint64 { return h.q.dropped.Load() }

// Close flushes the queued records and stops the writer. Records handled
// after Close are dropped.
func (h *Handler) Close() {
	h.q.mu.Lock()
	if !h.q.closed {
		h.q.closed = true
		close(h.q.ch)
	}
	h.q.mu.Unlock()
	<-h.q.done
}
