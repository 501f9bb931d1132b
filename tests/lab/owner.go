package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ownerDir records which process owns which lab, so that a later New can
// reap labs whose owner died without Close (go test -timeout exits without
// running t.Cleanup). /run is a tmpfs, so records never outlive a reboot.
const ownerDir = "/run/hbd-lab"

var prefixRE = regexp.MustCompile(`^hb[0-9a-f]{6}$`)

// processStart returns the start time of pid (field 22 of /proc/PID/stat),
// which together with the PID identifies a process even across PID reuse.
func processStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	// comm (field 2) may contain spaces; the fields after it do not.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 20 {
		return "", fmt.Errorf("short /proc/%d/stat", pid)
	}
	return f[19], nil
}

// writeOwner records this process as the owner of the lab. Line 2 is the
// lab directory, removed by a sweep only if it was a temporary one.
func writeOwner(prefix, dir string, keepDir bool) error {
	start, err := processStart(os.Getpid())
	if err != nil {
		return fmt.Errorf("lab owner record: %w", err)
	}
	if err := os.MkdirAll(ownerDir, 0o755); err != nil {
		return fmt.Errorf("lab owner record: %w", err)
	}
	if keepDir {
		dir = ""
	}
	rec := fmt.Sprintf("%d %s\n%s\n", os.Getpid(), start, dir)
	if err := os.WriteFile(filepath.Join(ownerDir, prefix), []byte(rec), 0o644); err != nil {
		return fmt.Errorf("lab owner record: %w", err)
	}
	return nil
}

func removeOwner(prefix string) { _ = os.Remove(filepath.Join(ownerDir, prefix)) }

// sweepStale removes labs whose owner record names a process that no
// longer runs. It only touches namespaces whose names carry a recorded
// prefix, i.e. that this package created.
func sweepStale(log Logger) {
	ents, err := os.ReadDir(ownerDir)
	if err != nil {
		return
	}
	for _, e := range ents {
		prefix := e.Name()
		if !prefixRE.MatchString(prefix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(ownerDir, prefix))
		if err != nil {
			continue
		}
		head, dir, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(head)
		if len(f) != 2 {
			continue
		}
		pid, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		if start, err := processStart(pid); err == nil && start == f[1] {
			continue // owner alive: a concurrent lab
		}
		log.Logf("lab: reaping stale lab %s (owner pid %d gone)", prefix, pid)
		left, _ := LeftoverNetns(prefix + "-")
		for _, ns := range left {
			if id, err := statNS(namedNetnsPath(ns)); err == nil {
				if err := killNetns(id, 0, func(int) {}); err != nil {
					log.Logf("lab: %s: %v", ns, err)
				}
			}
			if err := ipCmd("netns", "del", ns); err != nil {
				log.Logf("lab: %v", err)
			}
		}
		dir = strings.TrimSpace(dir)
		if dir != "" && filepath.Dir(dir) == filepath.Clean(os.TempDir()) &&
			strings.HasPrefix(filepath.Base(dir), prefix+"-") {
			_ = os.RemoveAll(dir)
		}
		removeOwner(prefix)
	}
}

// killNetns waits up to grace for the network namespace id to empty (a
// killed PID-namespace init takes its processes along, asynchronously),
// then SIGKILLs what is left, calling onKill for each, until none is left.
func killNetns(id nsID, grace time.Duration, onKill func(pid int)) error {
	graceEnd := time.Now().Add(grace)
	giveUp := graceEnd.Add(5 * time.Second)
	seen := map[int]bool{}
	for {
		pids, err := pidsInNetns(id)
		if err != nil {
			return err
		}
		// A thread of this test binary may have entered the namespace to
		// open a socket there; never kill ourselves while tidying up.
		pids = slices.DeleteFunc(pids, func(p int) bool { return p == os.Getpid() })
		now := time.Now()
		switch {
		case len(pids) == 0:
			return nil
		case now.After(giveUp):
			return fmt.Errorf("processes %v survive SIGKILL", pids)
		case now.After(graceEnd):
			for _, pid := range pids {
				if !seen[pid] {
					seen[pid] = true
					onKill(pid)
				}
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
}
