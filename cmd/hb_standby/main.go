// Command hb_standby is heartbeat's hb_standby for hbd: give resources to the peer.
// Arguments and messages follow heartbeat 3.0.6's /usr/share/heartbeat/hb_standby
// script; the request goes to the daemon's control socket, whose run
// directory is $HBD_RUN_DIR (default /run/hbd).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hbd-project/hbd/hbd/ctl"
)

func main() {
	runDir := os.Getenv("HBD_RUN_DIR")
	if runDir == "" {
		runDir = "/run/hbd"
	}
	os.Exit(run(os.Args[0], os.Args[1:], os.Stdout, os.Stderr, func(which string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return ctl.NewClient(runDir).Standby(ctx, which)
	}))
}

func usage(prog string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "usage:")
	fmt.Fprintf(stderr, "%s [all|foreign|local|failback]\n", prog)
	return 1
}

func run(prog string, args []string, stdout, stderr io.Writer, send func(which string) error) int {
	if len(args) >= 2 {
		fmt.Fprintf(stdout, "%s: too many arguments\n", prog)
		return usage(prog, stdout, stderr)
	}
	which := "all"
	if len(args) == 1 {
		which = args[0]
	}
	switch which {
	case "all", "foreign", "local", "failback":
	case "--help":
		return usage(prog, stdout, stderr)
	default:
		fmt.Fprintf(stdout, "%s: wrong resources(%s).\n", prog, which)
		return usage(prog, stdout, stderr)
	}
	if err := send(which); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 1
	}
	return 0
}
