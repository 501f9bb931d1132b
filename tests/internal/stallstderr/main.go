// Command stallstderr runs a program with its stderr connected to a pipe
// that nobody ever reads. Once the program has written a pipe's worth
// (64 KiB on Linux), its next write to stderr blocks for good. The
// robustness tests use it to prove that hbd keeps sending heartbeats while
// its log output is stuck.
//
//	stallstderr [args...] --stall-exec=PROGRAM [args...]
//
// Every argument except --stall-exec=PROGRAM is passed on to PROGRAM, so
// the lab can start it in place of bin/hbd (the lab appends the caller's
// extra arguments after hbd's own). stallstderr stays the parent: it holds
// the read end of the pipe open (without a reader, writes would fail with
// EPIPE instead of blocking), forwards SIGTERM, SIGINT and SIGHUP to the
// program and exits with its exit status.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

const execFlag = "--stall-exec="

func main() {
	var prog string
	var args []string
	for _, a := range os.Args[1:] {
		if p, ok := strings.CutPrefix(a, execFlag); ok {
			prog = p
			continue
		}
		args = append(args, a)
	}
	if prog == "" {
		fmt.Fprintln(os.Stderr, "stallstderr: missing "+execFlag+"PROGRAM")
		os.Exit(2)
	}

	// Raw pipe fds rather than os.Pipe: os.Pipe makes them non-blocking
	// for Go's poller, and the program must get an ordinary blocking
	// stderr, on which a write sleeps in the kernel (wchan pipe_write).
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		fail(err)
	}
	r, w := fds[0], fds[1]
	fmt.Printf("stallstderr: stderr of %s goes to a pipe that is never read\n", prog)

	cmd := exec.Command(prog, args...)
	cmd.Stdin = os.Stdin
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.NewFile(uintptr(w), "stalled-stderr")
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		fail(err)
	}
	fmt.Printf("stallstderr: started pid %d\n", cmd.Process.Pid)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s)
		}
	}()
	err := cmd.Wait()
	_ = syscall.Close(r) // only now: the read end had to stay open
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		if st, ok := exit.Sys().(syscall.WaitStatus); ok && st.Signaled() {
			os.Exit(128 + int(st.Signal()))
		}
		os.Exit(exit.ExitCode())
	case err != nil:
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "stallstderr: %v\n", err)
	os.Exit(1)
}
