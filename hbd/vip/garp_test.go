package vip

import (
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/arp"
)

// TestGARPFramesMatchHeartbeat builds the frames for the capture's MAC and
// address and compares them byte for byte with what heartbeat's send_arp
// sent.
func TestGARPFramesMatchHeartbeat(t *testing.T) {
	vip := netip.MustParseAddr("198.18.0.100")
	got := heartbeatCapture(t, vip)
	mac, err := net.ParseMAC(got[0].SHA)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := garpFrames(mac, vip)
	if err != nil {
		t.Fatal(err)
	}
	want := map[uint16][]byte{}
	for _, g := range got {
		if _, ok := want[g.Op]; !ok {
			want[g.Op] = g.Raw
		}
	}
	for op, name := range map[arp.Operation]string{arp.OperationRequest: "request", arp.OperationReply: "reply"} {
		if diff := cmp.Diff(want[uint16(op)], frames[op]); diff != "" {
			t.Errorf("%s frame differs from heartbeat's (-heartbeat +hbd):\n%s", name, diff)
		}
	}
}

func TestGARPFramesNeedEthernet(t *testing.T) {
	for _, mac := range []net.HardwareAddr{nil, make(net.HardwareAddr, 20)} {
		if _, err := garpFrames(mac, netip.MustParseAddr("198.18.0.1")); err != errNoMAC {
			t.Errorf("garpFrames(%d-byte MAC): err %v, want errNoMAC", len(mac), err)
		}
	}
}
