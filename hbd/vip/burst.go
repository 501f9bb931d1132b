package vip

import (
	"context"
	"time"

	"github.com/mdlayher/arp"
)

// step is one packet of an announcement: when it leaves, counted from the
// first packet, and which ARP operation it is (0 for a Neighbor
// Advertisement).
type step struct {
	At time.Duration
	Op arp.Operation
}

// garpSchedule is send_arp's burst (heartbeat 2.1.3 send_arp.c, §9.4):
// for each of Repeat repeats an ARP request, Interval/2 later an ARP
// reply, Interval/2 later the next request. With IPaddr's defaults that is
// 20 packets 250 ms apart, as in the IPaddr-garp capture. The times are
// from the first packet, so that scheduling delays do not add up the way
// send_arp's sleeps do.
func garpSchedule(c ARPConfig) []step {
	half := c.Interval / 2
	steps := make([]step, 0, 2*c.Repeat)
	for i := range c.Repeat {
		steps = append(steps,
			step{At: time.Duration(2*i) * half, Op: arp.OperationRequest},
			step{At: time.Duration(2*i+1) * half, Op: arp.OperationReply})
	}
	return steps
}

// naSchedule is resource-agents' send_ua: Repeat unsolicited Neighbor
// Advertisements Interval apart.
func naSchedule(c ARPConfig) []step {
	steps := make([]step, 0, c.Repeat)
	for i := range c.Repeat {
		steps = append(steps, step{At: time.Duration(i) * c.Interval})
	}
	return steps
}

// refreshSchedule is what garp_refresh sends each period: one request and
// one reply back to back (both kinds, because some switches only learn
// from replies, resource-agents #977), or one advertisement.
func refreshSchedule(v6 bool) []step {
	if v6 {
		return []step{{}}
	}
	return []step{{Op: arp.OperationRequest}, {Op: arp.OperationReply}}
}

// announcer sends one announcement packet for an address.
type announcer interface {
	announce(op arp.Operation) error
	Close() error
}

// maxLate is how late a packet may leave before the rest of the schedule
// moves with it. Below it, times stay anchored at the first packet, so
// timer jitter does not add up; above it (the process was stalled), the
// remaining packets keep their spacing instead of leaving back to back,
// which would waste the repeats on one instant.
const maxLate = 10 * time.Millisecond

// play sends steps at t0+At each, returning how many it sent, and ctx's
// error if it was cancelled first, or the first send error.
func play(ctx context.Context, a announcer, steps []step, t0 time.Time) (int, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for i, s := range steps {
		at := t0.Add(s.At)
		if d := time.Until(at); d > 0 {
			if timer == nil {
				timer = time.NewTimer(d)
			} else {
				timer.Reset(d)
			}
			select {
			case <-ctx.Done():
				return i, ctx.Err()
			case <-timer.C:
			}
		}
		// Late, whether before waiting or by waking up late.
		if late := time.Since(at); late > maxLate {
			t0 = t0.Add(late)
		}
		if err := ctx.Err(); err != nil {
			return i, err
		}
		if err := a.announce(s.Op); err != nil {
			return i, err
		}
	}
	return len(steps), nil
}

// refresh sends the refresh schedule every period until ctx is done
// (hbd's garp_refresh, off by default: keepalived's garp_master_refresh
// and metallb's periodic GARP for switches whose FDB ages out before the
// router's ARP cache, peers.md §2).
func refresh(ctx context.Context, a announcer, period time.Duration, steps []step) error {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
			if _, err := play(ctx, a, steps, time.Now()); err != nil {
				return err
			}
		}
	}
}
