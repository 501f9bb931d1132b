package core

import (
	"bufio"
	"crypto/md5"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hbd-project/hbd/hbd/wire"
)

// The scenario scripts in testdata/*.txt drive one Machine with fake time
// and check its actions. One command per line; '#' starts a comment.
//
//	config k=v …        local, nodes, ping, pinggroup, links, keepalive,
//	                    deadtime, warntime, initdead, deadping, rexmit,
//	                    hopfudge, gen, seed, autojoin, manage
//	peer NAME gen=HEX   generation used by recv/status for NAME
//	start               Start at the scenario epoch
//	advance DUR         Tick at every deadline up to now+DUR, then at it
//	jump DUR            one Tick after DUR (a stalled caller)
//	tick                one Tick now
//	sendn N k=v…        N ClusterSends
//	recv NODE LINK k=v… a message from NODE on LINK; src, srcuuid, hg and
//	                    ts are added unless given; seq=next uses NODE's
//	                    next seq; "nouuid" leaves srcuuid out
//	status NODE ST [links=a,b] [dt=HEX] [seq=N]
//	                    a status from NODE on each link (same seq)
//	send k=v…           ClusterSend
//	ping NODE           PingReply
//	linkdown/linkup L   LinkEvent
//	reject auth|malformed
//	shutdown
//	mark [last]         start of the window for @lo..hi: now, or the
//	                    time of the last matched action
//	expect KIND args    the next action (after the previous match) of
//	                    KIND matching args; KIND is send, rexmit, sendping,
//	                    status, link, log, commup, healed, restart,
//	                    deliver, added, removed, ready
//	expect-not KIND …   no action since the last step matches
//	fields a,b,…        field names of the last matched send, in order
//	check NODE k=v…     Snapshot: status, deadtime, type, link.NAME
//	stats k=v…          Stats (json names, drops.x for drops)
//
// Each step command (start … shutdown) replaces the pending actions.

var epoch = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)

func uuidOf(name string) [16]byte { return md5.Sum([]byte("uuid:" + name)) }

type timedAction struct {
	at time.Time
	a  Action
}

type scenario struct {
	t       *testing.T
	file    string
	line    int
	cfg     Config
	m       *Machine
	now     time.Time
	mark    time.Time
	pending []timedAction
	cursor  int
	last    *wire.Message
	lastAt  time.Time
	peerGen map[string]uint64
	peerSeq map[string]uint64
}

func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txt"), func(t *testing.T) {
			runScenario(t, f)
		})
	}
}

func runScenario(t *testing.T, file string) {
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	s := &scenario{t: t, file: file, now: epoch, mark: epoch,
		peerGen: map[string]uint64{}, peerSeq: map[string]uint64{}}
	s.cfg = Config{
		LocalNode: "node1", Nodes: []string{"node1", "node2"}, Links: []string{"eth0"},
		KeepAlive: time.Second, DeadTime: 6 * time.Second, WarnTime: 3 * time.Second,
		InitDead: 12 * time.Second, HopFudge: 1, Generation: 0x100, Seed: 1,
	}
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		s.line++
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 && !strings.Contains(line[:i], "\"") {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		s.exec(tokenize(line))
		if t.Failed() {
			t.Fatalf("%s:%d: stopping after failure", file, s.line)
		}
	}
}

// tokenize splits on blanks; double quotes group (k="a b" or "a b").
func tokenize(line string) []string {
	var out []string
	var cur strings.Builder
	inq, any := false, false
	for _, r := range line {
		switch {
		case r == '"':
			if !any {
				// A token that starts quoted is positional even if
				// it contains '='.
				cur.WriteByte(0)
			}
			inq, any = !inq, true
		case (r == ' ' || r == '\t') && !inq:
			if any {
				out = append(out, cur.String())
				cur.Reset()
				any = false
			}
		default:
			cur.WriteRune(r)
			any = true
		}
	}
	if any {
		out = append(out, cur.String())
	}
	return out
}

func (s *scenario) fatalf(format string, args ...any) {
	s.t.Helper()
	s.t.Errorf("%s:%d: %s", s.file, s.line, fmt.Sprintf(format, args...))
}

func kv(args []string) (map[string]string, []string) {
	m := map[string]string{}
	var order []string
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			k, v = a, ""
		}
		m[k] = v
		order = append(order, k)
	}
	return m, order
}

func mustDur(s string) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return d
}

func (s *scenario) step(ev Event) {
	if s.m == nil {
		s.fatalf("step before start")
		return
	}
	for _, a := range s.m.Step(ev) {
		s.pending = append(s.pending, timedAction{s.now, a})
	}
}

func (s *scenario) newStep() { s.pending, s.cursor = nil, 0 }

func (s *scenario) exec(tok []string) {
	cmd, args := tok[0], tok[1:]
	switch cmd {
	case "config":
		s.configure(args)
	case "peer":
		m, _ := kv(args[1:])
		if g, ok := m["gen"]; ok {
			v, _ := strconv.ParseUint(g, 16, 64)
			s.peerGen[args[0]] = v
		}
		if q, ok := m["seq"]; ok {
			v, _ := strconv.ParseUint(q, 16, 64)
			s.peerSeq[args[0]] = v
		}
	case "start":
		s.newStep()
		if s.m == nil {
			m, err := NewMachine(s.cfg)
			if err != nil {
				s.fatalf("NewMachine: %v", err)
				return
			}
			s.m = m
		}
		s.step(Start{Time: s.now, Load: "0.01 0.06 0.80 2/85 18700"})
	case "advance":
		s.newStep()
		s.advance(s.now.Add(mustDur(args[0])))
	case "jump":
		// A stalled caller: one Tick after DUR, no deadlines in between.
		s.newStep()
		s.now = s.now.Add(mustDur(args[0]))
		s.step(Tick{Time: s.now})
	case "sendn":
		s.newStep()
		n, _ := strconv.Atoi(args[0])
		for i := 0; i < n; i++ {
			s.step(ClusterSend{Time: s.now, Msg: buildMsg(args[1:])})
		}
	case "tick":
		s.newStep()
		s.step(Tick{Time: s.now})
	case "recv":
		s.newStep()
		s.recv(args[0], args[1], args[2:])
	case "status":
		s.newStep()
		s.status(args)
	case "send":
		s.newStep()
		s.step(ClusterSend{Time: s.now, Msg: buildMsg(args)})
	case "ping":
		s.newStep()
		s.step(PingReply{Time: s.now, Node: args[0]})
	case "linkdown", "linkup":
		s.newStep()
		s.step(LinkEvent{Time: s.now, Link: args[0], Up: cmd == "linkup"})
	case "reject":
		s.newStep()
		r := AuthFailed
		if args[0] == "malformed" {
			r = Malformed
		}
		s.step(Packet{Time: s.now, Link: s.cfg.Links[0], Reject: r})
	case "shutdown":
		s.newStep()
		s.step(Shutdown{Time: s.now})
	case "mark":
		s.mark = s.now
		if len(args) > 0 && args[0] == "last" {
			s.mark = s.lastAt
		}
	case "expect":
		s.expect(args, true)
	case "expect-not":
		s.expect(args, false)
	case "fields":
		s.fields(args[0])
	case "check":
		s.check(args)
	case "stats":
		s.checkStats(args)
	case "print":
		for i, p := range s.pending {
			s.t.Logf("%d %v %s", i, p.at.Sub(epoch), describe(p.a))
		}
	default:
		s.fatalf("unknown command %q", cmd)
	}
}

func (s *scenario) configure(args []string) {
	m, _ := kv(args)
	c := &s.cfg
	split := func(v string) []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	for k, v := range m {
		switch k {
		case "local":
			c.LocalNode = v
		case "nodes":
			c.Nodes = split(v)
		case "ping":
			for _, p := range split(v) {
				c.PingNodes = append(c.PingNodes, PingNode{Name: p})
			}
		case "pinggroup":
			c.PingNodes = append(c.PingNodes, PingNode{Name: v, Group: true})
		case "links":
			c.Links = split(v)
		case "keepalive":
			c.KeepAlive = mustDur(v)
		case "deadtime":
			c.DeadTime = mustDur(v)
		case "warntime":
			c.WarnTime = mustDur(v)
		case "initdead":
			c.InitDead = mustDur(v)
		case "deadping":
			c.DeadPing = mustDur(v)
		case "rexmit":
			c.MaxRexmitDelay = mustDur(v)
		case "hopfudge":
			c.HopFudge, _ = strconv.Atoi(v)
		case "gen":
			c.Generation, _ = strconv.ParseUint(v, 16, 64)
		case "seed":
			c.Seed, _ = strconv.ParseUint(v, 10, 64)
		case "autojoin":
			c.AutoJoin = map[string]AutoJoin{"none": AutoJoinNone, "other": AutoJoinOther, "any": AutoJoinAny}[v]
		case "manage":
			c.ManageResources = v == "on"
		default:
			s.fatalf("unknown config key %q", k)
		}
	}
	c.UUID = uuidOf(c.LocalNode)
}

func (s *scenario) advance(to time.Time) {
	for {
		d, ok := s.m.NextDeadline()
		if !ok || d.After(to) {
			break
		}
		if d.After(s.now) {
			s.now = d
		}
		s.step(Tick{Time: s.now})
	}
	s.now = to
	s.step(Tick{Time: s.now})
}

func buildMsg(args []string) *wire.Message {
	msg := &wire.Message{}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		msg.Add(k, v)
	}
	return msg
}

func (s *scenario) nextSeq(node string, given string) string {
	switch given {
	case "last":
		return strconv.FormatUint(s.peerSeq[node], 16)
	case "", "next":
		s.peerSeq[node]++
		return strconv.FormatUint(s.peerSeq[node], 16)
	default:
		v, _ := strconv.ParseUint(given, 16, 64)
		if v > s.peerSeq[node] {
			s.peerSeq[node] = v
		}
		return given
	}
}

// peerMsg completes a message from node the way its heartbeat would.
func (s *scenario) peerMsg(node string, args []string) (*wire.Message, bool) {
	uuid := true
	var rest []string
	for _, a := range args {
		if a == "nouuid" {
			uuid = false
			continue
		}
		rest = append(rest, a)
	}
	msg := &wire.Message{}
	for _, a := range rest {
		k, v, _ := strings.Cut(a, "=")
		if k == "seq" {
			v = s.nextSeq(node, v)
		}
		if strings.HasPrefix(v, "@") {
			u := uuidOf(v[1:])
			msg.AddBinary(k, u[:])
			continue
		}
		msg.Add(k, v)
	}
	if msg.Field("src") == nil {
		msg.Add("src", node)
	}
	if uuid && msg.Field("srcuuid") == nil {
		u := uuidOf(node)
		msg.AddBinary("srcuuid", u[:])
	}
	if msg.Field("hg") == nil {
		g := s.peerGen[node]
		if g == 0 {
			g = 0x200
		}
		msg.Add("hg", strconv.FormatUint(g, 16))
	}
	if msg.Field("ts") == nil {
		msg.Add("ts", strconv.FormatInt(s.now.Unix(), 16))
	}
	return msg, true
}

func (s *scenario) recv(node, link string, args []string) {
	msg, _ := s.peerMsg(node, args)
	s.step(Packet{Time: s.now, Link: link, Msg: msg})
}

func (s *scenario) status(args []string) {
	node, st := args[0], args[1]
	opts, _ := kv(args[2:])
	links := s.cfg.Links
	if l, ok := opts["links"]; ok {
		links = strings.Split(l, ",")
	}
	dt := opts["dt"]
	if dt == "" {
		dt = "1770"
	}
	fields := []string{"t=status", "st=" + st, "dt=" + dt, "protocol=1", "seq=" + s.nextSeq(node, opts["seq"])}
	if g, ok := opts["hg"]; ok {
		fields = append(fields, "hg="+g)
	}
	msg, _ := s.peerMsg(node, fields)
	for _, l := range links {
		s.step(Packet{Time: s.now, Link: l, Msg: msg.Clone()})
	}
}

func describe(a Action) string {
	switch a := a.(type) {
	case Send:
		return fmt.Sprintf("Send%s rexmit=%v links=%v", fmtMsg(a.Msg), a.Rexmit, a.Links)
	case SendPing:
		return fmt.Sprintf("SendPing %s%s", a.Node, fmtMsg(a.Msg))
	case Deliver:
		return fmt.Sprintf("Deliver %s %s%s", a.Node, a.Link, fmtMsg(a.Msg))
	default:
		return fmt.Sprintf("%T%+v", a, a)
	}
}

func fmtMsg(m *wire.Message) string {
	var b strings.Builder
	for _, f := range m.Fields {
		if f.Type == wire.Binary {
			fmt.Fprintf(&b, " %s=<%x>", f.Name, f.Value)
		} else {
			fmt.Fprintf(&b, " %s=%q", f.Name, f.Value)
		}
	}
	return b.String()
}

// msgMatches checks k=v pairs; "now" is hex(now), "@node" is node's uuid,
// "!" means the field is absent.
func (s *scenario) msgMatches(msg *wire.Message, want map[string]string, at time.Time) bool {
	for k, v := range want {
		f := msg.Field(k)
		if v == "!" {
			if f != nil {
				return false
			}
			continue
		}
		if f == nil {
			return false
		}
		switch {
		case v == "now":
			if string(f.Value) != strconv.FormatInt(at.Unix(), 16) {
				return false
			}
		case strings.HasPrefix(v, "@"):
			u := uuidOf(v[1:])
			if string(f.Value) != string(u[:]) {
				return false
			}
		case v == "*":
		default:
			if string(f.Value) != v {
				return false
			}
		}
	}
	return true
}

func (s *scenario) actionMatches(kind string, args []string, ta timedAction) bool {
	want := map[string]string{}
	var posArgs []string
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "@") && strings.Contains(a, ".."):
			// Timing window "@lo..hi" relative to mark.
			lo, hi, _ := strings.Cut(a[1:], "..")
			d := ta.at.Sub(s.mark)
			if d < mustDur(lo) || d > mustDur(hi) {
				return false
			}
		case strings.HasPrefix(a, "\x00"):
			posArgs = append(posArgs, a[1:])
		case strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			want[k] = v
		default:
			posArgs = append(posArgs, a)
		}
	}
	pos := func(i int) string {
		if i < len(posArgs) {
			return posArgs[i]
		}
		return ""
	}
	switch a := ta.a.(type) {
	case Send:
		if (kind == "send" && a.Rexmit) || (kind == "rexmit" && !a.Rexmit) || (kind != "send" && kind != "rexmit") {
			return false
		}
		if l, ok := want["links"]; ok {
			delete(want, "links")
			if strings.Join(a.Links, ",") != l {
				return false
			}
		}
		if s.msgMatches(a.Msg, want, ta.at) {
			s.last = a.Msg
			return true
		}
	case SendPing:
		return kind == "sendping" && a.Node == pos(0) && s.msgMatches(a.Msg, want, ta.at)
	case NodeStatus:
		return kind == "status" && a.Node == pos(0) && a.Old == pos(1) && a.New == pos(2)
	case LinkStatus:
		return kind == "link" && a.Node == pos(0) && a.Link == pos(1) && a.Status == pos(2)
	case Log:
		if kind != "log" || !strings.Contains(a.Msg, pos(0)) {
			return false
		}
		return pos(1) == "" || a.Level.String() == pos(1)
	case CommUp:
		return kind == "commup"
	case PartitionHealed:
		return kind == "healed" && a.Node == pos(0)
	case Restart:
		return kind == "restart" && string(a.Reason) == strings.ReplaceAll(pos(0), "_", " ")
	case Deliver:
		return kind == "deliver" && a.Node == pos(0) && s.msgMatches(a.Msg, want, ta.at)
	case NodeAdded:
		return kind == "added" && a.Node == pos(0)
	case NodeRemoved:
		return kind == "removed" && a.Node == pos(0)
	case ShutdownReady:
		return kind == "ready"
	}
	return false
}

func (s *scenario) expect(args []string, positive bool) {
	kind, rest := args[0], args[1:]
	if positive {
		for i := s.cursor; i < len(s.pending); i++ {
			if s.actionMatches(kind, rest, s.pending[i]) {
				s.cursor = i + 1
				s.lastAt = s.pending[i].at
				return
			}
		}
		s.fatalf("no %s matching %v after action %d; pending:\n%s", kind, rest, s.cursor, s.dump())
		return
	}
	for _, p := range s.pending {
		if s.actionMatches(kind, rest, p) {
			s.fatalf("unexpected %s: %s", kind, describe(p.a))
		}
	}
}

func (s *scenario) dump() string {
	var b strings.Builder
	for i, p := range s.pending {
		fmt.Fprintf(&b, "  %d +%v %s\n", i, p.at.Sub(epoch), describe(p.a))
	}
	return b.String()
}

func (s *scenario) fields(list string) {
	if s.last == nil {
		s.fatalf("fields: no send matched yet")
		return
	}
	var got []string
	for _, f := range s.last.Fields {
		got = append(got, f.Name)
	}
	if d := cmp.Diff(strings.Split(list, ","), got); d != "" {
		s.fatalf("field order (-want +got):\n%s", d)
	}
}

func (s *scenario) check(args []string) {
	snap := s.m.Snapshot()
	var ni *NodeInfo
	for i := range snap.Nodes {
		if snap.Nodes[i].Name == args[0] {
			ni = &snap.Nodes[i]
		}
	}
	want, _ := kv(args[1:])
	if v, ok := want["present"]; ok {
		if (ni != nil) != (v == "yes") {
			s.fatalf("node %s present=%v", args[0], ni != nil)
		}
		return
	}
	if ni == nil {
		s.fatalf("no node %s in snapshot", args[0])
		return
	}
	for k, v := range want {
		var got string
		switch {
		case k == "status":
			got = ni.Status
		case k == "type":
			got = ni.Type
		case k == "deadtime":
			got = ni.DeadTime.String()
		case k == "uuid":
			u := uuidOf(v)
			if ni.UUID != u {
				got = fmt.Sprintf("%x", ni.UUID)
			} else {
				got = v
			}
		case strings.HasPrefix(k, "link."):
			for _, l := range ni.Links {
				if l.Name == k[5:] {
					got = l.Status
				}
			}
		case k == "local":
			got = snap.Status
		case k == "commup":
			got = strconv.FormatBool(snap.CommUp)
		default:
			s.fatalf("unknown check key %q", k)
		}
		if got != v {
			s.fatalf("node %s %s = %q, want %q", args[0], k, got, v)
		}
	}
}

func (s *scenario) checkStats(args []string) {
	raw, _ := json.Marshal(s.m.Stats())
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	flat := map[string]string{}
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			for k2, v2 := range sub {
				flat[k+"."+k2] = fmt.Sprint(v2)
			}
			continue
		}
		flat[k] = fmt.Sprint(v)
	}
	want, _ := kv(args)
	for k, v := range want {
		got, ok := flat[k]
		if !ok {
			s.fatalf("unknown stat %q", k)
			continue
		}
		if got != v {
			s.fatalf("stat %s = %s, want %s", k, got, v)
		}
	}
}
