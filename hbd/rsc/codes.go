package rsc

// Exit codes shared by LSB init scripts (actions other than status) and
// OCF resource agents; OCF adopted LSB's 0–7 and added 8 and 9.
const (
	codeOK             = 0
	codeNotRunning     = 7 // OCF_NOT_RUNNING; LSB "program is not running"
	codeRunningPromote = 8 // OCF_RUNNING_PROMOTED
	// lsbStatusStopped is the LSB *status* action's "program is not
	// running"; status has its own code table.
	lsbStatusStopped = 3
)

// codeMeaning names an LSB/OCF exit code for logs and errors.
func codeMeaning(code int) string {
	switch code {
	case 1:
		return "generic or unspecified error"
	case 2:
		return "invalid or excess arguments"
	case 3:
		return "unimplemented feature"
	case 4:
		return "insufficient privilege"
	case 5:
		return "program is not installed"
	case 6:
		return "program is not configured"
	case 7:
		return "program is not running"
	case 8:
		return "running promoted (OCF)"
	case 9:
		return "failed promoted (OCF)"
	case 126:
		return "not executable"
	case 127:
		return "command not found"
	}
	return ""
}

// lsbStatusMeaning names an exit code of an LSB script's status action,
// which LSB numbers differently from the other actions.
func lsbStatusMeaning(code int) string {
	switch code {
	case 0:
		return "program is running or service is OK"
	case 1:
		return "program is dead and /var/run pid file exists"
	case 2:
		return "program is dead and /var/lock lock file exists"
	case 3:
		return "program is not running"
	case 4:
		return "program or service status is unknown"
	}
	return codeMeaning(code)
}
