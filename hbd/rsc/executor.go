package rsc

import (
	"context"
	"errors"
	"sync"

	"github.com/hbd-project/hbd/haresources"
)

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("resource executor closed")

// Executor runs group operations in a worker goroutine, one at a time in
// submission order, and reports each Result through a callback. heartbeat
// likewise ran only one resource-management child at a time and queued
// the rest (QueueRemoteRscReq); serialising also means a Give can never
// overlap a Take of the same group. A daemon that wants independent groups
// to move in parallel can use one Executor per group.
//
// Submit never blocks, so the daemon's owner loop, which must keep sending
// heartbeats, is never held up by a slow or hung script.
type Executor struct {
	m      *Manager
	report func(Result)

	mu     sync.Mutex
	queue  []job
	closed bool
	nextID uint64
	wake   chan struct{} // capacity 1: "the queue changed"
	done   chan struct{}
}

type job struct {
	ctx context.Context
	id  uint64
	op  GroupOp
	g   haresources.Group
}

// NewExecutor starts the worker. report is called from the worker
// goroutine with every finished operation's Result; it should hand the
// result to the owner loop (a channel send) and return.
func NewExecutor(m *Manager, report func(Result)) *Executor {
	e := &Executor{m: m, report: report, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go e.work()
	return e
}

// Submit queues op on g and returns the id its Result will carry. ctx
// governs the operation when it runs; cancelling it aborts the operation
// (Outcome Aborted), which leaves the group in an unknown state, so a
// daemon shutting down should let its final Give operations finish.
func (e *Executor) Submit(ctx context.Context, op GroupOp, g haresources.Group) (uint64, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return 0, ErrClosed
	}
	e.nextID++
	e.queue = append(e.queue, job{ctx: ctx, id: e.nextID, op: op, g: g})
	select {
	case e.wake <- struct{}{}:
	default:
	}
	return e.nextID, nil
}

// Close refuses further work, lets the queued operations run and report,
// and returns when the worker has finished.
func (e *Executor) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
	<-e.done
}

func (e *Executor) work() {
	defer close(e.done)
	for {
		e.mu.Lock()
		if len(e.queue) == 0 {
			closed := e.closed
			e.mu.Unlock()
			if closed {
				return
			}
			<-e.wake
			continue
		}
		j := e.queue[0]
		e.queue[0] = job{}
		e.queue = e.queue[1:]
		e.mu.Unlock()

		r := e.m.Do(j.ctx, j.op, j.g)
		r.ID = j.id
		e.report(r)
	}
}
