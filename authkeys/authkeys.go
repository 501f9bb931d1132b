// Package authkeys parses heartbeat's /etc/ha.d/authkeys and signs and
// verifies messages exactly as heartbeat 3.0.6 does (heartbeat/auth.c and
// the HBauth plugins crc, md5 and sha1).
//
// hbd adds one method of its own, sha256 (HMAC-SHA256). A real heartbeat
// node cannot load it, so it is only usable in a cluster of hbd nodes.
package authkeys

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"
	"strings"
)

// MaxIndex is the highest key index heartbeat accepts (MAXAUTH-1).
const MaxIndex = 15

// Method is an authentication method named in authkeys.
type Method string

const (
	CRC    Method = "crc"
	MD5    Method = "md5"
	SHA1   Method = "sha1"
	SHA256 Method = "sha256" // hbd only: a heartbeat node cannot verify it
)

// Keyed reports whether the method needs a key.
func (m Method) Keyed() bool { return m != CRC }

// Key is one numbered key line.
type Key struct {
	Index  int
	Method Method
	Secret []byte
	Line   int // line in the file it came from
}

// Digest returns the lower-case hex digest heartbeat puts after "auth=N ".
func (k *Key) Digest(msg []byte) string {
	var h func() hash.Hash
	switch k.Method {
	case MD5:
		h = md5.New
	case SHA1:
		h = sha1.New
	case SHA256:
		h = sha256.New
	default: // crc: unkeyed, and not hash/crc32 (see crcPOSIX)
		return strconv.FormatUint(uint64(crcPOSIX(msg)), 16)
	}
	mac := hmac.New(h, k.Secret)
	mac.Write(msg)
	return hex.EncodeToString(mac.Sum(nil))
}

// Keys is a parsed authkeys file.
type Keys struct {
	// Active is the index named by the "auth" line: the key that signs
	// outgoing messages.
	Active int
	keys   [MaxIndex + 1]*Key
	// Warnings are non-fatal remarks (e.g. crc authenticates nothing).
	Warnings []string
}

// Key returns key index i, or nil.
func (ks *Keys) Key(i int) *Key {
	if i < 0 || i > MaxIndex {
		return nil
	}
	return ks.keys[i]
}

// ActiveKey returns the signing key.
func (ks *Keys) ActiveKey() *Key { return ks.keys[ks.Active] }

// All returns the configured keys in index order.
func (ks *Keys) All() []*Key {
	var out []*Key
	for _, k := range ks.keys {
		if k != nil {
			out = append(out, k)
		}
	}
	return out
}

// Sign returns the active index and the digest of msg under the active key.
func (ks *Keys) Sign(msg []byte) (index int, digest string) {
	return ks.Active, ks.ActiveKey().Digest(msg)
}

// Verify checks a digest that claims key index i, using that key's method
// and secret. This is how heartbeat checks the inner auth= field of classic
// messages: any configured key verifies.
func (ks *Keys) Verify(i int, msg []byte, digest string) bool {
	k := ks.Key(i)
	if k == nil {
		return false
	}
	return hmac.Equal([]byte(k.Digest(msg)), []byte(digest))
}

// VerifyTrailer checks a netstring auth trailer that claims index i.
//
// heartbeat 3.0.6 computes it with the method of index i but the secret of
// its own active key (a bug in is_auth_netstring), so 3.0.6 peers only
// interoperate when they share the active key. hbd accepts the digest under
// either reading, so it verifies what a correct sender and what 3.0.6 sends.
func (ks *Keys) VerifyTrailer(i int, msg []byte, digest string) bool {
	if ks.Verify(i, msg, digest) {
		return true
	}
	k := ks.Key(i)
	if k == nil {
		return false
	}
	quirk := &Key{Method: k.Method, Secret: ks.ActiveKey().Secret}
	return hmac.Equal([]byte(quirk.Digest(msg)), []byte(digest))
}

// Error is a problem in an authkeys file, reported as FILE:LINE: message.
type Error struct {
	File string
	Line int // 0 when the problem is with the file as a whole
	Msg  string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ErrPermissions is wrapped by the error Load returns for a file that group
// or others can read.
var ErrPermissions = errors.New("bad permissions on keyfile, 600 recommended")

// Load reads and parses path, refusing it, as heartbeat does, when group or
// others may read it (mode 640 and 644 are refused, 620 is accepted).
func Load(path string) (*Keys, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error()}
	}
	if st.Mode().Perm()&0o044 != 0 {
		return nil, fmt.Errorf("%w", &permError{path: path, mode: st.Mode().Perm()})
	}
	return Parse(f, path)
}

type permError struct {
	path string
	mode os.FileMode
}

func (e *permError) Error() string {
	return fmt.Sprintf("%s: bad permissions on keyfile (mode %04o: readable by group or others), 600 recommended", e.path, e.mode)
}

func (e *permError) Unwrap() error { return ErrPermissions }

// maxFileSize bounds what Parse reads; a real authkeys file is a few lines.
const maxFileSize = 1 << 20

// Parse reads an authkeys file from r; name is used in error messages.
// It does not check permissions (Load does).
func Parse(r io.Reader, name string) (*Keys, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	if len(data) > maxFileSize {
		return nil, &Error{File: name, Msg: "file too large"}
	}
	ks := &Keys{Active: -1}
	// As in heartbeat, "auth N" only records N; the active key is bound
	// when key line N is read after it, and stays bound if a later "auth M"
	// is never followed by key M.
	authNum, authLine := -1, 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxFileSize)
	for ln := 1; sc.Scan(); ln++ {
		fields := cFields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		errf := func(format string, a ...any) error {
			return &Error{File: name, Line: ln, Msg: fmt.Sprintf(format, a...)}
		}
		if fields[0] == "auth" {
			if len(fields) < 2 {
				return nil, errf("auth: missing key index")
			}
			n, err := strconv.Atoi(fields[1])
			if err != nil {
				return nil, errf("auth: key index %q is not a number", fields[1])
			}
			if n < 0 || n > MaxIndex {
				return nil, errf("auth: invalid key index %d (0-%d)", n, MaxIndex)
			}
			authNum, authLine = n, ln
			continue
		}
		// heartbeat reads key lines with sscanf("%d%s%s"): a leading number,
		// a method, an optional key token; anything after it is ignored.
		n, err := strconv.Atoi(fields[0])
		if err != nil {
			return nil, errf("expected \"auth N\" or \"N METHOD [KEY]\", got %q", fields[0])
		}
		if n < 0 || n > MaxIndex {
			return nil, errf("invalid key index %d (0-%d)", n, MaxIndex)
		}
		if len(fields) < 2 {
			return nil, errf("key %d: missing method (crc, md5, sha1 or sha256)", n)
		}
		k := &Key{Index: n, Method: Method(strings.ToLower(fields[1])), Line: ln}
		switch k.Method {
		case CRC:
			if len(fields) > 2 {
				return nil, errf("key %d: method crc does not use a key", n)
			}
			ks.Warnings = append(ks.Warnings, fmt.Sprintf("%s:%d: key %d: crc authenticates nothing; use sha1", name, ln, n))
		case MD5, SHA1, SHA256:
			if len(fields) < 3 {
				return nil, errf("key %d: method %s needs a key", n, k.Method)
			}
			k.Secret = []byte(fields[2])
			if k.Method == SHA256 {
				ks.Warnings = append(ks.Warnings, fmt.Sprintf("%s:%d: key %d: sha256 is an hbd extension; heartbeat 3.0.6 nodes cannot use it", name, ln, n))
			}
		default:
			return nil, errf("key %d: unknown method %q (crc, md5, sha1 or sha256)", n, fields[1])
		}
		if ks.keys[n] != nil {
			ks.Warnings = append(ks.Warnings, fmt.Sprintf("%s:%d: key %d redefined (first at line %d); the last one wins", name, ln, n, ks.keys[n].Line))
		}
		ks.keys[n] = k
		if n == authNum {
			ks.Active = n
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{File: name, Msg: err.Error()}
	}
	switch {
	case authLine == 0:
		return nil, &Error{File: name, Msg: "no \"auth N\" line selecting the active key"}
	case ks.Active < 0 && ks.keys[authNum] != nil:
		return nil, &Error{File: name, Line: authLine, Msg: fmt.Sprintf("auth %d: key %d is defined before the auth line (line %d); heartbeat requires \"auth N\" first", authNum, authNum, ks.keys[authNum].Line)}
	case ks.Active < 0:
		return nil, &Error{File: name, Line: authLine, Msg: fmt.Sprintf("auth %d: key %d not found", authNum, authNum)}
	case ks.Active != authNum:
		ks.Warnings = append(ks.Warnings, fmt.Sprintf("%s:%d: auth %d: no key %d follows; key %d (chosen earlier) stays active, as in heartbeat", name, authLine, authNum, authNum, ks.Active))
	}
	return ks, nil
}

// cFields splits s at the bytes C's isspace() accepts, as heartbeat's
// sscanf("%s") does. strings.Fields would also split at U+0085 and U+00A0,
// cutting a key that contains them short.
func cFields(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return true
		}
		return false
	})
}

// crcPOSIX mirrors HBauth/crc.c: MSB-first polynomial 0x04C11DB7, initial
// value 0, final complement, no length suffix (CRC-32/POSIX). Go's
// hash/crc32 only offers reflected CRCs, so it cannot be used.
func crcPOSIX(b []byte) uint32 {
	var crc uint32
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04C11DB7
			} else {
				crc <<= 1
			}
		}
	}
	return ^crc
}
