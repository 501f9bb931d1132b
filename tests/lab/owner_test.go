package lab

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestLabSweepStale plays a lab whose test binary died without Close: an
// owner record naming a dead process, a namespace with a process in it.
// The next New must reap both and leave a live owner's lab alone.
func TestLabSweepStale(t *testing.T) {
	Require(t, "sleep")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	const stale, live = "hb0dead0", "hb0a11fe"
	for _, p := range []string{stale, live} {
		t.Cleanup(func() {
			_ = exec.Command("ip", "netns", "del", p+"-hsa").Run()
			removeOwner(p)
		})
		if err := ipCmd("netns", "add", p+"-hsa"); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(ownerDir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := fmt.Sprintf("%d 1\n\n", dead.Process.Pid)
	if err := os.WriteFile(filepath.Join(ownerDir, stale), []byte(rec), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeOwner(live, "", true); err != nil { // owned by this test process
		t.Fatal(err)
	}
	sleeper := exec.Command("ip", "netns", "exec", stale+"-hsa", "sleep", "600")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- sleeper.Wait() }()
	// ip netns exec needs a moment to switch; only then is it findable.
	for checkPIDInNetns(sleeper.Process.Pid, stale+"-hsa") != nil {
		time.Sleep(10 * time.Millisecond)
	}

	l, err := New(t, Options{Nodes: []string{"hsa"}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	if left, err := LeftoverNetns(stale); err != nil || len(left) > 0 {
		t.Errorf("stale lab namespaces survive: %v %v", left, err)
	}
	if _, err := os.Stat(filepath.Join(ownerDir, stale)); !os.IsNotExist(err) {
		t.Errorf("stale owner record: %v", err)
	}
	select {
	case err := <-waited:
		if err == nil {
			t.Error("the sleeper in the stale namespace exited cleanly, want killed")
		}
	case <-time.After(5 * time.Second):
		t.Error("process in the stale namespace was not killed")
		_ = sleeper.Process.Kill()
	}
	if left, err := LeftoverNetns(live); err != nil || len(left) != 1 {
		t.Errorf("a live owner's lab was touched: %v %v", left, err)
	}
}
