package core

import (
	"container/heap"
	"time"
)

// timer is one pending glib timeout of heartbeat's main loop
// (Gmain_timeout_add): keepalive, rexmit requests, reqnodes retries,
// the deadtime pop, initdead, msgfree, the partition restart.
type timer struct {
	at   time.Time
	id   uint64 // creation order breaks ties
	fn   func()
	dead bool // fired or cancelled
	idx  int  // position in the heap
}

// timerHeap orders timers by deadline.
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].id < h[j].id
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.idx = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}

func (h timerHeap) peek() *timer { return h[0] }

// after arms a one-shot timer d from now.
func (m *Machine) after(d time.Duration, fn func()) *timer {
	m.timerID++
	t := &timer{at: m.now.Add(d), id: m.timerID, fn: fn}
	heap.Push(&m.timers, t)
	return t
}

// cancel disarms t; cancelling a fired timer or nil is a no-op.
func (m *Machine) cancel(t *timer) {
	if t == nil || t.dead {
		return
	}
	t.dead = true
	heap.Remove(&m.timers, t.idx)
}

// runTimers fires every timer due at or before now, earliest first. Work
// that a timer arms for now or earlier runs in the same call.
func (m *Machine) runTimers() {
	for m.timers.Len() > 0 {
		t := m.timers.peek()
		if t.at.After(m.now) {
			return
		}
		heap.Pop(&m.timers)
		t.dead = true
		t.fn()
	}
}
