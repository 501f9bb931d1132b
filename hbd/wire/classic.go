package wire

import (
	"bytes"
	"encoding/base64"
)

// escapedNewline stands for '\n' inside a classic string value
// (SPECIAL_SYM; str2string / string2str).
const escapedNewline = 0x13

// specialSyms stand for the newlines of a nested message rendered inside a
// classic line; index is the depth of the message holding the field
// (SPECIAL_SYMS[] in cl_msg_types.c).
var specialSyms = [...]byte{20, 21, 22, 23, 24, 25, 26, 27, 28, 29}

// classicMsg parses ">>>\n" lines "<<<\n" at off and returns the message
// and the offset just after "<<<\n". Like string2msg_ll it skips blank
// lines and splits each line at its first '='. It converts escaped
// newlines in place, which is fine because d.buf is private.
func (d *decoder) classicMsg(off, end, depth int) (*Message, int, error) {
	if depth > MaxDepth {
		return nil, 0, d.err(off, ErrTooDeep, "more than %d levels", MaxDepth)
	}
	if !bytes.HasPrefix(d.buf[off:end], []byte(classicStart)) {
		return nil, 0, d.err(off, ErrBadFrame, "expected %q", classicStart)
	}
	m := &Message{}
	p := off + len(classicStart)
	for {
		for p < end && d.buf[p] == '\n' {
			p++
		}
		if p >= end {
			return nil, 0, d.err(p, ErrTruncated, "no %q", classicEnd)
		}
		if bytes.HasPrefix(d.buf[p:end], []byte(classicEnd)) {
			return m, p + len(classicEnd), nil
		}
		if d.buf[p] == 0 {
			// string2msg_ll stops at a NUL and keeps what it has; hbd
			// wants the end marker so that a cut-off message is not
			// mistaken for a whole one.
			return nil, 0, d.err(p, ErrTruncated, "NUL before %q", classicEnd)
		}
		nl := bytes.IndexByte(d.buf[p:end], '\n')
		if nl < 0 {
			return nil, 0, d.err(p, ErrTruncated, "line without newline")
		}
		if err := d.countField(p); err != nil {
			return nil, 0, err
		}
		f, err := d.classicField(p, p+nl, depth)
		if err != nil {
			return nil, 0, err
		}
		m.Fields = append(m.Fields, f)
		p += nl + 1
	}
}

// classicField parses one "[(T)]name=value" line in buf[start:stop].
func (d *decoder) classicField(start, stop, depth int) (Field, error) {
	line := d.buf[start:stop]
	eq := bytes.IndexByte(line, '=')
	if eq < 0 {
		// heartbeat: "NV failure"; the whole message is dropped.
		return Field{}, d.err(start, ErrBadField, "line without '=': %q", truncate(line))
	}
	name, t, nameOff := line[:eq], String, start
	if len(name) > 0 && name[0] == '(' {
		if len(name) < 3 || name[2] != ')' {
			return Field{}, d.err(start, ErrNoTypePrefix, "no ')' closing the type of %q", truncate(name))
		}
		// "(0)" is refused ("wrong type") and FT_UNCOMPRESS has no
		// classic form.
		if !isDigit(name[1]) || name[1] == '0' || name[1]-'0' >= byte(Uncompress) {
			return Field{}, d.err(start+1, ErrBadType, "type %q in a classic message", name[1])
		}
		t, name, nameOff = FieldType(name[1]-'0'), name[3:], start+3
	}
	if err := checkName(name); err != nil {
		return Field{}, d.err(nameOff, ErrBadField, "%v", err)
	}
	vs := start + eq + 1
	val := d.buf[vs:stop:stop]
	f := Field{Name: string(name), Type: t}
	switch t {
	case String:
		if i := bytes.IndexByte(val, 0); i >= 0 {
			return Field{}, d.err(vs+i, ErrBadValue, "NUL in string field %q", f.Name)
		}
		for i, c := range val {
			if c == escapedNewline {
				val[i] = '\n'
			}
		}
		f.Value = val
	case Binary, Compress:
		v := make([]byte, base64.StdEncoding.DecodedLen(len(val)))
		n, err := base64.StdEncoding.Decode(v, val)
		if err != nil {
			return Field{}, d.err(vs, ErrBadValue, "field %q: %v", f.Name, err)
		}
		f.Value = v[:n:n]
	case Struct:
		if depth >= len(specialSyms) {
			return Field{}, d.err(vs, ErrTooDeep, "more than %d levels", MaxDepth)
		}
		sym := specialSyms[depth]
		for i, c := range val {
			if c == sym {
				val[i] = '\n'
			}
		}
		if err := d.nested(&f, vs, stop, depth, d.classicMsg); err != nil {
			return Field{}, err
		}
	case List:
		if err := d.listField(&f, vs, stop); err != nil {
			return Field{}, err
		}
	}
	return f, nil
}

// appendClassic renders m as msg2string_buf does. With head it is a whole
// message (">>>\n" … "<<<\n"); without, it is the input of the inner auth
// digest: no markers and no field called "auth" (NOHEAD).
func appendClassic(dst []byte, m *Message, depth int, head bool) ([]byte, error) {
	if head {
		dst = append(dst, classicStart...)
	}
	for i := range m.Fields {
		f := &m.Fields[i]
		if !head && f.Name == authField {
			continue
		}
		if err := checkField(f); err != nil {
			return nil, err
		}
		if f.Type != String {
			dst = append(dst, '(', '0'+byte(f.Type), ')')
		}
		dst = append(dst, f.Name...)
		dst = append(dst, '=')
		switch f.Type {
		case String:
			for _, c := range f.Value {
				if c == '\n' {
					c = escapedNewline
				}
				dst = append(dst, c)
			}
		case Binary, Compress:
			dst = base64.StdEncoding.AppendEncode(dst, f.Value)
		case Struct:
			if depth >= len(specialSyms) {
				return nil, invalidf("nested more than %d levels", MaxDepth)
			}
			sub, err := appendClassic(nil, f.Struct, depth+1, true)
			if err != nil {
				return nil, err
			}
			sym := specialSyms[depth]
			if bytes.IndexByte(sub, sym) >= 0 {
				return nil, invalidf("field %q: nested message contains byte %#x, which classic form uses for its newlines", f.Name, sym)
			}
			for _, c := range sub {
				if c == '\n' {
					c = sym
				}
				dst = append(dst, c)
			}
		case List:
			dst = packList(dst, f.List)
		case Uncompress:
			return nil, invalidf("field %q: type %d has no classic form", f.Name, f.Type)
		}
		dst = append(dst, '\n')
	}
	if head {
		dst = append(dst, classicEnd...)
	}
	return dst, nil
}
