package scheduler

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hbd-project/hbd/hbd/cib"
)

// TestDebugCase dumps hbd's view of one corpus test (HBD_DEBUG_CASE=name);
// a development aid, skipped otherwise.
func TestDebugCase(t *testing.T) {
	name := os.Getenv("HBD_DEBUG_CASE")
	if name == "" {
		t.Skip("set HBD_DEBUG_CASE to a corpus test name")
	}
	data, err := os.ReadFile(filepath.Join(corpusDir, "xml", name+".xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := cib.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := Schedule(c)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Print(tr.Render())
	debugWS := tr.ws
	for _, r := range debugWS.primitives() {
		fmt.Printf("%s role=%v next=%v running=%v alloc=%v failed=%v managed=%v\n", r.ID, r.role, r.nextRole, nodeNames(r.runningOn), nodeName(r.allocatedTo), r.failed, r.managed)
		for i, w := range r.allowed {
			if w.present {
				fmt.Printf("   %s=%s", debugWS.nodes[i].Name, scoreString(w.score))
			}
		}
		fmt.Println()
		for _, a := range r.actions {
			fmt.Printf("   %s %s opt=%v run=%v pseudo=%v reason=%q\n", a.task, nodeName(a.node), a.optional, a.runnable, a.pseudo, a.reason)
		}
	}
}

func nodeName(n *Node) string {
	if n == nil {
		return "-"
	}
	return n.Name
}

func nodeNames(ns []*Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Name)
	}
	return out
}
