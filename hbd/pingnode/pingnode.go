package pingnode

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// Node is one ping node.
type Node struct {
	// Name is the node name: for "ping" the host as written in ha.cf,
	// lower-cased; for "ping_group" the group name.
	Name string
	// Hosts are the addresses pinged: one for a "ping" node, every member
	// of a "ping_group".
	Hosts []netip.Addr
	// Group marks a ping_group node: alive while any member answers.
	Group bool
}

// Config configures a Pinger.
type Config struct {
	Nodes []Node
	// ID is the ICMP identifier as seen on the wire; 0 means
	// HeartbeatID(os.Getpid()), what heartbeat itself uses.
	ID uint16
	// Verify authenticates the data of an echo reply from one of node's
	// hosts: heartbeat accepts a reply only if its payload is a valid
	// signed message whose info field names the plugin ("ping" or
	// "ping_group"). It is called from Run's goroutine. Required.
	Verify func(node string, payload []byte) bool
	// WriteTimeout bounds each send (ping.c sends with MSG_DONTWAIT).
	// Default 1s.
	WriteTimeout time.Duration
	// Logger receives logs; nil discards them.
	Logger *slog.Logger
}

// Event reports an authenticated, non-duplicate echo reply.
type Event struct {
	Node string     // ping node name
	From netip.Addr // the host that answered
	Seq  uint16     // icmp_seq of the reply
	Time time.Time  // when it was read
}

// Stats counts a Pinger's traffic.
type Stats struct {
	Sent       uint64 // echo requests sent (one per host)
	SendErrors uint64
	Replies    uint64 // echo replies with our identifier
	Rejected   uint64 // replies from no ping node host, or failing Verify
	Duplicates uint64 // authenticated replies with a sequence already seen
}

// Pinger sends heartbeat's ping-node echo requests and reads the replies on
// one raw ICMP socket shared by every ping node (heartbeat opens one per
// medium, and every one of them sees every reply).
type Pinger struct {
	cfg   Config
	log   *slog.Logger
	conn  net.PacketConn
	nodes map[string]*node
	byIP  map[netip.Addr][]*node // host -> nodes pinging it, config order

	sent, sendErrs, replies, rejected, dups atomic.Uint64
}

type node struct {
	Node
	mu     sync.Mutex
	seq    uint16 // next icmp_seq (ping.c iseq: per medium, from 0)
	win    window
	streak int // consecutive send errors, for log suppression
}

// maxLoggedErrors matches heartbeat's write child: log the first 10 errors
// of a streak, then suppress.
const maxLoggedErrors = 10

// Open opens the raw ICMP socket (needs CAP_NET_RAW, like ping_open's
// SOCK_RAW) in the calling thread's network namespace.
func Open(cfg Config) (*Pinger, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		return nil, fmt.Errorf("pingnode: open raw ICMP socket: %w", err)
	}
	// Only echo replies reach the socket (Linux ICMP_FILTER); ping.c
	// filters in user space, which costs a wakeup per ICMP packet.
	var f ipv4.ICMPFilter
	f.SetAll(true)
	f.Accept(ipv4.ICMPTypeEchoReply)
	if err := c.IPv4PacketConn().SetICMPFilter(&f); err != nil {
		c.Close()
		return nil, fmt.Errorf("pingnode: set ICMP filter: %w", err)
	}
	return newPinger(cfg, c), nil
}

func validate(cfg Config) error {
	if cfg.Verify == nil {
		return errors.New("pingnode: Config.Verify is required")
	}
	if len(cfg.Nodes) == 0 {
		return errors.New("pingnode: no ping nodes")
	}
	seen := map[string]bool{}
	for _, n := range cfg.Nodes {
		if n.Name == "" || seen[n.Name] {
			return fmt.Errorf("pingnode: empty or duplicate node name %q", n.Name)
		}
		seen[n.Name] = true
		if len(n.Hosts) == 0 || (!n.Group && len(n.Hosts) != 1) {
			return fmt.Errorf("pingnode: node %q: %d hosts", n.Name, len(n.Hosts))
		}
		for _, h := range n.Hosts {
			if !h.Unmap().Is4() {
				return fmt.Errorf("pingnode: node %q: %v is not an IPv4 address", n.Name, h)
			}
		}
	}
	return nil
}

// newPinger wires a Pinger to an open ICMP connection.
func newPinger(cfg Config, c net.PacketConn) *Pinger {
	if cfg.ID == 0 {
		cfg.ID = HeartbeatID(os.Getpid())
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	p := &Pinger{cfg: cfg, log: cfg.Logger, conn: c, nodes: map[string]*node{}, byIP: map[netip.Addr][]*node{}}
	for _, n := range cfg.Nodes {
		nd := &node{Node: n}
		p.nodes[n.Name] = nd
		for _, h := range n.Hosts {
			p.byIP[h.Unmap()] = append(p.byIP[h.Unmap()], nd)
		}
	}
	return p
}

// Send sends payload in one echo request to the node's host, or to every
// member of a ping_group with the same icmp_seq (ping_group_write). Call it
// for every status heartbeat sent, with the node's signed NS_st message.
func (p *Pinger) Send(name string, payload []byte) error {
	nd := p.nodes[name]
	if nd == nil {
		return fmt.Errorf("pingnode: unknown node %q", name)
	}
	if len(payload) > maxPayload {
		return fmt.Errorf("pingnode: %s: %d-byte payload too big", name, len(payload))
	}
	nd.mu.Lock()
	seq := nd.seq
	nd.seq++
	nd.mu.Unlock()
	msg, err := marshalEcho(p.cfg.ID, seq, payload)
	if err != nil {
		return fmt.Errorf("pingnode: %s: %w", name, err)
	}
	var errs []error
	for _, h := range nd.Hosts {
		err := p.conn.SetWriteDeadline(time.Now().Add(p.cfg.WriteTimeout))
		if err == nil {
			_, err = p.conn.WriteTo(msg, &net.IPAddr{IP: h.Unmap().AsSlice()})
		}
		if err != nil {
			p.sendErrs.Add(1)
			errs = append(errs, fmt.Errorf("ping %s: %w", h, err))
			continue
		}
		p.sent.Add(1)
	}
	p.logSend(nd, errs)
	if len(errs) > 0 {
		return fmt.Errorf("pingnode: %s: %w", name, errors.Join(errs...))
	}
	return nil
}

// logSend logs the first maxLoggedErrors failed sends of a streak.
func (p *Pinger) logSend(nd *node, errs []error) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if len(errs) == 0 {
		if nd.streak > 0 {
			p.log.Info("ping node sending again", "node", nd.Name, "failed_sends", nd.streak)
		}
		nd.streak = 0
		return
	}
	nd.streak++
	if nd.streak <= maxLoggedErrors {
		p.log.Error("error sending ping packet", "node", nd.Name, "err", errors.Join(errs...))
	}
	if nd.streak == maxLoggedErrors {
		p.log.Error("suppressing further ping send errors", "node", nd.Name)
	}
}

// Run reads echo replies and sends an Event for each authenticated,
// non-duplicate one until ctx is done (returning ctx.Err()) or the Pinger
// is closed (returning nil). Only one Run may be active.
func (p *Pinger) Run(ctx context.Context, events chan<- Event) error {
	stop := context.AfterFunc(ctx, func() { p.conn.SetReadDeadline(time.Now()) })
	defer stop()
	buf := make([]byte, 1<<16)
	for {
		n, addr, err := p.conn.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("pingnode: read: %w", err)
		}
		ia, ok := addr.(*net.IPAddr)
		if !ok {
			continue
		}
		from, ok := netip.AddrFromSlice(ia.IP)
		if !ok {
			continue
		}
		ev, ok := p.handle(buf[:n], from.Unmap(), time.Now())
		if !ok {
			continue
		}
		select {
		case events <- ev:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// handle filters one received ICMP packet like ping_read and
// ping_group_read: an echo reply with our identifier, from a ping node's
// host (ping_group.c checks the member address; ping.c does not, but Linux
// answers from the address pinged, so checking it loses nothing), whose
// payload verifies, and whose sequence number that node has not seen.
func (p *Pinger) handle(b []byte, from netip.Addr, now time.Time) (Event, bool) {
	id, seq, data, err := parseReply(b)
	if err != nil || id != p.cfg.ID {
		return Event{}, false
	}
	p.replies.Add(1)
	for _, nd := range p.byIP[from] {
		if !p.cfg.Verify(nd.Name, data) {
			continue
		}
		nd.mu.Lock()
		dup := nd.win.seen(seq)
		nd.mu.Unlock()
		if dup {
			p.dups.Add(1)
			return Event{}, false
		}
		return Event{Node: nd.Name, From: from, Seq: seq, Time: now}, true
	}
	p.rejected.Add(1)
	return Event{}, false
}

// Stats returns the counters.
func (p *Pinger) Stats() Stats {
	return Stats{
		Sent:       p.sent.Load(),
		SendErrors: p.sendErrs.Load(),
		Replies:    p.replies.Load(),
		Rejected:   p.rejected.Load(),
		Duplicates: p.dups.Load(),
	}
}

// Close closes the socket; a running Run returns nil.
func (p *Pinger) Close() error {
	return p.conn.Close()
}
