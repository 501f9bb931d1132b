package link

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// recordHandler keeps log messages.
type recordHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Message)
	return nil
}
func (h *recordHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordHandler) WithGroup(string) slog.Handler      { return h }

func (h *recordHandler) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// fakeNet is a Net with no sockets, for the send-side logic.
func fakeNet(h slog.Handler, onEvent func(Event)) *Net {
	return &Net{
		log:   slog.New(h),
		opts:  Options{WriteTimeout: time.Second, OnEvent: onEvent},
		nudge: make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
}

func TestSendNotReadySuppressesLogs(t *testing.T) {
	var h recordHandler
	n := fakeNet(&h, nil)
	m := &udpMedium{t: n, spec: Spec{Kind: Bcast, Iface: "eth0", Port: 694}}
	for range 15 {
		if err := m.Send([]byte("x")); !errors.Is(err, ErrNotReady) {
			t.Fatalf("Send = %v, want ErrNotReady", err)
		}
	}
	if diff := cmp.Diff(Stats{SendErrors: 15}, m.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	if got := h.count("unable to send packet"); got != maxLoggedErrors {
		t.Errorf("logged %d send errors, want %d", got, maxLoggedErrors)
	}
	if got := h.count("suppressing further send errors"); got != 1 {
		t.Errorf("logged suppression notice %d times, want 1", got)
	}
	select {
	case <-n.nudge:
	default:
		t.Error("send error did not poke the interface checker")
	}
}

func TestSendTooBig(t *testing.T) {
	m := &udpMedium{t: fakeNet(slog.DiscardHandler, nil), spec: Spec{Kind: Bcast, Iface: "eth0", Port: 694}}
	if err := m.Send(make([]byte, maxUDPPayload+1)); !errors.Is(err, ErrTooBig) {
		t.Errorf("Send = %v, want ErrTooBig", err)
	}
	if m.Stats().SendErrors != 1 {
		t.Errorf("stats %+v, want one send error", m.Stats())
	}
}

func TestSendClosed(t *testing.T) {
	n := fakeNet(slog.DiscardHandler, nil)
	close(n.done)
	m := &udpMedium{t: n, spec: Spec{Kind: Bcast, Iface: "eth0", Port: 694}}
	if err := m.Send([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send = %v, want ErrClosed", err)
	}
}

func TestErrStreak(t *testing.T) {
	var s errStreak
	var logged, last int
	for range 25 {
		l, z := s.fail()
		if l {
			logged++
		}
		if z {
			last++
		}
	}
	if logged != 10 || last != 1 {
		t.Errorf("logged %d (last %d), want 10 (1)", logged, last)
	}
	if n := s.ok(); n != 25 {
		t.Errorf("ok() = %d, want 25", n)
	}
	if l, _ := s.fail(); !l {
		t.Error("first error after a success not logged")
	}
}

func TestLinkStateTransitions(t *testing.T) {
	var s linkState
	spec := Spec{Kind: Bcast, Iface: "eth0", Port: 694}
	e1, e2 := errors.New("one"), errors.New("two")
	var got []string
	for _, err := range []error{nil, nil, e1, e2, nil, e1} {
		if ev, ok := s.set(spec, err, time.Time{}); ok {
			s := "up"
			if !ev.Up {
				s = "down:" + ev.Err.Error()
			}
			got = append(got, ev.Link+" "+s)
		}
	}
	want := []string{"eth0 up", "eth0 down:one", "eth0 up", "eth0 down:one"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if err := s.get(); err != e1 {
		t.Errorf("get() = %v, want %v", err, e1)
	}
}
