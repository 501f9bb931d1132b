// Package wire is heartbeat's message codec (cluster-glue's cl_msg.c,
// cl_msg_types.c and cl_netstring.c, heartbeat's ha_msg_internal.c):
// byte-for-byte compatible with heartbeat 3.0.6.
//
// A message is an ordered list of typed fields (Message, Field,
// FieldType). On the wire it is either
//
//   - netstring, what 3.0.6 sends: "###\n", each field as
//     "LEN:(T)name=value,", "%%%\n", then the auth trailer "LEN:N DIGEST,"
//     signing the bytes from "###\n" through "%%%\n"; or
//   - classic, what 2.1.x sends: ">>>\n", "name=value\n" lines (non-string
//     fields as "(T)name=base64"), "<<<\n", maybe a NUL.
//
// Both carry an inner "auth=N DIGEST" field computed over the classic
// rendering of the other fields (AuthInput). heartbeat checks only the
// trailer of a netstring packet and only the inner field of a classic one;
// Verify does the same.
//
// API (stable; other packages build on it):
//
//	Decode(b []byte) (*Packet, error)              either format; errors are *DecodeError
//	Verify(p *Packet, keys *authkeys.Keys) error   nil, or wraps ErrNoTrailer, ErrNoAuth, ErrAuth
//	VerifyInner(m *Message, keys) error            the inner auth field alone
//	AuthInput(m *Message) ([]byte, error)          what the inner auth field signs
//	Encode(m *Message, keys, ...Option) ([]byte, error)        netstring + inner auth + trailer (3.0.6)
//	EncodeClassic(m *Message, keys, ...Option) ([]byte, error) classic + inner auth
//	WithoutInnerAuth() Option                      no inner auth field ("msgfmt netstring")
//	(*Control).Apply(m *Message)                   src, srcuuid, seq, hg, ts, ld, ttl in 3.0.6 order
//
// Packet records the format, the signed bytes, the trailer, a classic
// packet's trailing NUL and, for a packet carrying _compressed_payload
// (zlib or bz2; decode only), the on-wire message next to the inflated
// one (p.Wire() returns the on-wire message). Re-encoding a decoded 3.0.6
// packet with the same keys reproduces it exactly: Encode(p.Wire(), keys)
// for netstring (adding WithoutInnerAuth() when the packet had no inner
// auth field, as nodes with "msgfmt netstring" send),
// EncodeClassic(p.Wire(), keys) plus the NUL for classic.
//
// Decode never panics and checks sizes before allocating: at most MaxMsg
// bytes in, MaxUncompressed inflated, MaxFields fields, MaxDepth levels of
// nesting, MaxListLen bytes per list. A DecodeError's Kind is one of
// ErrTooLarge, ErrBadFrame, ErrTruncated, ErrBadLength, ErrNoTypePrefix,
// ErrBadType, ErrBadField, ErrBadValue, ErrTooDeep, ErrTooManyFields,
// ErrBadTrailer, ErrTrailingData or ErrCompression; test with errors.Is.
// It is stricter than heartbeat where heartbeat would crash (a field
// without "(T)") or accept something it could not send back (leading
// zeros, trailing bytes, a classic message without "<<<").
//
// Encode refuses (ErrInvalid) messages heartbeat could not carry: empty
// names or names with '=', newline or NUL or a leading '(', NUL in string
// values, empty or oversized lists.
//
// The subpackage wirepcap extracts heartbeat datagrams from capture files:
//
//	wirepcap.Read(path string, ports []uint16) ([]wirepcap.Datagram, error)
//
// returns UDP payloads to or from ports and ICMP echo payloads that start
// like a heartbeat message, marking those the capture cut short.
package wire
