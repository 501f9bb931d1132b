package pingnode

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/link/netnstest"
)

// sign and verify stand in for heartbeat's NS_st auth: "src=<node>
// auth=<hmac-sha1 hex>".
func sign(key, node string) []byte {
	m := hmac.New(sha1.New, []byte(key))
	m.Write([]byte("src=" + node))
	return []byte("src=" + node + " auth=" + hex.EncodeToString(m.Sum(nil)))
}

func verifyWith(key string) func(string, []byte) bool {
	return func(node string, p []byte) bool { return hmac.Equal(p, sign(key, node)) }
}

// TestNetnsPing pings from namespace "a" (198.18.0.1) a namespace "t" that
// owns 198.18.0.2 and 198.18.0.3: the Linux kernel answers echo requests
// and echoes the payload, as a router used as a ping node does.
func TestNetnsPing(t *testing.T) {
	netnstest.Root(t)
	a, tg := netnstest.New(t, "pa"), netnstest.New(t, "pt")
	netnstest.Veth(t, a, "pn0", "198.18.0.1/24", tg, "pn0", "198.18.0.2/24")
	tg.IP(t, "addr", "add", "198.18.0.3/24", "dev", "pn0")

	cfg := Config{
		Nodes: []Node{
			{Name: "198.18.0.2", Hosts: []netip.Addr{h2}},
			{Name: "grp", Hosts: []netip.Addr{h2, h3}, Group: true},
			{Name: "198.18.0.9", Hosts: []netip.Addr{h9}}, // nobody there
		},
		Verify: verifyWith("s3cr3t"),
	}
	var p *Pinger
	a.Do(t, func() error {
		var err error
		p, err = Open(cfg)
		return err
	})
	t.Cleanup(func() { p.Close() })

	events := make(chan Event, 16)
	done := make(chan error, 1)
	go func() { done <- p.Run(t.Context(), events) }()

	var mu sync.Mutex
	seen := map[string][]Event{}
	go func() {
		for ev := range events {
			mu.Lock()
			seen[ev.Node] = append(seen[ev.Node], ev)
			mu.Unlock()
		}
	}()
	snapshot := func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range seen {
			out[k] = len(v)
		}
		return out
	}

	for _, n := range cfg.Nodes {
		if err := p.Send(n.Name, sign("s3cr3t", n.Name)); err != nil {
			t.Fatalf("Send(%s): %v", n.Name, err)
		}
	}
	// A reply whose payload was signed with another key is not accepted.
	if err := p.Send("198.18.0.2", sign("wrong", "198.18.0.2")); err != nil {
		t.Fatal(err)
	}

	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		st := p.Stats()
		if st.Replies >= 4 && st.Duplicates >= 1 && st.Rejected >= 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // time for unexpected extra events
	if diff := cmp.Diff(map[string]int{"198.18.0.2": 1, "grp": 1}, snapshot()); diff != "" {
		t.Errorf("events per node (-want +got):\n%s", diff)
	}
	st := p.Stats()
	if st.Sent != 5 || st.Replies != 4 || st.Duplicates != 1 || st.Rejected != 1 {
		t.Errorf("stats %+v, want Sent 5 Replies 4 Duplicates 1 Rejected 1", st)
	}
	mu.Lock()
	ev := seen["198.18.0.2"][0]
	grp := seen["grp"][0]
	mu.Unlock()
	if ev.From != h2 || ev.Seq != 0 {
		t.Errorf("ping event %+v, want from %v seq 0", ev, h2)
	}
	if (grp.From != h2 && grp.From != h3) || grp.Seq != 0 {
		t.Errorf("group event %+v, want from a member with seq 0", grp)
	}

	p.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after Close")
	}
	close(events)
}
