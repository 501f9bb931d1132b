package hbd

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/hbd-project/hbd/hbd/link"
	"github.com/hbd-project/hbd/hbd/node"
	"github.com/hbd-project/hbd/hbd/pingnode"
	"github.com/hbd-project/hbd/hbd/rsc"
	"github.com/hbd-project/hbd/hbd/state"
	"github.com/hbd-project/hbd/hbd/takeover"
	"github.com/hbd-project/hbd/hbd/vip"
	"github.com/hbd-project/hbd/hbd/wire"
)

// Options are the daemon's command-line inputs.
type Options struct {
	ConfDir  string // ha.cf, authkeys, haresources
	StateDir string // hb_generation, hb_uuid
	RunDir   string // control socket, pid file
	Node     string // local node name; empty: nodeinfo or uname -n
	Logger   *slog.Logger
	// GARPRefresh re-announces held virtual addresses at this interval
	// (0: off, heartbeat's behaviour). It is an hbd extension, given on the
	// command line so that ha.cf stays readable by heartbeat.
	GARPRefresh time.Duration
	// Config, when set, is used instead of loading ConfDir again (the
	// command has already loaded it to set up logging).
	Config *Config
}

// ErrRestart is returned by Run when heartbeat would restart itself
// (cause_shutdown_restart: no local heartbeat, or a peer returning after a
// partition with the same generation). The caller re-executes the daemon,
// which then starts with a new generation.
var ErrRestart = errors.New("restart requested")

// pollInterval bounds the wait between ticks even when the core has nothing
// due, as heartbeat's POLL_INTERVAL does.
const pollInterval = 250 * time.Millisecond

// daemon is the state of one running node. Only the owner goroutine (run)
// touches m; everything else talks to it over channels.
type daemon struct {
	cfg     *Config
	log     *slog.Logger
	m       *node.Machine
	exec    *rsc.Executor // nil without resource management
	opQ     chan rsc.Result
	cmdQ    chan command
	done    chan struct{} // closed when the owner loop has returned
	net     link.Transport
	pinger  *pingnode.Pinger
	start   time.Time
	load    atomic.Value // string: first line of /proc/loadavg
	sendQ   chan outPacket
	pingQ   chan pingnode.Event
	linkQ   chan link.Event
	statusQ chan chan *ctl.Status
	// logBadpack is ha.cf log_badpack: false quiets bad-packet errors.
	logBadpack bool
	// encOpts: "msgfmt netstring" leaves out the inner auth field, as
	// add_control_msg_fields does; the trailer still signs the packet.
	encOpts []wire.Option
	counts  struct{ sendQueueFull, noMedium, encodeErrors, pingSendErrors atomic.Uint64 }
}

type outPacket struct {
	data  []byte
	links []string // nil: every medium
}

// Run runs the daemon until ctx is cancelled (then it shuts down
// gracefully) or a fatal error.
func Run(ctx context.Context, o Options) error {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg := o.Config
	if cfg == nil {
		var err error
		if cfg, err = LoadConfig(o.ConfDir, LoadOptions{LocalNode: o.Node}); err != nil {
			return err
		}
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	if cfg.HaCf.Stonith != nil || len(cfg.HaCf.StonithHosts) > 0 {
		// Taking a dead peer's resources without the fencing the operator
		// configured could leave both nodes owning them: refuse instead.
		return errors.New("ha.cf configures STONITH, which hbd does not implement yet; " +
			"remove the stonith/stonith_host lines to run without fencing")
	}

	now := time.Now()
	var gen uint64
	if cfg.HaCf.HBGenMethod == "time" {
		gen = state.TimeGeneration(now)
	} else {
		g, fresh, err := state.NextGeneration(o.StateDir, now)
		if err != nil {
			return fmt.Errorf("state dir %s: %w", o.StateDir, err)
		}
		if fresh {
			log.Info(fmt.Sprintf("No Previous generation - starting at %d", g))
		}
		gen = g
	}
	uuid, _, err := state.LoadUUID(o.StateDir)
	if err != nil {
		return fmt.Errorf("state dir %s: %w", o.StateDir, err)
	}

	specs, err := mediaSpecs(ctx, cfg.HaCf)
	if err != nil {
		return err
	}
	pings, err := pingNodes(ctx, cfg.HaCf)
	if err != nil {
		return err
	}
	var seedb [8]byte
	_, _ = rand.Read(seedb[:])
	ncfg := node.Config{Core: coreConfig(cfg, gen, uuid, binary.LittleEndian.Uint64(seedb[:]), linkNames(specs))}
	if cfg.HaCf.ResourceManagement && cfg.Resources != nil {
		tc := takeoverConfig(cfg)
		ncfg.Takeover = &tc
	}
	m, err := node.New(ncfg)
	if err != nil {
		return err
	}

	d := &daemon{
		cfg: cfg, log: log, m: m, start: now,
		sendQ:   make(chan outPacket, 1024),
		pingQ:   make(chan pingnode.Event, 256),
		linkQ:   make(chan link.Event, 64),
		statusQ: make(chan chan *ctl.Status),
		opQ:     make(chan rsc.Result, 16),
		cmdQ:    make(chan command),
		done:    make(chan struct{}),
	}
	d.load.Store(readLoadavg())
	if cfg.HaCf.MsgFmt == "netstring" {
		d.encOpts = append(d.encOpts, wire.WithoutInnerAuth())
	}
	if v, ok := cfg.HaCf.Param("log_badpack"); ok {
		d.logBadpack = !isFalse(v)
	}

	d.net, err = link.Open(specs, link.Options{
		Logger:       log,
		WriteTimeout: cfg.HaCf.Keepalive,
		OnEvent: func(e link.Event) {
			select {
			case d.linkQ <- e:
			default: // the owner is behind; the next event carries the state
			}
		},
	})
	if err != nil {
		return fmt.Errorf("heartbeat media: %w", err)
	}
	defer d.net.Close()

	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	if len(pings) > 0 {
		d.pinger, err = pingnode.Open(pingnode.Config{
			Nodes:        pings,
			Verify:       d.verifyPing,
			WriteTimeout: cfg.HaCf.Keepalive,
			Logger:       log,
		})
		if err != nil {
			return fmt.Errorf("ping nodes: %w", err)
		}
		defer d.pinger.Close()
		go func() {
			if err := d.pinger.Run(runCtx, d.pingQ); err != nil && runCtx.Err() == nil {
				log.Error("ping nodes stopped", "err", err)
			}
		}()
	}

	srv, err := ctl.Listen(o.RunDir, d.handler(), log)
	if err != nil {
		return err
	}
	go func() {
		if err := srv.Serve(); err != nil {
			log.Error("control socket", "err", err)
		}
	}()
	defer srv.Close()
	pidFile := filepath.Join(o.RunDir, "hbd.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("pid file: %w", err)
	}
	defer os.Remove(pidFile)

	if ncfg.Takeover != nil {
		ips, err := vip.New(vip.Options{
			ConfDir:     filepath.Join(o.ConfDir, "conf"), // arp_config, as heartbeat's
			GARPRefresh: o.GARPRefresh,
			Logger:      log,
			OnEvent: func(e vip.Event) {
				if e.Err != nil {
					log.Error("virtual address lost and not restored", "vip", e.Spec.String(), "iface", e.Iface, "err", e.Err)
				} else {
					log.Warn("virtual address was removed by something else; restored and re-announced", "vip", e.Spec.String(), "iface", e.Iface)
				}
			},
		})
		if err != nil {
			return fmt.Errorf("IP resources: %w", err)
		}
		watchCtx, stopWatch := context.WithCancel(context.Background())
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			if err := ips.Watch(watchCtx); err != nil && watchCtx.Err() == nil {
				log.Error("virtual address watcher stopped", "err", err)
			}
		}()
		defer func() { stopWatch(); <-watched; ips.Close() }()
		reg, err := newRegistry(cfg, o.ConfDir, o.RunDir, ips)
		if err != nil {
			return err
		}
		defer reg.Close()
		mgr := rsc.NewManager(reg, rsc.Config{Log: log})
		d.exec = rsc.NewExecutor(mgr, func(r rsc.Result) {
			select {
			case d.opQ <- r:
			case <-d.done: // the owner loop has ended; nobody waits for it
			}
		})
		// Close lets queued operations finish: a give-up in progress at
		// exit must complete, never be abandoned half-way.
		defer d.exec.Close()
	}
	senderDone := make(chan struct{})
	go func() { defer close(senderDone); d.sender() }()
	// On the way out, the last messages (shutdone above all, which lets
	// the peer take over at once instead of after deadtime) must still go
	// out: close the queue and let the sender drain it, bounded.
	defer func() {
		close(d.sendQ)
		select {
		case <-senderDone:
		case <-time.After(2 * time.Second):
		}
	}()
	defer close(d.done)
	go d.loadavgPoller(runCtx)

	log.Info("hbd starting", "version", Version, "node", cfg.LocalNode, "generation", gen,
		"keepalive", cfg.HaCf.Keepalive, "deadtime", cfg.HaCf.Deadtime, "initdead", cfg.HaCf.Initdead)
	return d.run(ctx)
}

// run is the owner loop: every input becomes an event for the machine, and
// the machine's actions are carried out without blocking, so nothing that
// happens elsewhere can delay a heartbeat.
func (d *daemon) run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()

	if exit, ok := d.handle(d.m.Step(core.Start{Time: time.Now(), Load: d.loadavg()})); ok {
		return d.exit(exit.Restart)
	}
	done := ctx.Done()
	for {
		var acts []node.Action
		select {
		case <-done:
			done = nil
			// As heartbeat, the machine defers the shutdown until comm is
			// up and resources are stable (a silent peer is declared dead
			// after initdead, so this ends), then gives every group up.
			// There is deliberately no timeout here: exiting while still
			// holding a group would let the peer start a second copy. A
			// second signal is the operator's explicit way out.
			acts = d.m.Step(node.Shutdown{Time: time.Now()})
		case dg, ok := <-d.net.Recv():
			if !ok {
				return errors.New("heartbeat media closed")
			}
			acts = d.m.Step(d.packetEvent(dg))
		case e := <-d.pingQ:
			acts = d.m.Step(core.PingReply{Time: e.Time, Node: e.Node})
		case e := <-d.linkQ:
			if e.Up {
				d.log.Info("medium up", "link", e.Link, "medium", e.Medium)
			} else {
				d.log.Warn("medium down", "link", e.Link, "medium", e.Medium, "err", e.Err)
			}
			acts = d.m.Step(core.LinkEvent{Time: e.Time, Link: e.Link, Up: e.Up})
		case r := <-d.opQ:
			acts = d.m.Step(opDone(r))
		case c := <-d.cmdQ:
			acts = d.command(c)
		case reply := <-d.statusQ:
			reply <- d.status()
		case <-timer.C:
			acts = d.m.Step(core.Tick{Time: time.Now(), Load: d.loadavg()})
		}
		if exit, ok := d.handle(acts); ok {
			return d.exit(exit.Restart)
		}
		d.resetTimer(timer)
	}
}

// handle carries out the machine's actions; it reports Exit when the node
// is done.
func (d *daemon) handle(acts []node.Action) (node.Exit, bool) {
	for _, a := range acts {
		switch a := a.(type) {
		case core.Send:
			d.send(a)
		case core.SendPing:
			d.sendPing(a)
		case core.Log:
			d.logAt(a.Level, a.Msg)
		case takeover.Log:
			d.logAt(a.Level, a.Msg)
		case core.NodeStatus:
			d.log.Debug("node status", "node", a.Node, "old", a.Old, "new", a.New)
		case core.LinkStatus:
			d.log.Debug("link status", "node", a.Node, "link", a.Link, "status", a.Status)
		case core.PartitionHealed:
			d.log.Error(fmt.Sprintf("Cluster node %s returning after partition.", a.Node))
		case takeover.TakeGroup:
			d.submit(rsc.Take, a.Key)
		case takeover.GiveGroup:
			d.submit(rsc.Give, a.Key)
		case takeover.RecoverFailedStop:
			// heartbeat would kill itself and reboot the host so the
			// resource dies with it. hbd keeps the group marked as held
			// and keeps heartbeating, so the peer never starts a second
			// copy; an operator must stop the resource by hand.
			d.log.Error(fmt.Sprintf("Resource group %s could not be stopped and is still running: "+
				"keeping it, so the peer will not take it over; stop it by hand "+
				"(heartbeat would reboot this node here)", a.Key), "severity", "CRIT")
		case takeover.Fence:
			// Not reachable: Run refuses STONITH configurations.
			d.log.Error("fencing requested but STONITH is not implemented", "node", a.Node)
		case node.Exit:
			if a.Restart {
				d.log.Error("restarting", "reason", "heartbeat would restart here (cause_shutdown_restart)")
			}
			return a, true
		}
	}
	return node.Exit{}, false
}

func (d *daemon) exit(restart bool) error {
	if restart {
		return ErrRestart
	}
	d.log.Info("Heartbeat shutdown complete.")
	return nil
}

func (d *daemon) resetTimer(t *time.Timer) {
	wait := pollInterval
	if at, ok := d.m.NextDeadline(); ok {
		if w := time.Until(at); w < wait {
			wait = max(w, 0)
		}
	}
	t.Reset(wait)
}

// packetEvent decodes and authenticates a datagram. Bad ones still reach
// the machine, marked, so all drop counters live in one place.
func (d *daemon) packetEvent(dg link.Datagram) core.Packet {
	ev := core.Packet{Time: dg.Time, Link: dg.Link, From: dg.From}
	p, err := wire.Decode(dg.Data)
	if err != nil {
		ev.Reject = core.Malformed
		d.log.Debug("dropped a malformed packet", "link", dg.Link, "from", dg.From, "err", err)
		return ev
	}
	if err := wire.Verify(p, d.cfg.Keys); err != nil {
		ev.Reject = core.AuthFailed
		if d.logBadpack {
			d.log.Error("authentication failed", "link", dg.Link, "from", dg.From, "err", err)
		}
		return ev
	}
	ev.Msg = p.Msg
	return ev
}

// send encodes and signs in the owner (cheap) and queues the datagram for
// the sender goroutine; a full queue drops rather than waits.
func (d *daemon) send(a core.Send) {
	b, err := wire.Encode(a.Msg, d.cfg.Keys, d.encOpts...)
	if err != nil {
		d.counts.encodeErrors.Add(1)
		d.log.Error("cannot encode a message", "type", a.Msg.Type(), "err", err)
		return
	}
	select {
	case d.sendQ <- outPacket{data: b, links: a.Links}:
	default:
		d.counts.sendQueueFull.Add(1)
	}
}

// sender writes queued datagrams to the media until the queue is closed.
// Each write is bounded by the medium's deadline, so a stuck interface
// costs at most that per medium.
func (d *daemon) sender() {
	media := d.net.Media()
	var noMediumLogged time.Time
	for p := range d.sendQ {
		sent := false
		for _, md := range media {
			if p.links != nil && !contains(p.links, md.Name()) {
				continue
			}
			if err := md.Send(p.data); err == nil {
				sent = true
			}
		}
		if !sent {
			d.counts.noMedium.Add(1)
			if time.Since(noMediumLogged) > 10*time.Second {
				noMediumLogged = time.Now()
				d.log.Error("No working comm channels to write to.")
			}
		}
	}
}

func (d *daemon) sendPing(a core.SendPing) {
	if d.pinger == nil {
		return
	}
	b, err := wire.Encode(a.Msg, d.cfg.Keys, d.encOpts...)
	if err != nil {
		d.counts.encodeErrors.Add(1)
		return
	}
	// Send is deadline-bounded and non-blocking on a raw socket.
	if err := d.pinger.Send(a.Node, b); err != nil {
		d.counts.pingSendErrors.Add(1)
	}
}

// verifyPing accepts an echo reply payload only if it is a message we
// could have sent for that ping node (ping.c/ping_group.c checks).
func (d *daemon) verifyPing(node string, payload []byte) bool {
	p, err := wire.Decode(payload)
	if err != nil || wire.Verify(p, d.cfg.Keys) != nil {
		return false
	}
	src, _ := p.Msg.Get("src")
	info, _ := p.Msg.Get("info")
	return p.Msg.Type() == "NS_st" && src == node && (info == "ping" || info == "ping_group")
}

func (d *daemon) logAt(level core.Level, msg string) {
	switch level {
	case core.LevelDebug:
		d.log.Debug(msg)
	case core.LevelInfo:
		d.log.Info(msg)
	case core.LevelWarn:
		d.log.Warn(msg)
	default: // ERROR and CRIT: slog has no CRIT; keep heartbeat's word
		d.log.Error(msg, "severity", level.String())
	}
}

func (d *daemon) loadavg() string {
	s, _ := d.load.Load().(string)
	return s
}

// loadavgPoller reads /proc/loadavg off the owner goroutine.
func (d *daemon) loadavgPoller(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.load.Store(readLoadavg())
		}
	}
}

func readLoadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	for i, c := range b {
		if c == '\n' {
			b = b[:i]
			break
		}
	}
	return string(b)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// handler serves the control API.
func (d *daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		reply := make(chan *ctl.Status, 1)
		select {
		case d.statusQ <- reply:
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Second):
			ctl.WriteError(w, http.StatusServiceUnavailable, errors.New("daemon busy"))
			return
		}
		ctl.WriteJSON(w, http.StatusOK, <-reply)
	})
	mux.HandleFunc("POST /v1/standby", d.resourceHandler(true))
	mux.HandleFunc("POST /v1/takeover", d.resourceHandler(false))
	return mux
}
