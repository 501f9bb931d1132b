package cibgen

import (
	"fmt"
	"path/filepath"
)

// BenchSize is one benchmark CIB shape (issue part 7).
type BenchSize struct{ Nodes, Resources int }

// BenchSizes are the benchmark shapes. The last one takes crm_simulate more
// than 300 s, so callers run it only on request.
var BenchSizes = []BenchSize{{16, 100}, {16, 400}, {16, 1000}, {32, 4000}}

// Name is the benchmark file's base name, e.g. "bench-16x1000.xml".
func (s BenchSize) Name() string { return fmt.Sprintf("bench-%dx%d.xml", s.Nodes, s.Resources) }

// Path is the file's path in dir.
func (s BenchSize) Path(dir string) string { return filepath.Join(dir, s.Name()) }

// Bench returns the cold-start benchmark cluster: the given number of
// online nodes, no status history, and the resources as ocf:pacemaker:Dummy
// primitives in groups of four (the last group smaller if resources is not
// a multiple of four). Like a converted haresources file
// (pacemaker-engine.md §6.2), each group prefers one node with score 100,
// round robin over the nodes, so the placement is a real decision and not
// only load spreading.
func Bench(nodes, resources int) *Cluster {
	c := &Cluster{
		ExecutionDate: executionDate,
		HaveQuorum:    true,
		Options:       []NV{{"stonith-enabled", "false"}, {"no-quorum-policy", "ignore"}},
	}
	for i := range nodes {
		c.Nodes = append(c.Nodes, &Node{ID: fmt.Sprint(i + 1), Name: fmt.Sprintf("node%d", i+1), Online: true})
	}
	for i := 0; i < resources; i += 4 {
		g := &Resource{Kind: Group, ID: fmt.Sprintf("grp%d", i/4+1)}
		for j := i; j < min(i+4, resources); j++ {
			g.Children = append(g.Children, &Resource{Kind: Primitive, ID: fmt.Sprintf("rsc%d", j+1),
				Class: "ocf", Provider: "pacemaker", Type: "Dummy", Monitor: 10000})
		}
		c.Resources = append(c.Resources, g)
		c.Locations = append(c.Locations, Location{ID: "loc-" + g.ID, Rsc: g.ID,
			Node: c.Nodes[(i/4)%nodes].Name, Score: "100"})
	}
	return c
}
