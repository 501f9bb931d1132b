package rsc

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Default locations, as heartbeat 3.0.6 and resource-agents install them.
const (
	DefaultHADir   = "/etc/ha.d"
	DefaultInitDir = "/etc/init.d"
	DefaultOCFRoot = "/usr/lib/ocf"
	defaultPath    = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Env is where scripts live and the environment they run in. heartbeat
// gives every resource script HA_DIR, HA_FUNCS, HA_RESOURCEDIR, OCF_ROOT,
// HA_CURHOST and the logging variables derived from ha.cf (notify_world,
// §6.3); scripts source $HA_FUNCS and the OCF wrappers rely on the rest.
type Env struct {
	HADir       string // HA_DIR; "" means /etc/ha.d
	ResourceDir string // HA_RESOURCEDIR; "" means HADir/resource.d
	InitDir     string // the fallback script directory; "" means /etc/init.d
	OCFRoot     string // OCF_ROOT; "" means /usr/lib/ocf
	// CurHost is HA_CURHOST, this node's name; "" means the lower-cased
	// host name, which is how heartbeat derives its local node name.
	CurHost string
	// Base is the inherited environment; nil means os.Environ(). Variables
	// that belong to the daemon's service manager (NOTIFY_SOCKET,
	// LISTEN_FDS, …) are always removed: a script must not be able to
	// notify systemd on the daemon's behalf.
	Base []string
	// Extra is appended last (KEY=VALUE), overriding everything else: the
	// daemon passes HA_LOGFACILITY, HA_LOGFILE, HA_DEBUGLOG, HA_debug,
	// HA_DATEFMT and HA_LOGD from ha.cf here.
	Extra []string
}

func (e Env) withDefaults() Env {
	if e.HADir == "" {
		e.HADir = DefaultHADir
	}
	if e.ResourceDir == "" {
		e.ResourceDir = filepath.Join(e.HADir, "resource.d")
	}
	if e.InitDir == "" {
		e.InitDir = DefaultInitDir
	}
	if e.OCFRoot == "" {
		e.OCFRoot = DefaultOCFRoot
	}
	if e.CurHost == "" {
		if h, err := os.Hostname(); err == nil {
			e.CurHost = strings.ToLower(h)
		}
	}
	return e
}

// serviceManagerVars are dropped from the inherited environment.
var serviceManagerVars = []string{
	"NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"WATCHDOG_PID", "WATCHDOG_USEC", "INVOCATION_ID",
}

// environ is the environment of one child: the inherited variables, then
// heartbeat's, then more (per-call variables such as OCF_RESKEY_*), then
// Extra. exec.Cmd uses the last value of a duplicated key.
func (e Env) environ(more ...string) []string {
	e = e.withDefaults()
	base := e.Base
	if base == nil {
		base = os.Environ()
	}
	out := make([]string, 0, len(base)+len(more)+len(e.Extra)+8)
	hasPath := false
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k == "PATH" {
			hasPath = true
		}
		if !slices.Contains(serviceManagerVars, k) {
			out = append(out, kv)
		}
	}
	if !hasPath {
		out = append(out, "PATH="+defaultPath)
	}
	out = append(out,
		"HA_DIR="+e.HADir,
		"HA_FUNCS="+filepath.Join(e.HADir, "shellfuncs"),
		"HA_RESOURCEDIR="+e.ResourceDir,
		"OCF_ROOT="+e.OCFRoot,
		"HA_CURHOST="+e.CurHost,
	)
	out = append(out, more...)
	return append(out, e.Extra...)
}
