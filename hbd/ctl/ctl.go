// Package ctl is the daemon's control socket: HTTP with JSON bodies over a
// unix socket in the run directory (tailscale's LocalAPI pattern), so that
// hbctl, cl_status and hb_standby talk to the running daemon and an operator
// can too, with `curl --unix-socket /run/hbd/hbd.sock http://hbd/v1/status`.
//
// The socket is mode 0600 and every connection's peer credentials are
// checked: only root and the daemon's own user may use it, since it can
// move resources between nodes.
package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// SocketName is the control socket's file name inside the run directory.
const SocketName = "hbd.sock"

// SocketPath is the control socket inside runDir.
func SocketPath(runDir string) string { return filepath.Join(runDir, SocketName) }

// Error is the JSON body of every non-2xx answer.
type Error struct {
	Error string `json:"error"`
}

// Server serves a handler on the control socket.
type Server struct {
	ln   net.Listener
	http *http.Server
	path string
}

type credKey struct{}

// Listen creates the run directory if needed and listens on its control
// socket, replacing a stale socket from a previous run. It refuses to start
// when another daemon answers on it, so two daemons never share one run dir.
func Listen(runDir string, h http.Handler, log *slog.Logger) (*Server, error) {
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	path := SocketPath(runDir)
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another daemon is listening on it", path)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket: remove stale %s: %w", path, err)
	}
	// The umask makes the socket 0600 from the moment it exists; a chmod
	// afterwards would leave a window in which others could connect.
	old := syscall.Umask(0o177)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	s := &Server{ln: ln, path: path}
	s.http = &http.Server{
		Handler:           authorize(h, log),
		ReadHeaderTimeout: 5 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if uc, ok := c.(*net.UnixConn); ok {
				if cred, err := peerCred(uc); err == nil {
					return context.WithValue(ctx, credKey{}, cred)
				}
			}
			return ctx
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Serve answers requests until Close.
func (s *Server) Serve() error {
	err := s.http.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops serving and removes the socket file.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	os.Remove(s.path)
	return err
}

func peerCred(c *net.UnixConn) (*unix.Ucred, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return nil, err
	}
	return cred, cerr
}

// authorize admits root and the daemon's own user. The 0600 mode already
// does this for the file; the check also covers a socket passed on by a
// privileged process or a run directory with loose permissions.
func authorize(h http.Handler, log *slog.Logger) http.Handler {
	self := uint32(os.Geteuid())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cred, _ := r.Context().Value(credKey{}).(*unix.Ucred)
		if cred == nil || (cred.Uid != 0 && cred.Uid != self) {
			log.Warn("control socket: refused a client", "cred", cred)
			WriteError(w, http.StatusForbidden, errors.New("permission denied: root only"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// WriteJSON writes v as an indented JSON answer.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// WriteError writes an Error answer.
func WriteError(w http.ResponseWriter, code int, err error) {
	WriteJSON(w, code, Error{Error: err.Error()})
}

// Client talks to a daemon's control socket.
type Client struct {
	path string
	http *http.Client
}

// ErrNotRunning is returned when no daemon listens on the socket.
var ErrNotRunning = errors.New("hbd is not running")

// NewClient returns a client for the daemon whose run directory is runDir.
func NewClient(runDir string) *Client {
	path := SocketPath(runDir)
	return &Client{
		path: path,
		http: &http.Client{
			Timeout: 10 * time.Second,
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, "unix", path)
				},
			},
		},
	}
}

// Do sends a request with an optional JSON body and decodes the JSON answer
// into out (when out is not nil).
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://hbd"+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && (errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)) {
			return fmt.Errorf("%w (no daemon on %s)", ErrNotRunning, c.path)
		}
		return fmt.Errorf("control socket %s: %w", c.path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("control socket: read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		var e Error
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return fmt.Errorf("hbd: %s", e.Error)
		}
		return fmt.Errorf("hbd: %s", resp.Status)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("control socket: decode answer: %w", err)
	}
	return nil
}

// Standby asks the daemon to give resources to the peer, as hb_standby
// does; which is local, foreign, all or failback.
func (c *Client) Standby(ctx context.Context, which string) error {
	return c.Do(ctx, "POST", "/v1/standby", map[string]string{"which": which}, nil)
}

// Takeover asks the peer, through the daemon, to give resources to this
// node, as hb_takeover does.
func (c *Client) Takeover(ctx context.Context, which string) error {
	return c.Do(ctx, "POST", "/v1/takeover", map[string]string{"which": which}, nil)
}
