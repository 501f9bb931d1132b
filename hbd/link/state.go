package link

import (
	"sync"
	"time"
)

// linkState tracks whether a medium works locally and reports transitions.
type linkState struct {
	mu    sync.Mutex
	known bool
	down  error // nil: up
}

// set records the new state (err == nil: up) and returns the event to emit,
// if the state changed.
func (s *linkState) set(spec Spec, err error, now time.Time) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known && (s.down == nil) == (err == nil) {
		if err != nil {
			s.down = err // keep the latest reason
		}
		return Event{}, false
	}
	s.known, s.down = true, err
	return Event{Link: spec.Iface, Medium: spec.String(), Up: err == nil, Err: err, Time: now}, true
}

// get returns the current reason the medium is down (nil: up or unknown).
func (s *linkState) get() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}
