// Package haresources parses heartbeat's /etc/ha.d/haresources: one
// resource group per line, "node resource resource …".
//
// heartbeat itself never parses the file properly: every use goes through
// the shell ResourceManager, which normalises it with sed and awk (ipres())
// and finds groups with egrep. Parse reproduces that normalisation exactly,
// quirks included, so a file means the same to hbd as to heartbeat 3.0.6:
//
//   - "#" starts a comment anywhere on a line, even inside a token
//     ("r1#x" is "r1"), and the comment is stripped before lines ending in
//     "\" are joined. A comment on a continuation line is therefore NOT a
//     comment: "n r1 \" followed by "r2 # note" yields the resources r2, #
//     and note.
//   - "\" at the end of a line joins the next line with nothing in between:
//     "r1\" followed by "r2" is the single token "r1r2". A "\" ending the
//     last line of the file stays in the token (GNU sed's N at end of input).
//   - Tokens are separated by blanks and tabs only.
//   - The node name is lower-cased (ASCII only, as awk does in the C locale).
//   - A token that matches the shell glob [0-9]*.[0-9]*.[0-9]*.[0-9]* is the
//     shorthand for IPaddr::token.
//   - "Name::a::b" runs Name with the arguments a and b. Empty arguments
//     vanish ("Name::a::::b" has two), because the shell word-splits them.
//     So an IPv6 address can only be given in full: "IPaddr2::2001:db8::1"
//     has the two arguments "2001:db8" and "1".
//
// The behaviour is that of ResourceManager in the C locale (byte-wise, no
// non-ASCII case folding); TestNormalizeMatchesShell checks it against the
// real sed and awk.
//
// Where heartbeat would only fail later, at takeover time, Parse fails at
// once with FILE:LINE: a line with a node and no resource, a group key that
// is not unique in the file (egrep would find several lines), a control
// character (such as the CR of a DOS line ending) in a token, a resource
// name containing "/", and a malformed address for IPaddr, IPaddr2 or
// IPv6addr. Two deliberate differences: keys are compared literally, where
// egrep reads them as regular expressions (the "." of 10.0.0.1 matches any
// character); and "Name::args" is split at the first "::", where
// ResourceManager's sed mangles the arguments of a name containing a
// single ":" (as in hbd's "systemd:NAME").
package haresources

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// MaxSize bounds the file Parse and Load accept; real files are a few lines.
const MaxSize = 1 << 20

// Error is a problem in a haresources file, reported as FILE:LINE: message.
type Error struct {
	File string
	Line int // 0 when the problem is with the file as a whole
	Msg  string
	Err  error // the underlying I/O error, if any
}

func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// File is a parsed haresources file.
type File struct {
	Name   string  // as given to Parse or Load, used in errors
	Groups []Group // in file order, the order heartbeat gives groups up in
}

// Group is one line: the resources a node prefers to run, started left to
// right and stopped right to left.
type Group struct {
	Node string // lower-cased
	// Key is the first resource token exactly as written; heartbeat names
	// the group by it in ip-request messages and ResourceManager calls.
	Key       string
	Resources []Resource // at least one
	Line      int        // line of the node name
}

// Resource is one resource token.
type Resource struct {
	Name  string   // script or agent; "IPaddr" for a bare address
	Args  []string // never contains ""
	Token string   // as written, e.g. "10.0.0.1/24" or "Filesystem::/dev/sda1::/data"
	Line  int
	// IP is the parsed address argument of IPaddr, IPaddr2 and IPv6addr.
	IP *IPSpec
}

// Load reads and parses path.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, ioError(path, err)
	}
	defer f.Close()
	// Refuse before reading: /etc/ha.d/haresources could be anything.
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxSize {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file is %d bytes, more than the %d allowed", st.Size(), MaxSize)}
	}
	return Parse(f, path)
}

// Parse reads a haresources file from r; name is used in error messages.
func Parse(r io.Reader, name string) (*File, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, ioError(name, err)
	}
	if len(data) > MaxSize {
		return nil, &Error{File: name, Msg: fmt.Sprintf("file is more than the %d bytes allowed", MaxSize)}
	}
	f := &File{Name: name}
	for _, l := range normalize(string(data)) {
		g, err := parseLine(l)
		if err != nil {
			return nil, &Error{File: name, Line: err.line, Msg: err.msg}
		}
		f.Groups = append(f.Groups, g)
	}
	if err := f.checkKeys(); err != nil {
		return nil, err
	}
	return f, nil
}

// ioError wraps err without repeating the path that *os.PathError holds.
func ioError(name string, err error) *Error {
	msg := err.Error()
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		msg = pe.Op + ": " + pe.Err.Error()
	}
	return &Error{File: name, Msg: msg, Err: err}
}

// GroupsOf returns the groups whose node is node (case-insensitive, like
// ResourceManager's listkeys), in file order.
func (f *File) GroupsOf(node string) []Group {
	node = asciiLower(node)
	var out []Group
	for _, g := range f.Groups {
		if g.Node == node {
			out = append(out, g)
		}
	}
	return out
}

// Group returns the group named key, if any.
func (f *File) Group(key string) (Group, bool) {
	for _, g := range f.Groups {
		if g.Key == key {
			return g, true
		}
	}
	return Group{}, false
}

// ValidateNodes checks that every group belongs to one of nodes (the ha.cf
// "node" names, compared case-insensitively). heartbeat refuses to start on
// a "Bad nodename"; the error names every offending line.
func (f *File) ValidateNodes(nodes []string) error {
	known := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		known[asciiLower(n)] = true
	}
	var errs []error
	for _, g := range f.Groups {
		if !known[g.Node] {
			errs = append(errs, &Error{File: f.Name, Line: g.Line,
				Msg: fmt.Sprintf("node %q is not a node in ha.cf (%s)", clip(g.Node), strings.Join(nodes, ", "))})
		}
	}
	return errors.Join(errs...)
}

// checkKeys enforces what egrep " key " needs to find exactly one line: no
// other group has the same key or lists the key among its resources.
func (f *File) checkKeys() error {
	first := make(map[string]int) // resource token → first group listing it
	for i, g := range f.Groups {
		for _, r := range g.Resources {
			if _, ok := first[r.Token]; !ok {
				first[r.Token] = i
			}
		}
	}
	keyOf := make(map[string]int, len(f.Groups))
	for i, g := range f.Groups {
		if j := first[g.Key]; j != i {
			return &Error{File: f.Name, Line: g.Line, Msg: fmt.Sprintf(
				"group key %q is already used by the group at line %d; the first resource of a line must be unique in the file", clip(g.Key), f.Groups[j].Line)}
		}
		keyOf[g.Key] = i
	}
	for i, g := range f.Groups {
		for _, r := range g.Resources[1:] {
			if j, ok := keyOf[r.Token]; ok && j != i {
				return &Error{File: f.Name, Line: r.Line, Msg: fmt.Sprintf(
					"%q is the key of the group at line %d; the first resource of a line must be unique in the file", clip(r.Token), f.Groups[j].Line)}
			}
		}
	}
	return nil
}

// token is a blank-separated word of a normalised line.
type token struct {
	text string
	line int
}

// normalize does what ResourceManager's ipres() does with sed and awk
// (comments, continuations, blank lines), returning the words of each
// non-blank logical line. It never fails.
func normalize(data string) [][]token {
	lines := strings.Split(data, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1] // sed sees no line after the last "\n"
	}
	var out [][]token
	for i := 0; i < len(lines); {
		start := i
		first := lines[i]
		if c := strings.IndexByte(first, '#'); c >= 0 { // s%#.*%%
			first = first[:c]
		}
		i++
		text := []byte(first)
		// Byte offsets in text at which physical lines start, so each
		// token can be given the line it was written on.
		starts := []int{0}
		for len(text) > 0 && text[len(text)-1] == '\\' && i < len(lines) { // :a; /\\$/N; s/\\\n//; ta
			text = text[:len(text)-1]
			starts = append(starts, len(text))
			text = append(text, lines[i]...) // sic: no comment stripping here
			i++
		}
		var words []token
		n := 0 // index in starts of the physical line being scanned
		for off := 0; off < len(text); {
			if isBlank(text[off]) {
				off++
				continue
			}
			end := off
			for end < len(text) && !isBlank(text[end]) {
				end++
			}
			for n+1 < len(starts) && starts[n+1] <= off {
				n++
			}
			words = append(words, token{string(text[off:end]), start + n + 1})
			off = end
		}
		if len(words) > 0 {
			out = append(out, words)
		}
	}
	return out
}

// clip shortens file text quoted in an error message, so that a bad file
// cannot flood the log.
type clip string

func (c clip) String() string {
	const max = 64
	if len(c) <= max {
		return string(c)
	}
	return string(c[:max]) + "…"
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

type lineError struct {
	line int
	msg  string
}

func parseLine(words []token) (Group, *lineError) {
	node := words[0]
	if err := checkToken(node); err != nil {
		return Group{}, err
	}
	g := Group{Node: asciiLower(node.text), Line: node.line}
	if len(words) == 1 {
		return Group{}, &lineError{node.line, fmt.Sprintf("node %q has no resources", clip(g.Node))}
	}
	for _, w := range words[1:] {
		if err := checkToken(w); err != nil {
			return Group{}, err
		}
		r, err := parseResource(w.text)
		if err != nil {
			return Group{}, &lineError{w.line, fmt.Sprintf("resource %q: %v", clip(w.text), err)}
		}
		r.Line = w.line
		g.Resources = append(g.Resources, r)
	}
	g.Key = g.Resources[0].Token
	return g, nil
}

// checkToken rejects control characters. heartbeat would pass them on to a
// script name or argument, where they can only make the resource fail (a
// DOS line ending's CR) or cannot be passed at all (NUL in argv).
func checkToken(w token) *lineError {
	for _, c := range []byte(w.text) {
		switch {
		case c == '\r':
			return &lineError{w.line, fmt.Sprintf("carriage return after %q (DOS line endings?)", clip(strings.TrimRight(w.text, "\r")))}
		case c < 0x20 || c == 0x7f:
			return &lineError{w.line, fmt.Sprintf("control character %#02x in %q", c, clip(w.text))}
		}
	}
	return nil
}

func parseResource(tok string) (Resource, error) {
	r := Resource{Token: tok}
	if isIPShorthand(tok) {
		r.Name, r.Args = "IPaddr", []string{tok}
	} else {
		name, rest, _ := strings.Cut(tok, "::")
		r.Name = name
		for a := range strings.SplitSeq(rest, "::") {
			if a != "" {
				r.Args = append(r.Args, a)
			}
		}
	}
	switch {
	case r.Name == "":
		return r, errors.New("no resource name before \"::\"")
	case strings.Contains(r.Name, "/"):
		return r, errors.New("a resource name cannot contain \"/\"")
	}
	if !isIPAgent(r.Name) {
		return r, nil
	}
	if len(r.Args) != 1 {
		msg := fmt.Sprintf("%s takes one argument, got %d", r.Name, len(r.Args))
		if len(r.Args) > 1 && r.Name != "IPaddr" {
			msg += ` (an IPv6 address written with "::" is split into several; write it in full)`
		}
		return r, errors.New(msg)
	}
	ip, err := ParseIPSpec(r.Name, r.Args[0])
	if err != nil {
		return r, err
	}
	r.IP = ip
	return r, nil
}

// isIPShorthand reports whether s matches ResourceManager's isip() glob
// [0-9]*.[0-9]*.[0-9]*.[0-9]* (the whole token; "*" may be empty).
func isIPShorthand(s string) bool {
	if s == "" || !isDigit(s[0]) {
		return false
	}
	// Taking the earliest ".digit" each time leaves the most room for the
	// next ones, so one left-to-right scan decides the glob.
	dots := 0
	for i := 1; i+1 < len(s) && dots < 3; i++ {
		if s[i] == '.' && isDigit(s[i+1]) {
			dots++
			i++
		}
	}
	return dots == 3
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// IPSpec is the address argument of the IP agents:
//
//	ip[/bits[/iface[/broadcast]]]   or   ip/bits/broadcast
//
// where a third field starting with a digit is the broadcast address, and
// IPaddr2 also accepts "iface:label" as the third field.
type IPSpec struct {
	Addr      netip.Addr
	Bits      int        // prefix length; 0 when not given (the agent picks)
	Iface     string     // "" when not given (the agent picks)
	Label     string     // IPaddr2 only: the "label" of "iface:label"
	Broadcast netip.Addr // invalid (zero) when not given
}

// ifNameMax is IFNAMSIZ-1: the longest Linux interface name or label.
const ifNameMax = 15

func isIPAgent(name string) bool {
	return name == "IPaddr" || name == "IPaddr2" || name == "IPv6addr"
}

// ParseIPSpec parses the argument of agent, one of IPaddr (IPv4 only),
// IPaddr2 (IPv4 or IPv6) and IPv6addr (ip[/bits] only).
func ParseIPSpec(agent, s string) (*IPSpec, error) {
	if !isIPAgent(agent) {
		return nil, fmt.Errorf("%s is not an IP agent (IPaddr, IPaddr2, IPv6addr)", agent)
	}
	f := strings.Split(s, "/")
	if len(f) > 4 || agent == "IPv6addr" && len(f) > 2 {
		return nil, fmt.Errorf("%q: too many \"/\" fields for %s", clip(s), agent)
	}
	addr, err := netip.ParseAddr(f[0])
	if err != nil || addr.Zone() != "" {
		// ParseAddr also refuses "010.0.0.1", which ifconfig would read as octal.
		return nil, fmt.Errorf("%q is not an IP address", clip(f[0]))
	}
	switch {
	case agent == "IPaddr" && !addr.Is4():
		return nil, fmt.Errorf("%s is not IPv4; IPaddr handles IPv4 only (use IPaddr2 or IPv6addr)", addr)
	case agent == "IPv6addr" && (!addr.Is6() || addr.Is4In6()):
		return nil, fmt.Errorf("%s is not IPv6", addr)
	}
	spec := &IPSpec{Addr: addr}
	if len(f) > 1 {
		b, err := strconv.Atoi(f[1])
		if err != nil || strings.TrimLeft(f[1], "0123456789") != "" || b < 1 || b > addr.BitLen() {
			return nil, fmt.Errorf("netmask bits %q: want a number from 1 to %d", clip(f[1]), addr.BitLen())
		}
		spec.Bits = b
	}
	if len(f) > 2 {
		third := f[2]
		if third != "" && isDigit(third[0]) {
			if len(f) > 3 {
				return nil, fmt.Errorf("%q starts with a digit, so it is the broadcast address, and nothing may follow it", clip(third))
			}
			f = append(f, third) // ip/bits/broadcast
		} else if err := spec.setIface(agent, third); err != nil {
			return nil, err
		}
	}
	if len(f) > 3 {
		b, err := netip.ParseAddr(f[len(f)-1])
		if err != nil || !b.Is4() {
			return nil, fmt.Errorf("broadcast %q is not an IPv4 address", clip(f[len(f)-1]))
		}
		if !addr.Is4() {
			return nil, errors.New("IPv6 has no broadcast address")
		}
		spec.Broadcast = b
	}
	return spec, nil
}

func (s *IPSpec) setIface(agent, f string) error {
	iface, label, hasLabel := strings.Cut(f, ":")
	switch {
	case iface == "" || iface == "." || iface == "..":
		return fmt.Errorf("bad interface name %q", clip(iface))
	case len(f) > ifNameMax:
		return fmt.Errorf("interface %q is longer than %d bytes", clip(f), ifNameMax)
	case hasLabel && agent != "IPaddr2":
		return fmt.Errorf("%q: only IPaddr2 takes an interface label", clip(f))
	case hasLabel && (label == "" || strings.Contains(label, ":")):
		return fmt.Errorf("bad interface label %q", clip(f))
	}
	s.Iface, s.Label = iface, label
	return nil
}

// String returns the spec in haresources syntax; ParseIPSpec reads it back.
func (s *IPSpec) String() string {
	var b strings.Builder
	b.WriteString(s.Addr.String())
	if s.Bits == 0 {
		return b.String() // nothing else can be given without bits
	}
	fmt.Fprintf(&b, "/%d", s.Bits)
	if s.Iface != "" {
		b.WriteString("/" + s.Iface)
		if s.Label != "" {
			b.WriteString(":" + s.Label)
		}
	}
	if s.Broadcast.IsValid() {
		b.WriteString("/" + s.Broadcast.String())
	}
	return b.String()
}
