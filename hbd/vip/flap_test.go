package vip

import (
	"testing"
	"time"
)

func TestFlapGuard(t *testing.T) {
	var g flapGuard
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range maxRestores {
		if !g.allow(t0.Add(time.Duration(i) * time.Second)) {
			t.Fatalf("restore %d refused", i+1)
		}
	}
	if g.allow(t0.Add(10 * time.Second)) {
		t.Errorf("restore %d within %v allowed", maxRestores+1, restoreWindow)
	}
	// Once the first restore is older than the window, one more is allowed.
	if !g.allow(t0.Add(restoreWindow)) {
		t.Errorf("restore after the window refused")
	}
	if g.allow(t0.Add(restoreWindow + 500*time.Millisecond)) {
		t.Errorf("second restore after the window allowed: only one slot freed")
	}
}
