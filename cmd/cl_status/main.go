// Command cl_status is heartbeat's cl_status for hbd: the same
// sub-commands, options, output and exit codes (heartbeat 3.0.6
// tools/cl_status.c), answered from the daemon's control socket, so
// monitoring scripts written for heartbeat keep working unchanged.
//
// The daemon's run directory is taken from $HBD_RUN_DIR (default /run/hbd).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hbd-project/hbd/hbd/ctl"
	"github.com/spf13/pflag"
)

// heartbeat's exit codes.
const (
	exitOK        = 0
	exitFail      = 1 // node/link down, daemon stopped, parameter unset
	exitParam     = 11
	exitTimeout   = 12
	exitUnknown   = 13
	signonTimeout = 5 * time.Second // cl_status's alarm(DEFAULT_TIMEOUT)
)

const help = `Usage: cl_status <sub-command> [<options>] [<parameters>]

Sub-commands:
clientstatus <node-name> <client-id> [<timeout>]
	Show the status of heartbeat clients.
hblinkstatus <node-name> <link-name>
	Show the status of a heartbeat link
hbstatus
	Indicate if heartbeat is running on the local system.
	Options:
		-v	verbose: also add "listnodes -v" output
listnodes [<option>]
	List the nodes in the cluster.
	Options:
		-p	list only 'ping' type nodes
		-n	list only 'normal' type nodes
		-v	verbose: also list type and status,
			then add "listhblinks -v" output
listhblinks <node-name>
	List the network interfaces used as hearbeat links.
	Options:
		-v	verbose: list link status as well
nodestatus <node-name>
	List the node status.
nodeweight <node-name>
	List the node weight.
nodesite <node-name>
	List the node site.
nodetype <node-name>
	List the nodes of a given type.
rscstatus
	Show the status of cluster resources.
hbparameter -p <parameter-name>
	Retrieve the value of a cluster parameter.
	As for the valid parameter names, please refer to the man page.
`

func main() {
	runDir := os.Getenv("HBD_RUN_DIR")
	if runDir == "" {
		runDir = "/run/hbd"
	}
	fetch := func() (*ctl.Status, error) {
		ctx, cancel := context.WithTimeout(context.Background(), signonTimeout)
		defer cancel()
		var st ctl.Status
		err := ctl.NewClient(runDir).Do(ctx, "GET", "/v1/status", nil, &st)
		return &st, err
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, fetch))
}

type cmd struct {
	name  string
	flags string // heartbeat's getopt string, without ':' options
	fn    func(c *call) int
}

var cmds = []cmd{
	{"hbstatus", "mv", hbstatus},
	{"listnodes", "mpnv", listnodes},
	{"nodestatus", "m", nodestatus},
	{"nodeweight", "m", nodeweight},
	{"nodesite", "m", nodesite},
	{"nodetype", "m", nodetype},
	{"listhblinks", "mv", listhblinks},
	{"hblinkstatus", "m", hblinkstatus},
	{"clientstatus", "m", clientstatus},
	{"rscstatus", "m", rscstatus},
	{"hbparameter", "mp", hbparameter},
}

// call is one invocation: parsed options, positional arguments and the
// daemon's answer (nil when it could not be reached).
type call struct {
	human, verbose, ping, normal bool
	param                        string
	args                         []string
	st                           *ctl.Status
	signonErr                    error
	out, err                     io.Writer
}

func logErr(w io.Writer, format string, a ...any) {
	fmt.Fprintf(w, "cl_status: ERROR: "+format+"\n", a...)
}

func run(args []string, stdout, stderr io.Writer, fetch func() (*ctl.Status, error)) int {
	if len(args) == 0 || (len(args) == 1 && args[0] == "-h") {
		fmt.Fprint(stdout, help)
		return exitOK
	}
	var c *cmd
	for i := range cmds {
		if cmds[i].name == args[0] {
			c = &cmds[i]
		}
	}
	if c == nil {
		logErr(stderr, "%s: invalid sub-command.", args[0])
		return exitParam
	}
	cl := &call{out: stdout, err: stderr}
	fs := pflag.NewFlagSet(c.name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if strings.Contains(c.flags, "m") {
		fs.BoolVarP(&cl.human, "human", "m", false, "")
	}
	if strings.Contains(c.flags, "v") {
		fs.BoolVarP(&cl.verbose, "verbose", "v", false, "")
	}
	if strings.Contains(c.flags, "p") && c.name == "listnodes" {
		fs.BoolVarP(&cl.ping, "ping", "p", false, "")
	}
	if strings.Contains(c.flags, "n") {
		fs.BoolVarP(&cl.normal, "normal", "n", false, "")
	}
	if c.name == "hbparameter" {
		fs.StringVarP(&cl.param, "param", "p", "", "")
	}
	if err := fs.Parse(args[1:]); err != nil {
		logErr(stderr, "Error: getopt returned character code: %v.", err)
		return exitParam
	}
	cl.args = fs.Args()

	st, err := fetch()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return exitTimeout
	case err != nil:
		cl.signonErr = err
		if c.name != "hbstatus" {
			logErr(stderr, "Cannot signon with heartbeat")
			logErr(stderr, "REASON: %v", err)
			return exitFail
		}
	default:
		cl.st = st
	}
	return c.fn(cl)
}

func (c *call) node(name string) *ctl.Node {
	for i := range c.st.Nodes {
		if strings.EqualFold(c.st.Nodes[i].Name, name) {
			return &c.st.Nodes[i]
		}
	}
	return nil
}

// nodeArg returns the node named by the first positional argument, or
// prints heartbeat's error and returns the exit code to use.
func (c *call) nodeArg(notEnough string) (*ctl.Node, int) {
	if len(c.args) < 1 {
		fmt.Fprintln(c.err, notEnough)
		return nil, exitParam
	}
	n := c.node(c.args[0])
	if n == nil {
		fmt.Fprintln(c.err, "Error. May be due to incorrect node name")
		return nil, exitParam
	}
	return n, exitOK
}

func hbstatus(c *call) int {
	if c.st == nil {
		fmt.Fprintln(c.out, "Heartbeat is stopped on this machine.")
		if c.verbose && c.signonErr != nil {
			fmt.Fprintf(c.out, "(%v)\n", c.signonErr)
		}
		return exitFail
	}
	if !c.verbose {
		fmt.Fprintln(c.out, "Heartbeat is running on this machine.")
		return exitOK
	}
	pacemaker := c.st.ManagedBy == "pacemaker"
	if c.human {
		fmt.Fprintf(c.out, "Heartbeat version %s\n", c.st.Version)
		if pacemaker {
			fmt.Fprintln(c.out, "Resources controlled by Pacemaker.")
		} else {
			fmt.Fprintln(c.out, `Resources controlled by "haresources"`)
		}
	} else {
		fmt.Fprintf(c.out, "version:\t%s\n", c.st.Version)
		if pacemaker {
			fmt.Fprintf(c.out, "managed by:\tpacemaker\t(%s)\n", c.st.Parameters["pacemaker"])
		} else {
			fmt.Fprintln(c.out, "managed by:\t\"haresources\"")
		}
	}
	return c.listNodes(false, false, true)
}

func listnodes(c *call) int { return c.listNodes(c.normal, c.ping, c.verbose) }

func (c *call) listNodes(normalOnly, pingOnly, verbose bool) int {
	if normalOnly && pingOnly {
		normalOnly, pingOnly = false, false
	}
	if c.human {
		fmt.Fprintln(c.out, "The nodes are as follow:")
	}
	for i := range c.st.Nodes {
		n := &c.st.Nodes[i]
		if (normalOnly && n.Type != "normal") || (pingOnly && n.Type != "ping") {
			continue
		}
		if verbose {
			fmt.Fprintf(c.out, "\n%s\t%s\t(nodetype: %s)\n", n.Name, n.Status, n.Type)
			c.listLinks(n, true)
		} else {
			fmt.Fprintln(c.out, n.Name)
		}
	}
	return exitOK
}

func (c *call) listLinks(n *ctl.Node, verbose bool) {
	if c.human {
		fmt.Fprintln(c.out, "\tthis node has the following heartbeat links:")
	}
	for _, l := range n.Links {
		if verbose {
			fmt.Fprintf(c.out, "\t%s\t%s\n", l.Name, l.Status)
		} else {
			fmt.Fprintf(c.out, "\t%s\n", l.Name)
		}
	}
}

func nodestatus(c *call) int {
	n, rc := c.nodeArg("Not enough parameters.")
	if n == nil {
		return rc
	}
	if c.human {
		fmt.Fprintf(c.out, "The cluster node %s is %s\n", c.args[0], n.Status)
	} else {
		fmt.Fprintln(c.out, n.Status)
	}
	switch n.Status {
	case "active", "up", "ping":
		return exitOK
	}
	return exitFail
}

func nodeweight(c *call) int {
	if len(c.args) < 1 {
		fmt.Fprintln(c.err, "Not enough parameters.")
		return exitParam
	}
	n := c.node(c.args[0])
	if n == nil {
		fmt.Fprintln(c.err, "Error. Maybe due to incorrect node name.")
		return exitParam
	}
	if c.human {
		fmt.Fprintf(c.out, "The weight of the cluster node %s is %d\n", c.args[0], n.Weight)
	} else {
		fmt.Fprintln(c.out, n.Weight)
	}
	return exitOK
}

func nodesite(c *call) int {
	n, rc := c.nodeArg("Not enough parameters.")
	if n == nil {
		return rc
	}
	if c.human {
		fmt.Fprintf(c.out, "The site of the cluster node %s is %s\n", c.args[0], n.Site)
	} else {
		fmt.Fprintln(c.out, n.Site)
	}
	return exitOK
}

func nodetype(c *call) int {
	n, rc := c.nodeArg("No enough parameter.")
	if n == nil {
		return rc
	}
	if c.human {
		fmt.Fprintf(c.out, "The node %s's type: %s\n", c.args[0], n.Type)
	} else {
		fmt.Fprintln(c.out, n.Type)
	}
	return exitOK
}

func listhblinks(c *call) int {
	if len(c.args) < 1 {
		fmt.Fprintln(c.err, "No enough parameter.")
		return exitParam
	}
	n := c.node(c.args[0])
	if n == nil {
		logErr(c.err, "Cannot start heartbeat link interface walk.")
		logErr(c.err, "REASON: unknown node %s", c.args[0])
		return exitUnknown
	}
	c.listLinks(n, c.verbose)
	return exitOK
}

func hblinkstatus(c *call) int {
	if len(c.args) < 2 {
		fmt.Fprintln(c.err, "No enough parameter.")
		return exitParam
	}
	var status string
	if n := c.node(c.args[0]); n != nil {
		for _, l := range n.Links {
			if l.Name == c.args[1] {
				status = l.Status
			}
		}
	}
	if status == "" {
		logErr(c.err, "Cannot get heartbeat link status")
		logErr(c.err, "REASON: no link %s for node %s", c.args[1], c.args[0])
		return exitUnknown
	}
	if c.human {
		fmt.Fprintf(c.out, "The node %s's heartbeat link %s is %s\n", c.args[0], c.args[1], status)
	} else {
		fmt.Fprintln(c.out, status)
	}
	if status == "up" {
		return exitOK
	}
	return exitFail
}

// clientstatus asks about heartbeat API clients (ipfail, ccm). hbd has no
// such clients, so it answers as heartbeat does for a client that is not
// signed on.
func clientstatus(c *call) int {
	if len(c.args) < 2 {
		fmt.Fprintln(c.err, "No enough parameter.")
		return exitParam
	}
	logErr(c.err, "Cannot get heartbeat client %s's status", c.args[1])
	logErr(c.err, "REASON: No timely response.")
	return exitUnknown
}

func rscstatus(c *call) int {
	if c.st.ManagedBy == "pacemaker" {
		logErr(c.err, "Cannot get cluster resource status of a pacemaker cluster; try crm_mon")
		return exitFail
	}
	if c.human {
		fmt.Fprintf(c.out, "This node is holding %s resources.\n", c.st.Resources)
	} else {
		fmt.Fprintln(c.out, c.st.Resources)
	}
	return exitOK
}

func hbparameter(c *call) int {
	if c.param == "" {
		logErr(c.err, "parameter name required")
		return exitParam
	}
	v, ok := c.st.Parameters[c.param]
	if !ok {
		logErr(c.err, "Cannot get parameter %s's value", c.param)
		logErr(c.err, "REASON: parameter not set")
		return exitFail
	}
	if c.human {
		fmt.Fprintf(c.out, "Heartbeat parameter %s's value: %s\n", c.param, v)
	} else {
		fmt.Fprintln(c.out, v)
	}
	return exitOK
}
