package cibgen

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hbd-project/hbd/hbd/crmoracle"
)

// benchSizes are the shapes to run: 32 × 4000 only with HBD_BENCH_LARGE=1,
// since crm_simulate needs more than 300 s for it (issue part 7).
func benchSizes() []BenchSize {
	var out []BenchSize
	for _, s := range BenchSizes {
		if s.Nodes*s.Resources > 16*1000 && os.Getenv("HBD_BENCH_LARGE") == "" {
			continue
		}
		out = append(out, s)
	}
	return out
}

// BenchmarkScheduler measures hbd on the cold-start benchmark CIBs: parsing
// the XML and computing the transition, the work crm_simulate -x F -G out
// -Q does. tests/bench/crm_simulate_timing.sh prints these next to
// crm_simulate's times and the ratio.
func BenchmarkScheduler(b *testing.B) {
	for _, s := range benchSizes() {
		xml := Bench(s.Nodes, s.Resources).XML()
		b.Run(strings.TrimSuffix(s.Name(), ".xml"), func(b *testing.B) {
			b.SetBytes(int64(len(xml)))
			for b.Loop() {
				if err := hbdSchedule(xml); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestBenchPlacement checks that hbd places the benchmark CIBs exactly as
// crm_simulate does, which the speed comparison presumes, and logs both
// times. From a cold start every placement is a "Start rsc (node)" line, so
// equal Transition Summaries mean equal placements; crm_simulate -R gives
// them without executing the transition, which -S takes minutes for.
// 16 × 1000 is skipped with -short (crm_simulate takes seconds).
func TestBenchPlacement(t *testing.T) {
	if !crmoracle.Available() {
		t.Skip("crm_simulate not installed (Debian package pacemaker-cli-utils)")
	}
	dir := t.TempDir()
	r := crmoracle.Runner{ScratchDir: dir, Timeout: 400 * time.Second}
	for _, s := range benchSizes() {
		if testing.Short() && s.Resources > 400 {
			continue
		}
		t.Run(strings.TrimSuffix(s.Name(), ".xml"), func(t *testing.T) {
			c := Bench(s.Nodes, s.Resources)
			xml := c.XML()
			path := s.Path(dir)
			if err := os.WriteFile(path, xml, 0o644); err != nil {
				t.Fatal(err)
			}
			res, err := r.Run(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			got, err := hbdSimulate(xml)
			if err != nil {
				t.Fatal(err)
			}
			hbd := time.Since(start)
			if res.ExitCode != 0 {
				t.Fatalf("crm_simulate: exit %d: %s", res.ExitCode, res.Stderr)
			}
			want := res.Summary.Transitions
			starts := 0
			for _, l := range want {
				if strings.HasPrefix(l, "*Start") && !strings.HasSuffix(l, "(blocked)") {
					starts++
				}
			}
			if starts != s.Resources {
				t.Errorf("crm_simulate starts %d of %d resources", starts, s.Resources)
			}
			if d := crmoracle.DiffLines(want, got.Transitions); d != "" {
				t.Errorf("Transition Summary (-crm_simulate +hbd):\n%s", firstLines(d, 20))
			}
			t.Logf("crm_simulate -R %v, hbd (parse, schedule, render) %v", res.Elapsed.Round(time.Millisecond), hbd.Round(time.Microsecond))
		})
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "") + "…\n"
}
