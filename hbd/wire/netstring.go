package wire

import (
	"bytes"
	"strconv"
)

// Frame markers (include/ha_msg.h).
const (
	nsStart      = "###\n"
	nsEnd        = "%%%\n"
	classicStart = ">>>\n"
	classicEnd   = "<<<\n"
)

// maxLenDigits bounds a netstring length prefix: MaxUncompressed has 7
// digits, so anything longer is garbage and would only risk overflow.
const maxLenDigits = 7

// decoder parses one packet. buf is private to it (Decode clones the
// input), so values may alias it; they are capped with full slice
// expressions so that appending to one cannot overwrite the next.
type decoder struct {
	buf    []byte
	fields int
	where  string // "" or " in compressed payload", for error reasons
}

func (d *decoder) err(off int, kind error, format string, a ...any) error {
	e := decErr(off, kind, format, a...)
	e.Reason += d.where
	return e
}

func (d *decoder) countField(off int) error {
	d.fields++
	if d.fields > MaxFields {
		return d.err(off, ErrTooManyFields, "more than %d", MaxFields)
	}
	return nil
}

// peel reads one "LEN:data," netstring starting at off, not going past end.
// It returns the data bounds and the offset after the ','.
func (d *decoder) peel(off, end int) (start, stop, next int, err error) {
	p := off
	for p < end && p-off <= maxLenDigits && isDigit(d.buf[p]) {
		p++
	}
	switch {
	case p == off:
		if off >= end {
			return 0, 0, 0, d.err(off, ErrTruncated, "expected a netstring length")
		}
		return 0, 0, 0, d.err(off, ErrBadLength, "expected a decimal length, got %q", d.buf[off])
	case p-off > maxLenDigits:
		return 0, 0, 0, d.err(off, ErrBadLength, "length has more than %d digits", maxLenDigits)
	case p-off > 1 && d.buf[off] == '0':
		// heartbeat never writes leading zeros; accepting them would make
		// the packet impossible to re-encode byte for byte.
		return 0, 0, 0, d.err(off, ErrBadLength, "length has a leading zero")
	case p >= end:
		return 0, 0, 0, d.err(p, ErrTruncated, "expected ':' after the length")
	case d.buf[p] != ':':
		return 0, 0, 0, d.err(p, ErrBadLength, "expected ':' after the length, got %q", d.buf[p])
	}
	n, _ := strconv.Atoi(string(d.buf[off:p]))
	start = p + 1
	if n > end-start-1 {
		return 0, 0, 0, d.err(off, ErrTruncated, "length %d runs past the end of the input (%d bytes left)", n, end-start)
	}
	stop = start + n
	if d.buf[stop] != ',' {
		return 0, 0, 0, d.err(stop, ErrBadLength, "expected ',' after %d bytes, got %q", n, d.buf[stop])
	}
	return start, stop, stop + 1, nil
}

// netstringMsg parses "###\n" fields "%%%\n" at off and returns the message
// and the offset just after "%%%\n". depth is the nesting level of the
// message (0 for the packet's own).
func (d *decoder) netstringMsg(off, end, depth int) (*Message, int, error) {
	if depth > MaxDepth {
		return nil, 0, d.err(off, ErrTooDeep, "more than %d levels", MaxDepth)
	}
	if !bytes.HasPrefix(d.buf[off:end], []byte(nsStart)) {
		return nil, 0, d.err(off, ErrBadFrame, "expected %q", nsStart)
	}
	m := &Message{}
	p := off + len(nsStart)
	for {
		if bytes.HasPrefix(d.buf[p:end], []byte(nsEnd)) {
			return m, p + len(nsEnd), nil
		}
		if p >= end {
			return nil, 0, d.err(p, ErrTruncated, "no %q", nsEnd)
		}
		start, stop, next, err := d.peel(p, end)
		if err != nil {
			return nil, 0, err
		}
		if err := d.countField(p); err != nil {
			return nil, 0, err
		}
		f, err := d.netstringField(start, stop, depth)
		if err != nil {
			return nil, 0, err
		}
		m.Fields = append(m.Fields, f)
		p = next
	}
}

// netstringField parses "(T)name=value" in buf[start:stop].
// process_netstring_nvpair assert()s on a missing "(T)", so a real node
// dies on such input; hbd reports it.
func (d *decoder) netstringField(start, stop, depth int) (Field, error) {
	b := d.buf[start:stop]
	if len(b) < 3 || b[0] != '(' || b[2] != ')' {
		return Field{}, d.err(start, ErrNoTypePrefix, "field %q", truncate(b))
	}
	if !isDigit(b[1]) || b[1]-'0' > byte(Uncompress) {
		return Field{}, d.err(start+1, ErrBadType, "type %q", b[1])
	}
	t := FieldType(b[1] - '0')
	eq := bytes.IndexByte(b[3:], '=')
	if eq < 0 {
		return Field{}, d.err(start+3, ErrBadField, "no '=' in field %q", truncate(b))
	}
	name := b[3 : 3+eq]
	if err := checkName(name); err != nil {
		return Field{}, d.err(start+3, ErrBadField, "%v", err)
	}
	vs := start + 3 + eq + 1
	val := d.buf[vs:stop:stop]
	f := Field{Name: string(name), Type: t}
	switch t {
	case String:
		if i := bytes.IndexByte(val, 0); i >= 0 {
			// heartbeat keeps strings as C strings; a NUL would truncate
			// it and trip HA_MSG_ASSERT on re-encoding.
			return Field{}, d.err(vs+i, ErrBadValue, "NUL in string field %q", f.Name)
		}
		f.Value = val
	case Binary, Compress:
		f.Value = val
	case Struct, Uncompress:
		if err := d.nested(&f, vs, stop, depth, d.netstringMsg); err != nil {
			return Field{}, err
		}
	case List:
		if err := d.listField(&f, vs, stop); err != nil {
			return Field{}, err
		}
	}
	return f, nil
}

// list parses a packed FT_LIST value: "len:str,len:str,…".
func (d *decoder) list(start, stop int) ([][]byte, error) {
	if stop-start >= MaxListLen {
		return nil, d.err(start, ErrTooLarge, "list value is %d bytes (heartbeat's limit is %d)", stop-start, MaxListLen-1)
	}
	var l [][]byte
	for p := start; p < stop; {
		s, e, next, err := d.peel(p, stop)
		if err != nil {
			return nil, err
		}
		el := d.buf[s:e:e]
		if err := checkListElem(el); err != nil {
			return nil, d.err(s, ErrBadValue, "%v", err)
		}
		l = append(l, el)
		p = next
	}
	if l == nil {
		// string_list_unpack returns NULL for an empty list, which
		// netstring2list treats as failure.
		return nil, d.err(start, ErrBadValue, "empty list")
	}
	return l, nil
}

// appendNetstring appends m in netstring form (no auth trailer), as
// msg2netstring_buf does: every field as "LEN:(T)name=value,".
func appendNetstring(dst []byte, m *Message, depth int) ([]byte, error) {
	if depth > MaxDepth {
		return nil, invalidf("nested more than %d levels", MaxDepth)
	}
	dst = append(dst, nsStart...)
	for i := range m.Fields {
		f := &m.Fields[i]
		if err := checkField(f); err != nil {
			return nil, err
		}
		var val []byte
		switch f.Type {
		case String, Binary, Compress:
			val = f.Value
		case Struct, Uncompress:
			var err error
			if val, err = appendNetstring(nil, f.Struct, depth+1); err != nil {
				return nil, err
			}
		case List:
			val = packList(nil, f.List)
		}
		n := 3 + len(f.Name) + 1 + len(val)
		dst = strconv.AppendInt(dst, int64(n), 10)
		dst = append(dst, ':', '(', '0'+byte(f.Type), ')')
		dst = append(dst, f.Name...)
		dst = append(dst, '=')
		dst = append(dst, val...)
		dst = append(dst, ',')
	}
	return append(dst, nsEnd...), nil
}

// packList is string_list_pack.
func packList(dst []byte, l [][]byte) []byte {
	for _, e := range l {
		dst = strconv.AppendInt(dst, int64(len(e)), 10)
		dst = append(dst, ':')
		dst = append(dst, e...)
		dst = append(dst, ',')
	}
	return dst
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func truncate(b []byte) string {
	const max = 40
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}

// nested parses a nested message filling f's value with parse, the
// format's own message parser, and requires it to end the field. Both
// formats nest the same way; only the framing differs.
func (d *decoder) nested(f *Field, vs, stop, depth int, parse func(start, stop, depth int) (*Message, int, error)) error {
	sub, next, err := parse(vs, stop, depth+1)
	if err != nil {
		return err
	}
	if next != stop {
		return d.err(next, ErrTrailingData, "after nested message in field %q", f.Name)
	}
	f.Struct = sub
	return nil
}

// listField parses an FT_LIST value, which both formats carry the same way.
func (d *decoder) listField(f *Field, vs, stop int) error {
	l, err := d.list(vs, stop)
	if err != nil {
		return err
	}
	f.List = l
	return nil
}
