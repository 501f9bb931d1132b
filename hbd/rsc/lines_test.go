package rsc

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineLog(t *testing.T) {
	rec := newRecorder()
	w := newLineLog(slog.New(rec), "stdout", true)
	long := strings.Repeat("x", maxLine+10)
	for _, chunk := range []string{"one\r\ntw", "o\n", "\n", long, "\nlast"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	w.flush()
	var got []string
	for _, r := range rec.records() {
		if r.Attrs["stream"] != "stdout" {
			t.Errorf("record without stream: %+v", r)
		}
		got = append(got, r.Msg)
	}
	want := []string{"one", "two", "", long[:maxLine], long[maxLine:], "last"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if text, trunc := w.text(); text != "one\r\ntwo\n\n"+long+"\nlast" || trunc {
		t.Errorf("kept %d bytes, truncated %v", len(text), trunc)
	}
}

func TestLineLogKeepsBoundedStdout(t *testing.T) {
	w := newLineLog(slog.New(newRecorder()), "stdout", true)
	chunk := []byte(strings.Repeat("y", 1000) + "\n")
	for range maxKept/len(chunk) + 5 {
		w.Write(chunk)
	}
	text, trunc := w.text()
	if len(text) != maxKept || !trunc {
		t.Errorf("kept %d bytes (truncated %v), want %d", len(text), trunc, maxKept)
	}
	stderr := newLineLog(slog.New(newRecorder()), "stderr", false)
	stderr.Write([]byte("err\n"))
	if text, _ := stderr.text(); text != "" {
		t.Errorf("stderr kept %q", text)
	}
}
