package wire

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hbd-project/hbd/authkeys"
)

// equateMsgs compares messages ignoring nil-versus-empty slices, which the
// wire cannot tell apart.
var equateMsgs = cmpopts.EquateEmpty()

func mustKeys(t testing.TB, text string) *authkeys.Keys {
	t.Helper()
	ks, err := authkeys.Parse(strings.NewReader(text), "authkeys")
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// The status heartbeat of heartbeat-spec.md §2.6, observed on the wire
// (bcast-startup-shutdown-sha1.pcap). The digests below are the observed
// ones, not computed by this package.
const (
	spec26InnerDigest   = "2fd703d8aa4ef5e81ce421e3fb21931b7d86f899"
	spec26TrailerDigest = "932aa5b4ef0de1dc6eff1340bd8faaaf8496de1d"
	spec26UUID          = "#\x83_\xd9{\x1eKQ\xa8\xa0=\x9c\xcb!\xa7i"
)

var spec26Wire = "###\n" +
	"11:(0)t=status," +
	"8:(0)st=up," +
	"10:(0)dt=1f40," +
	"13:(0)protocol=1," +
	"10:(0)src=hsa," +
	"27:(1)srcuuid=" + spec26UUID + "," +
	"8:(0)seq=2," +
	"14:(0)hg=6b038347," +
	"14:(0)ts=6b038347," +
	"31:(0)ld=0.01 0.06 0.80 2/85 18700," +
	"8:(0)ttl=3," +
	"50:(0)auth=1 " + spec26InnerDigest + "," +
	"%%%\n" +
	"42:1 " + spec26TrailerDigest + ","

const spec26AuthInput = "t=status\nst=up\ndt=1f40\nprotocol=1\nsrc=hsa\n" +
	"(1)srcuuid=I4Nf2XseS1GooD2cyyGnaQ==\nseq=2\nhg=6b038347\nts=6b038347\n" +
	"ld=0.01 0.06 0.80 2/85 18700\nttl=3\n"

func spec26Msg() *Message {
	m := &Message{}
	m.Add("t", "status")
	m.Add("st", "up")
	m.Add("dt", "1f40")
	m.Add("protocol", "1")
	m.Add("src", "hsa")
	m.AddBinary("srcuuid", []byte(spec26UUID))
	m.Add("seq", "2")
	m.Add("hg", "6b038347")
	m.Add("ts", "6b038347")
	m.Add("ld", "0.01 0.06 0.80 2/85 18700")
	m.Add("ttl", "3")
	return m
}

func TestSpecStatusExample(t *testing.T) {
	keys := mustKeys(t, "auth 1\n1 sha1 s3cr3t\n")
	if len(spec26Wire) != 303 {
		t.Fatalf("spec example is %d bytes, the spec says 303", len(spec26Wire))
	}

	in, err := AuthInput(spec26Msg())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(spec26AuthInput, string(in)); diff != "" {
		t.Errorf("AuthInput (-spec +got):\n%s", diff)
	}
	if len(in) != 143 {
		t.Errorf("AuthInput is %d bytes, the spec says 143", len(in))
	}

	got, err := Encode(spec26Msg(), keys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(spec26Wire, string(got)); diff != "" {
		t.Errorf("Encode (-spec +got):\n%s", diff)
	}

	p, err := Decode([]byte(spec26Wire))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Signed) != 257 {
		t.Errorf("signed part is %d bytes, the spec says 257", len(p.Signed))
	}
	want := spec26Msg()
	want.Add("auth", "1 "+spec26InnerDigest)
	if diff := cmp.Diff(want, p.Msg, equateMsgs); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&Trailer{Index: 1, Digest: spec26TrailerDigest}, p.Trailer); diff != "" {
		t.Errorf("trailer (-want +got):\n%s", diff)
	}
	if err := Verify(p, keys); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := VerifyInner(p.Msg, keys); err != nil {
		t.Errorf("VerifyInner: %v", err)
	}
	other := mustKeys(t, "auth 1\n1 sha1 other\n")
	if err := Verify(p, other); !errors.Is(err, ErrAuth) {
		t.Errorf("Verify with the wrong key = %v, want ErrAuth", err)
	}
}

// Encode updates an existing auth field where it stands (ha_msg_mod)
// rather than appending a second one, and leaves the caller's message alone.
func TestEncodeModifiesAuthInPlace(t *testing.T) {
	keys := mustKeys(t, "auth 1\n1 sha1 s3cr3t\n")
	m := spec26Msg()
	m.Fields = append(m.Fields[:1], append([]Field{{Name: "auth", Type: String, Value: []byte("9 stale")}}, m.Fields[1:]...)...)
	orig := m.Clone()
	b, err := Encode(m, keys)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(orig, m, equateMsgs); diff != "" {
		t.Errorf("Encode changed its argument (-before +after):\n%s", diff)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Msg.Fields[1].Name != "auth" || bytes.Count(b, []byte("auth=")) != 1 {
		t.Errorf("auth field not modified in place: %q", b)
	}
	if v, _ := p.Msg.Get("auth"); v != "1 "+spec26InnerDigest {
		t.Errorf("auth = %q, want the digest of §2.6 (position does not enter the digest)", v)
	}
	if err := Verify(p, keys); err != nil {
		t.Error(err)
	}
}

func TestClassicRoundTrip(t *testing.T) {
	keys := mustKeys(t, "auth 2\n2 md5 k\n")
	m := &Message{}
	m.Add("t", "x")
	m.Add("info", "two\nlines")
	m.AddBinary("srcuuid", []byte{0, 1, 2, '\n', 0xff})
	child := &Message{}
	child.Add("a", "1")
	grand := &Message{}
	grand.Add("b", "multi\nline")
	child.Fields = append(child.Fields, Field{Name: "g", Type: Struct, Struct: grand})
	m.Fields = append(m.Fields,
		Field{Name: "kid", Type: Struct, Struct: child},
		Field{Name: "l", Type: List, List: [][]byte{[]byte("a b"), []byte("c,d")}},
	)
	b, err := EncodeClassic(m, keys)
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := ">>>\nt=x\ninfo=two\x13lines\n(1)srcuuid=AAECCv8=\n(2)kid=>>>\x14a=1\x14(2)g=>>>\x15b=multi\x13line\x15<<<\x15\x14<<<\x14\n(3)l=3:a b,3:c,d,\n"
	if !bytes.HasPrefix(b, []byte(wantPrefix)) {
		t.Errorf("EncodeClassic = %q, want prefix %q", b, wantPrefix)
	}
	p, err := Decode(append(b, 0))
	if err != nil {
		t.Fatal(err)
	}
	if p.Format != Classic || !p.TrailingNUL {
		t.Errorf("format %v, NUL %v", p.Format, p.TrailingNUL)
	}
	// Struct fields suppress the inner auth field, as in heartbeat.
	if _, ok := p.Msg.Get("auth"); ok {
		t.Error("auth field added to a message with a struct field")
	}
	if diff := cmp.Diff(m, p.Msg, equateMsgs); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// and the netstring form of the same message
	nb, err := Encode(m, keys)
	if err != nil {
		t.Fatal(err)
	}
	np, err := Decode(nb)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, np.Msg, equateMsgs); diff != "" {
		t.Errorf("netstring round trip (-want +got):\n%s", diff)
	}
	if err := Verify(np, keys); err != nil {
		t.Error(err)
	}
}

func TestClassicAuth(t *testing.T) {
	keys := mustKeys(t, "auth 1\n1 sha1 s3cr3t\n2 sha1 other\n")
	b, err := EncodeClassic(spec26Msg(), keys)
	if err != nil {
		t.Fatal(err)
	}
	// Same inner digest as the netstring example: both sign AuthInput.
	if !bytes.HasSuffix(b, []byte("\nauth=1 "+spec26InnerDigest+"\n<<<\n")) {
		t.Errorf("EncodeClassic = %q", b)
	}
	p, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(p, keys); err != nil {
		t.Error(err)
	}
	tampered := bytes.Replace(b, []byte("st=up"), []byte("st=dn"), 1)
	p, err = Decode(tampered)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(p, keys); !errors.Is(err, ErrAuth) {
		t.Errorf("Verify(tampered) = %v, want ErrAuth", err)
	}
	p.Msg.Del("auth")
	if err := Verify(p, keys); !errors.Is(err, ErrNoAuth) {
		t.Errorf("Verify(no auth) = %v, want ErrNoAuth", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind error
	}{
		{"no type prefix (kills 3.0.6)", "###\n5:t=abc,%%%\n", ErrNoTypePrefix},
		{"empty", "", ErrBadFrame},
		{"garbage", "hello", ErrBadFrame},
		{"bare start", "###\n", ErrTruncated},
		{"length past end", "###\n99:(0)t=x,%%%\n", ErrTruncated},
		{"no comma", "###\n7:(0)t=xy%%%\n", ErrBadLength},
		{"non-digit length", "###\nx:(0)t=x,%%%\n", ErrBadLength},
		{"leading zero", "###\n07:(0)t=x,%%%\n", ErrBadLength},
		{"huge length", "###\n99999999999999999999:(0)t=x,%%%\n", ErrBadLength},
		{"type 6", ns("(6)t=x"), ErrBadType},
		{"type letter", ns("(a)t=x"), ErrBadType},
		{"no =", ns("(0)tx"), ErrBadField},
		{"empty name", ns("(0)=x"), ErrBadField},
		{"NUL in string", ns("(0)t=\x00"), ErrBadValue},
		{"name with (", ns("(0)(1)t=x"), ErrBadField},
		{"bad nested", ns("(2)s=abcd"), ErrBadFrame},
		{"nested no end", ns("(2)s=###\n"), ErrTruncated},
		{"nested trailing", ns("(2)s=###\n%%%\nx"), ErrTrailingData},
		{"empty list", ns("(3)l="), ErrBadValue},
		{"list zero element", ns("(3)l=0:,"), ErrBadValue},
		{"list no comma", ns("(3)l=1:ab"), ErrBadLength},
		{"list too long", ns("(3)l=" + strings.Repeat("3:abc,", 200)), ErrTooLarge},
		{"trailer garbage", "###\n%%%\nxyz", ErrBadTrailer},
		{"trailer not hex", "###\n%%%\n3:1 g,", ErrBadTrailer},
		{"trailer truncated", "###\n%%%\n42:1 93", ErrTruncated},
		{"after trailer", "###\n%%%\n3:1 a,x", ErrTrailingData},
		{"classic no end", ">>>\nt=x\n", ErrTruncated},
		{"classic no =", ">>>\nt\n<<<\n", ErrBadField},
		{"classic (0)", ">>>\n(0)t=x\n<<<\n", ErrBadType},
		{"classic (5)", ">>>\n(5)t=x\n<<<\n", ErrBadType},
		{"classic no )", ">>>\n(1t=x\n<<<\n", ErrNoTypePrefix},
		{"classic bad base64", ">>>\n(1)u=!!\n<<<\n", ErrBadValue},
		{"classic junk after end", ">>>\nt=x\n<<<\nzz", ErrTrailingData},
		{"classic NUL inside", ">>>\nt=x\n\x00<<<\n", ErrTruncated},
		{"too large", "###\n" + strings.Repeat("x", MaxMsg), ErrTooLarge},
		{"unknown compression", ns("(1)_compressed_payload=x", "(0)_compression_algorithm=lzma"), ErrCompression},
		{"bad zlib", ns("(1)_compressed_payload=x", "(0)_compression_algorithm=zlib"), ErrCompression},
		{"bad bz2", ns("(1)_compressed_payload=x", "(0)_compression_algorithm=bz2"), ErrCompression},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode(%q) = %+v, want an error", tt.in, p)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *DecodeError", err, err)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("Decode(%q) = %v, want kind %v", tt.in, err, tt.kind)
			}
		})
	}
}

func TestDecodeDepthAndFieldLimits(t *testing.T) {
	nest := func(n int) []byte {
		inner := ns()
		for range n {
			inner = ns("(2)s=" + inner)
		}
		return []byte(inner)
	}
	if _, err := Decode(nest(MaxDepth)); err != nil {
		t.Errorf("%d levels: %v", MaxDepth, err)
	}
	if _, err := Decode(nest(MaxDepth + 1)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("%d levels: %v, want ErrTooDeep", MaxDepth+1, err)
	}
	fields := make([]string, MaxFields+1)
	for i := range fields {
		fields[i] = "(0)a=b"
	}
	if _, err := Decode([]byte(ns(fields[:MaxFields]...))); err != nil {
		t.Errorf("%d fields: %v", MaxFields, err)
	}
	if _, err := Decode([]byte(ns(fields...))); !errors.Is(err, ErrTooManyFields) {
		t.Errorf("%d fields: %v, want ErrTooManyFields", MaxFields+1, err)
	}
}

// ns frames field bodies ("(T)name=value") as a netstring message without
// trailer.
func ns(fields ...string) string {
	var b strings.Builder
	b.WriteString("###\n")
	for _, f := range fields {
		b.WriteString(strconv.Itoa(len(f)) + ":" + f + ",")
	}
	b.WriteString("%%%\n")
	return b.String()
}

// Every authkeys method signs and verifies in both formats (crc digests
// are unpadded hex, so their length varies).
func TestAuthMethods(t *testing.T) {
	for _, text := range []string{"auth 1\n1 crc\n", "auth 3\n3 md5 k\n", "auth 15\n15 sha1 k\n"} {
		keys := mustKeys(t, text)
		for _, enc := range []func(*Message, *authkeys.Keys, ...Option) ([]byte, error){Encode, EncodeClassic} {
			b, err := enc(spec26Msg(), keys)
			if err != nil {
				t.Fatal(err)
			}
			p, err := Decode(b)
			if err != nil {
				t.Fatalf("%q: %v", text, err)
			}
			if err := Verify(p, keys); err != nil {
				t.Errorf("%q %v: %v", text, p.Format, err)
			}
		}
	}
}
