package authkeys

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"hash"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDigestVectors(t *testing.T) {
	jefe := []byte("what do ya want for nothing?")
	big := []byte("Test Using Larger Than Block-Size Key - Hash Key First")
	aa80 := strings.Repeat("\xaa", 80) // longer than the 64-byte block: hashed first
	for _, tc := range []struct {
		name   string
		method Method
		secret string
		msg    []byte
		want   string
	}{
		{"RFC 2202 sha1 #2", SHA1, "Jefe", jefe, "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{"RFC 2202 md5 #2", MD5, "Jefe", jefe, "750c783e6ab0b503eaa86e310a5db738"},
		{"RFC 2202 sha1 #6", SHA1, aa80, big, "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
		{"RFC 2202 md5 #6", MD5, aa80, big, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
		{"RFC 4231 sha256 #2", SHA256, "Jefe", jefe, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"CRC-32/POSIX check value", CRC, "", []byte("123456789"), "765e7680"},
		{"crc of nothing", CRC, "", nil, "ffffffff"},
		{"crc is printed without zero padding (%lx)", CRC, "", []byte("ix"), "f7d744"},
	} {
		k := &Key{Method: tc.method, Secret: []byte(tc.secret)}
		if got := k.Digest(tc.msg); got != tc.want {
			t.Errorf("%s: Digest = %s, want %s", tc.name, got, tc.want)
		}
	}
}

// The status heartbeat of spec §2.6, captured from a real 3.0.6 node "hsa"
// with "auth 1" / "1 sha1 s3cr3t".
var (
	statusInner = "t=status\nst=up\ndt=1f40\nprotocol=1\nsrc=hsa\n(1)srcuuid=I4Nf2XseS1GooD2cyyGnaQ==\n" +
		"seq=2\nhg=6b038347\nts=6b038347\nld=0.01 0.06 0.80 2/85 18700\nttl=3\n"
	statusFramed = "###\n11:(0)t=status,8:(0)st=up,10:(0)dt=1f40,13:(0)protocol=1,10:(0)src=hsa," +
		"27:(1)srcuuid=#\x83_\xd9{\x1eKQ\xa8\xa0=\x9c\xcb!\xa7i,8:(0)seq=2,14:(0)hg=6b038347,14:(0)ts=6b038347," +
		"31:(0)ld=0.01 0.06 0.80 2/85 18700,8:(0)ttl=3,50:(0)auth=1 2fd703d8aa4ef5e81ce421e3fb21931b7d86f899,%%%\n"
)

func TestRealStatusPacket(t *testing.T) {
	if len(statusInner) != 143 || len(statusFramed) != 257 {
		t.Fatalf("test data: inner %d bytes, framed %d; the capture has 143 and 257", len(statusInner), len(statusFramed))
	}
	ks, err := Parse(strings.NewReader("auth 1\n1 sha1 s3cr3t\n"), "authkeys")
	if err != nil {
		t.Fatal(err)
	}
	const inner, trailer = "2fd703d8aa4ef5e81ce421e3fb21931b7d86f899", "932aa5b4ef0de1dc6eff1340bd8faaaf8496de1d"
	if n, d := ks.Sign([]byte(statusInner)); n != 1 || d != inner {
		t.Errorf("Sign(inner) = %d %s, want 1 %s", n, d, inner)
	}
	if n, d := ks.Sign([]byte(statusFramed)); n != 1 || d != trailer {
		t.Errorf("Sign(framed) = %d %s, want 1 %s", n, d, trailer)
	}
	if !ks.Verify(1, []byte(statusInner), inner) {
		t.Error("Verify rejected the real inner auth field")
	}
	if !ks.VerifyTrailer(1, []byte(statusFramed), trailer) {
		t.Error("VerifyTrailer rejected the real trailer")
	}
	tampered := strings.Replace(statusFramed, "st=up", "st=dn", 1)
	if ks.VerifyTrailer(1, []byte(tampered), trailer) {
		t.Error("VerifyTrailer accepted a modified message")
	}
}

// hmacHex is an independent reference for the expected digests.
func hmacHex(h func() hash.Hash, key, msg string) string {
	m := hmac.New(h, []byte(key))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestVerify(t *testing.T) {
	ks, err := Parse(strings.NewReader("auth 1\n1 sha1 s3cr3t\n2 md5 other\n"), "authkeys")
	if err != nil {
		t.Fatal(err)
	}
	const msg = "t=status\nsrc=hsb\n"
	for _, tc := range []struct {
		name    string
		index   int
		digest  string
		classic bool // Verify: the key of the claimed index only
		trailer bool // VerifyTrailer: also 3.0.6's active-key reading
	}{
		{"active key", 1, hmacHex(sha1.New, "s3cr3t", msg), true, true},
		// Classic messages verify with any configured key [OBS].
		{"other configured key", 2, hmacHex(md5.New, "other", msg), true, true},
		// 3.0.6 checks a trailer claiming index 2 with index 2's method
		// but its own active secret; hbd accepts what such a peer sends.
		{"3.0.6 quirk: method of 2, secret of active 1", 2, hmacHex(md5.New, "s3cr3t", msg), false, true},
		{"wrong secret", 2, hmacHex(md5.New, "wrong", msg), false, false},
		{"method of 1 under index 2", 2, hmacHex(sha1.New, "other", msg), false, false},
		{"unconfigured index", 3, hmacHex(sha1.New, "s3cr3t", msg), false, false},
		{"index out of range", 16, hmacHex(sha1.New, "s3cr3t", msg), false, false},
		{"negative index", -1, hmacHex(sha1.New, "s3cr3t", msg), false, false},
		{"upper-case hex", 1, strings.ToUpper(hmacHex(sha1.New, "s3cr3t", msg)), false, false},
		{"empty digest", 1, "", false, false},
	} {
		if got := ks.Verify(tc.index, []byte(msg), tc.digest); got != tc.classic {
			t.Errorf("%s: Verify(%d) = %v, want %v", tc.name, tc.index, got, tc.classic)
		}
		if got := ks.VerifyTrailer(tc.index, []byte(msg), tc.digest); got != tc.trailer {
			t.Errorf("%s: VerifyTrailer(%d) = %v, want %v", tc.name, tc.index, got, tc.trailer)
		}
	}
}

// keySummary is what a test cares about in a parsed key.
type keySummary struct {
	Index  int
	Method Method
	Secret string
	Line   int
}

func summary(ks *Keys) []keySummary {
	var out []keySummary
	for _, k := range ks.All() {
		out = append(out, keySummary{k.Index, k.Method, string(k.Secret), k.Line})
	}
	return out
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		active   int
		keys     []keySummary
		warnings []string // substrings, one per warning, in order
	}{
		{
			name:   "minimal",
			in:     "auth 1\n1 sha1 s3cr3t\n",
			active: 1,
			keys:   []keySummary{{1, SHA1, "s3cr3t", 2}},
		},
		{
			name: "comments, blanks, trailing text, # inside a key",
			in: "# header\n\n  \t# indented comment\n auth\t2 # ignored\n" +
				"1 md5 one extra words\n\t2  sha1\tk#ey # ignored\n15 md5 fifteen\n0 sha1 zero\n",
			active: 2,
			keys: []keySummary{
				{0, SHA1, "zero", 8}, {1, MD5, "one", 5}, {2, SHA1, "k#ey", 6}, {15, MD5, "fifteen", 7},
			},
		},
		{
			name:     "crc warns",
			in:       "auth 3\n3 crc\n",
			active:   3,
			keys:     []keySummary{{3, CRC, "", 2}},
			warnings: []string{"authkeys:2: key 3: crc authenticates nothing"},
		},
		{
			name:     "sha256 is accepted with a warning",
			in:       "auth 1\n1 sha256 s3cr3t\n",
			active:   1,
			keys:     []keySummary{{1, SHA256, "s3cr3t", 2}},
			warnings: []string{"authkeys:2: key 1: sha256 is an hbd extension"},
		},
		{
			name:     "redefined key: the last wins",
			in:       "auth 1\n1 sha1 first\n1 md5 second\n",
			active:   1,
			keys:     []keySummary{{1, MD5, "second", 3}},
			warnings: []string{"authkeys:3: key 1 redefined (first at line 2)"},
		},
		{
			name:   "a key is split only at ASCII white space, like sscanf %s",
			in:     "auth 1\n1 sha1 a\u00a0b\u0085c\r\n",
			active: 1,
			keys:   []keySummary{{1, SHA1, "a\u00a0b\u0085c", 2}},
		},
		{
			name:   "auth repeated for the bound key",
			in:     "auth 1\n1 sha1 one\nauth 1\n",
			active: 1,
			keys:   []keySummary{{1, SHA1, "one", 2}},
		},
		{
			name:   "a later auth line with its key after it rebinds",
			in:     "auth 1\n1 sha1 one\nauth 2\n2 md5 two\n",
			active: 2,
			keys:   []keySummary{{1, SHA1, "one", 2}, {2, MD5, "two", 4}},
		},
		{
			// heartbeat binds the active key while reading key line N and
			// never unbinds it.
			name:     "a later auth line without its key keeps the earlier one",
			in:       "auth 1\n1 sha1 one\nauth 2\n",
			active:   1,
			keys:     []keySummary{{1, SHA1, "one", 2}},
			warnings: []string{"authkeys:3: auth 2: no key 2 follows; key 1"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, err := Parse(strings.NewReader(tc.in), "authkeys")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if ks.Active != tc.active || ks.ActiveKey() == nil || ks.ActiveKey().Index != tc.active {
				t.Errorf("Active = %d (key %+v), want %d", ks.Active, ks.ActiveKey(), tc.active)
			}
			if diff := cmp.Diff(tc.keys, summary(ks)); diff != "" {
				t.Errorf("keys (-want +got):\n%s", diff)
			}
			if len(ks.Warnings) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %d", ks.Warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(ks.Warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, ks.Warnings[i], w)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		line int // 0: the file as a whole
		msg  string
	}{
		{"auth after its key", "1 sha1 s3cr3t\nauth 1\n", 2, "key 1 is defined before the auth line (line 1)"},
		{"missing key", "auth 2\n1 sha1 s3cr3t\n", 1, "auth 2: key 2 not found"},
		{"no auth line", "1 sha1 s3cr3t\n", 0, `no "auth N" line`},
		{"empty file", "", 0, `no "auth N" line`},
		{"crc with a key", "auth 1\n1 crc key\n", 2, "method crc does not use a key"},
		{"md5 without a key", "auth 1\n1 md5\n", 2, "method md5 needs a key"},
		{"sha1 without a key", "auth 1\n1 sha1\n", 2, "method sha1 needs a key"},
		{"sha256 without a key", "auth 1\n1 sha256\n", 2, "method sha256 needs a key"},
		{"key index 16", "auth 1\n16 sha1 s3cr3t\n1 sha1 s3cr3t\n", 2, "invalid key index 16"},
		{"negative key index", "auth 1\n-1 sha1 s3cr3t\n", 2, "invalid key index -1"},
		{"auth 16", "auth 16\n", 1, "auth: invalid key index 16"},
		{"auth without index", "auth\n1 sha1 x\n", 1, "missing key index"},
		{"auth index not a number", "auth one\n", 1, `key index "one" is not a number`},
		{"unknown method", "auth 1\n1 sha512 s3cr3t\n", 2, `unknown method "sha512"`},
		{"no method", "auth 1\n1\n", 2, "missing method"},
		{"garbage line", "auth 1\n1 sha1 x\nhello world\n", 3, `got "hello"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ks, err := Parse(strings.NewReader(tc.in), "/etc/ha.d/authkeys")
			if err == nil {
				t.Fatalf("Parse(%q) accepted it: %+v", tc.in, summary(ks))
			}
			var e *Error
			if !errors.As(err, &e) || e.File != "/etc/ha.d/authkeys" || e.Line != tc.line {
				t.Errorf("error %v (%T), want an *Error at /etc/ha.d/authkeys:%d", err, err, tc.line)
			}
			prefix := "/etc/ha.d/authkeys: "
			if tc.line != 0 {
				prefix = "/etc/ha.d/authkeys:" + strconv.Itoa(tc.line) + ": "
			}
			if s := err.Error(); !strings.HasPrefix(s, prefix) || !strings.Contains(s, tc.msg) {
				t.Errorf("error %q, want prefix %q and %q in it", s, prefix, tc.msg)
			}
		})
	}
}

func TestParseTooLarge(t *testing.T) {
	in := "auth 1\n1 sha1 x\n" + strings.Repeat("#", maxFileSize)
	if _, err := Parse(strings.NewReader(in), "authkeys"); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("Parse of %d bytes: err = %v, want too large", len(in), err)
	}
	endless := &hashes{}
	if _, err := Parse(endless, "authkeys"); err == nil || endless.n > maxFileSize+1 {
		t.Errorf("endless input: read %d bytes, err = %v; want at most %d bytes and an error", endless.n, err, maxFileSize+1)
	}
}

// hashes is an endless stream of '#', counting what was read.
type hashes struct{ n int }

func (h *hashes) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '#'
	}
	h.n += len(p)
	return len(p), nil
}

// writeKeys writes content to a temporary authkeys with the given mode.
func writeKeys(t *testing.T, content []byte, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "authkeys")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is subject to umask
		t.Fatal(err)
	}
	return path
}

func TestLoadPermissions(t *testing.T) {
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{
		{0o600, true},
		{0o400, true},
		{0o620, true}, // group may write but not read: heartbeat accepts it [OBS]
		{0o602, true},
		{0o640, false},
		{0o644, false},
		{0o604, false},
		{0o660, false},
	} {
		path := writeKeys(t, []byte("auth 1\n1 sha1 s3cr3t\n"), tc.mode)
		ks, err := Load(path)
		if tc.ok {
			if err != nil || ks.ActiveKey() == nil {
				t.Errorf("mode %04o: Load = %v, want it accepted", tc.mode, err)
			}
			continue
		}
		if !errors.Is(err, ErrPermissions) {
			t.Errorf("mode %04o: Load error = %v, want ErrPermissions", tc.mode, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), path+": ") || !strings.Contains(err.Error(), "600 recommended") {
			t.Errorf("mode %04o: error %q, want it to name %s and recommend 600", tc.mode, err, path)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	_, err := Load(missing)
	var e *Error
	if !errors.As(err, &e) || e.File != missing || errors.Is(err, ErrPermissions) {
		t.Errorf("Load(missing) = %v, want an *Error for %s", err, missing)
	}

	path := writeKeys(t, []byte("auth 1\n1 md5\n"), 0o600)
	_, err = Load(path)
	if want := path + ":2: key 1: method md5 needs a key"; err == nil || err.Error() != want {
		t.Errorf("Load = %v, want %q", err, want)
	}
}

func TestLoadExample(t *testing.T) {
	// git cannot store mode 600, so load a private copy.
	b, err := os.ReadFile("testdata/authkeys.example")
	if err != nil {
		t.Fatal(err)
	}
	ks, err := Load(writeKeys(t, b, 0o600))
	if err != nil {
		t.Fatal(err)
	}
	want := []keySummary{{1, SHA1, "8b1a9953c4611296a827abf8c47804d7", 18}}
	if diff := cmp.Diff(want, summary(ks)); diff != "" || ks.Active != 1 || len(ks.Warnings) != 0 {
		t.Errorf("Active %d, warnings %q, keys (-want +got):\n%s", ks.Active, ks.Warnings, diff)
	}
}

func TestKeyAccessors(t *testing.T) {
	ks, err := Parse(strings.NewReader("auth 0\n0 sha1 zero\n7 crc\n"), "authkeys")
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]bool{-1: false, 0: true, 1: false, 7: true, 15: false, 16: false} {
		if got := ks.Key(i) != nil; got != want {
			t.Errorf("Key(%d) present = %v, want %v", i, got, want)
		}
	}
	if CRC.Keyed() || !SHA1.Keyed() || !MD5.Keyed() || !SHA256.Keyed() {
		t.Error("Keyed: only crc goes without a key")
	}
}
