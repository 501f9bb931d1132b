package wire

// FieldType is heartbeat's ha_msg field type (include/ha_msg.h). Its decimal
// value is what appears in the "(T)" prefix of a netstring field.
type FieldType uint8

const (
	String     FieldType = 0 // FT_STRING
	Binary     FieldType = 1 // FT_BINARY: srcuuid, destuuid
	Struct     FieldType = 2 // FT_STRUCT: nested message
	List       FieldType = 3 // FT_LIST: list of strings
	Compress   FieldType = 4 // FT_COMPRESS: compressed nested message
	Uncompress FieldType = 5 // FT_UNCOMPRESS: in-memory form of 4, sent as 4
)

// Field is one (name, type, value) entry of a message. Value holds the raw
// bytes for String and Binary fields; Struct holds a nested message for
// Struct/Uncompress; List holds the elements of a List field.
type Field struct {
	Name   string
	Type   FieldType
	Value  []byte
	Struct *Message
	List   [][]byte
}

// Message is heartbeat's ha_msg: an ordered list of fields. Order matters on
// the wire (the inner auth digest covers the fields in order), and names may
// repeat, in which case lookups return the first.
type Message struct {
	Fields []Field
}

// Get returns the value of the first field called name.
func (m *Message) Get(name string) (string, bool) {
	if f := m.Field(name); f != nil {
		return string(f.Value), true
	}
	return "", false
}

// Field returns the first field called name, or nil.
func (m *Message) Field(name string) *Field {
	for i := range m.Fields {
		if m.Fields[i].Name == name {
			return &m.Fields[i]
		}
	}
	return nil
}

// Add appends a string field, even if one of that name exists.
func (m *Message) Add(name, value string) {
	m.Fields = append(m.Fields, Field{Name: name, Type: String, Value: []byte(value)})
}

// AddBinary appends a binary field.
func (m *Message) AddBinary(name string, value []byte) {
	m.Fields = append(m.Fields, Field{Name: name, Type: Binary, Value: append([]byte(nil), value...)})
}

// Set modifies the first field called name in place, as heartbeat's
// ha_msg_mod does (the field keeps its position), or appends it.
func (m *Message) Set(name, value string) {
	if f := m.Field(name); f != nil {
		f.Type, f.Value = String, []byte(value)
		return
	}
	m.Add(name, value)
}

// SetBinary is Set for a binary field.
func (m *Message) SetBinary(name string, value []byte) {
	if f := m.Field(name); f != nil {
		f.Type, f.Value = Binary, append([]byte(nil), value...)
		return
	}
	m.AddBinary(name, value)
}

// Del removes every field called name.
func (m *Message) Del(name string) {
	out := m.Fields[:0]
	for _, f := range m.Fields {
		if f.Name != name {
			out = append(out, f)
		}
	}
	m.Fields = out
}

// Type is the message's "t" field.
func (m *Message) Type() string {
	t, _ := m.Get("t")
	return t
}

// Clone returns a deep copy.
func (m *Message) Clone() *Message {
	c := &Message{Fields: make([]Field, len(m.Fields))}
	for i, f := range m.Fields {
		c.Fields[i] = Field{Name: f.Name, Type: f.Type, Value: append([]byte(nil), f.Value...)}
		if f.Struct != nil {
			c.Fields[i].Struct = f.Struct.Clone()
		}
		for _, e := range f.List {
			c.Fields[i].List = append(c.Fields[i].List, append([]byte(nil), e...))
		}
	}
	return c
}
