package hbd

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hbd-project/hbd/hbd/takeover"
)

// TestResourceHandlerWhich checks the words POST /v1/standby accepts:
// heartbeat's hb_standby takes all, local, foreign and failback (=
// foreign); "none" is a wire word, not a request.
func TestResourceHandlerWhich(t *testing.T) {
	for _, tc := range []struct {
		which  string
		status int
		sent   takeover.Set // what reaches the owner loop
	}{
		{"all", http.StatusAccepted, takeover.All},
		{"local", http.StatusAccepted, takeover.Local},
		{"foreign", http.StatusAccepted, takeover.Foreign},
		{"failback", http.StatusAccepted, takeover.Foreign},
		{"none", http.StatusBadRequest, takeover.None},
		{"bogus", http.StatusBadRequest, takeover.None},
	} {
		d := &daemon{cmdQ: make(chan command, 1)}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/v1/standby", strings.NewReader(`{"which":"`+tc.which+`"}`))
		// The owner loop's part: accept whatever arrives.
		done := make(chan takeover.Set, 1)
		go func() {
			c, ok := <-d.cmdQ
			if !ok {
				done <- takeover.None
				return
			}
			c.reply <- nil
			done <- c.which
		}()
		d.resourceHandler(true)(rec, req)
		if rec.Code != tc.status {
			t.Errorf("which=%q: status %d, want %d (%s)", tc.which, rec.Code, tc.status, rec.Body)
		}
		close(d.cmdQ)
		if got := <-done; tc.status == http.StatusAccepted {
			if d := cmp.Diff(tc.sent.String(), got.String()); d != "" {
				t.Errorf("which=%q: set sent to the owner (-want +got):\n%s", tc.which, d)
			}
		}
	}
}
