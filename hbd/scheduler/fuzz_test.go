package scheduler

import (
	"io"
	"testing"

	"github.com/hbd-project/hbd/hbd/cib"
)

// FuzzSchedule checks that any CIB the parser accepts is either scheduled
// or refused with an error, never a panic or a hang, and that its graph
// can always be written.
func FuzzSchedule(f *testing.F) {
	f.Add([]byte(twoNode("", "", "")))
	f.Add([]byte(largeCIB(3, 8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := cib.Parse(data)
		if err != nil {
			return
		}
		tr, err := ScheduleWith(c, Options{ShowScores: true})
		if err != nil {
			return
		}
		_ = tr.Render()
		if err := tr.WriteGraph(io.Discard); err != nil {
			t.Fatalf("WriteGraph: %v", err)
		}
	})
}
