package wire

import (
	"errors"
	"fmt"
)

// Limits. The first three are heartbeat's own; the others bound what hbd
// accepts so that a hostile datagram cannot make it allocate much.
const (
	// MaxMsg is heartbeat's MAXMSG (include/clplumbing/ipc.h): no datagram
	// or encoded message may be longer.
	MaxMsg = 256 * 1024
	// MaxUncompressed is heartbeat's MAXUNCOMPRESSED: the largest payload
	// a compressed message may inflate to.
	MaxUncompressed = 2 * 1024 * 1024
	// MaxListLen is heartbeat's MAXLENGTH: a packed FT_LIST value
	// ("len:str,len:str,…") must be shorter than this, or
	// list2netstring refuses to encode it.
	MaxListLen = 1024
	// MaxDepth is how many levels of nested messages (Struct fields inside
	// Struct fields) a message may have. heartbeat's MAXDEPTH is 16, but
	// its classic encoder has newline symbols for only 10 levels
	// (SPECIAL_SYMS[]), so deeper messages cannot be rendered for the
	// inner auth digest.
	MaxDepth = 10
	// MaxFields bounds the fields of one packet, nested ones included.
	// heartbeat has no limit; an R1 message has about 15.
	MaxFields = 8192
	// MaxUDPPayload is the largest datagram sendto accepts; heartbeat has
	// no fragmentation, so bigger messages cannot be sent over UDP.
	MaxUDPPayload = 65507
)

// Sentinel kinds. Every error Decode returns is a *DecodeError whose Kind
// is one of these, so callers can errors.Is(err, wire.ErrTruncated).
var (
	ErrTooLarge      = errors.New("too large")
	ErrBadFrame      = errors.New("bad frame")            // no ###\n / >>>\n start, or unexpected bytes where a frame marker belongs
	ErrTruncated     = errors.New("truncated")            // input ends inside a frame
	ErrBadLength     = errors.New("bad netstring length") // not "DIGITS:" or no ',' after the counted bytes
	ErrNoTypePrefix  = errors.New("missing (T) type prefix")
	ErrBadType       = errors.New("bad field type")
	ErrBadField      = errors.New("bad field")       // no '=' or an unusable name
	ErrBadValue      = errors.New("bad field value") // bad base64, NUL in a string, malformed list
	ErrTooDeep       = errors.New("nested too deeply")
	ErrTooManyFields = errors.New("too many fields")
	ErrBadTrailer    = errors.New("bad auth trailer")
	ErrTrailingData  = errors.New("trailing data after message")
	ErrCompression   = errors.New("bad compressed payload")
)

// Verification failures (returned by Verify, not Decode).
var (
	ErrNoTrailer = errors.New("netstring message has no auth trailer")
	ErrNoAuth    = errors.New("classic message has no auth field")
	ErrAuth      = errors.New("authentication failed")
)

// ErrInvalid is wrapped by Encode errors: the message cannot be put on the
// wire the way heartbeat would (empty name, NUL in a string, …).
var ErrInvalid = errors.New("invalid message")

// DecodeError is a malformed packet. Offset is the byte offset in the
// input (in the inflated payload when Reason says so) where parsing failed.
type DecodeError struct {
	Offset int
	Kind   error
	Reason string
}

func (e *DecodeError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("wire: offset %d: %v", e.Offset, e.Kind)
	}
	return fmt.Sprintf("wire: offset %d: %v: %s", e.Offset, e.Kind, e.Reason)
}

func (e *DecodeError) Unwrap() error { return e.Kind }

func decErr(off int, kind error, format string, a ...any) *DecodeError {
	return &DecodeError{Offset: off, Kind: kind, Reason: fmt.Sprintf(format, a...)}
}
