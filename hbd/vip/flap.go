package vip

import (
	"errors"
	"time"
)

// Restores are limited: something that keeps deleting an address (a
// network manager that owns the interface) would otherwise be fought
// forever, each round with a gratuitous ARP burst. After maxRestores
// within restoreWindow the watcher gives up and reports ErrFlapping, so
// that the daemon can fail the resource instead.
const (
	maxRestores   = 5
	restoreWindow = time.Minute
)

// ErrFlapping is the Event error when an address was removed too often.
var ErrFlapping = errors.New("removed by something else too often, no longer restored")

// flapGuard remembers recent restores of one address.
type flapGuard struct {
	at []time.Time
}

// allow records a restore at now and reports whether it may go ahead.
func (g *flapGuard) allow(now time.Time) bool {
	keep := g.at[:0]
	for _, t := range g.at {
		if now.Sub(t) < restoreWindow {
			keep = append(keep, t)
		}
	}
	g.at = keep
	if len(g.at) >= maxRestores {
		return false
	}
	g.at = append(g.at, now)
	return true
}
