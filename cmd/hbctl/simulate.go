package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hbd-project/hbd/hbd/cib"
	"github.com/hbd-project/hbd/hbd/scheduler"
	"github.com/spf13/pflag"
)

func init() {
	register("simulate", "compute a crm-mode transition for a CIB file, like crm_simulate -S", runSimulate)
}

// runSimulate prints the current status, the Transition Summary and the
// revised status of a CIB, in crm_simulate's layout. Exit codes: 0 done,
// 1 the CIB cannot be read or scheduled, 2 usage errors or a feature hbd
// does not implement.
func runSimulate(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("simulate", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	xmlFile := fs.StringP("xml-file", "x", "", "CIB to schedule (configuration and status)")
	showScores := fs.BoolP("show-scores", "s", false, "also print the allocation scores")
	saveGraph := fs.StringP("save-graph", "G", "", "write the transition graph to FILE (not implemented yet)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hbctl simulate: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *xmlFile == "" {
		fmt.Fprintln(stderr, "hbctl simulate: -x/--xml-file is required")
		return 2
	}
	if *saveGraph != "" {
		fmt.Fprintln(stderr, "hbctl simulate: --save-graph is not supported yet")
		return 2
	}
	f, err := os.Open(*xmlFile)
	if err != nil {
		fmt.Fprintf(stderr, "hbctl simulate: %v\n", err)
		return 1
	}
	c, err := cib.Read(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "hbctl simulate: %s: %v\n", *xmlFile, err)
		return 1
	}
	tr, err := scheduler.ScheduleWith(c, scheduler.Options{ShowScores: *showScores, Now: time.Now().Unix()})
	if err != nil {
		fmt.Fprintf(stderr, "hbctl simulate: %s: %v\n", *xmlFile, err)
		if errors.Is(err, scheduler.ErrUnsupported) {
			return 2
		}
		return 1
	}
	io.WriteString(stdout, tr.CurrentStatus())
	if *showScores {
		for _, l := range tr.Scores {
			fmt.Fprintln(stdout, l)
		}
	}
	io.WriteString(stdout, "\nTransition Summary:\n")
	io.WriteString(stdout, tr.SummaryText())
	io.WriteString(stdout, "\n")
	io.WriteString(stdout, tr.RevisedStatus())
	return 0
}
