package haresources

import (
	"bufio"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var addr = netip.MustParseAddr

// cmpIP compares netip.Addr by value (it has unexported fields).
var cmpIP = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []Group
	}{
		{
			name: "doc example: bare address",
			in:   "node1\t123.45.67.89 httpd\n",
			want: []Group{{Node: "node1", Key: "123.45.67.89", Line: 1, Resources: []Resource{
				{Name: "IPaddr", Args: []string{"123.45.67.89"}, Token: "123.45.67.89", Line: 1, IP: &IPSpec{Addr: addr("123.45.67.89")}},
				{Name: "httpd", Token: "httpd", Line: 1},
			}}},
		},
		{
			name: "doc example: explicit IPaddr keeps its token as key",
			in:   "node1\tIPaddr::123.45.67.89 httpd\n",
			want: []Group{{Node: "node1", Key: "IPaddr::123.45.67.89", Line: 1, Resources: []Resource{
				{Name: "IPaddr", Args: []string{"123.45.67.89"}, Token: "IPaddr::123.45.67.89", Line: 1, IP: &IPSpec{Addr: addr("123.45.67.89")}},
				{Name: "httpd", Token: "httpd", Line: 1},
			}}},
		},
		{
			name: "doc example: several arguments",
			in:   "node1  10.0.0.170 Filesystem::/dev/sda1::/data1::ext2",
			want: []Group{{Node: "node1", Key: "10.0.0.170", Line: 1, Resources: []Resource{
				{Name: "IPaddr", Args: []string{"10.0.0.170"}, Token: "10.0.0.170", Line: 1, IP: &IPSpec{Addr: addr("10.0.0.170")}},
				{Name: "Filesystem", Args: []string{"/dev/sda1", "/data1", "ext2"}, Token: "Filesystem::/dev/sda1::/data1::ext2", Line: 1},
			}}},
		},
		{
			name: "IP shorthand forms",
			in:   "n 10.0.0.1 10.0.0.2/24 10.0.0.3/24/eth0 10.0.0.4/24/eth0/10.0.0.255 10.0.0.5/24/10.0.0.255\n",
			want: []Group{{Node: "n", Key: "10.0.0.1", Line: 1, Resources: []Resource{
				{Name: "IPaddr", Args: []string{"10.0.0.1"}, Token: "10.0.0.1", Line: 1, IP: &IPSpec{Addr: addr("10.0.0.1")}},
				{Name: "IPaddr", Args: []string{"10.0.0.2/24"}, Token: "10.0.0.2/24", Line: 1, IP: &IPSpec{Addr: addr("10.0.0.2"), Bits: 24}},
				{Name: "IPaddr", Args: []string{"10.0.0.3/24/eth0"}, Token: "10.0.0.3/24/eth0", Line: 1, IP: &IPSpec{Addr: addr("10.0.0.3"), Bits: 24, Iface: "eth0"}},
				{Name: "IPaddr", Args: []string{"10.0.0.4/24/eth0/10.0.0.255"}, Token: "10.0.0.4/24/eth0/10.0.0.255", Line: 1,
					IP: &IPSpec{Addr: addr("10.0.0.4"), Bits: 24, Iface: "eth0", Broadcast: addr("10.0.0.255")}},
				{Name: "IPaddr", Args: []string{"10.0.0.5/24/10.0.0.255"}, Token: "10.0.0.5/24/10.0.0.255", Line: 1,
					IP: &IPSpec{Addr: addr("10.0.0.5"), Bits: 24, Broadcast: addr("10.0.0.255")}},
			}}},
		},
		{
			name: "IPaddr2 with label and IPv6, IPv6addr",
			in:   "n IPaddr2::10.0.0.1/24/eth0:label IPaddr2::2001:db8:0:0:0:0:0:1/64/eth1 IPv6addr::2001:db8:0:0:0:0:0:2/64\n",
			want: []Group{{Node: "n", Key: "IPaddr2::10.0.0.1/24/eth0:label", Line: 1, Resources: []Resource{
				{Name: "IPaddr2", Args: []string{"10.0.0.1/24/eth0:label"}, Token: "IPaddr2::10.0.0.1/24/eth0:label", Line: 1,
					IP: &IPSpec{Addr: addr("10.0.0.1"), Bits: 24, Iface: "eth0", Label: "label"}},
				{Name: "IPaddr2", Args: []string{"2001:db8:0:0:0:0:0:1/64/eth1"}, Token: "IPaddr2::2001:db8:0:0:0:0:0:1/64/eth1", Line: 1,
					IP: &IPSpec{Addr: addr("2001:db8::1"), Bits: 64, Iface: "eth1"}},
				{Name: "IPv6addr", Args: []string{"2001:db8:0:0:0:0:0:2/64"}, Token: "IPv6addr::2001:db8:0:0:0:0:0:2/64", Line: 1,
					IP: &IPSpec{Addr: addr("2001:db8::2"), Bits: 64}},
			}}},
		},
		{
			name: "node is lower-cased, resources are not",
			in:   "NodE1 HTTPD Foo::BAR\n",
			want: []Group{{Node: "node1", Key: "HTTPD", Line: 1, Resources: []Resource{
				{Name: "HTTPD", Token: "HTTPD", Line: 1},
				{Name: "Foo", Args: []string{"BAR"}, Token: "Foo::BAR", Line: 1},
			}}},
		},
		{
			name: "comments, blank lines, tabs and runs of blanks",
			in:   "# header\n\n   \t\n  # indented comment\n\t node1 \t r1   r2\t# trailing\n",
			want: []Group{{Node: "node1", Key: "r1", Line: 5, Resources: []Resource{
				{Name: "r1", Token: "r1", Line: 5},
				{Name: "r2", Token: "r2", Line: 5},
			}}},
		},
		{
			name: "# cuts a token short",
			in:   "n r1#x r2\n",
			want: []Group{{Node: "n", Key: "r1", Line: 1, Resources: []Resource{{Name: "r1", Token: "r1", Line: 1}}}},
		},
		{
			name: "quirk: comment on a continuation line is not stripped",
			in:   "n r1 \\\n  r2 # comment\n",
			want: []Group{{Node: "n", Key: "r1", Line: 1, Resources: []Resource{
				{Name: "r1", Token: "r1", Line: 1},
				{Name: "r2", Token: "r2", Line: 2},
				{Name: "#", Token: "#", Line: 2},
				{Name: "comment", Token: "comment", Line: 2},
			}}},
		},
		{
			name: "quirk: a continuation line's comment ending in \\ continues too",
			in:   "n r1 \\\nr2 # c \\\nr3\n",
			want: []Group{{Node: "n", Key: "r1", Line: 1, Resources: []Resource{
				{Name: "r1", Token: "r1", Line: 1},
				{Name: "r2", Token: "r2", Line: 2},
				{Name: "#", Token: "#", Line: 2},
				{Name: "c", Token: "c", Line: 2},
				{Name: "r3", Token: "r3", Line: 3},
			}}},
		},
		{
			name: "a \\ inside a comment does not continue",
			in:   "n r1 # c \\\nm r2\n",
			want: []Group{
				{Node: "n", Key: "r1", Line: 1, Resources: []Resource{{Name: "r1", Token: "r1", Line: 1}}},
				{Node: "m", Key: "r2", Line: 2, Resources: []Resource{{Name: "r2", Token: "r2", Line: 2}}},
			},
		},
		{
			name: "quirk: \\ joins without a blank",
			in:   "n r1\\\nr2 r3\n",
			want: []Group{{Node: "n", Key: "r1r2", Line: 1, Resources: []Resource{
				{Name: "r1r2", Token: "r1r2", Line: 1},
				{Name: "r3", Token: "r3", Line: 2},
			}}},
		},
		{
			name: "node on a continuation line",
			in:   " \\\n\\\nn r1\n",
			want: []Group{{Node: "n", Key: "r1", Line: 3, Resources: []Resource{{Name: "r1", Token: "r1", Line: 3}}}},
		},
		{
			name: "quirk: \\ on the last line stays in the token",
			in:   "n r1 r2\\",
			want: []Group{{Node: "n", Key: "r1", Line: 1, Resources: []Resource{
				{Name: "r1", Token: "r1", Line: 1},
				{Name: `r2\`, Token: `r2\`, Line: 1},
			}}},
		},
		{
			name: "several groups per node, file order kept",
			in:   "a r1\nb r2\nA r3 r4\n",
			want: []Group{
				{Node: "a", Key: "r1", Line: 1, Resources: []Resource{{Name: "r1", Token: "r1", Line: 1}}},
				{Node: "b", Key: "r2", Line: 2, Resources: []Resource{{Name: "r2", Token: "r2", Line: 2}}},
				{Node: "a", Key: "r3", Line: 3, Resources: []Resource{{Name: "r3", Token: "r3", Line: 3}, {Name: "r4", Token: "r4", Line: 3}}},
			},
		},
		{
			name: "empty arguments vanish, single colons stay",
			in:   "n s1::a::::b s2:: s3:::a s4::a:::b systemd:nginx::x\n",
			want: []Group{{Node: "n", Key: "s1::a::::b", Line: 1, Resources: []Resource{
				{Name: "s1", Args: []string{"a", "b"}, Token: "s1::a::::b", Line: 1},
				{Name: "s2", Token: "s2::", Line: 1},
				{Name: "s3", Args: []string{":a"}, Token: "s3:::a", Line: 1},
				{Name: "s4", Args: []string{"a", ":b"}, Token: "s4::a:::b", Line: 1},
				{Name: "systemd:nginx", Args: []string{"x"}, Token: "systemd:nginx::x", Line: 1},
			}}},
		},
		{
			name: "not the IP glob: a script name",
			in:   "n 1.2.3 a1.2.3.4\n",
			want: []Group{{Node: "n", Key: "1.2.3", Line: 1, Resources: []Resource{
				{Name: "1.2.3", Token: "1.2.3", Line: 1},
				{Name: "a1.2.3.4", Token: "a1.2.3.4", Line: 1},
			}}},
		},
		{
			name: "a key may repeat within its own line",
			in:   "n r1 r2 r1\n",
			want: []Group{{Node: "n", Key: "r1", Line: 1, Resources: []Resource{
				{Name: "r1", Token: "r1", Line: 1}, {Name: "r2", Token: "r2", Line: 1}, {Name: "r1", Token: "r1", Line: 1},
			}}},
		},
		{
			name: "non-key resources may repeat across lines",
			in:   "a r1 shared\nb r2 shared\n",
			want: []Group{
				{Node: "a", Key: "r1", Line: 1, Resources: []Resource{{Name: "r1", Token: "r1", Line: 1}, {Name: "shared", Token: "shared", Line: 1}}},
				{Node: "b", Key: "r2", Line: 2, Resources: []Resource{{Name: "r2", Token: "r2", Line: 2}, {Name: "shared", Token: "shared", Line: 2}}},
			},
		},
		{
			name: "empty file",
			in:   "",
		},
		{
			name: "only comments",
			in:   "# nothing\n\t# here\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tc.in), "haresources")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, f.Groups, cmpIP, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Parse(%q) groups (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		line     int
		msg      string // substring of the message
	}{
		{"node without resources", "n r1\nlonely\n", 2, `node "lonely" has no resources`},
		{"node left alone by a comment", "n # r1\n", 1, "no resources"},
		{"duplicate key", "a r1\nb r2\nb r1 r3\n", 3, `group key "r1" is already used by the group at line 1`},
		{"key used earlier as a resource", "a r1 r2\nb r2\n", 2, `group key "r2" is already used by the group at line 1`},
		{"key used later as a resource", "a r1\nb r2 \\\n r1\n", 3, `"r1" is the key of the group at line 1`},
		{"CRLF", "n r1\r\n", 1, `carriage return after "r1"`},
		{"control character", "n r\x00 1\n", 1, "control character 0x00"},
		{"empty name", "n ::x\n", 1, `no resource name`},
		{"slash in name", "n ../../bin/sh\n", 1, `cannot contain "/"`},
		{"bad address", "n 10.0.0.256\n", 1, `"10.0.0.256" is not an IP address`},
		{"glob match, not an address", "n 1.2.3.4x\n", 1, "is not an IP address"},
		{"octal-looking address", "n 010.0.0.1\n", 1, "is not an IP address"},
		{"bits too large", "n 10.0.0.1/33\n", 1, "netmask bits \"33\": want a number from 1 to 32"},
		{"bits zero", "n 10.0.0.1/0\n", 1, "netmask bits"},
		{"bits signed", "n 10.0.0.1/+24\n", 1, "netmask bits"},
		{"bits empty", "n 10.0.0.1//eth0\n", 1, "netmask bits"},
		{"iface empty", "n 10.0.0.1/24/\n", 1, "bad interface name"},
		{"iface too long", "n 10.0.0.1/24/abcdefghijklmnop\n", 1, "longer than 15"},
		{"too many fields", "n 10.0.0.1/24/eth0/10.0.0.255/x\n", 1, "too many"},
		{"something after broadcast", "n 10.0.0.1/24/10.0.0.255/eth0\n", 1, "nothing may follow"},
		{"bad broadcast", "n 10.0.0.1/24/eth0/10.0.0.x\n", 1, "broadcast"},
		{"label needs IPaddr2", "n 10.0.0.1/24/eth0:0\n", 1, "only IPaddr2 takes an interface label"},
		{"empty label", "n IPaddr2::10.0.0.1/24/eth0:\n", 1, "bad interface label"},
		{"IPaddr is IPv4 only", "n IPaddr::2001:db8:0:0:0:0:0:1\n", 1, "IPv4 only"},
		{"compressed IPv6 splits", "n IPaddr2::2001:db8::1/64\n", 1, "write it in full"},
		{"IPv6 broadcast", "n IPaddr2::2001:db8:0:0:0:0:0:1/64/eth0/10.0.0.255\n", 1, "IPv6 has no broadcast"},
		{"IPv6addr wants IPv6", "n IPv6addr::10.0.0.1\n", 1, "is not IPv6"},
		{"IPv6addr takes no iface", "n IPv6addr::2001:db8:0:0:0:0:0:1/64/eth0\n", 1, "too many"},
		{"IP agent without argument", "n IPaddr2\n", 1, "IPaddr2 takes one argument, got 0"},
		{"error on a continuation line", "n r1 \\\n  r2 \\\n 10.0.0.300\n", 3, "10.0.0.300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tc.in), "/etc/ha.d/haresources")
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tc.in, f.Groups)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			if e.File != "/etc/ha.d/haresources" || e.Line != tc.line {
				t.Errorf("error at %s:%d, want /etc/ha.d/haresources:%d (%v)", e.File, e.Line, tc.line, err)
			}
			prefix := "/etc/ha.d/haresources:" + strconv.Itoa(tc.line) + ": "
			if s := err.Error(); !strings.HasPrefix(s, prefix) || !strings.Contains(s, tc.msg) {
				t.Errorf("error %q, want prefix %q and %q in it", s, prefix, tc.msg)
			}
		})
	}
}

func TestLongTokenErrorIsShort(t *testing.T) {
	long := "10.0.0." + strings.Repeat("9", 100000)
	_, err := Parse(strings.NewReader("n r1 "+long+"\n"), "h")
	if err == nil {
		t.Fatal("Parse accepted a bad address")
	}
	if want := `h:1: resource "10.0.0.99999`; len(err.Error()) > 200 || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error is %d bytes, starting %.80q; want at most 200 starting %q", len(err.Error()), err, want)
	}
}

func TestParseTooLarge(t *testing.T) {
	line := "node1 r1\n"
	ok := strings.Repeat("#", MaxSize-len(line)) + "\n" + line[:len(line)-1]
	if _, err := Parse(strings.NewReader(ok), "h"); err != nil {
		t.Fatalf("file of exactly MaxSize bytes: %v", err)
	}
	_, err := Parse(strings.NewReader(ok+"\n"), "h")
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("file of MaxSize+1 bytes: err = %v, want too large", err)
	}

	endless := &hashes{}
	if _, err := Parse(endless, "h"); err == nil || endless.n > MaxSize+1 {
		t.Fatalf("endless input: read %d bytes, err = %v; want at most %d bytes and an error", endless.n, err, MaxSize+1)
	}

	path := filepath.Join(t.TempDir(), "haresources")
	if err := os.WriteFile(path, []byte(ok+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+": file is") {
		t.Fatalf("Load of MaxSize+1 bytes: err = %v, want %s: file is … bytes", err, path)
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

func TestLoadExample(t *testing.T) {
	f, err := Load("testdata/haresources.example")
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{
		{Node: "alpha", Key: "192.168.85.3/24/eth0/192.168.85.255", Line: 23, Resources: []Resource{
			{Name: "IPaddr", Args: []string{"192.168.85.3/24/eth0/192.168.85.255"}, Token: "192.168.85.3/24/eth0/192.168.85.255", Line: 23,
				IP: &IPSpec{Addr: addr("192.168.85.3"), Bits: 24, Iface: "eth0", Broadcast: addr("192.168.85.255")}},
			{Name: "Filesystem", Args: []string{"/dev/drbd0", "/srv/www", "ext4"}, Token: "Filesystem::/dev/drbd0::/srv/www::ext4", Line: 24},
			{Name: "apache2", Token: "apache2", Line: 25},
		}},
		{Node: "beta", Key: "IPaddr2::192.168.85.4/24/eth0:db", Line: 28, Resources: []Resource{
			{Name: "IPaddr2", Args: []string{"192.168.85.4/24/eth0:db"}, Token: "IPaddr2::192.168.85.4/24/eth0:db", Line: 28,
				IP: &IPSpec{Addr: addr("192.168.85.4"), Bits: 24, Iface: "eth0", Label: "db"}},
			{Name: "Filesystem", Args: []string{"/dev/drbd1", "/var/lib/postgresql", "ext4"}, Token: "Filesystem::/dev/drbd1::/var/lib/postgresql::ext4", Line: 28},
			{Name: "postgresql", Token: "postgresql", Line: 28},
			{Name: "MailTo", Args: []string{"ops@example.com", "DatabaseFailover"}, Token: "MailTo::ops@example.com::DatabaseFailover", Line: 29},
		}},
		{Node: "beta", Key: "192.168.86.10/24/192.168.86.255", Line: 32, Resources: []Resource{
			{Name: "IPaddr", Args: []string{"192.168.86.10/24/192.168.86.255"}, Token: "192.168.86.10/24/192.168.86.255", Line: 32,
				IP: &IPSpec{Addr: addr("192.168.86.10"), Bits: 24, Broadcast: addr("192.168.86.255")}},
			{Name: "IPv6addr", Args: []string{"2001:0db8:0:0:0:0:0:10/64"}, Token: "IPv6addr::2001:0db8:0:0:0:0:0:10/64", Line: 32,
				IP: &IPSpec{Addr: addr("2001:db8::10"), Bits: 64}},
			{Name: "squid", Token: "squid", Line: 32},
		}},
	}
	if diff := cmp.Diff(want, f.Groups, cmpIP); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	if err := f.ValidateNodes([]string{"Alpha", "beta"}); err != nil {
		t.Errorf("ValidateNodes: %v", err)
	}
	keys := func(gs []Group) []string {
		var k []string
		for _, g := range gs {
			k = append(k, g.Key)
		}
		return k
	}
	if diff := cmp.Diff([]string{"IPaddr2::192.168.85.4/24/eth0:db", "192.168.86.10/24/192.168.86.255"}, keys(f.GroupsOf("BETA"))); diff != "" {
		t.Errorf("GroupsOf(BETA) keys (-want +got):\n%s", diff)
	}
	if gs := f.GroupsOf("gamma"); len(gs) != 0 {
		t.Errorf("GroupsOf(gamma) = %v, want none", keys(gs))
	}
	if g, ok := f.Group("192.168.86.10/24/192.168.86.255"); !ok || g.Line != 32 {
		t.Errorf("Group(key) = %v, %v; want the group at line 32", g.Line, ok)
	}
	if _, ok := f.Group("squid"); ok {
		t.Error("Group(squid) found a group; squid is no key")
	}
}

func TestValidateNodes(t *testing.T) {
	f, err := Parse(strings.NewReader("alpha r1\nbeta r2\ngamma r3\nALPHA r4\ndelta r5\n"), "hr")
	if err != nil {
		t.Fatal(err)
	}
	err = f.ValidateNodes([]string{"Alpha", "beta"})
	if err == nil {
		t.Fatal("ValidateNodes accepted gamma and delta")
	}
	want := "hr:3: node \"gamma\" is not a node in ha.cf (Alpha, beta)\nhr:5: node \"delta\" is not a node in ha.cf (Alpha, beta)"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	var e *Error
	if !errors.As(err, &e) || e.Line != 3 {
		t.Errorf("errors.As(*Error) = %+v, want line 3", e)
	}
	if err := f.ValidateNodes([]string{"alpha", "BETA", "gamma", "delta"}); err != nil {
		t.Errorf("all nodes known: %v", err)
	}
}

func TestLoadMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope")
	_, err := Load(path)
	var e *Error
	if !errors.As(err, &e) || e.File != path || e.Line != 0 || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Load(missing) = %v, want an *Error for %s wrapping os.ErrNotExist", err, path)
	}
	if want := path + ": open: no such file or directory"; err.Error() != want {
		t.Errorf("Load(missing) error %q, want %q", err, want)
	}
}

func TestParseIPSpecRoundTrip(t *testing.T) {
	for _, tc := range []struct{ agent, in, want string }{
		{"IPaddr", "10.0.0.1", "10.0.0.1"},
		{"IPaddr", "10.0.0.1/8/eth0/10.255.255.255", "10.0.0.1/8/eth0/10.255.255.255"},
		{"IPaddr2", "10.0.0.1/32/bond0.100:vip", "10.0.0.1/32/bond0.100:vip"},
		{"IPaddr2", "10.0.0.1/024/10.0.0.255", "10.0.0.1/24/10.0.0.255"},
		{"IPaddr2", "2001:DB8::1/128", "2001:db8::1/128"},
		{"IPv6addr", "fe80::1/64", "fe80::1/64"},
	} {
		s, err := ParseIPSpec(tc.agent, tc.in)
		if err != nil {
			t.Errorf("ParseIPSpec(%s, %q): %v", tc.agent, tc.in, err)
			continue
		}
		if got := s.String(); got != tc.want {
			t.Errorf("ParseIPSpec(%s, %q).String() = %q, want %q", tc.agent, tc.in, got, tc.want)
		}
	}
	if _, err := ParseIPSpec("httpd", "10.0.0.1"); err == nil {
		t.Error("ParseIPSpec(httpd, …) accepted a non-IP agent")
	}
	if _, err := ParseIPSpec("IPaddr2", "fe80::1%eth0/64"); err == nil {
		t.Error("ParseIPSpec accepted an address with a zone")
	}
}

// TestNormalizeMatchesShell runs ResourceManager's own ipres() pipeline
// (GNU sed and awk, C locale) over tricky inputs, the Parse tests' inputs
// and the fuzz corpus, and checks that normalize splits them identically.
func TestNormalizeMatchesShell(t *testing.T) {
	sed, err1 := exec.LookPath("sed")
	awk, err2 := exec.LookPath("awk")
	if err1 != nil || err2 != nil {
		t.Skip("needs sed and awk")
	}
	if out, err := exec.Command(sed, "--version").Output(); err != nil || !strings.Contains(string(out), "GNU sed") {
		t.Skip("needs GNU sed (heartbeat's ResourceManager relies on its N at end of input)")
	}
	inputs := []string{
		"n r1 \\\n  r2 # comment\n",
		"n r1 # c \\\nm r2\n",
		"n r1\\\nr2 r3\n",
		"n r1 r2\\",
		"n r1 r2 \\",
		" \\\n\\\nn r1\n",
		"\\",
		"  \\\n",
		"NodE1 HTTPD\n",
		"n\tr1\t\t r2   \n\n\t\n",
		"n r1#x\n",
		"n r1\r\nm r2\r\n",
		"n a\vb\fc\n",
		"Ä r1\n",
		"n r1 \\\\\nr2\n",
		"n r1 \\\n# c\nm r2\n",
		"n r1 \\\n\n m r2\n",
		"n r1\n\\\n",
		"no newline at end",
	}
	inputs = append(inputs, fuzzCorpus(t)...)
	// ipres() of heartbeat/lib/ResourceManager.in, verbatim but for the
	// tabs, spelled <TAB> here to keep them visible.
	ipres := strings.ReplaceAll(`"$0" -e 's%#.*%%' -e :a -e '/\\$/N; s/\\\n//; ta' -e 's%$% %' `+
		`-e 's%[<TAB> ][<TAB> ]*% %g' -e '/^[<TAB> ]*$/ d' -e 's%^ %%' | "$1" '/.*/ {$1 = tolower($1); print $0, ""}'`,
		"<TAB>", "\t")
	for i, in := range inputs {
		cmd := exec.Command("sh", "-c", ipres, sed, awk)
		cmd.Env = append(os.Environ(), "LC_ALL=C")
		cmd.Stdin = strings.NewReader(in)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("input %d: ipres pipeline: %v", i, err)
		}
		var want []string
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		sc.Buffer(nil, 2*MaxSize)
		for sc.Scan() {
			want = append(want, sc.Text())
		}
		var got []string
		for _, words := range normalize(in) {
			s := asciiLower(words[0].text) + " "
			for _, w := range words[1:] {
				s += w.text + " "
			}
			got = append(got, s)
		}
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("input %d %q: normalize differs from ipres (-sed/awk +normalize):\n%s", i, in, diff)
		}
	}
}

// fuzzCorpus returns the inputs of the checked-in FuzzParse corpus.
func fuzzCorpus(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("testdata/fuzz/FuzzParse/*")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" {
			t.Fatalf("%s: not a one-value corpus file", p)
		}
		v := lines[1]
		if !strings.HasPrefix(v, "string(") || !strings.HasSuffix(v, ")") {
			t.Fatalf("%s: want a string value, got %s", p, v)
		}
		s, err := strconv.Unquote(v[len("string(") : len(v)-1])
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		t.Fatal("no FuzzParse corpus in testdata/fuzz/FuzzParse")
	}
	return out
}
