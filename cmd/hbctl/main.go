// Command hbctl is hbd's operator CLI: status, standby/takeover, the wire
// dissector, the crm simulator and config tools.
//
// Each subcommand lives in its own file and registers itself in init, so
// that subcommands can be added without touching this file.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// command is one hbctl subcommand. run gets the arguments after the
// subcommand name and returns the process exit code.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) int) {
	if _, dup := commands[name]; dup {
		panic("hbctl: subcommand registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hbctl COMMAND [ARGS...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'hbctl COMMAND --help' for a command's options.")
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	args = hoistGlobals(args)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "hbctl: unknown command %q\n", args[0])
		if strings.HasPrefix(args[0], "-") {
			fmt.Fprintln(stderr, "hbctl: the only option allowed before the command is --run-dir")
		}
		usage(stderr)
		return 2
	}
	return c.run(args[1:], stdout, stderr)
}

// hoistGlobals moves a leading --run-dir DIR (or --run-dir=DIR), the one
// option the CLI contract places before the command ("hbctl --run-dir DIR
// status"), behind the command name, where the command's own flag set
// parses it. A command without a run directory then rejects it clearly.
func hoistGlobals(args []string) []string {
	var global []string
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "--run-dir" && len(args) >= 2:
			global, args = append(global, a, args[1]), args[2:]
		case strings.HasPrefix(a, "--run-dir="):
			global, args = append(global, a), args[1:]
		default:
			if len(global) == 0 || len(args) == 0 {
				return args
			}
			return append(append([]string{args[0]}, global...), args[1:]...)
		}
	}
	return nil // only globals, no command: usage
}
