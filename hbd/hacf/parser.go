package hacf

import (
	"strings"
)

type parser struct {
	file  string
	opts  Options
	cfg   *Config
	line  int
	errs  ErrorList
	warns []Warning

	// heartbeat globals that make later directives behave differently.
	niceFailback  bool // set by auto_failback on/off, cleared by legacy
	watchdogSeen  bool
	baudSeen      bool
	pacemakerSeen bool
	anyMediaYet   bool // for the baud ordering remark
	bcastPort     int  // latched by the first bcast, 0 until then
	ucastPort     int  // latched by the first ucast
	warntimeSet   bool
	initdeadSet   bool
	deadpingSet   bool
	facility      int   // syslog facility number, -1 until set
	useLogd       *bool // nil until use_logd is given
	apiClients    map[string]bool
}

func newParser(file string, opts Options) *parser {
	return &parser{
		file: file,
		opts: opts,
		cfg: &Config{
			File:               file,
			LocalNode:          asciiLower(opts.LocalNode),
			ResourceManagement: !opts.NoResourceManagement,
			Env:                map[string]string{},
			params:             map[string]param{},
		},
		facility:   -1,
		apiClients: map[string]bool{},
	}
}

// parseLine handles one line as parse_config does.
func (p *parser) parseLine(line string) {
	// heartbeat works on C strings: a NUL ends the line.
	if i := strings.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimLeft(line, whitespace)
	// '#' anywhere starts a comment, then the first CR or LF ends the line
	// (so a lone CR in mid-line drops the rest of it).
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	if line == "" {
		return
	}
	name := line
	rest := ""
	if i := strings.IndexAny(line, whitespace); i >= 0 {
		name, rest = line[:i], line[i:]
	}
	if name == "udp" {
		p.warnf("directive 'udp' replaced by 'bcast'")
		name = "bcast"
	}
	d := lookup(name)
	if d == nil {
		p.errorf("Illegal directive [%s]", name)
		return
	}
	if !d.supported {
		p.warnf("%s: parsed, not yet supported by hbd", name)
	}
	rest = strings.TrimLeft(rest, delims)
	if d.whole != nil {
		if err := d.whole(p, rest); err != nil {
			p.errorf("%s: %v", name, err)
		}
		return
	}
	// Option directive: each token is applied on its own, so "node a b"
	// declares two nodes and "keepalive 2000 ms" is 2000 s, then "ms".
	for _, tok := range fields(rest, delims) {
		p.addOption(d, tok)
	}
}

// addOption is add_option: run the setter, and record the raw value when
// it succeeds and the directive is recorded.
func (p *parser) addOption(d *directive, value string) {
	if err := d.set(p, value); err != nil {
		if err == errInvalid {
			p.errorf("%s: invalid value [%s]", d.name, value)
		} else {
			p.errorf("%s: %v", d.name, err)
		}
		return
	}
	if d.record {
		p.cfg.params[d.name] = param{value: value, line: p.line}
	}
}

// setDefault records a default the way init_config does: through the
// setter, so the typed field follows.
func (p *parser) setDefault(name, value string) {
	if _, ok := p.cfg.params[name]; ok {
		return
	}
	d := lookup(name)
	if err := d.set(p, value); err != nil {
		// Only reachable for baud after a failed baud line, which is an
		// error already; heartbeat ignores this failure too.
		return
	}
	p.cfg.params[name] = param{value: value}
}
