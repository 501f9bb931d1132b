// Package state keeps the small files heartbeat keeps in its state
// directory (/var/lib/heartbeat): the generation counter and the node UUID.
// The formats are heartbeat 3.0.6's, so a node migrated from heartbeat keeps
// its identity and its generation keeps rising across the switch.
package state

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/renameio/v2"
)

const (
	// GenerationFile holds the generation as "%15lu\n" (IncrGeneration).
	GenerationFile = "hb_generation"
	// UUIDFile holds the node's 16 raw UUID bytes (hb_uuid.c).
	UUIDFile = "hb_uuid"
)

// NextGeneration reads the generation from dir, increments it, writes it
// back durably and returns the new value. A peer drops every packet of a
// node whose generation went down ("attempted replay attack") and restarts
// itself when a node it declared dead comes back with the same one, so the
// value must rise on every start and be on disk before the first packet.
//
// As heartbeat does, a missing or unreadable counter restarts from the
// current time plus one, which is above any counter a previous run of this
// node wrote from the same clock.
func NextGeneration(dir string, now time.Time) (gen uint64, fresh bool, err error) {
	path := filepath.Join(dir, GenerationFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		old, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if perr == nil && old < 1<<62 {
			gen = old + 1
			break
		}
		gen, fresh = uint64(now.Unix())+1, true
	case errors.Is(err, fs.ErrNotExist):
		gen, fresh = uint64(now.Unix())+1, true
	default:
		return 0, false, fmt.Errorf("read generation: %w", err)
	}
	if err := writeDurable(path, fmt.Appendf(nil, "%15d\n", gen), 0o644); err != nil {
		return 0, false, fmt.Errorf("write generation: %w", err)
	}
	return gen, fresh, nil
}

// TimeGeneration is the generation for `hbgenmethod time`: the clock, and
// no file.
func TimeGeneration(now time.Time) uint64 { return uint64(now.Unix()) }

// LoadUUID returns the node UUID stored in dir, creating a random one on
// first start. An existing heartbeat hb_uuid is reused as it is.
func LoadUUID(dir string) (id [16]byte, created bool, err error) {
	path := filepath.Join(dir, UUIDFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil && len(b) == len(id):
		copy(id[:], b)
		return id, false, nil
	case err == nil:
		return id, false, fmt.Errorf("%s: %d bytes, want %d raw UUID bytes", path, len(b), len(id))
	case !errors.Is(err, fs.ErrNotExist):
		return id, false, fmt.Errorf("read uuid: %w", err)
	}
	if _, err := rand.Read(id[:]); err != nil {
		return id, false, fmt.Errorf("generate uuid: %w", err)
	}
	id[6] = id[6]&0x0f | 0x40 // version 4, as uuid_generate's random UUIDs
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	if err := writeDurable(path, id[:], 0o644); err != nil {
		return id, false, fmt.Errorf("write uuid: %w", err)
	}
	return id, true, nil
}

// writeDurable replaces path atomically and fsyncs file and directory, so a
// crash leaves either the old or the new content, never a torn counter.
func writeDurable(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return renameio.WriteFile(path, data, perm)
}
