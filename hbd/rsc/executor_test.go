package rsc

import (
	"errors"
	"testing"
	"testing/synctest"

	"github.com/google/go-cmp/cmp"
)

func TestExecutor(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.started = make(chan string) // unbuffered: holds a start until the test reads it
		results := make(chan Result, 10)
		e := NewExecutor(fakeManager(t, f, newRecorder()), func(r Result) { results <- r })

		a, b := group(t, "node1 fake::a1 fake::a2"), group(t, "node2 fake::b1")
		id1, err := e.Submit(t.Context(), Take, a)
		if err != nil {
			t.Fatal(err)
		}
		// The worker is now blocked inside a1's start; Submit must still
		// return at once.
		if got := <-f.started; got != "a1" {
			t.Fatalf("first start %q", got)
		}
		id2, _ := e.Submit(t.Context(), Give, b)
		id3, _ := e.Submit(t.Context(), Check, a)
		synctest.Wait()
		select {
		case r := <-results:
			t.Fatalf("result %+v before the first operation finished", r)
		default:
		}
		if got := <-f.started; got != "a2" {
			t.Fatalf("second start %q", got)
		}

		e.Close() // runs what is queued, then stops
		if _, err := e.Submit(t.Context(), Take, a); !errors.Is(err, ErrClosed) {
			t.Errorf("Submit after Close: %v", err)
		}
		close(results)
		type brief struct {
			ID      uint64
			Op      GroupOp
			Key     string
			Outcome Outcome
			State   State
		}
		var got []brief
		for r := range results {
			got = append(got, brief{r.ID, r.Op, r.Key, r.Outcome, r.State})
		}
		want := []brief{
			{id1, Take, "fake::a1", Done, Unknown},
			{id2, Give, "fake::b1", Done, Unknown},
			{id3, Check, "fake::a1", Done, Running},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
	})
}
