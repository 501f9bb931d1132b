package vip

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/arp"
)

// TestGARPScheduleMatchesCapture compares IPaddr's default schedule with
// the burst heartbeat 3.0.6 sent: the same operations in the same order,
// and every gap within 5 ms of the capture's.
func TestGARPScheduleMatchesCapture(t *testing.T) {
	got := heartbeatCapture(t, netip.MustParseAddr("198.18.0.100"))
	steps := garpSchedule(DefaultARPConfig(IPaddr))
	var wantOps, gotOps []arp.Operation
	for _, g := range got {
		wantOps = append(wantOps, arp.Operation(g.Op))
	}
	for _, s := range steps {
		gotOps = append(gotOps, s.Op)
	}
	if diff := cmp.Diff(wantOps, gotOps); diff != "" {
		t.Fatalf("operations differ from heartbeat's burst (-heartbeat +hbd):\n%s", diff)
	}
	for i := 1; i < len(steps); i++ {
		hb := got[i].At.Sub(got[i-1].At)
		ours := steps[i].At - steps[i-1].At
		if d := hb - ours; d < -5*time.Millisecond || d > 5*time.Millisecond {
			t.Errorf("gap before packet %d: heartbeat %v, hbd %v", i, hb, ours)
		}
	}
}

func TestSchedules(t *testing.T) {
	req, rep := arp.OperationRequest, arp.OperationReply
	ms := time.Millisecond
	tests := []struct {
		name string
		got  []step
		want []step
	}{
		{"IPaddr2 defaults", garpSchedule(DefaultARPConfig(IPaddr2)), []step{
			{0, req}, {100 * ms, rep}, {200 * ms, req}, {300 * ms, rep}, {400 * ms, req},
			{500 * ms, rep}, {600 * ms, req}, {700 * ms, rep}, {800 * ms, req}, {900 * ms, rep}}},
		{"one repeat", garpSchedule(ARPConfig{Interval: 1000 * ms, Repeat: 1}), []step{{0, req}, {500 * ms, rep}}},
		{"NA", naSchedule(ARPConfig{Interval: 200 * ms, Repeat: 3}), []step{{0, 0}, {200 * ms, 0}, {400 * ms, 0}}},
		{"refresh v4", refreshSchedule(false), []step{{0, req}, {0, rep}}},
		{"refresh v6", refreshSchedule(true), []step{{0, 0}}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

// fakeAnnouncer records when each packet was sent.
type fakeAnnouncer struct {
	mu   sync.Mutex
	t0   time.Time
	sent []step
	fail int // fail the fail-th packet (1-based), 0: never
}

func (f *fakeAnnouncer) announce(op arp.Operation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 && len(f.sent)+1 == f.fail {
		return errors.New("link down")
	}
	f.sent = append(f.sent, step{At: time.Since(f.t0), Op: op})
	return nil
}

func (f *fakeAnnouncer) Close() error { return nil }

func (f *fakeAnnouncer) got() []step {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]step(nil), f.sent...)
}

func TestPlayKeepsTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		steps := garpSchedule(DefaultARPConfig(IPaddr))
		f := &fakeAnnouncer{t0: time.Now()}
		// Starting a little late (the first packet went out by hand)
		// does not shift the rest: times count from t0.
		time.Sleep(maxLate)
		n, err := play(t.Context(), f, steps[1:], f.t0)
		if err != nil || n != len(steps)-1 {
			t.Fatalf("play: %d sent, err %v", n, err)
		}
		if diff := cmp.Diff(steps[1:], f.got()); diff != "" {
			t.Errorf("sent (-schedule +sent):\n%s", diff)
		}
	})
}

func TestPlayAfterStallKeepsSpacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		steps := garpSchedule(DefaultARPConfig(IPaddr2)) // 100 ms apart
		f := &fakeAnnouncer{t0: time.Now()}
		time.Sleep(550 * time.Millisecond) // stalled past 5 packets
		if _, err := play(t.Context(), f, steps, f.t0); err != nil {
			t.Fatal(err)
		}
		var want []step
		for _, s := range steps {
			want = append(want, step{At: s.At + 550*time.Millisecond, Op: s.Op})
		}
		if diff := cmp.Diff(want, f.got()); diff != "" {
			t.Errorf("sent (-want +got):\n%s", diff)
		}
	})
}

func TestPlayStopsOnCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		steps := garpSchedule(DefaultARPConfig(IPaddr))
		f := &fakeAnnouncer{t0: time.Now()}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		var n int
		var err error
		go func() {
			defer close(done)
			n, err = play(ctx, f, steps, f.t0)
		}()
		time.Sleep(600 * time.Millisecond) // packets at 0, 250, 500 ms
		cancel()
		<-done
		if !errors.Is(err, context.Canceled) || n != 3 {
			t.Fatalf("play after cancel: %d sent, err %v; want 3, context.Canceled", n, err)
		}
		time.Sleep(5 * time.Second)
		if got := len(f.got()); got != 3 {
			t.Errorf("%d packets sent, want 3: the burst went on after cancel", got)
		}
	})
}

func TestPlayStopsOnSendError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAnnouncer{t0: time.Now(), fail: 2}
		n, err := play(t.Context(), f, garpSchedule(DefaultARPConfig(IPaddr2)), f.t0)
		if err == nil || n != 1 {
			t.Errorf("play: %d sent, err %v; want 1 and the send error", n, err)
		}
	})
}

func TestRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &fakeAnnouncer{t0: time.Now()}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- refresh(ctx, f, 30*time.Second, refreshSchedule(false)) }()
		time.Sleep(95 * time.Second)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("refresh: %v", err)
		}
		s := 30 * time.Second
		want := []step{
			{s, arp.OperationRequest}, {s, arp.OperationReply},
			{2 * s, arp.OperationRequest}, {2 * s, arp.OperationReply},
			{3 * s, arp.OperationRequest}, {3 * s, arp.OperationReply},
		}
		if diff := cmp.Diff(want, f.got()); diff != "" {
			t.Errorf("refresh packets (-want +got):\n%s", diff)
		}
	})
}
