package hbd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/hbd-project/hbd/hbd/hacf"
	"github.com/hbd-project/hbd/hbd/node"
	"github.com/hbd-project/hbd/hbd/rsc"
	"github.com/hbd-project/hbd/hbd/takeover"
	"github.com/hbd-project/hbd/hbd/vip"
)

// takeoverConfig maps ha.cf and haresources onto the resource manager's
// configuration.
func takeoverConfig(c *Config) takeover.Config {
	tc := takeover.Config{LocalNode: c.LocalNode, Groups: c.Resources.Groups}
	for _, n := range c.HaCf.Nodes {
		tc.Nodes = append(tc.Nodes, n.Name)
	}
	switch c.HaCf.AutoFailback {
	case hacf.FailbackOn:
		tc.Mode = takeover.AutoFailback
	case hacf.FailbackOff:
		tc.Mode = takeover.NiceFailback
	default:
		tc.Mode = takeover.Legacy
	}
	return tc
}

// newRegistry resolves haresources names to agents: resource.d scripts of
// the configuration directory, /etc/init.d, OCF agents, systemd units. It
// checks every group at start-up, so a typo in haresources is reported
// now, with its line, rather than at takeover time.
func newRegistry(c *Config, confDir, runDir string, ips *vip.Manager) (*rsc.Registry, error) {
	env := rsc.Env{
		HADir:   confDir,
		CurHost: c.LocalNode,
		Extra: []string{
			"HA_RSCTMP=" + filepath.Join(runDir, "rsctmp"),
			"HA_LOGFILE=" + c.HaCf.Logfile,
			"HA_DEBUGLOG=" + c.HaCf.Debugfile,
			"HA_LOGFACILITY=" + c.HaCf.LogFacility,
			fmt.Sprintf("HA_debug=%d", c.HaCf.Debug),
		},
	}
	reg := rsc.NewRegistry(env, rsc.StatusTextThenExitCode)
	if err := registerIPAgents(reg, ips); err != nil {
		reg.Close()
		return nil, err
	}
	if err := reg.Validate(c.Resources.Groups); err != nil {
		reg.Close()
		return nil, err
	}
	return reg, nil
}

// submit hands a group operation to the executor; its result comes back
// on opQ. The operation's context is not the daemon's: a shutdown must let
// a give-up finish rather than abandon a half-stopped group.
func (d *daemon) submit(op rsc.GroupOp, key string) {
	g, ok := d.group(key)
	if !ok {
		// The machine only names groups from haresources; this is a bug.
		d.log.Error("resource manager named an unknown group", "key", key)
		return
	}
	if _, err := d.exec.Submit(context.Background(), op, g); err != nil {
		d.log.Error("cannot run a resource operation", "op", op.String(), "group", key, "err", err)
	}
}

func (d *daemon) group(key string) (haresources.Group, bool) {
	return d.cfg.Resources.Group(key)
}

func opDone(r rsc.Result) node.Event {
	ev := takeover.GroupOpDone{Time: time.Now(), Key: r.Key, OK: r.OK(), StillRunning: r.StillRunning()}
	switch r.Op {
	case rsc.Take:
		ev.Op = takeover.OpTake
	case rsc.Give:
		ev.Op = takeover.OpGive
	}
	return ev
}

// command is a local hb_standby or hb_takeover request from the control
// socket, answered by the owner loop.
type command struct {
	standby bool // hb_standby; false: hb_takeover
	which   takeover.Set
	reply   chan error
}

// ErrUnstable refuses a standby or takeover while resources are moving,
// as heartbeat does ("standby not allowed while unstable").
var ErrUnstable = errors.New("resources are in transition; try again when the cluster is stable")

func (d *daemon) command(c command) []node.Action {
	snap := d.m.Snapshot()
	switch {
	case d.exec == nil:
		c.reply <- errors.New("resources are not managed by haresources on this node")
		return nil
	case !snap.Stable:
		c.reply <- ErrUnstable
		return nil
	}
	c.reply <- nil
	if c.standby {
		d.log.Info(fmt.Sprintf("Going standby [%s].", c.which))
		return d.m.Step(takeover.Standby{Time: time.Now(), Which: c.which})
	}
	return d.m.Step(takeover.Takeover{Time: time.Now(), Which: c.which})
}

// ResourceRequest is the body of POST /v1/standby and /v1/takeover.
type ResourceRequest struct {
	// Which is local, foreign, all or failback (= foreign), as the
	// heartbeat commands take it.
	Which string `json:"which"`
}

func (d *daemon) resourceHandler(standby bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req ResourceRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
			ctl.WriteError(w, http.StatusBadRequest, fmt.Errorf("bad request: %w", err))
			return
		}
		// heartbeat's hb_standby and hb_takeover take "failback" as another
		// word for "foreign" (§7.5). ParseSet knows only the wire words,
		// which lack "failback" and include "none", a request nobody can
		// make; without this mapping `hb_standby failback` was refused.
		word := req.Which
		if word == "failback" {
			word = "foreign"
		}
		which, ok := takeover.ParseSet(word)
		if !ok || which == takeover.None {
			ctl.WriteError(w, http.StatusBadRequest, fmt.Errorf("which: %q is not local, foreign, all or failback", req.Which))
			return
		}
		c := command{standby: standby, which: which, reply: make(chan error, 1)}
		select {
		case d.cmdQ <- c:
		case <-time.After(5 * time.Second):
			ctl.WriteError(w, http.StatusServiceUnavailable, errors.New("daemon busy"))
			return
		}
		if err := <-c.reply; err != nil {
			ctl.WriteError(w, http.StatusConflict, err)
			return
		}
		ctl.WriteJSON(w, http.StatusAccepted, map[string]string{"result": "requested"})
	}
}
