// Package firewall is the firewall's domain: firewall policies as stored
// intent (an opi-kit resource collection), their validation, the rule that
// an interface takes one policy, their translation into the rule lists a
// Backend enforces, and the replay that makes the backend hold them again
// after a restart. It reaches the host only through its Backend; the
// bridge's own is XDP (internal/xdp).
package firewall

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// Validate checks a policy without translating it; every problem is
// InvalidArgument naming the field.
func Validate(p *securityv1.FirewallPolicy) error {
	_, _, err := convert(p)
	return err
}

// Compile validates p and translates it into the Policy a backend
// enforces. The error is InvalidArgument naming the field. Whether the
// backend can hold the rule set is the backend's to say (Backend.Apply).
func Compile(p *securityv1.FirewallPolicy) (*Policy, error) {
	rules, prios, err := convert(p)
	if err != nil {
		return nil, err
	}
	mode := map[securityv1.XdpAttachMode]Mode{
		securityv1.XdpAttachMode_XDP_ATTACH_MODE_NATIVE:  ModeNative,
		securityv1.XdpAttachMode_XDP_ATTACH_MODE_GENERIC: ModeGeneric,
	}[p.GetAttachMode()]
	return &Policy{Rules: rules, Priorities: prios, Default: action(p.GetDefaultAction()),
		Interfaces: p.GetInterfaces(), Mode: mode}, nil
}

func action(a securityv1.FirewallAction) Action {
	switch a {
	case securityv1.FirewallAction_FIREWALL_ACTION_DROP:
		return ActionDrop
	case securityv1.FirewallAction_FIREWALL_ACTION_COUNT:
		return ActionCount
	}
	return ActionAllow
}

var protocols = map[securityv1.IpProtocol]Protocol{
	securityv1.IpProtocol_IP_PROTOCOL_UNSPECIFIED: ProtoAny,
	securityv1.IpProtocol_IP_PROTOCOL_TCP:         ProtoTCP,
	securityv1.IpProtocol_IP_PROTOCOL_UDP:         ProtoUDP,
	securityv1.IpProtocol_IP_PROTOCOL_SCTP:        ProtoSCTP,
	securityv1.IpProtocol_IP_PROTOCOL_ICMP:        ProtoICMP,
	securityv1.IpProtocol_IP_PROTOCOL_ICMPV6:      ProtoICMPv6,
}

// convert validates p and returns its rules sorted by priority.
func convert(p *securityv1.FirewallPolicy) ([]Rule, []uint32, error) {
	if len(p.GetInterfaces()) == 0 {
		return nil, nil, errdefs.InvalidArgumentf("interfaces: at least one interface is required")
	}
	seenIf := map[string]bool{}
	for i, name := range p.GetInterfaces() {
		if name == "" || len(name) > 15 || strings.ContainsAny(name, "/ \x00") {
			return nil, nil, errdefs.InvalidArgumentf("interfaces[%d]: %q is not an interface name", i, name)
		}
		if seenIf[name] {
			return nil, nil, errdefs.InvalidArgumentf("interfaces[%d]: %q is listed twice", i, name)
		}
		seenIf[name] = true
	}
	if _, ok := securityv1.XdpAttachMode_name[int32(p.GetAttachMode())]; !ok {
		return nil, nil, errdefs.InvalidArgumentf("attach_mode: unknown value %d", p.GetAttachMode())
	}
	switch p.GetDefaultAction() {
	case securityv1.FirewallAction_FIREWALL_ACTION_UNSPECIFIED, securityv1.FirewallAction_FIREWALL_ACTION_ALLOW, securityv1.FirewallAction_FIREWALL_ACTION_DROP:
	default:
		return nil, nil, errdefs.InvalidArgumentf("default_action: must be ALLOW or DROP, not %v", p.GetDefaultAction())
	}
	order := make([]int, len(p.GetRules()))
	byPrio := map[uint32]int{}
	for i, r := range p.GetRules() {
		order[i] = i
		if j, dup := byPrio[r.GetPriority()]; dup {
			return nil, nil, errdefs.InvalidArgumentf("rules[%d].priority: %d is also the priority of rules[%d]; priorities must be unique", i, r.GetPriority(), j)
		}
		byPrio[r.GetPriority()] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		return int(int64(p.GetRules()[a].GetPriority()) - int64(p.GetRules()[b].GetPriority()))
	})
	rules := make([]Rule, len(order))
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

func convertRule(field string, r *securityv1.FirewallRule) (Rule, error) {
	var out Rule
	var err error
	if out.Src, err = prefixes(field+".source_cidrs", r.GetSourceCidrs()); err != nil {
		return out, err
	}
	if out.Dst, err = prefixes(field+".destination_cidrs", r.GetDestinationCidrs()); err != nil {
		return out, err
	}
	if v4, v6 := out.Families(); !v4 && !v6 {
		return out, errdefs.InvalidArgumentf("%s: source_cidrs and destination_cidrs share no address family, so the rule could never match", field)
	}
	proto, ok := protocols[r.GetProtocol()]
	if !ok {
		return out, errdefs.InvalidArgumentf("%s.protocol: unknown value %d", field, r.GetProtocol())
	}
	out.Protocol = proto
	if v4, v6 := out.Families(); !v4 && !v6 {
		// The CIDRs allow a family, the protocol only the other one.
		return out, errdefs.InvalidArgumentf("%s.protocol: ICMP is IPv4 only and ICMPv6 IPv6 only; with CIDRs of the other family the rule could never match", field)
	}
	hasPorts := proto == ProtoTCP || proto == ProtoUDP || proto == ProtoSCTP
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
		return out, errdefs.InvalidArgumentf("%s.action: must be ALLOW, DROP or COUNT", field)
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
			return nil, errdefs.InvalidArgumentf("%s[%d]: %q is not an IPv4 or IPv6 CIDR", field, i, s)
		}
		if p.Addr().Is4In6() {
			return nil, errdefs.InvalidArgumentf("%s[%d]: %q is an IPv4-mapped IPv6 prefix; write the IPv4 prefix", field, i, s)
		}
		if p.Masked() != p {
			return nil, errdefs.InvalidArgumentf("%s[%d]: %q has host bits set; did you mean %s?", field, i, s, p.Masked())
		}
		out = append(out, p)
	}
	return out, nil
}

func portRange(field string, r *securityv1.PortRange, hasPorts bool) (*PortRange, error) {
	if !hasPorts {
		return nil, errdefs.InvalidArgumentf("%s: port ranges need protocol TCP, UDP or SCTP", field)
	}
	first, last := r.GetFirst(), r.GetLast()
	if last == 0 {
		last = first
	}
	if first > 65535 || last > 65535 {
		return nil, errdefs.InvalidArgumentf("%s: ports must be 0 to 65535 (got %d-%d)", field, first, last)
	}
	if last < first {
		return nil, errdefs.InvalidArgumentf("%s: the range %d-%d is inverted; first must not exceed last", field, first, last)
	}
	return &PortRange{First: uint16(first), Last: uint16(last)}, nil
}
