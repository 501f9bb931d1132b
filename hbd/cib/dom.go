package cib

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// Limits on the input. A real CIB of 16 nodes and thousands of resources
// with full histories stays well below them; they exist so that a hostile
// or corrupt document cannot make the parser allocate without bound.
const (
	MaxInputBytes = 64 << 20
	maxDepth      = 64
	maxElements   = 4 << 20
)

// element is a minimal DOM node. The CIB mixes sections whose shape is
// fixed by a schema with a status section that accepts anything, so it is
// read into a generic tree first and converted by hand, which also lets the
// converter notice elements it does not know.
type element struct {
	name     string
	attrs    []xml.Attr
	children []*element
	line     int
}

func (e *element) attr(name string) string {
	for _, a := range e.attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e *element) hasAttr(name string) bool {
	for _, a := range e.attrs {
		if a.Name.Local == name {
			return true
		}
	}
	return false
}

func (e *element) child(name string) *element {
	for _, c := range e.children {
		if c.name == name {
			return c
		}
	}
	return nil
}

// parseDOM reads one XML document into an element tree.
func parseDOM(data []byte) (*element, error) {
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("cib: input is %d bytes, more than the limit of %d", len(data), MaxInputBytes)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var root *element
	var stack []*element
	count := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("cib: malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			count++
			if count > maxElements {
				return nil, fmt.Errorf("cib: more than %d elements", maxElements)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("cib: elements nested deeper than %d", maxDepth)
			}
			line, _ := dec.InputPos()
			e := &element{name: t.Name.Local, attrs: t.Copy().Attr, line: line}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("cib: more than one root element")
				}
				root = e
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) != 0 {
				return nil, errors.New("cib: text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("cib: empty document")
	}
	if len(stack) != 0 {
		return nil, fmt.Errorf("cib: unclosed element <%s>", stack[len(stack)-1].name)
	}
	return root, nil
}
