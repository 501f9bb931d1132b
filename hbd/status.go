package hbd

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/core"
	"github.com/hbd-project/hbd/hbd/ctl"
)

// status renders the machine's snapshot in the control API's schema. It
// runs on the owner goroutine.
func (d *daemon) status() *ctl.Status {
	snap := d.m.Snapshot()
	now := time.Now()
	st := &ctl.Status{
		Version:     Version,
		Node:        snap.Local,
		Generation:  snap.Generation,
		State:       snap.Status,
		CommUp:      snap.CommUp,
		ManagedBy:   "haresources",
		Resources:   snap.Resources,
		UptimeMs:    now.Sub(d.start).Milliseconds(),
		KeepaliveMs: d.cfg.HaCf.Keepalive.Milliseconds(),
		DeadtimeMs:  d.cfg.HaCf.Deadtime.Milliseconds(),
		Counters:    counters(snap.Stats),
		Parameters:  map[string]string{},
	}
	if !d.cfg.HaCf.ResourceManagement {
		st.ManagedBy = "pacemaker"
	}
	if st.Resources == "" {
		st.Resources = "none"
	}
	for _, g := range snap.Groups {
		st.Groups = append(st.Groups, ctl.Group{Key: g.Key, Local: g.Local, State: g.State.String()})
	}
	for _, p := range d.cfg.HaCf.Params() {
		st.Parameters[p.Name] = p.Value
	}
	st.Counters["send_queue_full"] = d.counts.sendQueueFull.Load()
	st.Counters["send_no_medium"] = d.counts.noMedium.Load()
	st.Counters["encode_errors"] = d.counts.encodeErrors.Load()
	st.Counters["ping_send_errors"] = d.counts.pingSendErrors.Load()
	rs := d.net.RecvStats()
	st.Counters["rx_datagrams"] = rs.Received
	st.Counters["rx_oversize"] = rs.Oversize
	st.Counters["rx_queue_overflow"] = rs.Overflow
	var sent, sendErr uint64
	for _, m := range d.net.Media() {
		s := m.Stats()
		sent += s.Sent
		sendErr += s.SendErrors
	}
	st.Counters["tx_datagrams"] = sent
	st.Counters["tx_errors"] = sendErr

	for _, n := range snap.Nodes {
		cn := ctl.Node{
			Name:        n.Name,
			Type:        n.Type,
			Status:      n.Status,
			Local:       n.Name == snap.Local,
			Generation:  n.Generation,
			LastHeardMs: -1,
			DeadtimeMs:  n.DeadTime.Milliseconds(),
			Weight:      100, // heartbeat's default node weight
		}
		if n.UUID != ([16]byte{}) {
			cn.UUID = uuidString(n.UUID)
		}
		if cn.Local {
			st.UUID = cn.UUID
		}
		if !n.LastHeard.IsZero() {
			cn.LastHeardMs = now.Sub(n.LastHeard).Milliseconds()
		}
		for _, l := range n.Links {
			cn.Links = append(cn.Links, ctl.Link{Name: l.Name, Status: l.Status})
		}
		st.Nodes = append(st.Nodes, cn)
	}
	return st
}

// counters flattens the core's stats into the schema's counter names.
func counters(s core.Stats) map[string]uint64 {
	return map[string]uint64{
		"received":            s.Received,
		"kept":                s.Kept,
		"sent":                s.Sent,
		"lost_packets":        s.LostPackets,
		"rexmit_requested":    s.RexmitRequested,
		"rexmit_served":       s.RexmitServed,
		"rexmit_naked":        s.RexmitNaked,
		"naks_received":       s.NaksReceived,
		"acks_sent":           s.AcksSent,
		"acks_received":       s.AcksReceived,
		"late_heartbeats":     s.LateHeartbeats,
		"node_deaths":         s.NodeDeaths,
		"peer_restarts":       s.Restarts,
		"healed_partitions":   s.HealedPartitions,
		"ping_replies":        s.PingReplies,
		"drop_auth_failed":    s.Drops.AuthFailed,
		"drop_malformed":      s.Drops.Malformed,
		"drop_bad_fields":     s.Drops.BadFields,
		"drop_bad_node":       s.Drops.BadNode,
		"drop_not_for_us":     s.Drops.NotForUs,
		"drop_old_generation": s.Drops.OldGeneration,
		"drop_stale_status":   s.Drops.StaleStatus,
		"drop_duplicate":      s.Drops.Duplicate,
		"drop_stale":          s.Drops.Stale,
		"drop_not_started":    s.Drops.NotStarted,
		"autojoined":          s.Drops.Autojoined,
	}
}

func uuidString(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// isFalse reports whether v is one of heartbeat's false words
// (cl_str_to_boolean).
func isFalse(v string) bool {
	switch strings.ToLower(v) {
	case "false", "off", "no", "n", "0":
		return true
	}
	return false
}
