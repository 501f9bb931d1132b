package crmoracle

import (
	"os/exec"
	"syscall"
)

// signalOf returns the signal that killed the process, as the shell's
// "128 + signal" exit status convention needs.
func signalOf(e *exec.ExitError) syscall.Signal {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal()
	}
	return 0
}
