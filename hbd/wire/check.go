package wire

import (
	"bytes"
	"errors"
	"fmt"
)

// checkName enforces what both formats need of a field name: heartbeat
// splits "name=value" at the first '=', ends classic lines at '\n' and
// keeps names as C strings; a leading '(' would read as a "(T)" prefix in
// classic form.
func checkName(name []byte) error {
	switch {
	case len(name) == 0:
		return errors.New("empty field name")
	case name[0] == '(':
		return fmt.Errorf("field name %q starts with '('", name)
	case bytes.ContainsAny(name, "=\n\x00"):
		return fmt.Errorf("field name %q contains '=', newline or NUL", name)
	}
	return nil
}

// checkListElem: string_list_unpack rejects empty elements and the packing
// uses strlen; a newline would end the line of a classic message.
func checkListElem(e []byte) error {
	switch {
	case len(e) == 0:
		return errors.New("empty list element")
	case bytes.ContainsAny(e, "\n\x00"):
		return fmt.Errorf("list element %q contains newline or NUL", truncate(e))
	}
	return nil
}

func invalidf(format string, a ...any) error {
	return fmt.Errorf("wire: %w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// checkField reports whether f can be encoded (the nested message of a
// Struct field is checked as it is encoded).
func checkField(f *Field) error {
	if err := checkName([]byte(f.Name)); err != nil {
		return invalidf("%v", err)
	}
	switch f.Type {
	case String:
		if bytes.IndexByte(f.Value, 0) >= 0 {
			return invalidf("NUL in string field %q", f.Name)
		}
	case Binary, Compress:
	case Struct, Uncompress:
		if f.Struct == nil {
			return invalidf("field %q of type %d has no nested message", f.Name, f.Type)
		}
	case List:
		if len(f.List) == 0 {
			return invalidf("list field %q is empty", f.Name)
		}
		n := 0
		for _, e := range f.List {
			if err := checkListElem(e); err != nil {
				return invalidf("field %q: %v", f.Name, err)
			}
			n += len(packList(nil, [][]byte{e}))
		}
		if n >= MaxListLen {
			return invalidf("list field %q packs to %d bytes (heartbeat's limit is %d)", f.Name, n, MaxListLen-1)
		}
	default:
		return invalidf("field %q has unknown type %d", f.Name, f.Type)
	}
	return nil
}
