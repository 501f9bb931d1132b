package rsc

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
)

const (
	// maxLine bounds one log record; longer lines are split.
	maxLine = 4096
	// maxKept bounds the stdout kept for status matching. Status output is
	// a line or two; a script that floods stdout must not grow the daemon.
	maxKept = 64 << 10
)

// lineLog is the io.Writer given to a child for stdout or stderr: it logs
// each complete line as one record with the resource's attributes, and for
// stdout keeps a bounded copy for the status rule. heartbeat sent stdout to
// its log and stderr to HA_DEBUGLOG; both are logged at Info here, tagged
// with the stream, because a failing script's stderr is what explains the
// failure.
type lineLog struct {
	log    *slog.Logger
	stream string
	keep   bool

	mu      sync.Mutex
	partial []byte
	kept    bytes.Buffer
	trunc   bool
}

func newLineLog(log *slog.Logger, stream string, keep bool) *lineLog {
	return &lineLog{log: log, stream: stream, keep: keep}
}

func (w *lineLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keep {
		room := maxKept - w.kept.Len()
		if len(p) > room {
			w.kept.Write(p[:max(room, 0)])
			w.trunc = true
		} else {
			w.kept.Write(p)
		}
	}
	w.partial = append(w.partial, p...)
	rest := w.partial
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		w.emit(rest[:i])
		rest = rest[i+1:]
	}
	for len(rest) >= maxLine {
		w.emit(rest[:maxLine])
		rest = rest[maxLine:]
	}
	// Move the unfinished line to the front (memmove) so the buffer does
	// not creep forward.
	w.partial = append(w.partial[:0], rest...)
	return len(p), nil
}

// flush logs an unterminated last line.
func (w *lineLog) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.partial) > 0 {
		w.emit(w.partial)
		w.partial = nil
	}
}

func (w *lineLog) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte("\r"))
	w.log.Log(context.Background(), slog.LevelInfo, string(line), "stream", w.stream)
}

// text returns the kept output and whether it was cut at maxKept.
func (w *lineLog) text() (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.kept.String(), w.trunc
}
