package firewall

import (
	"errors"
	"testing"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

func TestValidation(t *testing.T) {
	drop := securityv1.FirewallAction_FIREWALL_ACTION_DROP
	tcp := securityv1.IpProtocol_IP_PROTOCOL_TCP
	policy := func(rules ...*securityv1.FirewallRule) *securityv1.FirewallPolicy {
		return &securityv1.FirewallPolicy{Interfaces: []string{"eth0"}, Rules: rules}
	}
	for _, tc := range []struct {
		name string
		pol  *securityv1.FirewallPolicy
		ok   bool
	}{
		{"a policy with IPv4 and IPv6 rules and port ranges is valid", policy(
			&securityv1.FirewallRule{Priority: 2, SourceCidrs: []string{"10.0.0.0/8", "2001:db8::/32"}, Protocol: tcp, DestinationPorts: &securityv1.PortRange{First: 80, Last: 90}, Action: drop},
			&securityv1.FirewallRule{Priority: 1, DestinationCidrs: []string{"192.0.2.1"}, Action: securityv1.FirewallAction_FIREWALL_ACTION_COUNT}), true},
		{"a policy without interfaces is invalid", &securityv1.FirewallPolicy{}, false},
		{"an interface listed twice is invalid", &securityv1.FirewallPolicy{Interfaces: []string{"eth0", "eth0"}}, false},
		{"an interface name with a slash is invalid", &securityv1.FirewallPolicy{Interfaces: []string{"eth0/1"}}, false},
		{"COUNT as default action is invalid", &securityv1.FirewallPolicy{Interfaces: []string{"eth0"}, DefaultAction: securityv1.FirewallAction_FIREWALL_ACTION_COUNT}, false},
		{"a malformed CIDR is invalid", policy(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"10.0.0.0/33"}, Action: drop}), false},
		{"a CIDR with host bits is invalid", policy(&securityv1.FirewallRule{Priority: 1, DestinationCidrs: []string{"2001:db8::1/32"}, Action: drop}), false},
		{"an IPv4-mapped IPv6 prefix is invalid", policy(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"::ffff:10.0.0.0/104"}, Action: drop}), false},
		{"families that never meet are invalid", policy(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"10.0.0.0/8"}, DestinationCidrs: []string{"fd00::/8"}, Action: drop}), false},
		{"an inverted port range is invalid", policy(&securityv1.FirewallRule{Priority: 1, Protocol: tcp, SourcePorts: &securityv1.PortRange{First: 2, Last: 1}, Action: drop}), false},
		{"ports with ICMP are invalid", policy(&securityv1.FirewallRule{Priority: 1, Protocol: securityv1.IpProtocol_IP_PROTOCOL_ICMP, DestinationPorts: &securityv1.PortRange{First: 1}, Action: drop}), false},
		{"duplicate priorities are invalid", policy(&securityv1.FirewallRule{Priority: 3, Action: drop}, &securityv1.FirewallRule{Priority: 3, Action: drop}), false},
		{"ICMP with IPv6 CIDRs only is invalid: ICMP is IPv4's", policy(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"2001:db8::/32"}, Protocol: securityv1.IpProtocol_IP_PROTOCOL_ICMP, Action: drop}), false},
		{"ICMPv6 with IPv4 CIDRs only is invalid: ICMPv6 is IPv6's", policy(&securityv1.FirewallRule{Priority: 1, DestinationCidrs: []string{"10.0.0.0/8"}, Protocol: securityv1.IpProtocol_IP_PROTOCOL_ICMPV6, Action: drop}), false},
		{"ICMP with CIDRs of both families is valid", policy(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"10.0.0.0/8", "2001:db8::/32"}, Protocol: securityv1.IpProtocol_IP_PROTOCOL_ICMP, Action: drop}), true},
		{"a port range starting at 0 is valid", policy(&securityv1.FirewallRule{Priority: 1, Protocol: tcp, DestinationPorts: &securityv1.PortRange{First: 0, Last: 1023}, Action: drop}), true},
		{"an unknown protocol value is invalid", policy(&securityv1.FirewallRule{Priority: 1, Protocol: 99, Action: drop}), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Validate(tc.pol)
			if tc.ok != (err == nil) {
				t.Fatalf("Validate = %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("error %v is not InvalidArgument", err)
			}
		})
	}
}

func TestRulesCompileInPriorityOrder(t *testing.T) {
	c, err := Compile(&securityv1.FirewallPolicy{Interfaces: []string{"eth0"}, Rules: []*securityv1.FirewallRule{
		{Priority: 30, Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP, SourceCidrs: []string{"10.0.0.0/8"}},
		{Priority: 10, Action: securityv1.FirewallAction_FIREWALL_ACTION_ALLOW, SourceCidrs: []string{"10.1.0.0/16"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Priorities[0] != 10 || c.Priorities[1] != 30 {
		t.Fatalf("counter slots hold priorities %v, want [10 30]", c.Priorities)
	}
}

// TestRuleFamiliesAndPorts: what a backend is handed says which families a
// rule can match (narrowed by ICMP and ICMPv6) and whether it names a port
// range, because a named range, even 0-65535, keeps non-first fragments
// out while an unset one lets them in.
func TestRuleFamiliesAndPorts(t *testing.T) {
	udp := securityv1.IpProtocol_IP_PROTOCOL_UDP
	c, err := Compile(&securityv1.FirewallPolicy{Interfaces: []string{"eth0"}, Rules: []*securityv1.FirewallRule{
		{Priority: 1, Protocol: securityv1.IpProtocol_IP_PROTOCOL_ICMP, Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP},
		{Priority: 2, Protocol: securityv1.IpProtocol_IP_PROTOCOL_ICMPV6, Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP},
		{Priority: 3, Protocol: udp, DestinationPorts: &securityv1.PortRange{First: 0, Last: 65535}, Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP},
		{Priority: 4, Protocol: udp, Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if v4, v6 := c.Rules[0].Families(); !v4 || v6 {
		t.Errorf("an ICMP rule matches v4=%v v6=%v, want IPv4 only", v4, v6)
	}
	if v4, v6 := c.Rules[1].Families(); v4 || !v6 {
		t.Errorf("an ICMPv6 rule matches v4=%v v6=%v, want IPv6 only", v4, v6)
	}
	if r := c.Rules[2]; !r.NamesPorts() || r.SrcPorts != nil || *r.DstPorts != (PortRange{First: 0, Last: 65535}) {
		t.Errorf("the range 0-65535 became %+v, %+v; want it named as given", r.SrcPorts, r.DstPorts)
	}
	if c.Rules[3].NamesPorts() {
		t.Errorf("a rule without ranges names %+v, %+v", c.Rules[3].SrcPorts, c.Rules[3].DstPorts)
	}
}
