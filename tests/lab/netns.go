package lab

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// nsID identifies a namespace the way the kernel does: the nsfs device and
// inode of its /proc/PID/ns/* or /run/netns/* file.
type nsID struct{ dev, ino uint64 }

func statNS(path string) (nsID, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return nsID{}, fmt.Errorf("stat namespace %s: %w", path, err)
	}
	return nsID{dev: st.Dev, ino: st.Ino}, nil
}

// namedNetnsPath is where iproute2 keeps the bind mount that names a netns.
func namedNetnsPath(name string) string { return filepath.Join("/run/netns", name) }

// CheckNotRootNetns returns an error unless the named network namespace
// (as created by "ip netns add") exists and is neither the network namespace
// of this process nor (where readable) that of PID 1. Every command the lab runs goes through
// it first: a missing or mis-attached name must never make heartbeat or
// tcpdump run, and send, on the host's network.
func CheckNotRootNetns(name string) error {
	if name == "" || strings.ContainsRune(name, '/') {
		return fmt.Errorf("netns %q: invalid name", name)
	}
	target, err := statNS(namedNetnsPath(name))
	if err != nil {
		return fmt.Errorf("netns %q: %w", name, err)
	}
	for _, root := range []string{"/proc/self/ns/net", "/proc/1/ns/net"} {
		id, err := statNS(root)
		if root == "/proc/1/ns/net" && errors.Is(err, os.ErrPermission) {
			continue // PID 1 may be out of reach (sandboxes); self is enough then
		}
		if err != nil {
			return fmt.Errorf("netns %q: %w", name, err)
		}
		if id == target {
			return fmt.Errorf("netns %q is the root network namespace (same as %s)", name, root)
		}
	}
	return nil
}

// checkPIDInNetns verifies that a running process really sits in the named
// namespace, e.g. that "ip netns exec" did switch before exec'ing.
func checkPIDInNetns(pid int, name string) error {
	want, err := statNS(namedNetnsPath(name))
	if err != nil {
		return err
	}
	got, err := statNS(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("pid %d: %w %s", pid, errWrongNetns, name)
	}
	return nil
}

// errWrongNetns tells a process in the wrong namespace from one that is
// simply gone.
var errWrongNetns = errors.New("process is not in netns")

// procStatus returns the fields of /proc/PID/status.
func procStatus(pid int) (map[string]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for line := range strings.Lines(string(b)) {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m, nil
}

// allPIDs lists the processes visible in this process's /proc.
func allPIDs() ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list /proc: %w", err)
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// childPIDs returns the direct children of parent.
func childPIDs(parent int) ([]int, error) {
	pids, err := allPIDs()
	if err != nil {
		return nil, err
	}
	var kids []int
	for _, pid := range pids {
		st, err := procStatus(pid)
		if err != nil {
			continue // exited meanwhile
		}
		if st["PPid"] == strconv.Itoa(parent) {
			kids = append(kids, pid)
		}
	}
	return kids, nil
}

// pidsInNetns returns every process whose network namespace is id. The lab
// uses it to find anything still holding one of its namespaces at Close.
func pidsInNetns(id nsID) ([]int, error) {
	pids, err := allPIDs()
	if err != nil {
		return nil, err
	}
	var in []int
	for _, pid := range pids {
		got, err := statNS(fmt.Sprintf("/proc/%d/ns/net", pid))
		if err != nil {
			continue // exited meanwhile, or a kernel thread
		}
		if got == id {
			in = append(in, pid)
		}
	}
	return in, nil
}

// hostPIDOf translates nsPID, a PID as seen inside the PID namespace of
// nsInit (for example the content of a pidfile written there), to the PID
// this process sees, using the NSpid line of /proc/PID/status.
func hostPIDOf(nsInit, nsPID int) (int, error) {
	want, err := statNS(fmt.Sprintf("/proc/%d/ns/pid", nsInit))
	if err != nil {
		return 0, err
	}
	pids, err := allPIDs()
	if err != nil {
		return 0, err
	}
	for _, pid := range pids {
		got, err := statNS(fmt.Sprintf("/proc/%d/ns/pid", pid))
		if err != nil || got != want {
			continue
		}
		st, err := procStatus(pid)
		if err != nil {
			continue
		}
		f := strings.Fields(st["NSpid"])
		if len(f) > 0 && f[len(f)-1] == strconv.Itoa(nsPID) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no process with pid %d in the pid namespace of %d: %w", nsPID, nsInit, os.ErrNotExist)
}
