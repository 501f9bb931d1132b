package sim

import (
	"flag"
	"runtime"
	"sync"
	"testing"
	"time"
)

var (
	seedFlag  = flag.Int64("seed", -1, "replay one schedule of TestSchedules and print its trace")
	schedules = flag.Int("schedules", 10000, "schedules run by TestSchedules (500 with -short)")
	firstSeed = flag.Uint64("first", 0, "first seed of TestSchedules")
)

// configFor is the schedule of a seed: the mode rotates over seeds and
// every fourth schedule has a STONITH device.
func configFor(seed uint64) Config {
	return Config{Seed: seed, Mode: ModeFromSeed(seed), Stonith: seed%4 == 3}
}

// TestSchedules runs many seeded schedules (see package doc) and checks
// the invariants in each; a failure names its seed for replay.
func TestSchedules(t *testing.T) {
	if *seedFlag >= 0 {
		cfg := configFor(uint64(*seedFlag))
		cfg.Trace = true
		rep, err := Run(cfg)
		for _, l := range rep.Trace {
			t.Log(l)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	n := *schedules
	if testing.Short() {
		n = 500
	}
	start := time.Now()
	type result struct {
		rep Report
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rep, err := Run(configFor(*firstSeed + uint64(i)))
				results[i] = result{rep, err}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()

	var total Report
	failed := 0
	for i, r := range results {
		total.Steps += r.rep.Steps
		total.Faults += r.rep.Faults
		total.Checks += r.rep.Checks
		total.Messages += r.rep.Messages
		if r.err != nil {
			failed++
			if failed <= 5 {
				t.Errorf("%v\nreplay: go test ./hbd/sim -run TestSchedules -seed=%d", r.err, *firstSeed+uint64(i))
			}
		}
	}
	t.Logf("%d schedules (%d failed), %d steps, %d faults injected, %d invariant checks, %d messages, %v",
		n, failed, total.Steps, total.Faults, total.Checks, total.Messages, time.Since(start).Round(time.Millisecond))
}

// TestReplayIsDeterministic checks that a seed fixes the whole run.
func TestReplayIsDeterministic(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 7} {
		cfg := configFor(seed)
		cfg.Trace = true
		a, errA := Run(cfg)
		b, errB := Run(cfg)
		if errA != nil || errB != nil {
			t.Fatalf("seed %d: %v / %v", seed, errA, errB)
		}
		if len(a.Trace) == 0 || a.Steps != b.Steps || a.Messages != b.Messages || len(a.Trace) != len(b.Trace) {
			t.Fatalf("seed %d: two runs differ: %d/%d steps, %d/%d trace lines", seed, a.Steps, b.Steps, len(a.Trace), len(b.Trace))
		}
		for i := range a.Trace {
			if a.Trace[i] != b.Trace[i] {
				t.Fatalf("seed %d: traces differ at line %d:\n%s\n%s", seed, i, a.Trace[i], b.Trace[i])
			}
		}
	}
}
