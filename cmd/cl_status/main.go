// Command cl_status is hbd's heartbeat-compatible cl_status.
package main

import (
	"fmt"
	"os"
)

func main() {
	// Not yet implemented: it needs the running daemon's control socket,
	// which arrives with the membership issue. Exit 2 so scripts that
	// depend on it fail loudly instead of reading a made-up answer.
	fmt.Fprintln(os.Stderr, "cl_status: not yet implemented in hbd")
	os.Exit(2)
}
