package hacf

import (
	"errors"
	"fmt"
	"strings"
)

// Whole-line directives count as media statements for the baud remark,
// whether or not they parse (parse_config sets the flag either way).

func parseStonith(p *parser, rest string) error {
	p.anyMediaYet = true
	typ, rest := nextToken(rest, whitespace)
	if typ == "" {
		return errors.New("no Stonith type given")
	}
	file := strings.TrimLeft(rest, whitespace)
	if file == "" {
		return fmt.Errorf("no configuration file given for Stonith type [%s]", typ)
	}
	p.cfg.Stonith = &Stonith{Type: typ, ConfigFile: file, Line: p.line}
	return nil
}

func parseStonithHost(p *parser, rest string) error {
	p.anyMediaYet = true
	host, rest := nextToken(rest, whitespace)
	if host == "" {
		return errors.New("no Stonith hostname argument given")
	}
	if len(host) > maxNodeName {
		return errors.New("Stonith hostname too long")
	}
	host = asciiLower(host)
	sh := StonithHost{Host: host, Line: p.line, Applies: host == "*" || host == p.cfg.LocalNode}
	if !sh.Applies {
		// heartbeat returns before looking at the rest of the line.
		sh.Params = strings.TrimLeft(rest, whitespace)
		p.cfg.StonithHosts = append(p.cfg.StonithHosts, sh)
		return nil
	}
	sh.Type, rest = nextToken(rest, whitespace)
	if sh.Type == "" {
		return errors.New("no Stonith type given")
	}
	sh.Params = strings.TrimLeft(rest, whitespace)
	p.cfg.StonithHosts = append(p.cfg.StonithHosts, sh)
	return nil
}

func parseAPIAuth(p *parser, rest string) error {
	p.anyMediaYet = true
	client, rest := nextToken(rest, whitespace)
	if client == "" {
		return errors.New("syntax: apiauth client [uid=uidlist] [gid=gidlist]")
	}
	a := APIAuth{Client: client, Line: p.line}
	var haveUID, haveGID bool
	for _, tok := range fields(rest, whitespace) {
		switch {
		case strings.HasPrefix(tok, "uid="):
			if haveUID {
				return errors.New("duplicate uid list")
			}
			haveUID, a.UIDs = true, splitList(tok[4:])
		case strings.HasPrefix(tok, "gid="):
			if haveGID {
				return errors.New("duplicate gid list")
			}
			haveGID, a.GIDs = true, splitList(tok[4:])
		default:
			return fmt.Errorf("missing uid or gid in [%s]", tok)
		}
	}
	if !haveUID && !haveGID {
		return fmt.Errorf("client %s: one of uid= or gid= is required", client)
	}
	if p.apiClients[client] {
		return fmt.Errorf("duplicate apiauth directive for API client %s", client)
	}
	p.apiClients[client] = true
	p.cfg.APIAuth = append(p.cfg.APIAuth, a)
	return nil
}

// splitList returns a non-nil slice, so "uid=" stays distinguishable from
// no uid list at all.
func splitList(s string) []string {
	out := []string{}
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

func (p *parser) addChild(rest string, failfast bool) error {
	p.anyMediaYet = true
	user, rest := nextToken(rest, whitespace)
	switch {
	case user == "":
		return errors.New("no user given")
	case len(user) >= 64:
		return errors.New("UID specified for client child is too long")
	}
	cmd := strings.TrimLeft(rest, whitespace)
	switch {
	case cmd == "":
		// heartbeat reads past the end of the line here.
		return fmt.Errorf("no command given for user %s", user)
	case cmd[0] != '/':
		return fmt.Errorf("client child command [%s] is not full pathname", cmd)
	}
	p.cfg.Children = append(p.cfg.Children, Child{User: user, Command: cmd, Failfast: failfast, Line: p.line})
	return nil
}
