package tests

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/authkeys"
	"github.com/hbd-project/hbd/hbd/hacf"
)

// TestConfigParity (spec §12.2 C1) runs the real heartbeat 3.0.6 on every
// ha.cf/authkeys case in testdata/configparity and checks that hbd's
// parsers reach the same verdict. When both accept, it also compares the
// recorded parameter values (heartbeat -v prints them; cl_status
// hbparameter returns them) and whether auto_failback ended up legacy.
//
// Each case directory holds ha.cf, optionally authkeys (default: a sha1
// key, mode 0600), and a "case" file of "key value" lines: want
// accept|reject (the documented heartbeat parityVerdict, checked so that a
// broken harness cannot pass), hostname (default node1), authkeys_mode
// (octal) and why (shown in the table).  heartbeat runs inside unshare --pid
// --fork --kill-child --mount --uts --net: a fresh network namespace holding
// only lo and a veth pair eth0/eth1 (192.0.2.1, .2), so it can send nothing
// anywhere; /etc/ha.d, /var/log and /var/lib/heartbeat are bind-mounted from
// a temp dir, /run is a tmpfs, and everything in the pid namespace dies with
// it.
func TestConfigParity(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs the real heartbeat in fresh namespaces")
	}
	for _, bin := range []string{parityHeartbeat, "unshare", "ip", "timeout", "stdbuf"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not available: %v", bin, err)
		}
	}
	dirs, err := filepath.Glob("testdata/configparity/*/ha.cf")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases in testdata/configparity: %v", err)
	}
	var (
		mu   sync.Mutex
		rows []string
		seen = map[bool]int{}
	)
	t.Run("cases", func(t *testing.T) {
		for _, haCF := range dirs {
			dir := filepath.Dir(haCF)
			name := filepath.Base(dir)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				tc := loadParityCase(t, dir)
				work := prepareParityTree(t, tc)
				hb := runParityHeartbeat(t, work, tc.hostname)
				hbdCfg, hbd := parityHBD(work, tc.hostname)
				mu.Lock()
				rows = append(rows, fmt.Sprintf("%-32s %-7s %-7s %-7s %s\n%34s real: %s\n%34s hbd:  %s",
					name, parityVerdict(hb.accepted), parityVerdict(hbd == nil), tc.want, tc.why,
					"", hb.reason, "", parityErrLine(hbd, filepath.Join(work, "etc")+"/")))
				seen[hb.accepted]++
				mu.Unlock()

				if hb.accepted != (hbd == nil) {
					t.Errorf("real heartbeat %s, hbd %s\nreal: %s\nhbd: %v", parityVerdict(hb.accepted), parityVerdict(hbd == nil), hb.reason, hbd)
				}
				if tc.want != "" && parityVerdict(hb.accepted) != tc.want {
					t.Errorf("real heartbeat %s (%s), case says %s: harness or case is wrong", parityVerdict(hb.accepted), hb.reason, tc.want)
				}
				if !hb.accepted || hbd != nil {
					return
				}
				if diff := cmp.Diff(hb.params, parityHBDParams(hbdCfg)); diff != "" {
					t.Errorf("recorded parameters (-real +hbd):\n%s", diff)
				}
				hbdLegacy := hbdCfg.AutoFailback == hacf.FailbackLegacy && hbdCfg.ResourceManagement
				if hb.legacy != hbdLegacy {
					t.Errorf("auto_failback legacy: real %v, hbd %v (%v)", hb.legacy, hbdLegacy, hbdCfg.AutoFailback)
				}
			})
		}
	})
	sort.Strings(rows)
	t.Logf("real-vs-hbd verdicts (%d cases):\n%-32s %-7s %-7s %-7s %s\n%s", len(rows),
		"case", "real", "hbd", "want", "why", strings.Join(rows, "\n"))
	if !t.Failed() && (seen[true] == 0 || seen[false] == 0) {
		t.Errorf("real heartbeat accepted %d and rejected %d cases: the harness is not telling them apart", seen[true], seen[false])
	}
}

const parityHeartbeat = "/usr/libexec/heartbeat/heartbeat"

// parityRunTimeout is how long a valid config keeps heartbeat running before
// we call it accepted; a config error exits within a fraction of a second.
const parityRunTimeout = 3 * time.Second

type parityCase struct {
	dir, want, why, hostname string
	authkeysMode             os.FileMode
}

func loadParityCase(t *testing.T, dir string) parityCase {
	tc := parityCase{dir: dir, hostname: "node1", authkeysMode: 0o600}
	data, err := os.ReadFile(filepath.Join(dir, "case"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, val, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch key {
		case "":
		case "want":
			if val != "accept" && val != "reject" {
				t.Fatalf("%s: want %q", dir, val)
			}
			tc.want = val
		case "why":
			tc.why = val
		case "hostname":
			tc.hostname = val
		case "authkeys_mode":
			m, err := strconv.ParseUint(val, 8, 32)
			if err != nil {
				t.Fatalf("%s: authkeys_mode: %v", dir, err)
			}
			tc.authkeysMode = os.FileMode(m)
		default:
			t.Fatalf("%s/case: unknown key %q", dir, key)
		}
	}
	return tc
}

// prepareParityTree builds the temp tree the namespace mounts: etc (for
// /etc/ha.d), varlib (/var/lib/heartbeat skeleton), log (/var/log) and out.
func prepareParityTree(t *testing.T, tc parityCase) string {
	work, err := os.MkdirTemp("", "hbd-configparity-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(work) })
	for _, d := range []string{"log", "out"} {
		if err := os.Mkdir(filepath.Join(work, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The shipped /etc/ha.d (harc, rc.d, resource.d, shellfuncs), then the
	// case's files; haresources is empty: no resource can fail to stop.
	etc := filepath.Join(work, "etc")
	if err := parityCopyTree("/etc/ha.d", etc, true); err != nil {
		t.Fatal(err)
	}
	haCF, err := os.ReadFile(filepath.Join(tc.dir, "ha.cf"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(filepath.Join(tc.dir, "authkeys"))
	if errors.Is(err, fs.ErrNotExist) {
		keys, err = []byte("auth 1\n1 sha1 parity-secret\n"), nil
	}
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]struct {
		data []byte
		mode os.FileMode
	}{"ha.cf": {haCF, 0o644}, "authkeys": {keys, tc.authkeysMode}, "haresources": {nil, 0o644}} {
		p := filepath.Join(etc, name)
		if err := os.WriteFile(p, f.data, f.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, f.mode); err != nil { // umask-proof
			t.Fatal(err)
		}
	}
	// Only the directories of /var/lib/heartbeat: no state (uuid,
	// generation, hostcache) leaks between runs or from other tests.
	if err := parityCopyTree("/var/lib/heartbeat", filepath.Join(work, "varlib"), false); err != nil {
		t.Fatal(err)
	}
	return work
}

// parityCopyTree copies directories (with mode and owner) and, if files is
// set, regular files too.
func parityCopyTree(src, dst string, files bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dst, strings.TrimPrefix(p, src))
		info, err := d.Info()
		if err != nil {
			return err
		}
		st := info.Sys().(*syscall.Stat_t)
		switch {
		case d.IsDir():
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
				return err
			}
		case files && d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return nil
		}
		if err := os.Chmod(target, info.Mode().Perm()); err != nil {
			return err
		}
		return os.Lchown(target, int(st.Uid), int(st.Gid))
	})
}

// parityNSScript runs as pid 1 of the new namespaces. Mounts and interfaces
// die with them; timeout kills heartbeat, and --kill-child anything it
// forked.
const parityNSScript = `set -eu
mount --bind "$W/etc" /etc/ha.d
mount --bind "$W/varlib" /var/lib/heartbeat
mount --bind "$W/log" /var/log
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd /run/resource-agents
chown hacluster:haclient /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd
chmod 750 /run/heartbeat/ccm /run/heartbeat/crm /run/heartbeat/dopd
hostname "$NODE"
ip link set lo up
ip link add eth0 type veth peer name eth1
ip addr add 192.0.2.1/24 brd + dev eth0
ip addr add 192.0.2.2/24 brd + dev eth1
ip link set eth0 up
ip link set eth1 up
set +e
timeout -s KILL "$T" stdbuf -oL "$HB" -f -v >"$W/out/stdout" 2>"$W/out/stderr" </dev/null
echo $? >"$W/out/rc"
`

type parityReal struct {
	accepted bool
	reason   string            // the first error, or how it ran
	params   map[string]string // heartbeat -v: recorded parameter values
	legacy   bool              // logged "Deprecated 'legacy' auto_failback"
}

func runParityHeartbeat(t *testing.T, work, node string) parityReal {
	ctx, cancel := context.WithTimeout(context.Background(), parityRunTimeout+20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "--pid", "--fork", "--kill-child", "--mount",
		"--propagation", "private", "--uts", "--net", "sh", "-c", parityNSScript)
	cmd.Env = append(os.Environ(), "W="+work, "NODE="+node, "HB="+parityHeartbeat,
		fmt.Sprintf("T=%d", int(parityRunTimeout.Seconds())))
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("namespace setup: %v\n%s", err, out)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(work, "out", name))
		return string(b)
	}
	rc, err := strconv.Atoi(strings.TrimSpace(read("rc")))
	if err != nil {
		t.Fatalf("no exit status from heartbeat: %v", err)
	}
	logs := read("stderr")
	if b, err := os.ReadFile(filepath.Join(work, "log", "ha-log")); err == nil {
		logs += string(b)
	}
	validated := strings.Contains(logs, "Configuration validated")
	running := rc == 128+9 // still running when timeout killed it
	r := parityReal{
		accepted: validated && running,
		params:   parityDumpedParams(read("stdout")),
		legacy:   strings.Contains(logs, "Deprecated 'legacy' auto_failback option selected"),
	}
	switch {
	case r.accepted:
		r.reason = fmt.Sprintf("configuration validated, still running after %v", parityRunTimeout)
	case validated:
		r.reason = fmt.Sprintf("configuration validated, then exited with %d: %s", rc, parityFirstError(logs))
	default:
		r.reason = fmt.Sprintf("exit %d: %s", rc, parityFirstError(logs))
	}
	return r
}

// parityFirstError is the first specific ERROR heartbeat logged.
func parityFirstError(logs string) string {
	for _, l := range strings.Split(logs, "\n") {
		_, msg, ok := strings.Cut(l, "ERROR: ")
		if ok && !strings.Contains(msg, "not started") && !strings.Contains(msg, "Cannot lock ourselves") {
			return strings.TrimSpace(msg)
		}
	}
	return "(no ERROR line)"
}

// parityDumpedParams reads heartbeat -v's
// "name<TAB>value<TAB>#<TAB>explanation" lines between "HA configuration and
// status" and "HA Cluster nodes".
func parityDumpedParams(stdout string) map[string]string {
	params := map[string]string{}
	in := false
	sc := bufio.NewScanner(strings.NewReader(stdout))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "HA configuration and status"):
			in = true
		case strings.Contains(line, "HA Cluster nodes"):
			return params
		case in && !strings.HasPrefix(line, "#"):
			if f := strings.Split(line, "\t"); len(f) >= 2 {
				params[f[0]] = f[1]
			}
		}
	}
	return params
}

// parityHBD parses the same files with hbd. The interfaces are those of
// the namespace heartbeat ran in.
func parityHBD(work, node string) (*hacf.Config, error) {
	etc := filepath.Join(work, "etc")
	ifaces := map[string]bool{"lo": true, "eth0": true, "eth1": true}
	cfg, _, err := hacf.Load(filepath.Join(etc, "ha.cf"), hacf.Options{
		LocalNode: node,
		CheckInterface: func(name string) error {
			if !ifaces[name] {
				return errors.New("no such device")
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if _, err := authkeys.Load(filepath.Join(etc, "authkeys")); err != nil {
		return nil, err
	}
	return cfg, nil
}

func parityHBDParams(c *hacf.Config) map[string]string {
	m := map[string]string{}
	for _, p := range c.Params() {
		m[p.Name] = p.Value
	}
	return m
}

func parityVerdict(accepted bool) string {
	if accepted {
		return "accept"
	}
	return "reject"
}

// parityErrLine is the first line of err, without the temp dir.
func parityErrLine(err error, dir string) string {
	if err == nil {
		return "ok"
	}
	s, _, more := strings.Cut(strings.ReplaceAll(err.Error(), dir, ""), "\n")
	if more {
		s += " …"
	}
	return s
}
