package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/spf13/pflag"
)

func init() {
	register("standby", "give resources to the peer (local, foreign, all; default all), as hb_standby", runResourceCmd("standby"))
	register("takeover", "take resources from the peer (local, foreign, all; default all), as hb_takeover", runResourceCmd("takeover"))
}

func runResourceCmd(name string) func(args []string, stdout, stderr io.Writer) int {
	return func(args []string, stdout, stderr io.Writer) int {
		fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
		fs.SetOutput(stderr)
		runDir := fs.String("run-dir", defaultRunDir, "the daemon's run directory (control socket)")
		if err := fs.Parse(args); err != nil {
			return 2
		}
		which := "all"
		switch fs.NArg() {
		case 0:
		case 1:
			which = fs.Arg(0)
		default:
			fmt.Fprintf(stderr, "hbctl %s: too many arguments\n", name)
			return 2
		}
		switch which {
		case "all", "foreign", "local", "failback":
		default:
			fmt.Fprintf(stderr, "hbctl %s: %q is not local, foreign, all or failback\n", name, which)
			return 2
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c := ctl.NewClient(*runDir)
		var err error
		if name == "standby" {
			err = c.Standby(ctx, which)
		} else {
			err = c.Takeover(ctx, which)
		}
		if err != nil {
			fmt.Fprintf(stderr, "hbctl %s: %v\n", name, err)
			return 1
		}
		fmt.Fprintf(stdout, "%s [%s] requested\n", name, which)
		return 0
	}
}
