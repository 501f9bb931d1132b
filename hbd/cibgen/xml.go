package cibgen

import (
	"bufio"
	"encoding/xml"
	"io"
	"strings"
)

// elem is a minimal XML element for writing CIBs: attributes keep the order
// they were added in, so the output is deterministic and reads like the
// CIBs Pacemaker writes (id first).
type elem struct {
	name  string
	attrs []string // name, value, name, value, …
	kids  []*elem
}

// el makes an element; kv alternates attribute names and values, and a pair
// whose value is "" is left out, so optional attributes need no branching.
func el(name string, kv ...string) *elem {
	e := &elem{name: name}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			e.attrs = append(e.attrs, kv[i], kv[i+1])
		}
	}
	return e
}

func (e *elem) add(kids ...*elem) *elem {
	for _, k := range kids {
		if k != nil {
			e.kids = append(e.kids, k)
		}
	}
	return e
}

func (e *elem) writeTo(w *bufio.Writer, depth int) {
	w.WriteString(strings.Repeat("  ", depth))
	w.WriteString("<" + e.name)
	for i := 0; i < len(e.attrs); i += 2 {
		w.WriteString(" " + e.attrs[i] + `="`)
		xml.EscapeText(w, []byte(e.attrs[i+1]))
		w.WriteString(`"`)
	}
	if len(e.kids) == 0 {
		w.WriteString("/>\n")
		return
	}
	w.WriteString(">\n")
	for _, k := range e.kids {
		k.writeTo(w, depth+1)
	}
	w.WriteString(strings.Repeat("  ", depth) + "</" + e.name + ">\n")
}

// write renders e as a document.
func (e *elem) write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	e.writeTo(bw, 0)
	return bw.Flush()
}

// nvset renders name/value pairs as an instance_attributes, meta_attributes
// or cluster_property_set element; nil when there are none (Pacemaker
// accepts empty sets, but leaving them out keeps the files small).
func nvset(kind, id string, pairs []NV) *elem {
	if len(pairs) == 0 {
		return nil
	}
	s := el(kind, "id", id)
	for _, p := range pairs {
		s.add(el("nvpair", "id", sanitizeID(id+"-"+p.Name), "name", p.Name, "value", p.Value))
	}
	return s
}

// sanitizeID makes s a valid XML ID (an NCName) the way Pacemaker's
// crm_xml_sanitize_id does for attribute names such as
// "fail-count-rsc#monitor_10000": '#' and ':' become '.'.
func sanitizeID(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '#' || r == ':' {
			return '.'
		}
		return r
	}, s)
}
