package hbreq

import (
	"bytes"
	"errors"
	"testing"
)

func TestArguments(t *testing.T) {
	tests := []struct {
		args []string
		sent string // "" when nothing may be sent
		rc   int
		out  string
	}{
		{args: nil, sent: "all"},
		{args: []string{"local"}, sent: "local"},
		{args: []string{"foreign"}, sent: "foreign"},
		{args: []string{"failback"}, sent: "failback"},
		{args: []string{"bogus"}, rc: 1, out: "hb_standby: wrong resources(bogus).\nusage:\n"},
		{args: []string{"all", "local"}, rc: 1, out: "hb_standby: too many arguments\nusage:\n"},
		{args: []string{"--help"}, rc: 1, out: "usage:\n"},
	}
	for _, tc := range tests {
		var out, errb bytes.Buffer
		var sent string
		rc := Run("hb_standby", tc.args, &out, &errb, func(w string) error { sent = w; return nil })
		if rc != tc.rc || sent != tc.sent || out.String() != tc.out {
			t.Errorf("%q: rc=%d sent=%q out=%q, want rc=%d sent=%q out=%q", tc.args, rc, sent, out.String(), tc.rc, tc.sent, tc.out)
		}
	}
	var out, errb bytes.Buffer
	if rc := Run("hb_standby", nil, &out, &errb, func(string) error { return errors.New("hbd: resources are in transition") }); rc != 1 ||
		errb.String() != "hb_standby: hbd: resources are in transition\n" {
		t.Errorf("daemon refusal: rc=%d stderr=%q", rc, errb.String())
	}
}
