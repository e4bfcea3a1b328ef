package api_test

import (
	"context"
	"slices"
	"testing"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

func rule(prio uint32, action securityv1.FirewallAction) *securityv1.FirewallRule {
	return &securityv1.FirewallRule{Priority: prio, Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP,
		DestinationPorts: &securityv1.PortRange{First: 1000 + prio}, Action: action}
}

// TestFirewallOnAVendorBackend serves the firewall on an in-process
// backend given through bridge.WithFirewallBackend: the backend gets
// validated rules in evaluation order, the statistics come back per
// priority, and every refusal keeps the stored policy and the backend's
// rule set as they were.
func TestFirewallOnAVendorBackend(t *testing.T) {
	fake := newFakeFilter()
	api := securityv1.NewFirewallServiceClient(serve(t, bridge.Config{Firewall: true}, bridge.WithFirewallBackend(fake)))
	ctx := context.Background()
	drop, count := securityv1.FirewallAction_FIREWALL_ACTION_DROP, securityv1.FirewallAction_FIREWALL_ACTION_COUNT
	created, err := api.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "edge", FirewallPolicy: &securityv1.FirewallPolicy{
		Interfaces: []string{"eth0"}, AttachMode: securityv1.XdpAttachMode_XDP_ATTACH_MODE_GENERIC,
		DefaultAction: securityv1.FirewallAction_FIREWALL_ACTION_DROP, Rules: []*securityv1.FirewallRule{rule(30, drop), rule(10, count)}}})
	if err != nil {
		t.Fatal(err)
	}
	got := fake.enforced("edge")
	if got == nil || !slices.Equal(got.Priorities, []uint32{10, 30}) || got.Rules[0].Action != firewall.ActionCount ||
		*got.Rules[1].DstPorts != (firewall.PortRange{First: 1030, Last: 1030}) || got.Default != firewall.ActionDrop ||
		got.Mode != firewall.ModeGeneric || !slices.Equal(got.Interfaces, []string{"eth0"}) {
		t.Fatalf("the backend enforces %+v; want the two rules by priority, default DROP, generic mode, on eth0", got)
	}

	st, err := api.StatsFirewallPolicy(ctx, &securityv1.StatsFirewallPolicyRequest{Name: "firewallPolicies/edge"})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.GetRules()) != 2 || st.GetRules()[0].GetPriority() != 10 || st.GetRules()[0].GetCounters().GetPackets() != 1 ||
		st.GetRules()[1].GetPriority() != 30 || st.GetRules()[1].GetCounters().GetBytes() != 200 || st.GetDefaultAction().GetPackets() != 7 {
		t.Fatalf("stats = %v; want the backend's counters by slot under the rules' priorities", st)
	}

	update := func(pol *securityv1.FirewallPolicy) error {
		pol.Name = "firewallPolicies/edge"
		_, err := api.UpdateFirewallPolicy(ctx, &securityv1.UpdateFirewallPolicyRequest{FirewallPolicy: pol,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"interfaces", "rules"}}})
		return err
	}
	for _, tc := range []struct {
		name  string
		call  func() error
		code  codes.Code
		inMsg string
	}{
		{"an interface the host lacks is NotFound", func() error {
			return update(&securityv1.FirewallPolicy{Interfaces: []string{"nosuchif0"}})
		}, codes.NotFound, "nosuchif0"},
		{"a malformed CIDR is InvalidArgument naming the field", func() error {
			return update(&securityv1.FirewallPolicy{Interfaces: []string{"eth0"}, Rules: []*securityv1.FirewallRule{
				{Priority: 1, SourceCidrs: []string{"10.0.0/8"}, Action: drop}}})
		}, codes.InvalidArgument, "rules[0].source_cidrs[0]"},
		{"a rule set the backend cannot hold is InvalidArgument with its reason", func() error {
			return update(&securityv1.FirewallPolicy{Interfaces: []string{"eth0"}, Rules: []*securityv1.FirewallRule{
				rule(1, drop), rule(2, drop), rule(3, drop), rule(4, drop)}})
		}, codes.InvalidArgument, "at most 3 rules"},
		{"a second policy on the same interface is FailedPrecondition", func() error {
			_, err := api.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "other",
				FirewallPolicy: &securityv1.FirewallPolicy{Interfaces: []string{"eth0"}}})
			return err
		}, codes.FailedPrecondition, "eth0"},
		{"the stats of an unknown policy are NotFound", func() error {
			_, err := api.StatsFirewallPolicy(ctx, &securityv1.StatsFirewallPolicyRequest{Name: "firewallPolicies/nope"})
			return err
		}, codes.NotFound, "firewallPolicies/nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.call(), tc.code, tc.inMsg)
			stored, err := api.GetFirewallPolicy(ctx, &securityv1.GetFirewallPolicyRequest{Name: "firewallPolicies/edge"})
			if err != nil || !proto.Equal(stored, created) {
				t.Fatalf("the stored policy changed: %v, %v\nwant %v", stored, err, created)
			}
			if now := fake.enforced("edge"); now == nil || !slices.Equal(now.Priorities, got.Priorities) || !slices.Equal(now.Interfaces, got.Interfaces) {
				t.Fatalf("the backend's rule set changed to %+v", now)
			}
		})
	}

	if err := update(&securityv1.FirewallPolicy{Interfaces: []string{"eth1"}, Rules: []*securityv1.FirewallRule{rule(5, drop)}}); err != nil {
		t.Fatal(err)
	}
	if now := fake.enforced("edge"); !slices.Equal(now.Interfaces, []string{"eth1"}) || !slices.Equal(now.Priorities, []uint32{5}) {
		t.Fatalf("after the update the backend enforces %+v; want rule 5 on eth1", now)
	}
	if _, err := api.DeleteFirewallPolicy(ctx, &securityv1.DeleteFirewallPolicyRequest{Name: "firewallPolicies/edge"}); err != nil {
		t.Fatal(err)
	}
	if now := fake.enforced("edge"); now != nil {
		t.Fatalf("after the delete the backend still enforces %+v", now)
	}
}

// TestTheBridgeOwnsTheBackendsItIsGiven: a vendor's main hands its backend
// over in one call (server.Main(bridge.Program(...))), so Close closes it.
func TestTheBridgeOwnsTheBackendsItIsGiven(t *testing.T) {
	fake := newFakeFilter()
	b, err := bridge.New(bridge.Config{StateDir: t.TempDir(), Firewall: true}, bridge.WithFirewallBackend(fake))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !fake.closed {
		t.Fatal("Close left the backend open")
	}
}

// TestCreateTakesWhatUpdateTakes: a port range starting at 0 and a rule
// of priority 0 are valid (0 is a port and the first rank), so Create
// accepts them as Update does; the runtime once refused them on Create
// only, as "required" fields left unset.
func TestCreateTakesWhatUpdateTakes(t *testing.T) {
	fake := newFakeFilter()
	api := securityv1.NewFirewallServiceClient(serve(t, bridge.Config{Firewall: true}, bridge.WithFirewallBackend(fake)))
	ctx := context.Background()
	drop := securityv1.FirewallAction_FIREWALL_ACTION_DROP
	rules := []*securityv1.FirewallRule{{Priority: 0, Protocol: securityv1.IpProtocol_IP_PROTOCOL_TCP,
		DestinationPorts: &securityv1.PortRange{First: 0, Last: 1023}, Action: drop}}
	if _, err := api.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "low",
		FirewallPolicy: &securityv1.FirewallPolicy{Interfaces: []string{"eth0"}, Rules: rules}}); err != nil {
		t.Fatalf("Create with a port range from 0 and priority 0: %v", err)
	}
	got := fake.enforced("low")
	if got == nil || len(got.Rules) != 1 || *got.Rules[0].DstPorts != (firewall.PortRange{First: 0, Last: 1023}) {
		t.Fatalf("the backend enforces %+v; want ports 0-1023", got)
	}
}
