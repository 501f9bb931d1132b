package link

import "sync"

// maxLoggedErrors is how many consecutive errors are logged before the rest
// of the streak is suppressed, as heartbeat's write child does after 10
// failed writes (mp->suppresserrs, heartbeat-spec §3.7).
const maxLoggedErrors = 10

// errStreak decides which errors of a streak get logged.
type errStreak struct {
	mu sync.Mutex
	n  int // errors since the last success
}

// fail records an error and reports whether to log it, and whether it is
// the last one logged before suppression.
func (e *errStreak) fail() (log, last bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.n++
	return e.n <= maxLoggedErrors, e.n == maxLoggedErrors
}

// ok ends a streak and returns how many errors it had.
func (e *errStreak) ok() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.n
	e.n = 0
	return n
}
