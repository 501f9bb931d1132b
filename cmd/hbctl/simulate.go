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

// runSimulate prints the current status, the Transition Summary, the
// actions executed and the revised status of a CIB, in crm_simulate -S's
// layout, and with --save-graph writes the transition graph as
// crm_simulate -G does. Exit codes: 0 done, 1 the CIB cannot be read or
// scheduled, the graph cannot be saved, or the transition could not be
// completed (as crm_simulate reports an invalid transition), 2 usage
// errors or a feature hbd does not implement.
func runSimulate(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("simulate", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	xmlFile := fs.StringP("xml-file", "x", "", "CIB to schedule (configuration and status)")
	showScores := fs.BoolP("show-scores", "s", false, "also print the allocation scores")
	saveGraph := fs.StringP("save-graph", "G", "", "write the transition graph XML to FILE")
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
	if *saveGraph != "" {
		if err := saveGraphFile(tr, *saveGraph); err != nil {
			fmt.Fprintf(stderr, "hbctl simulate: %v\n", err)
			return 1
		}
	}
	io.WriteString(stdout, "\nTransition Summary:\n")
	io.WriteString(stdout, tr.SummaryText())
	io.WriteString(stdout, "\nExecuting Cluster Transition:\n")
	io.WriteString(stdout, tr.ExecutedText())
	code := 0
	if tr.TransitionFailed() {
		fmt.Fprintln(stderr, "Transition failed: terminated")
		fmt.Fprintln(stderr, "An invalid transition was produced")
		code = 1
	}
	io.WriteString(stdout, tr.RevisedNotice())
	io.WriteString(stdout, "\n")
	io.WriteString(stdout, tr.RevisedStatus())
	return code
}

// saveGraphFile writes the transition graph to path.
func saveGraphFile(tr *scheduler.Transition, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("saving graph: %w", err)
	}
	if err := tr.WriteGraph(f); err != nil {
		f.Close()
		return fmt.Errorf("saving graph to %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("saving graph to %s: %w", path, err)
	}
	return nil
}
