package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/hbd-project/hbd/hbd/cibgen"
)

func TestWriteBench(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{"--bench", "-o", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	want := []string{"bench-16x100.xml", "bench-16x1000.xml", "bench-16x400.xml"}
	files, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	var got []string
	for _, f := range files {
		got = append(got, filepath.Base(f))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	data, err := os.ReadFile(filepath.Join(dir, "bench-16x400.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, cibgen.Bench(16, 400).XML()) {
		t.Error("bench-16x400.xml is not Bench(16, 400)")
	}
}

func TestWriteSeeds(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := run([]string{"--seeds", "5-7", "--features", "all", "-o", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 3 {
		t.Errorf("printed %d paths, want 3", n)
	}
	data, err := os.ReadFile(filepath.Join(dir, "case-6.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, cibgen.Generate(6, cibgen.All()).XML()) {
		t.Error("case-6.xml is not Generate(6, All())")
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"--bench", "--seeds", "1"}, {"--seeds", "9-2"}, {"--seeds", "x"},
		{"--seeds", "1", "--features", "tierz"}, {"--bench", "extra"}, {"--nope"},
	} {
		var out, errOut bytes.Buffer
		if code := run(append(args, "-o", t.TempDir()), &out, &errOut); code == 0 || errOut.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q; want a failure with a message", args, code, errOut.String())
		}
	}
}
