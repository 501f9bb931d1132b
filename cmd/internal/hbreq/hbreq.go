// Package hbreq is the shared body of hb_standby and hb_takeover: the
// argument handling and messages of heartbeat 3.0.6's two scripts
// (/usr/share/heartbeat/hb_standby, hb_takeover), which differ only in the
// request they send.
package hbreq

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hbd-project/hbd/hbd/ctl"
)

// Main runs the command with the process's arguments against the daemon
// whose run directory is $HBD_RUN_DIR (default /run/hbd), and exits.
func Main(send func(c *ctl.Client, ctx context.Context, which string) error) {
	runDir := os.Getenv("HBD_RUN_DIR")
	if runDir == "" {
		runDir = "/run/hbd"
	}
	os.Exit(Run(os.Args[0], os.Args[1:], os.Stdout, os.Stderr, func(which string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return send(ctl.NewClient(runDir), ctx, which)
	}))
}

func usage(prog string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stdout, "usage:")
	fmt.Fprintf(stderr, "%s [all|foreign|local|failback]\n", prog)
	return 1
}

// Run checks the arguments as heartbeat's scripts do (default all; at most
// one of all, foreign, local, failback) and sends the request.
func Run(prog string, args []string, stdout, stderr io.Writer, send func(which string) error) int {
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
