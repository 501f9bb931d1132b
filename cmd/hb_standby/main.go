// Command hb_standby is heartbeat's hb_standby for hbd: give resources to
// the peer (all, foreign, local or failback; default all). The request goes
// to the daemon's control socket in $HBD_RUN_DIR (default /run/hbd).
package main

import (
	"github.com/hbd-project/hbd/cmd/internal/hbreq"
	"github.com/hbd-project/hbd/hbd/ctl"
)

func main() { hbreq.Main((*ctl.Client).Standby) }
