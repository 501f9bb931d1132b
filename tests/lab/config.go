package lab

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// TestKey is the sha1 key of DefaultAuthkeys, the same key as in the
// reference captures of the spec.
const TestKey = "s3cr3t"

// DefaultAuthkeys is used when Config.Authkeys is empty.
const DefaultAuthkeys = "auth 1\n1 sha1 " + TestKey + "\n"

// Config is one node's cluster configuration: the files of /etc/ha.d. The
// same Config serves a real heartbeat (StartHeartbeat) and hbd (StartHbd),
// so an interop test writes one ha.cf for both.
type Config struct {
	// HaCf is the body of ha.cf. The lab prepends logfile, debugfile and
	// "use_logd no" with per-node paths, so HaCf must not set them.
	HaCf string
	// Authkeys defaults to DefaultAuthkeys; it is written with mode 0600
	// (heartbeat refuses group/other-readable keys).
	Authkeys string
	// Haresources may be empty: no resources.
	Haresources string
	// Scripts adds resource.d scripts, name → content. The lab always adds
	// "hbdtest" (see TestScript).
	Scripts map[string]string
}

// TestScript is the resource script installed as resource.d/hbdtest. It
// records each call in <node log dir>/rsc.log and keeps one state file
// rsc.<instance> per running instance there ("hbdtest::r1" → rsc.r1), so a
// test can see from outside which node holds what.
const TestScript = `#!/bin/sh
# hbdtest: a resource that does nothing but record calls and its state.
dir=@LOGDIR@
if [ $# -ge 2 ]; then inst=$1 op=$2; else inst=default op=$1; fi
echo "$(date +%s.%N) $inst $op" >> "$dir/rsc.log"
case "$op" in
start) touch "$dir/rsc.$inst" ;;
stop) rm -f "$dir/rsc.$inst" ;;
status) if [ -f "$dir/rsc.$inst" ]; then echo running; else echo stopped; fi ;;
esac
exit 0
`

// guardScript replaces every resource.d script. heartbeat's
// ResourceManager answers a failed "stop" with "pkill -9 heartbeat" and
// "reboot -nf" of the whole host, so under the lab a stop always reports
// success, whatever the real script (the stock IPaddr included) returns.
// The real script is found relative to $0 so the same file works under
// /etc/ha.d (heartbeat) and under hbd's -c directory.
const guardScript = `#!/bin/sh
# hbd lab guard: stop always exits 0 (a failed stop reboots the host).
real="${0%%/*}/../resource.real/%s"
eval "op=\${$#}"
if [ "$op" = stop ]; then "$real" "$@"; exit 0; fi
exec "$real" "$@"
`

// notWrapped are resource.d files sourced by other scripts, not run.
var notWrapped = map[string]bool{"hto-mapfuncs": true}

// haCfHeader returns the lines the lab puts in front of Config.HaCf.
func haCfHeader(logDir string) string {
	return fmt.Sprintf("# written by the hbd test lab\nlogfile %s\ndebugfile %s\nuse_logd no\n",
		filepath.Join(logDir, "ha-log"), filepath.Join(logDir, "ha-debug"))
}

// writeHaDir creates dir as a complete /etc/ha.d: a copy of the host's
// stock /etc/ha.d (harc, rc.d, shellfuncs, resource.d) with cfg's files on
// top, every resource script behind guardScript, and logs going to logDir.
func writeHaDir(dir, logDir string, cfg Config) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	if out, err := exec.Command("cp", "-a", "/etc/ha.d/.", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("copy /etc/ha.d: %w: %s", err, bytes.TrimSpace(out))
	}
	rscDir := filepath.Join(dir, "resource.d")
	realDir := filepath.Join(dir, "resource.real")
	if err := os.MkdirAll(rscDir, 0o755); err != nil {
		return fmt.Errorf("config dir: %w", err)
	}
	if out, err := exec.Command("cp", "-a", rscDir+"/.", realDir).CombinedOutput(); err != nil {
		return fmt.Errorf("copy resource.d: %w: %s", err, bytes.TrimSpace(out))
	}
	scripts := map[string]string{"hbdtest": strings.ReplaceAll(TestScript, "@LOGDIR@", logDir)}
	for name, body := range cfg.Scripts {
		if name == "" || strings.ContainsRune(name, '/') || notWrapped[name] {
			return fmt.Errorf("bad resource script name %q", name)
		}
		scripts[name] = body
	}
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(realDir, name), []byte(body), 0o755); err != nil {
			return fmt.Errorf("resource script: %w", err)
		}
	}
	ents, err := os.ReadDir(realDir)
	if err != nil {
		return fmt.Errorf("resource scripts: %w", err)
	}
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("resource scripts: %w", err)
		}
		if notWrapped[e.Name()] || !info.Mode().IsRegular() || info.Mode()&0o111 == 0 {
			continue
		}
		guard := fmt.Sprintf(guardScript, e.Name())
		p := filepath.Join(rscDir, e.Name())
		_ = os.Remove(p) // WriteFile keeps an existing file's mode
		if err := os.WriteFile(p, []byte(guard), 0o755); err != nil {
			return fmt.Errorf("resource guard: %w", err)
		}
	}

	authkeys := cfg.Authkeys
	if authkeys == "" {
		authkeys = DefaultAuthkeys
	}
	files := []struct {
		name, body string
		mode       os.FileMode
	}{
		{"ha.cf", haCfHeader(logDir) + cfg.HaCf, 0o644},
		{"authkeys", authkeys, 0o600},
		{"haresources", cfg.Haresources, 0o644},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		_ = os.Remove(p)
		if err := os.WriteFile(p, []byte(f.body), f.mode); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	// heartbeat runs scripts as root but its children run as nobody and
	// hacluster and append to the logs, hence a sticky world-writable dir.
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	if err := os.Chmod(logDir, 0o777|os.ModeSticky); err != nil {
		return fmt.Errorf("log dir: %w", err)
	}
	return nil
}
