// Package firewall is the firewall's domain layer: firewall policies as
// stored intent (an opi-kit resource collection), their validation, their
// translation into the data plane's rule lists, and the reconcile pass that
// makes the kernel hold them again after a restart.
package firewall

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/aip"

	"github.com/opi-suite/opi/opi-security-bridge/internal/xdp"
)

// Compiled is a policy translated for the data plane.
type Compiled struct {
	Tables     *xdp.Tables
	Priorities []uint32 // rule priorities in evaluation order (counter slots)
	Interfaces []string
	Mode       xdp.Mode
}

// Validate checks a policy without compiling it; every problem is
// InvalidArgument naming the field.
func Validate(p *securityv1.FirewallPolicy) error {
	_, _, err := convert(p)
	return err
}

// Compile validates p and compiles its rules. The error is InvalidArgument
// for a malformed policy or one too complex for the data plane.
func Compile(p *securityv1.FirewallPolicy) (*Compiled, error) {
	rules, prios, err := convert(p)
	if err != nil {
		return nil, err
	}
	t, err := xdp.Compile(rules, action(p.GetDefaultAction()))
	if err != nil {
		return nil, aip.InvalidArgumentf("rules: %v", err)
	}
	mode := map[securityv1.XdpAttachMode]xdp.Mode{
		securityv1.XdpAttachMode_XDP_ATTACH_MODE_NATIVE:  xdp.ModeNative,
		securityv1.XdpAttachMode_XDP_ATTACH_MODE_GENERIC: xdp.ModeGeneric,
	}[p.GetAttachMode()]
	return &Compiled{Tables: t, Priorities: prios, Interfaces: p.GetInterfaces(), Mode: mode}, nil
}

func action(a securityv1.FirewallAction) xdp.Action {
	switch a {
	case securityv1.FirewallAction_FIREWALL_ACTION_DROP:
		return xdp.ActionDrop
	case securityv1.FirewallAction_FIREWALL_ACTION_COUNT:
		return xdp.ActionCount
	}
	return xdp.ActionAllow
}

var protocols = map[securityv1.IpProtocol]xdp.Protocol{
	securityv1.IpProtocol_IP_PROTOCOL_UNSPECIFIED: xdp.ProtoAny,
	securityv1.IpProtocol_IP_PROTOCOL_TCP:         xdp.ProtoTCP,
	securityv1.IpProtocol_IP_PROTOCOL_UDP:         xdp.ProtoUDP,
	securityv1.IpProtocol_IP_PROTOCOL_SCTP:        xdp.ProtoSCTP,
	securityv1.IpProtocol_IP_PROTOCOL_ICMP:        xdp.ProtoICMP,
	securityv1.IpProtocol_IP_PROTOCOL_ICMPV6:      xdp.ProtoICMPv6,
}

// convert validates p and returns its rules sorted by priority.
func convert(p *securityv1.FirewallPolicy) ([]xdp.Rule, []uint32, error) {
	if len(p.GetInterfaces()) == 0 {
		return nil, nil, aip.InvalidArgumentf("interfaces: at least one interface is required")
	}
	seenIf := map[string]bool{}
	for i, name := range p.GetInterfaces() {
		if name == "" || len(name) > 15 || strings.ContainsAny(name, "/ \x00") {
			return nil, nil, aip.InvalidArgumentf("interfaces[%d]: %q is not an interface name", i, name)
		}
		if seenIf[name] {
			return nil, nil, aip.InvalidArgumentf("interfaces[%d]: %q is listed twice", i, name)
		}
		seenIf[name] = true
	}
	if _, ok := securityv1.XdpAttachMode_name[int32(p.GetAttachMode())]; !ok {
		return nil, nil, aip.InvalidArgumentf("attach_mode: unknown value %d", p.GetAttachMode())
	}
	switch p.GetDefaultAction() {
	case securityv1.FirewallAction_FIREWALL_ACTION_UNSPECIFIED, securityv1.FirewallAction_FIREWALL_ACTION_ALLOW, securityv1.FirewallAction_FIREWALL_ACTION_DROP:
	default:
		return nil, nil, aip.InvalidArgumentf("default_action: must be ALLOW or DROP, not %v", p.GetDefaultAction())
	}
	if n := len(p.GetRules()); n > xdp.MaxRules {
		return nil, nil, aip.InvalidArgumentf("rules: %d rules, the most is %d", n, xdp.MaxRules)
	}
	order := make([]int, len(p.GetRules()))
	byPrio := map[uint32]int{}
	for i, r := range p.GetRules() {
		order[i] = i
		if j, dup := byPrio[r.GetPriority()]; dup {
			return nil, nil, aip.InvalidArgumentf("rules[%d].priority: %d is also the priority of rules[%d]; priorities must be unique", i, r.GetPriority(), j)
		}
		byPrio[r.GetPriority()] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return int(int64(p.GetRules()[a].GetPriority()) - int64(p.GetRules()[b].GetPriority()))
	})
	rules := make([]xdp.Rule, len(order))
	prios := make([]uint32, len(order))
	for k, i := range order {
		r, err := convertRule(fmt.Sprintf("rules[%d]", i), p.GetRules()[i])
		if err != nil {
			return nil, nil, err
		}
		rules[k], prios[k] = r, p.GetRules()[i].GetPriority()
	}
	return rules, prios, nil
}

func convertRule(field string, r *securityv1.FirewallRule) (xdp.Rule, error) {
	out := xdp.Rule{SrcPorts: xdp.AnyPort, DstPorts: xdp.AnyPort}
	var err error
	if out.Src, err = prefixes(field+".source_cidrs", r.GetSourceCidrs()); err != nil {
		return out, err
	}
	if out.Dst, err = prefixes(field+".destination_cidrs", r.GetDestinationCidrs()); err != nil {
		return out, err
	}
	if v4, v6 := out.Families(); !v4 && !v6 {
		return out, aip.InvalidArgumentf("%s: source_cidrs and destination_cidrs share no address family, so the rule could never match", field)
	}
	proto, ok := protocols[r.GetProtocol()]
	if !ok {
		return out, aip.InvalidArgumentf("%s.protocol: unknown value %d", field, r.GetProtocol())
	}
	out.Protocol = proto
	hasPorts := proto == xdp.ProtoTCP || proto == xdp.ProtoUDP || proto == xdp.ProtoSCTP
	if r.GetSourcePorts() != nil {
		if out.SrcPorts, err = portRange(field+".source_ports", r.GetSourcePorts(), hasPorts); err != nil {
			return out, err
		}
	}
	if r.GetDestinationPorts() != nil {
		if out.DstPorts, err = portRange(field+".destination_ports", r.GetDestinationPorts(), hasPorts); err != nil {
			return out, err
		}
	}
	switch r.GetAction() {
	case securityv1.FirewallAction_FIREWALL_ACTION_ALLOW, securityv1.FirewallAction_FIREWALL_ACTION_DROP, securityv1.FirewallAction_FIREWALL_ACTION_COUNT:
		out.Action = action(r.GetAction())
	default:
		return out, aip.InvalidArgumentf("%s.action: must be ALLOW, DROP or COUNT", field)
	}
	return out, nil
}

// prefixes parses CIDRs (or bare addresses, meaning one host). Host bits
// set are refused rather than silently masked: "10.0.0.1/8" usually means
// a typo.
func prefixes(field string, in []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(in))
	for i, s := range in {
		var p netip.Prefix
		var err error
		if strings.Contains(s, "/") {
			p, err = netip.ParsePrefix(s)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(s); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil || p.Addr().Zone() != "" {
			return nil, aip.InvalidArgumentf("%s[%d]: %q is not an IPv4 or IPv6 CIDR", field, i, s)
		}
		if p.Addr().Is4In6() {
			return nil, aip.InvalidArgumentf("%s[%d]: %q is an IPv4-mapped IPv6 prefix; write the IPv4 prefix", field, i, s)
		}
		if p.Masked() != p {
			return nil, aip.InvalidArgumentf("%s[%d]: %q has host bits set; did you mean %s?", field, i, s, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

func portRange(field string, r *securityv1.PortRange, hasPorts bool) (xdp.PortRange, error) {
	if !hasPorts {
		return xdp.PortRange{}, aip.InvalidArgumentf("%s: port ranges need protocol TCP, UDP or SCTP", field)
	}
	first, last := r.GetFirst(), r.GetLast()
	if last == 0 {
		last = first
	}
	if first > 65535 || last > 65535 {
		return xdp.PortRange{}, aip.InvalidArgumentf("%s: ports must be 0 to 65535 (got %d-%d)", field, first, last)
	}
	if last < first {
		return xdp.PortRange{}, aip.InvalidArgumentf("%s: the range %d-%d is inverted; first must not exceed last", field, first, last)
	}
	return xdp.PortRange{First: uint16(first), Last: uint16(last)}, nil
}
