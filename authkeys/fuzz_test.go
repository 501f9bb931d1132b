package authkeys

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, reports errors as FILE:LINE,
// and that every key it accepts can sign and verify.
func FuzzParse(f *testing.F) {
	// More seeds are in testdata/fuzz/FuzzParse.
	f.Add("auth 1\n1 sha1 s3cr3t\n")
	f.Fuzz(func(t *testing.T, in string) {
		ks, err := Parse(strings.NewReader(in), "ak")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "ak" || e.Line < 0 || !strings.HasPrefix(err.Error(), "ak:") {
				t.Fatalf("error %q (%T) is not an *Error for ak", err, err)
			}
			return
		}
		if ks.Active < 0 || ks.Active > MaxIndex || ks.ActiveKey() == nil || ks.ActiveKey().Index != ks.Active {
			t.Fatalf("active %d, key %+v", ks.Active, ks.ActiveKey())
		}
		msg := []byte(in[:min(len(in), 256)]) // enough to sign; keeps execs fast
		all := ks.All()
		if !slices.IsSortedFunc(all, func(a, b *Key) int { return a.Index - b.Index }) {
			t.Fatal("All is not in index order")
		}
		for _, k := range all {
			if ks.Key(k.Index) != k || k.Line < 1 {
				t.Fatalf("key %d: Key() or line %d wrong", k.Index, k.Line)
			}
			if k.Method.Keyed() == (len(k.Secret) == 0) {
				t.Fatalf("key %d: method %s with secret %q", k.Index, k.Method, k.Secret)
			}
			if strings.ContainsAny(string(k.Secret), " \t\n\v\f\r") {
				t.Fatalf("key %d: secret %q contains white space", k.Index, k.Secret)
			}
			d := k.Digest(msg)
			if !ks.Verify(k.Index, msg, d) || !ks.VerifyTrailer(k.Index, msg, d) {
				t.Fatalf("key %d: own digest %s not verified", k.Index, d)
			}
		}
		n, d := ks.Sign(msg)
		if n != ks.Active || !ks.VerifyTrailer(n, msg, d) {
			t.Fatalf("Sign = %d %s, not verified", n, d)
		}
	})
}
