package lab

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Capture is a tcpdump writing a pcap file inside a lab namespace.
type Capture struct {
	Path string // the pcap file
	proc *Proc
}

// Capture starts tcpdump on iface inside the node (use Switch() and "br0"
// to see a whole LAN) with an optional pcap filter expression, and returns
// once tcpdump is listening, so no packet sent afterwards is missed. Close
// stops it; call Stop earlier to read the file.
func (n *Node) Capture(iface, filter string) (*Capture, error) {
	dir := filepath.Join(n.lab.Dir, n.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	path, err := uniquePath(dir, "capture-"+iface, ".pcap")
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	// --immediate-mode hands each packet over at once instead of per
	// kernel buffer block (a SIGINT would otherwise lose the last ones); -U
	// writes it out at once, so even a killed tcpdump leaves a usable file;
	// -Z root because tcpdump otherwise drops to its own user
	// before opening the output file in a root-owned directory.
	args := []string{"tcpdump", "-i", iface, "-n", "--immediate-mode", "-U", "-Z", "root", "-w", path}
	if filter != "" {
		args = append(args, strings.Fields(filter)...)
	}
	p, err := n.Start("tcpdump-"+iface, args...)
	if err != nil {
		return nil, fmt.Errorf("capture: %w", err)
	}
	c := &Capture{Path: path, proc: p}
	if _, err := p.WaitLog(`listening on `+iface, 10*time.Second); err != nil {
		p.kill()
		return nil, fmt.Errorf("capture on %s/%s: %w: %s", n.Name, iface, err, p.Log())
	}
	n.lab.mu.Lock()
	n.lab.captures = append(n.lab.captures, c)
	n.lab.mu.Unlock()
	return c, nil
}

// Stop ends the capture (SIGINT, so tcpdump flushes and closes the file).
// It is idempotent.
func (c *Capture) Stop() error {
	if c.proc.Exited() {
		return nil
	}
	if err := c.proc.Signal(syscall.SIGINT); err != nil && !c.proc.Exited() {
		return fmt.Errorf("stop capture: %w", err)
	}
	if err := c.proc.Wait(5 * time.Second); err != nil {
		c.proc.kill()
		return fmt.Errorf("stop capture %s: %w", c.Path, err)
	}
	return nil
}

// Frame is one captured link-layer frame.
type Frame struct {
	Time time.Time
	Data []byte
}

// Frames reads the capture file (stop the capture first for a complete
// view).
func (c *Capture) Frames() ([]Frame, error) { return ReadPcap(c.Path) }

// ReadPcap reads a classic libpcap file as written by tcpdump -w:
// a 24-byte file header, then per packet a 16-byte header and the data.
func ReadPcap(path string) ([]Frame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read pcap: %w", err)
	}
	if len(b) < 24 {
		return nil, fmt.Errorf("read pcap %s: short file header", path)
	}
	var bo binary.ByteOrder
	nano := false
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		bo = binary.BigEndian
	case 0x4d3cb2a1:
		bo, nano = binary.BigEndian, true
	default:
		return nil, fmt.Errorf("read pcap %s: not a pcap file", path)
	}
	var frames []Frame
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			return frames, fmt.Errorf("read pcap %s: truncated record header at %d", path, off)
		}
		sec, frac := int64(bo.Uint32(b[off:])), int64(bo.Uint32(b[off+4:]))
		incl := int(bo.Uint32(b[off+8:]))
		off += 16
		if incl > len(b)-off {
			return frames, errors.New("read pcap " + path + ": truncated packet")
		}
		if !nano {
			frac *= 1000
		}
		frames = append(frames, Frame{Time: time.Unix(sec, frac), Data: b[off : off+incl]})
		off += incl
	}
	return frames, nil
}
