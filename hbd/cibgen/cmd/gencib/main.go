// Command gencib writes generated CIBs: the benchmark files (cold start,
// groups of four) or random differential-test cases by seed.
//
//	go run ./hbd/cibgen/cmd/gencib --bench -o DIR [--large]
//	go run ./hbd/cibgen/cmd/gencib --seeds 1-200 [--features all|tiera] -o DIR
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/hbd-project/hbd/hbd/cibgen"
	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("gencib", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.StringP("out", "o", ".", "directory to write the files to")
	bench := fs.Bool("bench", false, "write the benchmark CIBs bench-NxM.xml")
	large := fs.Bool("large", false, "with --bench, also write 32 nodes × 4000 resources")
	seeds := fs.String("seeds", "", "write random cases case-SEED.xml for a seed range such as 1-200")
	features := fs.String("features", "tiera", "feature set of the random cases: tiera or all")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "gencib: %v\n", err)
		return 2
	}
	if *bench == (*seeds != "") || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "gencib: give exactly one of --bench and --seeds, and no arguments")
		return 2
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "gencib: %v\n", err)
		return 1
	}
	var err error
	if *bench {
		err = writeBench(*dir, *large, stdout)
	} else {
		err = writeSeeds(*dir, *seeds, *features, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "gencib: %v\n", err)
		return 1
	}
	return 0
}

func writeBench(dir string, large bool, stdout io.Writer) error {
	for _, s := range cibgen.BenchSizes {
		if s.Nodes*s.Resources > 16*1000 && !large {
			continue
		}
		if err := write(s.Path(dir), cibgen.Bench(s.Nodes, s.Resources), stdout); err != nil {
			return err
		}
	}
	return nil
}

func writeSeeds(dir, seeds, features string, stdout io.Writer) error {
	var f cibgen.Features
	switch features {
	case "tiera":
		f = cibgen.TierA()
	case "all":
		f = cibgen.All()
	default:
		return fmt.Errorf("--features %q: want tiera or all", features)
	}
	lo, hi, err := parseRange(seeds)
	if err != nil {
		return err
	}
	for s := lo; s <= hi; s++ {
		if err := write(filepath.Join(dir, fmt.Sprintf("case-%d.xml", s)), cibgen.Generate(s, f), stdout); err != nil {
			return err
		}
	}
	return nil
}

// parseRange parses "N" or "N-M".
func parseRange(s string) (lo, hi int64, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	if lo, err = strconv.ParseInt(a, 10, 64); err == nil {
		hi, err = strconv.ParseInt(b, 10, 64)
	}
	if err != nil || lo > hi {
		return 0, 0, fmt.Errorf("--seeds %q: want N or N-M with N ≤ M", s)
	}
	return lo, hi, nil
}

func write(path string, c *cibgen.Cluster, stdout io.Writer) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := c.WriteXML(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	fmt.Fprintln(stdout, path)
	return nil
}
