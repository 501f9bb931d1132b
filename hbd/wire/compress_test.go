package wire

import (
	"bytes"
	"compress/zlib"
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func statusMsg() *Message {
	m := &Message{}
	m.Add("t", "status")
	m.Add("st", "up")
	m.Add("src", "hsa")
	return m
}

// compressedWire wraps payload the way cl_compressmsg does and signs it.
func compressedWire(t *testing.T, payload []byte, algo string) []byte {
	t.Helper()
	w := &Message{}
	w.AddBinary("_compressed_payload", payload)
	w.Add("_compression_algorithm", algo)
	b, err := Encode(w, mustKeys(t, "auth 1\n1 sha1 s3cr3t\n"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeCompressed(t *testing.T) {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("###\n11:(0)t=status,8:(0)st=up,10:(0)src=hsa,%%%\n"))
	zw.Close()
	// The bz2 payloads were made with Python's bz2.compress(data, 1), the
	// block size heartbeat's bz2 plugin uses; Go has no bzip2 writer.
	bzNS, err := os.ReadFile("testdata/status.netstring.bz2")
	if err != nil {
		t.Fatal(err)
	}
	bzClassic, err := os.ReadFile("testdata/status.classic.bz2")
	if err != nil {
		t.Fatal(err)
	}
	keys := mustKeys(t, "auth 1\n1 sha1 s3cr3t\n")
	for _, tt := range []struct {
		name, algo string
		payload    []byte
	}{
		{"zlib netstring", "zlib", z.Bytes()},
		{"bz2 netstring", "bz2", bzNS},
		{"bz2 classic with NUL", "bz2", bzClassic},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := compressedWire(t, tt.payload, tt.algo)
			p, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(statusMsg(), p.Msg, equateMsgs); diff != "" {
				t.Errorf("inflated (-want +got):\n%s", diff)
			}
			if p.Algorithm != tt.algo || p.Compressed == nil {
				t.Errorf("Algorithm %q, Compressed %v", p.Algorithm, p.Compressed)
			}
			if err := Verify(p, keys); err != nil {
				t.Errorf("Verify: %v", err)
			}
			// The on-wire message re-encodes to the same bytes.
			re, err := Encode(p.Compressed, keys)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(re, b) {
				t.Errorf("re-encoded %q, want %q", re, b)
			}
		})
	}
}

func TestDecodeCompressedLimits(t *testing.T) {
	// A bomb: 3 MiB of zeros compresses to a few KiB.
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("###\n"))
	zw.Write(make([]byte, 3<<20))
	zw.Close()
	b := compressedWire(t, z.Bytes(), "zlib")
	if _, err := Decode(b); !errors.Is(err, ErrTooLarge) {
		t.Errorf("zlib bomb: %v, want ErrTooLarge", err)
	}

	// Compression inside compression is refused.
	innerWire := compressedWire(t, []byte("x"), "zlib")
	inner := innerWire[:bytes.Index(innerWire, []byte("%%%\n"))+4]
	z.Reset()
	zw = zlib.NewWriter(&z)
	zw.Write(inner)
	zw.Close()
	b = compressedWire(t, z.Bytes(), "zlib")
	if _, err := Decode(b); !errors.Is(err, ErrCompression) {
		t.Errorf("nested compression: %v, want ErrCompression", err)
	}

	// Garbage after the inflated message.
	z.Reset()
	zw = zlib.NewWriter(&z)
	zw.Write([]byte("###\n%%%\nxx"))
	zw.Close()
	b = compressedWire(t, z.Bytes(), "zlib")
	var de *DecodeError
	if _, err := Decode(b); !errors.Is(err, ErrTrailingData) || !errors.As(err, &de) {
		t.Errorf("trailing data: %v, want a DecodeError ErrTrailingData", err)
	}
}
