package wire

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecode: Decode never panics and returns only *DecodeError; what it
// accepts re-encodes, decodes to the same message, and verifies once
// signed. The seed corpus (testdata/fuzz/FuzzDecode) holds one packet of
// each kind from the golden captures plus hand-made malformed ones.
func FuzzDecode(f *testing.F) {
	keys := mustKeys(f, "auth 1\n1 sha1 s3cr3t\n")
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %v is %T, not *DecodeError", err, err)
			}
			return
		}
		enc, err := Encode(p.Msg, nil)
		if errors.Is(err, ErrTooLarge) && p.Compressed != nil {
			return // an inflated message may exceed what one datagram holds
		}
		if err != nil {
			t.Fatalf("decoded message does not encode: %v\n%q", err, b)
		}
		p2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded message does not decode: %v\n%q", err, enc)
		}
		if diff := cmp.Diff(p.Msg, p2.Msg, equateMsgs); diff != "" {
			t.Fatalf("round trip changed the message (-first +second):\n%s", diff)
		}
		signed, err := Encode(p.Msg, keys)
		if errors.Is(err, ErrTooLarge) {
			return
		}
		if err != nil {
			t.Fatalf("Encode with keys: %v", err)
		}
		p3, err := Decode(signed)
		if err != nil {
			t.Fatalf("signed message does not decode: %v\n%q", err, signed)
		}
		if err := Verify(p3, keys); err != nil {
			t.Fatalf("signed message does not verify: %v\n%q", err, signed)
		}
	})
}

// FuzzClassic: a classic packet re-encodes in classic form to an equal
// message, and, unless it had blank lines or non-canonical base64 (which
// heartbeat also normalises), to the same bytes.
func FuzzClassic(f *testing.F) {
	for _, s := range []string{
		">>>\nt=status\nst=up\n(1)srcuuid=I4Nf2XseS1GooD2cyyGnaQ==\ninfo=a\x13b\n<<<\n\x00",
		">>>\nt=x\n(2)kid=>>>\x14a=1\x14(2)g=>>>\x15b=2\x15<<<\x15\x14<<<\x14\n(3)l=3:a b,1:c,\n<<<\n",
		">>>\nt=x\n\n\nst=y\n<<<\n",
		">>>\n(4)c=eHl6\n<<<\n",
	} {
		f.Add([]byte(s))
	}
	corpus, _ := filepath.Glob("testdata/fuzz/FuzzDecode/*classic*")
	for _, path := range corpus {
		if b, err := readCorpusFile(path); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil || p.Format != Classic {
			return
		}
		enc, err := EncodeClassic(p.Msg, nil)
		if err != nil {
			t.Fatalf("classic message does not re-encode as classic: %v\n%q", err, b)
		}
		p2, err := Decode(enc)
		if err != nil {
			t.Fatalf("re-encoded classic message does not decode: %v\n%q", err, enc)
		}
		if diff := cmp.Diff(p.Msg, p2.Msg, equateMsgs); diff != "" {
			t.Fatalf("classic round trip changed the message (-first +second):\n%s", diff)
		}
		again, err := EncodeClassic(p2.Msg, nil)
		if err != nil || string(again) != string(enc) {
			t.Fatalf("classic encoding is not stable: %q then %q (%v)", enc, again, err)
		}
	})
}

// readCorpusFile reads a "go test fuzz v1" file holding one []byte.
func readCorpusFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	body, ok := strings.CutPrefix(string(data), "go test fuzz v1\n[]byte(")
	if !ok {
		return nil, errors.New("not a []byte corpus file")
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimSpace(body), ")"))
	return []byte(s), err
}

// TestFuzzCorpusLabels keeps the seed corpus honest: files named bad-* and
// *err* must fail to decode, all others must decode.
func TestFuzzCorpusLabels(t *testing.T) {
	files, _ := filepath.Glob("testdata/fuzz/FuzzDecode/*")
	if len(files) < 20 {
		t.Fatalf("only %d seed files", len(files))
	}
	for _, path := range files {
		b, err := readCorpusFile(path)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		name := filepath.Base(path)
		_, err = Decode(b)
		wantErr := strings.HasPrefix(name, "bad-") || strings.Contains(name, "err")
		if (err != nil) != wantErr {
			t.Errorf("%s: Decode error = %v, want error %v", name, err, wantErr)
		}
	}
}
