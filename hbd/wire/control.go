package wire

import (
	"strconv"
	"strings"
)

// Control holds the values heartbeat's add_control_msg_fields puts on
// every message a node sends. It is plain data: keeping the sequence
// counter, the generation and the uuid map is the caller's job.
type Control struct {
	// DestUUID, if not nil, is set as "destuuid" when the message has a
	// "dest" field (the caller looks the uuid up by node name).
	DestUUID []byte
	Src      string // local node name, lower-case
	SrcUUID  []byte // 16 bytes
	Seq      uint64 // per-process counter starting at 1
	Gen      uint64 // hb_generation ("hg")
	Time     int64  // time(NULL) ("ts")
	Load     string // first line of /proc/loadavg, or "n/a"
	TTL      int    // hopfudge + number of configured nodes
}

// NoSeqPrefix marks message types that get no "seq" and no "ld", and
// whose existing control fields are left alone (NOSEQ_PREFIX).
const NoSeqPrefix = "NS_"

// Apply adds the control fields to m in 3.0.6 order (src, srcuuid, seq,
// hg, ts, ld, ttl), modifying fields already present in place
// (ha_msg_mod). For NS_ types it skips seq and ld and does not touch
// fields m already has. Numbers are lower-case hex without "0x", except
// ttl, which is decimal. The auth field is Encode's job.
func (c *Control) Apply(m *Message) {
	if _, ok := m.Get("dest"); ok && c.DestUUID != nil {
		m.SetBinary("destuuid", c.DestUUID)
	}
	noSeq := strings.HasPrefix(m.Type(), NoSeqPrefix)
	set := func(name, value string, seqOnly bool) {
		if noSeq && (seqOnly || m.Field(name) != nil) {
			return
		}
		m.Set(name, value)
	}
	set("src", c.Src, false)
	if !noSeq || m.Field("srcuuid") == nil {
		m.SetBinary("srcuuid", c.SrcUUID)
	}
	set("seq", strconv.FormatUint(c.Seq, 16), true)
	set("hg", strconv.FormatUint(c.Gen, 16), false)
	set("ts", strconv.FormatUint(uint64(c.Time), 16), false) // "%lx" of a time_t
	set("ld", c.Load, true)
	set("ttl", strconv.Itoa(c.TTL), false)
}
