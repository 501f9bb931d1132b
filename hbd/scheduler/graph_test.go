package scheduler

import (
	"bytes"
	"encoding/xml"
	"io"
	"slices"
	"strings"
	"testing"
)

// graphLines schedules m and returns its transition graph as
// normalizeGraph lines ("element key@node <- inputs").
func graphLines(t *testing.T, m miniCIB) ([]string, string) {
	t.Helper()
	tr := schedule(t, m.xml())
	var b bytes.Buffer
	if err := tr.WriteGraph(&b); err != nil {
		t.Fatal(err)
	}
	lines, err := normalizeGraph(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return lines, b.String()
}

// synapseFor is the normalized line of the synapse executing action.
func synapseFor(t *testing.T, lines []string, action string) string {
	t.Helper()
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, action+" <- ") })
	if i < 0 {
		t.Fatalf("no synapse for %s in:\n%s", action, strings.Join(lines, "\n"))
	}
	return lines[i]
}

// TestAntiColocationOrdering: a moves from node1 to node2 while b, which
// must never share a node with a, starts on node1. The -INFINITY
// colocation orders a's stop before b's start (anti_colocation_order),
// and the graph keeps that input since both happen on node1; the reverse
// ordering (b's stop before a's start) has no stop to order, as b is not
// running anywhere.
func TestAntiColocationOrdering(t *testing.T) {
	lines, _ := graphLines(t, miniCIB{
		quorum:    true,
		nodes:     []string{"node1", "node2"},
		resources: dummy("a") + dummy("b"),
		constraints: `<rsc_location id="la" rsc="a" node="node2" score="INFINITY"/>` +
			`<rsc_location id="lb" rsc="b" node="node1" score="100"/>` +
			`<rsc_colocation id="c" rsc="b" with-rsc="a" score="-INFINITY"/>`,
		lrm: map[string]string{
			"node1": lrmOp("a", "start", 0, 1) + lrmOp("b", "monitor", 7, 2),
			"node2": lrmOp("a", "monitor", 7, 1) + lrmOp("b", "monitor", 7, 2),
		},
	})
	if got := synapseFor(t, lines, "rsc_op b_start_0@node1"); !strings.Contains(got, "rsc_op a_stop_0@node1") {
		t.Errorf("b's start on node1 does not wait for a's stop there: %s", got)
	}
	if got := synapseFor(t, lines, "rsc_op a_start_0@node2"); strings.Contains(got, "b_") {
		t.Errorf("a's start has an input from b: %s", got)
	}
}

// TestAntiColocationOtherNode: the anti-colocation ordering between a stop
// and a start on different nodes is dropped from the graph
// (should_add_input_to_graph): a leaving node1 does not delay b starting
// on node2.
func TestAntiColocationOtherNode(t *testing.T) {
	lines, _ := graphLines(t, miniCIB{
		quorum:    true,
		nodes:     []string{"node1", "node2", "node3"},
		resources: dummy("a") + dummy("b"),
		constraints: `<rsc_location id="la" rsc="a" node="node3" score="INFINITY"/>` +
			`<rsc_location id="lb" rsc="b" node="node2" score="INFINITY"/>` +
			`<rsc_colocation id="c" rsc="b" with-rsc="a" score="-INFINITY"/>`,
		lrm: map[string]string{
			"node1": lrmOp("a", "start", 0, 1) + lrmOp("b", "monitor", 7, 2),
			"node2": lrmOp("a", "monitor", 7, 1) + lrmOp("b", "monitor", 7, 2),
			"node3": lrmOp("a", "monitor", 7, 1) + lrmOp("b", "monitor", 7, 2),
		},
	})
	if got := synapseFor(t, lines, "rsc_op b_start_0@node2"); strings.Contains(got, "a_stop_0") {
		t.Errorf("b's start on node2 waits for a's stop on another node: %s", got)
	}
}

// TestGraphActionIDsFromOne: Pacemaker numbers actions from 1, so the
// first action created (a's stop, before b's start) is id 1 in the graph.
func TestGraphActionIDsFromOne(t *testing.T) {
	_, text := graphLines(t, miniCIB{
		quorum:      true,
		nodes:       []string{"node1", "node2"},
		resources:   dummy("a"),
		constraints: `<rsc_location id="la" rsc="a" node="node2" score="INFINITY"/>`,
		lrm: map[string]string{
			"node1": lrmOp("a", "start", 0, 1),
			"node2": lrmOp("a", "monitor", 7, 1),
		},
	})
	if !strings.Contains(text, `<rsc_op id="1" operation="stop" operation_key="a_stop_0" on_node="node1"`) {
		t.Errorf("a's stop is not action 1:\n%s", text)
	}
	if strings.Contains(text, `id="0" operation=`) {
		t.Errorf("an action has id 0:\n%s", text)
	}
}

// TestGraphParamNotXMLName: an lsb resource converted from haresources
// has parameters named "1", "2", …, which cannot be XML attribute names;
// the graph must carry them as <param> children and stay well-formed.
func TestGraphParamNotXMLName(t *testing.T) {
	m := miniCIB{quorum: true, nodes: []string{"node1"}, resources: `<primitive id="web" class="lsb" type="apache2"><instance_attributes id="web-ia"><nvpair id="web-1" name="1" value="198.18.0.10"/><nvpair id="web-x" name="mode" value="a&lt;b"/></instance_attributes></primitive>`}
	tr := schedule(t, m.xml())
	var b bytes.Buffer
	if err := tr.WriteGraph(&b); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	params := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("graph is not well-formed XML: %v\n%s", err, b.String())
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "param" {
			params++
			if len(se.Attr) != 2 || se.Attr[0].Value != "1" || se.Attr[1].Value != "198.18.0.10" {
				t.Errorf("param element %v, want name=1 value=198.18.0.10", se.Attr)
			}
		}
	}
	if params == 0 {
		t.Fatalf("no <param> element for parameter \"1\":\n%s", b.String())
	}
	if !strings.Contains(b.String(), `mode="a&lt;b"`) {
		t.Errorf("valid parameter names must stay attributes:\n%s", b.String())
	}
}
