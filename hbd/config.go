package hbd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/hbd-project/hbd/authkeys"
	"github.com/hbd-project/hbd/haresources"
	"github.com/hbd-project/hbd/hbd/hacf"
)

// Config is one node's heartbeat configuration: ha.cf, authkeys and
// haresources from one directory, each parsed by its own package and
// checked against the others.
type Config struct {
	Dir       string
	LocalNode string
	HaCf      *hacf.Config
	Keys      *authkeys.Keys
	// Resources is nil when resource management is off (pacemaker/crm in
	// ha.cf), as heartbeat then ignores haresources.
	Resources *haresources.File
	// Warnings are every file's non-fatal remarks, as FILE:LINE: text.
	Warnings []string
}

// LoadOptions are the inputs that do not come from the files.
type LoadOptions struct {
	// LocalNode overrides the node name; empty means LocalNodeName(dir).
	LocalNode string
}

// LoadConfig reads DIR/ha.cf, DIR/authkeys and DIR/haresources. It reports
// every problem it finds, in all three files, as FILE:LINE: message lines
// joined into one error, so an operator fixes them in one pass.
func LoadConfig(dir string, opts LoadOptions) (*Config, error) {
	c := &Config{Dir: dir, LocalNode: strings.ToLower(opts.LocalNode)}
	if c.LocalNode == "" {
		n, err := LocalNodeName(dir)
		if err != nil {
			return nil, err
		}
		c.LocalNode = n
	}
	var errs []error

	cf, warns, err := hacf.Load(filepath.Join(dir, "ha.cf"), hacf.Options{LocalNode: c.LocalNode})
	for _, w := range warns {
		c.Warnings = append(c.Warnings, w.String())
	}
	if err != nil {
		errs = append(errs, err)
	}
	c.HaCf = cf

	keys, err := authkeys.Load(filepath.Join(dir, "authkeys"))
	if err != nil {
		errs = append(errs, err)
	} else {
		c.Keys = keys
		c.Warnings = append(c.Warnings, keys.Warnings...)
	}

	// heartbeat reads haresources only when it manages R1 resources; with
	// pacemaker it ignores the file (with a warning when it exists).
	hrPath := filepath.Join(dir, "haresources")
	if cf == nil || cf.ResourceManagement {
		res, err := haresources.Load(hrPath)
		switch {
		case err != nil:
			errs = append(errs, err)
		case cf != nil:
			names := make([]string, len(cf.Nodes))
			for i, n := range cf.Nodes {
				names[i] = n.Name
			}
			if err := res.ValidateNodes(names); err != nil {
				errs = append(errs, err)
			}
		}
		c.Resources = res
	} else if _, err := os.Stat(hrPath); err == nil {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%s: ignored: resources are managed by pacemaker (%s)", hrPath, cf.Pacemaker))
	}

	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// LocalNodeName is the name heartbeat gives the local node: the first line
// of DIR/nodeinfo when that line ends in a newline, else `uname -n`; lower
// case either way (get_localnodeinfo).
func LocalNodeName(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "nodeinfo"))
	switch {
	case err == nil:
		if i := bytes.IndexByte(b, '\n'); i > 0 {
			return strings.ToLower(strings.TrimSpace(string(b[:i]))), nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("local node name: %w", err)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "", fmt.Errorf("local node name: uname: %w", err)
	}
	return strings.ToLower(unix.ByteSliceToString(u.Nodename[:])), nil
}

// WriteEffective prints the configuration as hbd will use it: ha.cf with
// every default filled in, the authkeys methods (never the secrets), and
// the haresources groups in canonical form.
func (c *Config) WriteEffective(w io.Writer) error {
	fmt.Fprintf(w, "# local node: %s\n", c.LocalNode)
	if err := c.HaCf.WriteEffective(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n# %s (secrets not shown)\n", filepath.Join(c.Dir, "authkeys"))
	fmt.Fprintf(w, "auth %d\n", c.Keys.Active)
	for _, k := range c.Keys.All() {
		if k.Method.Keyed() {
			fmt.Fprintf(w, "%d %s ****\n", k.Index, k.Method)
		} else {
			fmt.Fprintf(w, "%d %s\n", k.Index, k.Method)
		}
	}
	if c.Resources == nil {
		fmt.Fprintf(w, "\n# haresources: not used, resources are managed by pacemaker\n")
		return nil
	}
	fmt.Fprintf(w, "\n# %s (%d groups)\n", filepath.Join(c.Dir, "haresources"), len(c.Resources.Groups))
	for _, g := range c.Resources.Groups {
		var b strings.Builder
		b.WriteString(g.Node)
		for _, r := range g.Resources {
			b.WriteByte(' ')
			b.WriteString(strings.Join(append([]string{r.Name}, r.Args...), "::"))
		}
		fmt.Fprintln(w, b.String())
	}
	return nil
}
