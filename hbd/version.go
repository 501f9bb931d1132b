package hbd

// Version is reported by hbd -V, hbctl status and cl_status hbstatus -v.
var Version = "hbd 0.1.0-dev (heartbeat 3.0.6 compatible)"
