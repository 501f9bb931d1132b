package wire

import (
	"bytes"
	"compress/bzip2"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/hbd-project/hbd/authkeys"
)

// Format is a packet's wire format.
type Format uint8

const (
	// Netstring is "###\n" … "%%%\n" plus an auth trailer: what 3.0.6
	// sends.
	Netstring Format = iota + 1
	// Classic is ">>>\n" name=value lines "<<<\n": what 2.1.x and
	// cluster-glue ≤ 1.0.9 send, and what the local FIFO carries.
	Classic
)

func (f Format) String() string {
	switch f {
	case Netstring:
		return "netstring"
	case Classic:
		return "classic"
	}
	return "Format(" + strconv.Itoa(int(f)) + ")"
}

// Field names the codec itself cares about.
const (
	authField         = "auth"                   // F_AUTH
	compressedField   = "_compressed_payload"    // COMPRESSED_FIELD
	compressAlgoField = "_compression_algorithm" // COMPRESS_NAME
)

// Trailer is the auth token after a netstring message: "LEN:N DIGEST,".
type Trailer struct {
	Index  int
	Digest string
}

// Packet is a decoded datagram.
type Packet struct {
	// Msg is the message. For a compressed packet it is the inflated
	// message; the one on the wire is in Compressed.
	Msg    *Message
	Format Format
	// Signed is what the netstring trailer signs: the bytes from "###\n"
	// through "%%%\n". Nil for classic packets.
	Signed []byte
	// Trailer is the netstring auth trailer, nil if the packet has none.
	Trailer *Trailer
	// TrailingNUL is set for a classic packet that ends in the NUL byte
	// old stacks include in the datagram.
	TrailingNUL bool
	// Compressed is the on-wire message (with _compressed_payload and
	// _compression_algorithm) when Msg was inflated from it; Algorithm is
	// then "zlib" or "bz2".
	Compressed *Message
	Algorithm  string
}

// Wire returns the message as it was on the wire: Compressed for a
// compressed packet, Msg otherwise. It is what the auth covers and what
// re-encodes to the packet's bytes.
func (p *Packet) Wire() *Message {
	if p.Compressed != nil {
		return p.Compressed
	}
	return p.Msg
}

// Decode parses one datagram in either format. It never panics; every
// error is a *DecodeError. The packet does not alias b.
//
// A netstring message without a trailer decodes (heartbeat sends those
// inside compressed payloads); Verify rejects it.
func Decode(b []byte) (*Packet, error) {
	if len(b) > MaxMsg {
		return nil, decErr(0, ErrTooLarge, "%d bytes (MAXMSG is %d)", len(b), MaxMsg)
	}
	d := &decoder{buf: bytes.Clone(b)}
	p := &Packet{}
	var err error
	switch {
	case bytes.HasPrefix(d.buf, []byte(nsStart)):
		err = d.netstringPacket(p)
	case bytes.HasPrefix(d.buf, []byte(classicStart)):
		err = d.classicPacket(p)
	default:
		// wirefmt2msg_ll drops anything else silently.
		return nil, decErr(0, ErrBadFrame, "starts with %q, not %q or %q", truncate(d.buf[:min(len(d.buf), 4)]), nsStart, classicStart)
	}
	if err != nil {
		return nil, err
	}
	if f := p.Msg.Field(compressedField); f != nil && f.Type == Binary {
		if err := d.inflate(p, f.Value); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (d *decoder) netstringPacket(p *Packet) error {
	m, end, err := d.netstringMsg(0, len(d.buf), 0)
	if err != nil {
		return err
	}
	p.Msg, p.Format, p.Signed = m, Netstring, d.buf[:end:end]
	if end == len(d.buf) {
		return nil
	}
	start, stop, next, err := d.peel(end, len(d.buf))
	var de *DecodeError
	if errors.As(err, &de) && de.Kind == ErrBadLength {
		return d.err(de.Offset, ErrBadTrailer, "%s", de.Reason)
	}
	if err != nil {
		return err
	}
	t, err := parseAuthToken(d.buf[start:stop])
	if err != nil {
		return d.err(start, ErrBadTrailer, "%v", err)
	}
	p.Trailer = t
	if next != len(d.buf) {
		return d.err(next, ErrTrailingData, "%d bytes after the auth trailer", len(d.buf)-next)
	}
	return nil
}

func (d *decoder) classicPacket(p *Packet) error {
	m, end, err := d.classicMsg(0, len(d.buf), 0)
	if err != nil {
		return err
	}
	p.Msg, p.Format = m, Classic
	switch rest := d.buf[end:]; {
	case len(rest) == 0:
	case len(rest) == 1 && rest[0] == 0:
		p.TrailingNUL = true
	default:
		return d.err(end, ErrTrailingData, "%d bytes after %q", len(rest), classicEnd)
	}
	return nil
}

// inflate replaces p.Msg by the message compressed in payload, as
// cl_decompressmsg does. The inflated message is not authenticated on its
// own: the trailer of the outer one covers it.
func (d *decoder) inflate(p *Packet, payload []byte) error {
	algo, _ := p.Msg.Get(compressAlgoField)
	var r io.Reader
	switch algo {
	case "zlib":
		zr, err := zlib.NewReader(bytes.NewReader(payload))
		if err != nil {
			return d.err(0, ErrCompression, "zlib: %v", err)
		}
		r = zr
	case "bz2":
		r = bzip2.NewReader(bytes.NewReader(payload))
	default:
		return d.err(0, ErrCompression, "unknown %s %q", compressAlgoField, algo)
	}
	// Read one byte past the limit to tell "exactly MaxUncompressed" from
	// "more", without ever holding more than that.
	raw, err := io.ReadAll(io.LimitReader(r, MaxUncompressed+1))
	if err != nil {
		return d.err(0, ErrCompression, "%s: %v", algo, err)
	}
	if len(raw) > MaxUncompressed {
		return d.err(0, ErrTooLarge, "inflates to more than %d bytes (MAXUNCOMPRESSED)", MaxUncompressed)
	}
	// Fields of the inner message count against the same budget.
	in := &decoder{buf: raw, fields: d.fields, where: " in compressed payload"}
	var m *Message
	var end int
	switch {
	case bytes.HasPrefix(raw, []byte(nsStart)):
		m, end, err = in.netstringMsg(0, len(raw), 0)
	case bytes.HasPrefix(raw, []byte(classicStart)):
		m, end, err = in.classicMsg(0, len(raw), 0)
		// msg2wirefmt_noac counts the terminating NUL of a classic body.
		if err == nil && end == len(raw)-1 && raw[end] == 0 {
			end++
		}
	default:
		return in.err(0, ErrBadFrame, "starts with %q", truncate(raw[:min(len(raw), 4)]))
	}
	if err != nil {
		return err
	}
	if end != len(raw) {
		return in.err(end, ErrTrailingData, "%d bytes after the message", len(raw)-end)
	}
	if m.Field(compressedField) != nil {
		return in.err(0, ErrCompression, "compressed message inside a compressed message")
	}
	p.Compressed, p.Msg, p.Algorithm = p.Msg, m, algo
	return nil
}

// parseAuthToken parses "N DIGEST" (the netstring trailer and the value of
// the inner auth field): a key index, one space, lower-case hex.
func parseAuthToken(b []byte) (*Trailer, error) {
	sp := bytes.IndexByte(b, ' ')
	if sp < 1 || sp > 4 {
		return nil, fmt.Errorf("%q is not \"INDEX DIGEST\"", truncate(b))
	}
	for _, c := range b[:sp] {
		if !isDigit(c) {
			return nil, fmt.Errorf("key index %q is not a number", b[:sp])
		}
	}
	dig := b[sp+1:]
	if len(dig) == 0 {
		return nil, fmt.Errorf("%q has no digest", truncate(b))
	}
	for _, c := range dig {
		if !isDigit(c) && (c < 'a' || c > 'f') {
			return nil, fmt.Errorf("digest %q is not lower-case hex", truncate(dig))
		}
	}
	i, _ := strconv.Atoi(string(b[:sp]))
	return &Trailer{Index: i, Digest: string(dig)}, nil
}

// Verify checks a decoded packet's authentication the way heartbeat does:
// for netstring the trailer only (keys.VerifyTrailer over p.Signed), for
// classic the inner auth field only (keys.Verify over the NOHEAD classic
// rendering). It returns nil, or an error wrapping ErrNoTrailer, ErrNoAuth
// or ErrAuth.
func Verify(p *Packet, keys *authkeys.Keys) error {
	if keys == nil {
		return fmt.Errorf("%w: no keys", ErrAuth)
	}
	switch p.Format {
	case Netstring:
		if p.Trailer == nil {
			return ErrNoTrailer
		}
		if !keys.VerifyTrailer(p.Trailer.Index, p.Signed, p.Trailer.Digest) {
			return fmt.Errorf("%w: trailer digest does not match key %d", ErrAuth, p.Trailer.Index)
		}
		return nil
	case Classic:
		return VerifyInner(p.Wire(), keys)
	}
	return fmt.Errorf("%w: unknown format %v", ErrAuth, p.Format)
}

// VerifyInner checks m's inner auth field, as isauthentic does: the key of
// the index the field names, over AuthInput(m). For a netstring packet
// this is informational; heartbeat checks only the trailer.
func VerifyInner(m *Message, keys *authkeys.Keys) error {
	if keys == nil {
		return fmt.Errorf("%w: no keys", ErrAuth)
	}
	v, ok := m.Get(authField)
	if !ok {
		return ErrNoAuth
	}
	t, err := parseAuthToken([]byte(v))
	if err != nil {
		return fmt.Errorf("%w: auth field: %v", ErrAuth, err)
	}
	in, err := AuthInput(m)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAuth, err)
	}
	if !keys.Verify(t.Index, in, t.Digest) {
		return fmt.Errorf("%w: auth field digest does not match key %d", ErrAuth, t.Index)
	}
	return nil
}

// AuthInput returns the bytes the inner auth field signs: the classic
// rendering of every field except "auth", without ">>>"/"<<<"
// (msg2string_buf(m, NOHEAD)).
func AuthInput(m *Message) ([]byte, error) {
	return appendClassic(nil, m, 0, false)
}

// needsNetstring is must_use_netstring: heartbeat adds no inner auth field
// to messages with nested or compressed fields.
func needsNetstring(m *Message) bool {
	for _, f := range m.Fields {
		switch f.Type {
		case Struct, Compress, Uncompress:
			return true
		}
	}
	return false
}

// Option changes how Encode and EncodeClassic sign a message.
type Option func(*encodeOpts)

type encodeOpts struct{ noInner bool }

// WithoutInnerAuth leaves the inner auth field out (and an existing one
// as it is), as a node with "msgfmt netstring" in ha.cf does:
// add_control_msg_fields then skips add_msg_auth. The trailer is still
// added.
func WithoutInnerAuth() Option { return func(o *encodeOpts) { o.noInner = true } }

// sign sets m's inner auth field in place (ha_msg_mod) or appends it, as
// add_msg_auth does, unless m has nested or compressed fields. It works on
// a copy of the field slice so that the caller's message is not changed.
func sign(m *Message, keys *authkeys.Keys, opts []Option) (*Message, error) {
	var o encodeOpts
	for _, f := range opts {
		f(&o)
	}
	if keys == nil {
		return m, nil
	}
	if keys.ActiveKey() == nil {
		return nil, invalidf("authkeys has no active key")
	}
	if o.noInner || needsNetstring(m) {
		return m, nil
	}
	in, err := AuthInput(m)
	if err != nil {
		return nil, err
	}
	i, dig := keys.Sign(in)
	c := &Message{Fields: append([]Field(nil), m.Fields...)}
	c.Set(authField, strconv.Itoa(i)+" "+dig)
	return c, nil
}

// Encode renders m as heartbeat 3.0.6 sends it: netstring, with the inner
// auth field added or updated in place and the trailer appended, both
// signed with keys' active key. With nil keys it adds neither (the form
// of msg2netstring_noauth). m itself is not modified.
//
// Encode never compresses; a Uncompress field is sent as type 5 with its
// nested message, which a 3.0.6 receiver parses like a Struct.
func Encode(m *Message, keys *authkeys.Keys, opts ...Option) ([]byte, error) {
	m, err := sign(m, keys, opts)
	if err != nil {
		return nil, err
	}
	b, err := appendNetstring(nil, m, 0)
	if err != nil {
		return nil, err
	}
	if keys != nil {
		i, dig := keys.Sign(b)
		tok := strconv.Itoa(i) + " " + dig
		b = strconv.AppendInt(b, int64(len(tok)), 10)
		b = append(b, ':')
		b = append(b, tok...)
		b = append(b, ',')
	}
	if len(b) > MaxMsg {
		return nil, fmt.Errorf("wire: %w: encoded message is %d bytes (MAXMSG is %d)", ErrTooLarge, len(b), MaxMsg)
	}
	return b, nil
}

// EncodeClassic renders m in classic form with the inner auth field (if
// keys is not nil), as heartbeat 2.1.x sends it, without the trailing NUL
// some stacks append.
func EncodeClassic(m *Message, keys *authkeys.Keys, opts ...Option) ([]byte, error) {
	m, err := sign(m, keys, opts)
	if err != nil {
		return nil, err
	}
	b, err := appendClassic(nil, m, 0, true)
	if err != nil {
		return nil, err
	}
	if len(b) > MaxMsg {
		return nil, fmt.Errorf("wire: %w: encoded message is %d bytes (MAXMSG is %d)", ErrTooLarge, len(b), MaxMsg)
	}
	return b, nil
}
