package ipsec

import (
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TestRecoveryDefaults: what a connection that leaves DPD unset gets, so
// that its tunnel comes back after the peer crashed (issue 9).
func TestRecoveryDefaults(t *testing.T) {
	for _, tc := range []struct {
		name       string
		remote     []string
		dpd        *durationpb.Duration
		action     securityv1.DpdAction
		wantDPD    int64
		wantAction string
	}{
		{name: "an initiator with nothing set gets 30 s DPD and restart", remote: []string{"192.0.2.2"}, wantDPD: 30, wantAction: "restart"},
		{name: "a peer by DNS name is an initiator too", remote: []string{"vpn-1.example.net"}, wantDPD: 30, wantAction: "restart"},
		{name: "a responder for any peer gets DPD and clear", remote: nil, wantDPD: 30, wantAction: "clear"},
		{name: "a responder for %any gets clear", remote: []string{"%any"}, wantDPD: 30, wantAction: "clear"},
		{name: "a responder for a subnet gets clear", remote: []string{"192.0.2.0/24"}, wantDPD: 30, wantAction: "clear"},
		{name: "a responder for a range gets clear", remote: []string{"192.0.2.1-192.0.2.9"}, wantDPD: 30, wantAction: "clear"},
		{name: "a DPD delay set to zero disables DPD", remote: []string{"192.0.2.2"}, dpd: durationpb.New(0), wantDPD: 0, wantAction: "restart"},
		{name: "a DPD delay set is kept", remote: []string{"192.0.2.2"}, dpd: durationpb.New(5 * time.Second), wantDPD: 5, wantAction: "restart"},
		{name: "an explicit clear is kept on an initiator", remote: []string{"192.0.2.2"}, action: securityv1.DpdAction_DPD_ACTION_CLEAR, wantDPD: 30, wantAction: "clear"},
		{name: "an explicit trap is kept", remote: []string{"192.0.2.2"}, action: securityv1.DpdAction_DPD_ACTION_TRAP, wantDPD: 30, wantAction: "trap"},
		{name: "an explicit restart is kept on a responder", remote: []string{"%any"}, action: securityv1.DpdAction_DPD_ACTION_RESTART, wantDPD: 30, wantAction: "restart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &securityv1.IkeConnection{RemoteAddrs: tc.remote, DpdDelay: tc.dpd,
				Children: []*securityv1.ChildSaConfig{{Name: "net", DpdAction: tc.action}}}
			if got := dpdSeconds(c); got != tc.wantDPD {
				t.Errorf("DPD delay %d s, want %d s", got, tc.wantDPD)
			}
			if got := dpdAction(c.Children[0], canInitiate(c)); got != tc.wantAction {
				t.Errorf("DPD action %q, want %q", got, tc.wantAction)
			}
		})
	}
}
