package haresources

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that Parse never panics and that what it accepts keeps
// the promises heartbeat's egrep-based lookups depend on.
func FuzzParse(f *testing.F) {
	// More seeds, including quirks, are in testdata/fuzz/FuzzParse.
	f.Add("node1 10.0.0.1/24/eth0 httpd\n")
	f.Fuzz(func(t *testing.T, in string) {
		hr, err := Parse(strings.NewReader(in), "hr")
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "hr" || e.Line < 0 || !strings.HasPrefix(err.Error(), "hr:") {
				t.Fatalf("error %q (%T) is not an *Error for hr", err, err)
			}
			return
		}
		users := make(map[string]map[int]bool) // token → groups listing it
		line := 0
		for i, g := range hr.Groups {
			if len(g.Resources) == 0 {
				t.Fatalf("group %d has no resources", i)
			}
			if g.Node == "" || g.Node != asciiLower(g.Node) || strings.ContainsAny(g.Node, " \t\n") {
				t.Fatalf("group %d: bad node %q", i, g.Node)
			}
			if g.Key != g.Resources[0].Token {
				t.Fatalf("group %d: key %q, first resource %q", i, g.Key, g.Resources[0].Token)
			}
			if g.Line <= line {
				t.Fatalf("group %d at line %d, after one at line %d", i, g.Line, line)
			}
			line = g.Line
			rline := g.Line
			for _, r := range g.Resources {
				if r.Token == "" || strings.ContainsAny(r.Token, " \t\r\n\x00") {
					t.Fatalf("group %d: bad token %q", i, r.Token)
				}
				if r.Line < rline {
					t.Fatalf("group %d: resource %q at line %d, before line %d", i, r.Token, r.Line, rline)
				}
				rline = r.Line
				if r.Name == "" || strings.Contains(r.Name, "/") {
					t.Fatalf("group %d: bad name %q", i, r.Name)
				}
				for _, a := range r.Args {
					if a == "" {
						t.Fatalf("group %d: %q has an empty argument", i, r.Token)
					}
				}
				if isIPAgent(r.Name) {
					if r.IP == nil {
						t.Fatalf("%q: no IPSpec", r.Token)
					}
					back, err := ParseIPSpec(r.Name, r.IP.String())
					if err != nil {
						t.Fatalf("%q: ParseIPSpec(%q) of its own String: %v", r.Token, r.IP.String(), err)
					}
					if diff := cmp.Diff(r.IP, back, cmpIP); diff != "" {
						t.Fatalf("%q: IPSpec does not survive String (-parsed +reparsed):\n%s", r.Token, diff)
					}
				} else if r.IP != nil {
					t.Fatalf("%q: IPSpec for a non-IP resource", r.Token)
				}
				if users[r.Token] == nil {
					users[r.Token] = make(map[int]bool)
				}
				users[r.Token][i] = true
			}
		}
		for i, g := range hr.Groups {
			if len(users[g.Key]) != 1 {
				t.Fatalf("key %q of group %d is listed by %d groups", g.Key, i, len(users[g.Key]))
			}
			upper := []byte(g.Node) // byte-wise: the node need not be UTF-8
			for j, c := range upper {
				if 'a' <= c && c <= 'z' {
					upper[j] = c - 'a' + 'A'
				}
			}
			if len(hr.GroupsOf(string(upper))) == 0 {
				t.Fatalf("GroupsOf(%q) misses group %d", upper, i)
			}
		}
	})
}
