package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/spf13/pflag"
)

func init() {
	register("status", "show the local node, peers, links, ping nodes and counters", runStatus)
}

const defaultRunDir = "/run/hbd"

func runStatus(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("status", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	runDir := fs.String("run-dir", defaultRunDir, "the daemon's run directory (control socket)")
	asJSON := fs.Bool("json", false, "print the stable JSON schema documented in README")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hbctl status: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var st ctl.Status
	if err := ctl.NewClient(*runDir).Do(ctx, "GET", "/v1/status", nil, &st); err != nil {
		fmt.Fprintf(stderr, "hbctl status: %v\n", err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&st); err != nil {
			fmt.Fprintf(stderr, "hbctl status: %v\n", err)
			return 1
		}
		return 0
	}
	printStatus(stdout, &st)
	return 0
}

func printStatus(w io.Writer, st *ctl.Status) {
	comm := "up"
	if !st.CommUp {
		comm = "not yet up"
	}
	fmt.Fprintf(w, "node %s (%s), generation %d, comm %s, resources %s\n",
		st.Node, st.State, st.Generation, comm, st.Resources)
	fmt.Fprintf(w, "keepalive %s, deadtime %s, up %s\n\n",
		ms(st.KeepaliveMs), ms(st.DeadtimeMs), ms(st.UptimeMs).Truncate(time.Second))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tTYPE\tSTATUS\tLAST HEARD\tDEADTIME\tLINKS")
	for _, n := range st.Nodes {
		name := n.Name
		if n.Local {
			name += " (local)"
		}
		heard := "never"
		if n.LastHeardMs >= 0 {
			heard = ms(n.LastHeardMs).String() + " ago"
		}
		links := make([]string, 0, len(n.Links))
		for _, l := range n.Links {
			links = append(links, l.Name+":"+l.Status)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, n.Type, n.Status, heard, ms(n.DeadtimeMs), strings.Join(links, " "))
	}
	tw.Flush()
	if len(st.Groups) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "GROUP\tHOME\tSTATE")
		for _, g := range st.Groups {
			home := "peer"
			if g.Local {
				home = "local"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", g.Key, home, g.State)
		}
		tw.Flush()
	}
	if len(st.Counters) == 0 {
		return
	}
	fmt.Fprintln(w)
	names := make([]string, 0, len(st.Counters))
	for k := range st.Counters {
		names = append(names, k)
	}
	slices.Sort(names)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, k := range names {
		fmt.Fprintf(tw, "%s\t%d\n", k, st.Counters[k])
	}
	tw.Flush()
}

func ms(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
