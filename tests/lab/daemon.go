package lab

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// nodeInit runs as PID 1 of a node's private PID, mount and UTS
// namespaces (inside the node's network namespace). It gives the cluster
// daemon the per-node files that heartbeat's fixed paths, and the stock
// resource scripts, would otherwise share between nodes (§12.1 of the
// spec), then runs the daemon ("$@") as its child.
//
// It stays PID 1 instead of exec'ing the daemon: after "returning after
// partition" or "no local heartbeat" heartbeat re-execs itself without -f
// and daemonizes, and the parent's exit must not end the namespace while
// the daemon runs. So after the daemon returns, it waits until it is the
// only process left (with its own /proc, a glob sees exactly the
// namespace). When it exits, the kernel kills whatever remains in the
// namespace.
const nodeInit = `set -e
hostname "$HBD_LAB_NODE"
mount --bind "$HBD_LAB_HA_D" /etc/ha.d
mount --bind "$HBD_LAB_VARLIB" /var/lib/heartbeat
# an empty /etc/init.d: a haresources name that is not in resource.d must
# not start or stop a service of the host
mount --bind "$HBD_LAB_INITD" /etc/init.d
# a private /run: pidfile, API socket, rsctmp, IPaddr locks; it also hides
# the host's systemd and D-Bus sockets from a "reboot"
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/resource-agents
if id hacluster >/dev/null 2>&1; then
	chown hacluster:haclient /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd
fi
chmod 750 /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd
set +e
"$@"
rc=$?
echo "lab: daemon exited with status $rc"
while :; do
	set -- /proc/[0-9]*
	[ $# -gt 1 ] || break
	sleep 1
done
exit $rc
`

// nodeNS is a daemon running under nodeInit. Its methods are promoted to
// Heartbeat and Hbd.
type nodeNS struct {
	node    *Node
	proc    *Proc // unshare, the parent of initPID
	initPID int   // host PID of PID 1 of the node's namespaces
	mainPID int   // host PID of the daemon as first started
}

// nodeDirs are the per-node directories nodeInit mounts.
type nodeDirs struct {
	haD, varlib, initd string
}

// prepare creates varlib (a skeleton copy of /var/lib/heartbeat, kept
// across restarts of the node) and the empty initd.
func (d nodeDirs) prepare() error {
	if err := copyDirSkeleton("/var/lib/heartbeat", d.varlib); err != nil {
		return err
	}
	return os.MkdirAll(d.initd, 0o755)
}

// startInNodeNS starts argv as node n's cluster daemon:
//
//	ip netns exec NS unshare --uts --mount --pid --fork --kill-child --mount-proc sh -c nodeInit
//
// Killing the returned process (as Close does) ends the PID namespace and
// so every process of the node. In that namespace heartbeat's emergency
// "pkill -9 heartbeat" sees only the node, and reboot(2) only ends the
// namespace (reboot(2), "Behavior inside PID namespaces").
func (l *Lab) startInNodeNS(n *Node, name string, dirs nodeDirs, argv []string) (*nodeNS, error) {
	if err := dirs.prepare(); err != nil {
		return nil, err
	}
	full := append([]string{"ip", "netns", "exec", n.NS,
		"unshare", "--uts", "--mount", "--propagation", "private",
		"--pid", "--fork", "--kill-child", "--mount-proc",
		"sh", "-c", nodeInit, "lab-node-init"}, argv...)
	env := []string{
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
		"LANG=C",
		"HBD_LAB_NODE=" + n.Name,
		"HBD_LAB_HA_D=" + dirs.haD,
		"HBD_LAB_VARLIB=" + dirs.varlib,
		"HBD_LAB_INITD=" + dirs.initd,
	}
	p, err := l.start(n, name, full, env)
	if err != nil {
		return nil, err
	}
	d := &nodeNS{node: n, proc: p}
	// unshare's only child is the namespace's PID 1. The daemon is the
	// child of that running the daemon's executable (its command line is
	// no guide: heartbeat rewrites it to "heartbeat: master control
	// process"); before it come mount, chown and friends.
	exe, err := filepath.EvalSymlinks(argv[0])
	if err != nil {
		p.kill()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.mainPID == 0 {
		if d.initPID == 0 {
			if kids, err := childPIDs(p.PID()); err == nil && len(kids) == 1 {
				d.initPID = kids[0]
			}
		}
		if d.initPID != 0 {
			kids, _ := childPIDs(d.initPID)
			for _, kid := range kids {
				if got, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", kid)); err == nil && got == exe {
					d.mainPID = kid
				}
			}
		}
		if d.mainPID != 0 {
			break
		}
		if p.Exited() {
			// A daemon may well be done already (--check, a rejected
			// config); only a failure of the init itself is an error.
			if !strings.Contains(p.Log(), "lab: daemon exited with status") {
				return nil, fmt.Errorf("%s: node setup in %s failed: %v: %s", name, n.NS, p.Wait(time.Second), p.Log())
			}
			return d, nil
		}
		if time.Now().After(deadline) {
			p.kill()
			return nil, fmt.Errorf("%s did not start in %s: %s", name, n.NS, p.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// An init that has already exited (quick daemon) cannot be checked, and
	// needs no check.
	if err := checkPIDInNetns(d.initPID, n.NS); errors.Is(err, errWrongNetns) {
		p.kill()
		return nil, err
	}
	return d, nil
}

// copyDirSkeleton recreates the directory tree of src (modes and owners,
// no files) under dst, if dst does not exist yet. Files are left out on
// purpose: a copied hb_uuid or hb_generation would give two nodes the same
// identity. A missing src (no heartbeat installed) gives an empty dst.
func copyDirSkeleton(src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil // keep the node's state across restarts
	}
	if _, err := os.Stat(src); os.IsNotExist(err) {
		return os.MkdirAll(dst, 0o755)
	}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		if err := os.Lchown(target, int(st.Uid), int(st.Gid)); err != nil {
			return err
		}
		return os.Chmod(target, info.Mode().Perm()) // undo the umask
	})
	if err != nil {
		return fmt.Errorf("copy %s skeleton: %w", src, err)
	}
	return nil
}

// Exec runs a command inside all of the node's namespaces (mount, network,
// UTS and PID), where it sees the node's /etc/ha.d, /run and hostname. The
// PID namespace matters: heartbeat's API rejects a client whose PID it
// cannot see ("bad pid"), so cl_status must run inside it.
func (d *nodeNS) Exec(args ...string) (stdout string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), execTimeout)
	defer cancel()
	if d.proc.Exited() {
		return "", fmt.Errorf("%s: the node's namespaces are gone", d.node.Name)
	}
	if err := checkPIDInNetns(d.initPID, d.node.NS); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{
		"-t", strconv.Itoa(d.initPID), "-m", "-n", "-u", "-p", "--"}, args...)...)
	// nsenter forks into the PID namespace; a timeout kills only nsenter,
	// so do not wait forever for the child to close the output pipes.
	cmd.WaitDelay = 2 * time.Second
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %s: %w: %s", d.node.Name, strings.Join(args, " "), err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.String(), nil
}

// Running reports whether the node's namespaces still exist, i.e. some
// process of the daemon still runs.
func (d *nodeNS) Running() bool { return d != nil && !d.proc.Exited() }

// Wait waits up to timeout for every process of the node to end and
// returns the exit error of the daemon as first started.
func (d *nodeNS) Wait(timeout time.Duration) error { return d.proc.Wait(timeout) }

// Output returns what the daemon and the namespace init wrote to stdout
// and stderr (start-up errors such as config rejections land here).
func (d *nodeNS) Output() string { return d.proc.Log() }

// PowerOff kills every process of the node at once, like a power failure:
// it SIGKILLs the lab's unshare, whose PID-namespace init then dies, and
// the kernel kills the rest. It waits up to 5 s for the init to go, which
// the kernel lets happen only after all other processes of the namespace.
func (d *nodeNS) PowerOff() error {
	d.proc.kill()
	if d.initPID == 0 {
		return nil
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		st, err := procStatus(d.initPID)
		if err != nil || strings.HasPrefix(st["State"], "Z") {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: processes survive power-off", d.node.Name)
}

// signal sends sig to pid after checking that pid is still one of the
// node's processes.
func (d *nodeNS) signal(pid int, sig syscall.Signal) error {
	if err := checkPIDInNetns(pid, d.node.NS); err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("%s: kill %d: %w", d.node.Name, pid, err)
	}
	return nil
}
