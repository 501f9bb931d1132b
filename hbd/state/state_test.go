package state

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestNextGenerationRisesAndUsesHeartbeatFormat(t *testing.T) {
	dir := t.TempDir()
	now := time.Unix(1_700_000_000, 0)
	g1, fresh, err := NextGeneration(dir, now)
	if err != nil {
		t.Fatal(err)
	}
	if !fresh || g1 != 1_700_000_001 {
		t.Fatalf("first start: gen=%d fresh=%v, want time+1 and fresh", g1, fresh)
	}
	// A clock that went backwards must not lower the generation.
	g2, fresh, err := NextGeneration(dir, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if fresh || g2 != g1+1 {
		t.Fatalf("second start: gen=%d fresh=%v, want %d", g2, fresh, g1+1)
	}
	b, err := os.ReadFile(filepath.Join(dir, GenerationFile))
	if err != nil {
		t.Fatal(err)
	}
	if want := "     1700000002\n"; string(b) != want {
		t.Fatalf("file = %q, want heartbeat's %%15lu format %q", b, want)
	}
}

func TestNextGenerationReadsHeartbeatFile(t *testing.T) {
	dir := t.TempDir()
	// As written by heartbeat 3.0.6's IncrGeneration.
	if err := os.WriteFile(filepath.Join(dir, GenerationFile), []byte("             42\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, fresh, err := NextGeneration(dir, time.Unix(5, 0))
	if err != nil || fresh || g != 43 {
		t.Fatalf("gen=%d fresh=%v err=%v, want 43", g, fresh, err)
	}
}

func TestNextGenerationBrokenFileRestartsFromClock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, GenerationFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	g, fresh, err := NextGeneration(dir, time.Unix(100, 0))
	if err != nil || !fresh || g != 101 {
		t.Fatalf("gen=%d fresh=%v err=%v, want 101 fresh", g, fresh, err)
	}
}

func TestLoadUUIDCreatesOnceAndReusesHeartbeats(t *testing.T) {
	dir := t.TempDir()
	a, created, err := LoadUUID(dir)
	if err != nil || !created {
		t.Fatalf("first: created=%v err=%v", created, err)
	}
	b, created, err := LoadUUID(dir)
	if err != nil || created || a != b {
		t.Fatalf("second: %x created=%v err=%v, want %x reused", b, created, err, a)
	}
	if a[6]>>4 != 4 {
		t.Fatalf("uuid %x is not version 4", a)
	}

	// A heartbeat node's existing raw uuid file is kept byte for byte.
	hb := t.TempDir()
	raw := []byte("#\x83_\xd9{\x1eKQ\xa8\xa0=\x9c\xcb!\xa7i")
	if err := os.WriteFile(filepath.Join(hb, UUIDFile), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	got, created, err := LoadUUID(hb)
	if err != nil || created || string(got[:]) != string(raw) {
		t.Fatalf("got %x created=%v err=%v, want heartbeat's %x", got, created, err, raw)
	}
}

func TestLoadUUIDRejectsWrongSize(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, UUIDFile), []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadUUID(dir); err == nil {
		t.Fatal("want an error for a 5-byte uuid file")
	}
}
