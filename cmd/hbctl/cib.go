package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/google/renameio/v2"
	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/hacf"
	"github.com/hbd-project/hbd/hbd/harescib"
	"github.com/spf13/pflag"
)

func init() {
	register("cib", "CIB tools: from-haresources converts an R1 configuration for crm mode", runCib)
}

const defaultConfDir = "/etc/ha.d"

// runCib dispatches the cib subcommands. Exit codes: 0 done, 1 the
// configuration cannot be read or converted, 2 usage errors.
func runCib(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: hbctl cib from-haresources [-c CONFDIR] [-o FILE] [--online]")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	switch args[0] {
	case "from-haresources":
		return runFromHaresources(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "hbctl cib: unknown subcommand %q (want from-haresources)\n", args[0])
	return 2
}

func runFromHaresources(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("cib from-haresources", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	confDir := fs.StringP("confdir", "c", defaultConfDir, "directory with ha.cf and haresources")
	out := fs.StringP("output", "o", "", "write the CIB to FILE (atomically) instead of standard output")
	online := fs.Bool("online", false, "add a status section with every node online, for crm_simulate or hbctl simulate")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "hbctl cib from-haresources: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "hbctl cib from-haresources: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	xml, err := convertConfDir(*confDir, *online, stderr)
	if err != nil {
		// The parsers' errors already read FILE:LINE: message.
		fmt.Fprintf(stderr, "hbctl cib from-haresources: %v\n", err)
		return 1
	}
	if *out == "" {
		if _, err := stdout.Write(xml); err != nil {
			fmt.Fprintf(stderr, "hbctl cib from-haresources: %v\n", err)
			return 1
		}
		return 0
	}
	// Atomic, so that a CIB being replaced is never seen half written.
	if err := renameio.WriteFile(*out, xml, 0o600); err != nil {
		fmt.Fprintf(stderr, "hbctl cib from-haresources: %v\n", err)
		return 1
	}
	return 0
}

// convertConfDir reads CONFDIR/ha.cf and CONFDIR/haresources and returns the
// CIB. ha.cf warnings go to stderr.
func convertConfDir(dir string, online bool, stderr io.Writer) ([]byte, error) {
	// No LocalNode: the conversion may run on any machine, so ha.cf's node
	// list is not checked against this host's name.
	cfg, warns, err := hacf.Load(filepath.Join(dir, "ha.cf"), hacf.Options{})
	for _, w := range warns {
		fmt.Fprintf(stderr, "hbctl cib from-haresources: warning: %s\n", w)
	}
	if err != nil {
		return nil, err
	}
	res, err := haresources.Load(filepath.Join(dir, "haresources"))
	if err != nil {
		return nil, err
	}
	nodes := make([]string, len(cfg.Nodes))
	for i, n := range cfg.Nodes {
		nodes[i] = n.Name
	}
	c, err := harescib.Convert(res, harescib.Options{Nodes: nodes, AutoFailback: cfg.AutoFailback, Online: online})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := c.WriteXML(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
