package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/authkeys"
	"github.com/hbd-project/hbd/hbd/wire"
	"github.com/hbd-project/hbd/hbd/wire/wirepcap"
	"github.com/spf13/pflag"
)

func init() {
	register("wire", "dissect heartbeat packets in a capture file (wire decode)", runWire)
}

func wireUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: hbctl wire decode --authkeys FILE [--port N]... CAPTURE...")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Prints every heartbeat packet of the captures (pcap or pcapng): UDP to or")
	fmt.Fprintln(w, "from a --port, and ICMP echoes of the ping media. Binary values are shown")
	fmt.Fprintln(w, "as <hex>, nested messages as {…}, lists as […].")
}

func runWire(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		wireUsage(stderr)
		return 2
	}
	switch args[0] {
	case "decode":
		return runWireDecode(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		wireUsage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "hbctl wire: unknown subcommand %q\n", args[0])
	wireUsage(stderr)
	return 2
}

func runWireDecode(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("wire decode", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	// With ContinueOnError pflag calls Usage only for --help.
	fs.Usage = func() {
		wireUsage(stdout)
		fmt.Fprintln(stdout)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
	}
	keysPath := fs.String("authkeys", "", "authkeys file to verify packets with (required; mode 600)")
	ports := fs.IntSlice("port", []int{694}, "heartbeat UDP port (repeat for more, e.g. an mcast port)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "hbctl wire decode: %v\n", err)
		return 2
	}
	if *keysPath == "" {
		fmt.Fprintln(stderr, "hbctl wire decode: --authkeys is required")
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "hbctl wire decode: no capture file given")
		return 2
	}
	var udpPorts []uint16
	for _, p := range *ports {
		if p < 1 || p > 65535 {
			fmt.Fprintf(stderr, "hbctl wire decode: --port %d is not a port number\n", p)
			return 2
		}
		udpPorts = append(udpPorts, uint16(p))
	}
	keys, err := authkeys.Load(*keysPath)
	if err != nil {
		fmt.Fprintf(stderr, "hbctl wire decode: %v\n", err)
		return 1
	}
	for _, w := range keys.Warnings {
		fmt.Fprintf(stderr, "hbctl wire decode: warning: %s\n", w)
	}

	var total, authentic int
	for _, path := range fs.Args() {
		dgs, err := wirepcap.Read(path, udpPorts)
		if err != nil {
			fmt.Fprintf(stderr, "hbctl wire decode: %v\n", err)
			return 1
		}
		for _, d := range dgs {
			total++
			if printDatagram(stdout, d, keys) {
				authentic++
			}
		}
	}
	fmt.Fprintf(stdout, "%d packets, %d authentic, %d rejected\n", total, authentic, total-authentic)
	return 0
}

// printDatagram prints one line for d and reports whether it is authentic
// the way heartbeat judges it (Verify).
func printDatagram(w io.Writer, d wirepcap.Datagram, keys *authkeys.Keys) bool {
	var b strings.Builder
	b.WriteString(d.Time.UTC().Format("2006-01-02T15:04:05.000000Z"))
	if d.Proto == wirepcap.UDP {
		fmt.Fprintf(&b, " %s > %s udp", d.Src, d.Dst)
	} else {
		kind := "echo-request"
		if d.ICMPType == 0 || d.ICMPType == 129 {
			kind = "echo-reply"
		}
		fmt.Fprintf(&b, " %s > %s icmp %s id=%d seq=%d", d.Src.Addr(), d.Dst.Addr(), kind, d.ICMPID, d.ICMPSeq)
	}
	p, err := wire.Decode(d.Payload)
	if err != nil {
		b.WriteString(" error: " + err.Error())
		if d.Truncated {
			b.WriteString(" (packet truncated by the capture)")
		}
		fmt.Fprintln(w, b.String())
		return false
	}
	fmt.Fprintf(&b, " %s", p.Format)
	if p.Compressed != nil {
		b.WriteString(" compressed=" + p.Algorithm)
	}
	verr := wire.Verify(p, keys)
	b.WriteString(" auth=" + authWord(verr))
	if p.Format == wire.Netstring {
		// heartbeat ignores the inner field of a netstring packet, but a
		// wrong one points at a broken sender.
		b.WriteString(" inner=" + authWord(wire.VerifyInner(p.Wire(), keys)))
	}
	b.WriteByte(' ')
	writeFields(&b, p.Msg)
	fmt.Fprintln(w, b.String())
	return verr == nil
}

func authWord(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, wire.ErrNoTrailer), errors.Is(err, wire.ErrNoAuth):
		return "none"
	}
	return "bad"
}

func writeFields(b *strings.Builder, m *wire.Message) {
	for i, f := range m.Fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(wireValue(f.Name))
		b.WriteByte('=')
		switch f.Type {
		case wire.String:
			b.WriteString(wireValue(string(f.Value)))
		case wire.Binary:
			fmt.Fprintf(b, "<%x>", f.Value)
		case wire.Compress:
			fmt.Fprintf(b, "<compressed %d bytes>", len(f.Value))
		case wire.Struct, wire.Uncompress:
			b.WriteByte('{')
			writeFields(b, f.Struct)
			b.WriteByte('}')
		case wire.List:
			b.WriteByte('[')
			for j, e := range f.List {
				if j > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(wireValue(string(e)))
			}
			b.WriteByte(']')
		}
	}
}

// wireValue quotes s when it would not read back unambiguously: empty, or
// containing spaces, quotes, the markers used for other types, or bytes
// that are not printable.
func wireValue(s string) string {
	if s == "" || strings.ContainsAny(s, " \"<>{}[]=") || strconv.Quote(s) != `"`+s+`"` {
		return strconv.Quote(s)
	}
	return s
}
