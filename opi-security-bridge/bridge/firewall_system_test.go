package bridge_test

import (
	"context"
	"net"
	"os/exec"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-security-bridge/internal/xdp"
)

// fwBridge is a running bridge serving the firewall on the XDP backend.
type fwBridge struct {
	client securityv1.FirewallServiceClient
	b      *bridge.Bridge
	stop   func()
}

// startFirewall serves the firewall with its intent under stateDir and its
// pins under bpffsDir (which outlive the bridge, as on a host).
func startFirewall(t testing.TB, stateDir, bpffsDir string) *fwBridge {
	t.Helper()
	r := serve(t, bridge.Config{StateDir: stateDir, Firewall: true, BPFFS: bpffsDir})
	return &fwBridge{client: securityv1.NewFirewallServiceClient(r.conn), b: r.b, stop: r.stop}
}

func udpRule(prio uint32, port uint32, action securityv1.FirewallAction) *securityv1.FirewallRule {
	return &securityv1.FirewallRule{Priority: prio, Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP,
		DestinationPorts: &securityv1.PortRange{First: port}, Action: action}
}

// frameUDP is the size XDP sees of a UDP datagram with payload bytes.
func frameUDP(payload int) uint64 { return uint64(14 + 20 + 8 + payload) }

func ruleStats(t testing.TB, b *fwBridge, prio uint32) *securityv1.FirewallCounters {
	t.Helper()
	st, err := b.client.StatsFirewallPolicy(context.Background(), &securityv1.StatsFirewallPolicyRequest{Name: "firewallPolicies/fw"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range st.GetRules() {
		if r.GetPriority() == prio {
			return r.GetCounters()
		}
	}
	t.Fatalf("no stats for priority %d", prio)
	return nil
}

// TestEnforcementAcrossRestarts drives the bridge over gRPC in namespace A
// while namespace B sends real traffic over the veth, in generic and native
// mode: drops and allows, exact counters, enforcement while the bridge is
// down, re-adoption of the same link with counters continuing.
func TestEnforcementAcrossRestarts(t *testing.T) {
	if !inNamespaces(t, false) {
		return
	}
	for _, mode := range []securityv1.XdpAttachMode{securityv1.XdpAttachMode_XDP_ATTACH_MODE_GENERIC, securityv1.XdpAttachMode_XDP_ATTACH_MODE_NATIVE} {
		t.Run(mode.String(), func(t *testing.T) {
			state, fs := t.TempDir(), mountBPFFS(t)
			b := startFirewall(t, state, fs)
			ctx := context.Background()
			pol := &securityv1.FirewallPolicy{
				Interfaces: []string{vethA}, AttachMode: mode,
				DefaultAction: securityv1.FirewallAction_FIREWALL_ACTION_ALLOW,
				Rules: []*securityv1.FirewallRule{
					udpRule(10, 9999, securityv1.FirewallAction_FIREWALL_ACTION_DROP),
					{Priority: 20, SourceCidrs: []string{addrB}, Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP, Action: securityv1.FirewallAction_FIREWALL_ACTION_COUNT},
					{Priority: 30, Protocol: securityv1.IpProtocol_IP_PROTOCOL_ICMP, Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP},
					{Priority: 40, Protocol: securityv1.IpProtocol_IP_PROTOCOL_TCP, DestinationPorts: &securityv1.PortRange{First: 7777}, Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP},
				},
			}
			if _, err := b.client.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "fw", FirewallPolicy: pol}); err != nil {
				t.Fatal(err)
			}

			dropped, allowed := listenUDP(t, 9999), listenUDP(t, 9998)
			sendUDP(t, 9999, 200, 100)
			sendUDP(t, 9998, 100, 100)
			if n := dropped.count(); n != 0 {
				t.Errorf("%d datagrams reached the dropped port", n)
			}
			if n := allowed.count(); n != 100 {
				t.Errorf("%d of 100 datagrams reached the allowed port", n)
			}
			if c := ruleStats(t, b, 10); c.GetPackets() != 200 || c.GetBytes() != 200*frameUDP(100) {
				t.Errorf("drop rule counted %d packets, %d bytes; want 200, %d", c.GetPackets(), c.GetBytes(), 200*frameUDP(100))
			}
			if c := ruleStats(t, b, 20); c.GetPackets() != 100 {
				t.Errorf("count rule counted %d packets, want 100 (the allowed ones)", c.GetPackets())
			}

			ln, err := net.Listen("tcp4", net.JoinHostPort(addrA, "7777"))
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			err = inPeer(t, func() error {
				c, err := net.DialTimeout("tcp4", net.JoinHostPort(addrA, "7777"), 300*time.Millisecond)
				if err == nil {
					c.Close()
				}
				return err
			})
			if err == nil {
				t.Error("a TCP connection to the dropped port succeeded")
			}
			if c := ruleStats(t, b, 40); c.GetPackets() == 0 {
				t.Error("the TCP drop rule counted nothing")
			}
			if out, err := exec.Command("ip", "netns", "exec", peerNS(), "ping", "-c", "2", "-W", "1", addrA).CombinedOutput(); err == nil {
				t.Errorf("ping got through the ICMP drop rule: %s", out)
			}
			if c := ruleStats(t, b, 30); c.GetPackets() != 2 {
				t.Errorf("ICMP drop rule counted %d packets, want 2", c.GetPackets())
			}
			// The same counters on scrape, and the policy's attach state.
			got := scrape(t, b.b)
			for key, want := range map[string]float64{
				"opi_security_firewall_rule_packets_total{policy=firewallPolicies/fw,priority=10}":             200,
				"opi_security_firewall_rule_bytes_total{policy=firewallPolicies/fw,priority=10}":               float64(200 * frameUDP(100)),
				"opi_security_firewall_rule_packets_total{policy=firewallPolicies/fw,priority=30}":             2,
				"opi_security_firewall_interface_attached{interface=" + vethA + ",policy=firewallPolicies/fw}": 1,
				"opi_security_firewall_stats_up{}":                                                             1,
			} {
				if v, ok := got[key]; !ok || v != want {
					t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
				}
			}
			if got["opi_security_firewall_default_action_packets_total{policy=firewallPolicies/fw}"] < 100 {
				t.Errorf("default action packets = %v, want at least the 100 allowed datagrams", got["opi_security_firewall_default_action_packets_total{policy=firewallPolicies/fw}"])
			}

			linkBefore := pinnedLinkID(t, fs)
			b.stop()
			dropped = listenUDP(t, 9999)
			sendUDP(t, 9999, 50, 100)
			if n := dropped.count(); n != 0 {
				t.Errorf("with the bridge down, %d datagrams reached the dropped port", n)
			}

			b = startFirewall(t, state, fs)
			if id := pinnedLinkID(t, fs); id != linkBefore {
				t.Errorf("the restarted bridge replaced link %d with %d instead of adopting it", linkBefore, id)
			}
			if c := ruleStats(t, b, 10); c.GetPackets() != 250 {
				t.Errorf("after the restart the drop rule shows %d packets, want 250 (counters continue)", c.GetPackets())
			}
			if _, err := b.client.DeleteFirewallPolicy(ctx, &securityv1.DeleteFirewallPolicyRequest{Name: "firewallPolicies/fw"}); err != nil {
				t.Fatal(err)
			}
			allowed = listenUDP(t, 9999)
			sendUDP(t, 9999, 10, 100)
			if n := allowed.count(); n != 10 {
				t.Errorf("after delete %d of 10 datagrams arrived", n)
			}
		})
	}
}

// TestAtomicReplacementUnderTraffic swaps between two rule sets that both
// allow the test traffic, under a default of DROP, while B sends: a packet
// judged by half of an update would miss the tables and be dropped.
func TestAtomicReplacementUnderTraffic(t *testing.T) {
	if !inNamespaces(t, false) {
		return
	}
	b := startFirewall(t, t.TempDir(), mountBPFFS(t))
	ctx := context.Background()
	setA := []*securityv1.FirewallRule{{Priority: 1, SourceCidrs: []string{addrB + "/32"}, Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP,
		DestinationPorts: &securityv1.PortRange{First: 5000}, Action: securityv1.FirewallAction_FIREWALL_ACTION_ALLOW}}
	setB := []*securityv1.FirewallRule{{Priority: 7, SourceCidrs: []string{"10.99.0.0/24"}, Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP,
		DestinationPorts: &securityv1.PortRange{First: 4000, Last: 6000}, Action: securityv1.FirewallAction_FIREWALL_ACTION_ALLOW},
		udpRule(8, 5001, securityv1.FirewallAction_FIREWALL_ACTION_ALLOW)}
	pol := &securityv1.FirewallPolicy{Interfaces: []string{vethA}, DefaultAction: securityv1.FirewallAction_FIREWALL_ACTION_DROP, Rules: setA}
	if _, err := b.client.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "fw", FirewallPolicy: pol}); err != nil {
		t.Fatal(err)
	}
	sink := listenUDP(t, 5000)
	stop := make(chan struct{})
	sent := make(chan int)
	go func() { sent <- sendUDPUntil(t, 5000, 64, stop) }()
	const swaps = 40
	for i := range swaps {
		next := proto.Clone(pol).(*securityv1.FirewallPolicy)
		next.Name = "firewallPolicies/fw"
		if i%2 == 0 {
			next.Rules = setB
		}
		if _, err := b.client.UpdateFirewallPolicy(ctx, &securityv1.UpdateFirewallPolicyRequest{
			FirewallPolicy: next, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"rules"}}}); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	n := <-sent
	if got := sink.count(); got != n {
		t.Errorf("%d of %d datagrams arrived across %d rule-set swaps; a packet saw a half-applied update", got, n, swaps)
	}
	t.Logf("%d datagrams, %d swaps, none lost", n, swaps)
}

// TestBadInputChangesNothing sends malformed requests; each must fail with
// its code and leave the stored policy and the enforcement as they were.
func TestFirewallBadInputChangesNothing(t *testing.T) {
	if !inNamespaces(t, false) {
		return
	}
	b := startFirewall(t, t.TempDir(), mountBPFFS(t))
	ctx := context.Background()
	good := &securityv1.FirewallPolicy{Interfaces: []string{vethA}, Rules: []*securityv1.FirewallRule{udpRule(1, 9999, securityv1.FirewallAction_FIREWALL_ACTION_DROP)}}
	created, err := b.client.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "fw", FirewallPolicy: good})
	if err != nil {
		t.Fatal(err)
	}
	withRules := func(rules ...*securityv1.FirewallRule) *securityv1.FirewallPolicy {
		return &securityv1.FirewallPolicy{Name: "firewallPolicies/fw", Interfaces: []string{vethA}, Rules: rules}
	}
	tooMany := func() []*securityv1.FirewallRule {
		var rs []*securityv1.FirewallRule
		for i := range xdp.MaxRules + 1 { // one more than the bitmaps have bits
			rs = append(rs, udpRule(uint32(i+1), uint32(1+i%60000), securityv1.FirewallAction_FIREWALL_ACTION_DROP))
		}
		return rs
	}
	drop := securityv1.FirewallAction_FIREWALL_ACTION_DROP
	for _, tc := range []struct {
		name string
		pol  *securityv1.FirewallPolicy
		code codes.Code
	}{
		{"a malformed source CIDR is invalid", withRules(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"10.0.0/8"}, Action: drop}), codes.InvalidArgument},
		{"a CIDR with host bits set is invalid", withRules(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"10.0.0.1/8"}, Action: drop}), codes.InvalidArgument},
		{"a prefix length beyond the address is invalid", withRules(&securityv1.FirewallRule{Priority: 1, DestinationCidrs: []string{"2001:db8::/129"}, Action: drop}), codes.InvalidArgument},
		{"source and destination of different families are invalid", withRules(&securityv1.FirewallRule{Priority: 1, SourceCidrs: []string{"10.0.0.0/8"}, DestinationCidrs: []string{"fd00::/8"}, Action: drop}), codes.InvalidArgument},
		{"an inverted port range is invalid", withRules(&securityv1.FirewallRule{Priority: 1, Protocol: securityv1.IpProtocol_IP_PROTOCOL_TCP, DestinationPorts: &securityv1.PortRange{First: 90, Last: 80}, Action: drop}), codes.InvalidArgument},
		{"a port above 65535 is invalid", withRules(&securityv1.FirewallRule{Priority: 1, Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP, SourcePorts: &securityv1.PortRange{First: 70000}, Action: drop}), codes.InvalidArgument},
		{"ports without TCP, UDP or SCTP are invalid", withRules(&securityv1.FirewallRule{Priority: 1, DestinationPorts: &securityv1.PortRange{First: 80}, Action: drop}), codes.InvalidArgument},
		{"duplicate priorities are invalid", withRules(udpRule(5, 1, drop), udpRule(5, 2, drop)), codes.InvalidArgument},
		{"a rule without an action is invalid", withRules(&securityv1.FirewallRule{Priority: 1}), codes.InvalidArgument},
		{"an unknown interface is not found", &securityv1.FirewallPolicy{Name: "firewallPolicies/fw", Interfaces: []string{"nosuchif0"}}, codes.NotFound},
		{"a rule set the data plane cannot hold is refused", withRules(tooMany()...), codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.client.UpdateFirewallPolicy(ctx, &securityv1.UpdateFirewallPolicyRequest{FirewallPolicy: tc.pol, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"interfaces", "rules"}}})
			if status.Code(err) != tc.code {
				t.Fatalf("got %v, want code %v", err, tc.code)
			}
			t.Log(err)
			got, err := b.client.GetFirewallPolicy(ctx, &securityv1.GetFirewallPolicyRequest{Name: "firewallPolicies/fw"})
			if err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(got, created) {
				t.Errorf("the stored policy changed:\n%v\nwant\n%v", got, created)
			}
			sink := listenUDP(t, 9999)
			sendUDP(t, 9999, 20, 10)
			if n := sink.count(); n != 0 {
				t.Errorf("the previous rule set stopped enforcing: %d datagrams passed", n)
			}
		})
	}
	_, err = b.client.CreateFirewallPolicy(ctx, &securityv1.CreateFirewallPolicyRequest{FirewallPolicyId: "other", FirewallPolicy: good})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("a second policy on the same interface: got %v, want FailedPrecondition", err)
	}
}

func peerNS() string { return getenv(envPeer) }
