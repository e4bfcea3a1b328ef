package firewall

import (
	"context"
	"net/netip"
)

// Backend is the packet filter that enforces policies, one per id. The
// bridge's own is XDP (internal/xdp); a vendor implements it to enforce
// in a NIC, a switch or another filter and keeps the rest of the bridge
// (validation, naming, stored intent, one policy per interface, replay).
// The domain reaches the host's interfaces and the filter only through
// it.
//
// Every method is idempotent. Errors carry opi-kit/errdefs classes, because
// the domain passes them on unchanged:
//   - a rule set the backend cannot hold: errdefs.ErrInvalidArgument,
//     saying why (the request is refused and nothing changes);
//   - an interface that does not exist: errdefs.ErrNotFound;
//   - the filter cannot be reached or read now: errdefs.ErrUnavailable.
type Backend interface {
	// Apply makes policy id enforce p on exactly p.Interfaces, replacing
	// its rule set atomically: every packet is judged wholly by the old
	// set or wholly by the new one. If Apply fails, the previous rule set
	// keeps enforcing.
	Apply(ctx context.Context, id string, p *Policy) error
	// Remove takes policy id out of the filter; a missing one is success.
	Remove(ctx context.Context, id string) error
	// Stats returns the counters of the first n rules of policy id's
	// active rule set (by index in Policy.Rules), of its default action
	// and of the malformed packets it dropped.
	Stats(ctx context.Context, id string, n int) (*Stats, error)
	// Policies lists the ids the filter holds, so that replay can remove
	// those no longer stored.
	Policies(ctx context.Context) ([]string, error)
	// HasInterface reports whether the host has an interface of that name.
	HasInterface(ctx context.Context, name string) (bool, error)
	// Probe reports whether the filter is usable; the service is
	// NOT_SERVING while it is not.
	Probe(ctx context.Context) error
}

// InterfaceWatcher is a Backend that can tell when the host's interfaces
// appear or disappear. The bridge then replays the policies at once
// instead of at its next periodic pass: a policy whose interface vanished
// turns ERROR within moments (the kernel detached its program with the
// interface), and one whose interface came back is attached again.
type InterfaceWatcher interface {
	// WatchInterfaces calls changed after interfaces were added, removed
	// or renamed, until ctx ends; it returns ctx's error then, or why it
	// could not watch.
	WatchInterfaces(ctx context.Context, changed func()) error
}

// Policy is a validated firewall policy as a backend enforces it.
type Policy struct {
	// Rules in evaluation order (ascending priority); a rule's index is
	// its counter slot in Stats.
	Rules []Rule
	// Priorities are the rules' priorities, by index.
	Priorities []uint32
	// Default is what happens to a packet no deciding rule matched:
	// ActionAllow or ActionDrop.
	Default    Action
	Interfaces []string
	Mode       Mode
}

// Action is what a rule does with a packet.
type Action uint32

// Actions.
const (
	ActionAllow Action = 1 // pass the packet up the stack
	ActionDrop  Action = 2 // drop it
	ActionCount Action = 3 // count it and go on with the next matching rule
)

// Protocol is an IP protocol number; 0 means any. Rules may name only the
// constants below.
type Protocol uint8

// Protocols a rule can name.
const (
	ProtoAny    Protocol = 0
	ProtoICMP   Protocol = 1
	ProtoTCP    Protocol = 6
	ProtoUDP    Protocol = 17
	ProtoICMPv6 Protocol = 58
	ProtoSCTP   Protocol = 132
)

// PortRange is an inclusive port range.
type PortRange struct{ First, Last uint16 }

// Contains reports whether port is in r; a nil range (none named)
// contains every port.
func (r *PortRange) Contains(port uint16) bool {
	return r == nil || (r.First <= port && port <= r.Last)
}

// Rule is one validated rule. Src and Dst hold masked prefixes; an empty
// list matches any address of the families the other list and the
// protocol allow.
type Rule struct {
	Src, Dst []netip.Prefix
	Protocol Protocol
	// SrcPorts and DstPorts are the ranges the rule names, nil when it
	// names none. A named range, even 0-65535, needs the packet's ports,
	// so the rule never matches a non-first fragment (which carries none);
	// a rule that names no range does.
	SrcPorts, DstPorts *PortRange
	Action             Action
}

// NamesPorts reports whether r names a port range, and so needs ports to
// match.
func (r Rule) NamesPorts() bool { return r.SrcPorts != nil || r.DstPorts != nil }

// Families reports which address families r can match: those both address
// lists allow, narrowed by the protocol, because ICMP exists only in IPv4
// and ICMPv6 only in IPv6 (an IPv6 packet with next header 1 is not ICMP,
// nor an IPv4 packet with protocol 58 ICMPv6).
func (r Rule) Families() (v4, v6 bool) {
	has := func(ps []netip.Prefix) (a, b bool) {
		if len(ps) == 0 {
			return true, true
		}
		for _, p := range ps {
			a, b = a || p.Addr().Is4(), b || p.Addr().Is6()
		}
		return a, b
	}
	s4, s6 := has(r.Src)
	d4, d6 := has(r.Dst)
	v4, v6 = s4 && d4, s6 && d6
	switch r.Protocol {
	case ProtoICMP:
		v6 = false
	case ProtoICMPv6:
		v4 = false
	}
	return v4, v6
}

// Mode is how a policy is attached to an interface.
type Mode int

// Attach modes.
const (
	ModeAuto    Mode = iota // native where the driver supports it, generic otherwise
	ModeNative              // in the driver only
	ModeGeneric             // generic (after the kernel built its packet buffer)
)

// Counters are a packet and byte count.
type Counters struct{ Packets, Bytes uint64 }

// Stats are the counters of a policy's active rule set.
type Stats struct {
	Rules     []Counters // by rule index
	Default   Counters
	Malformed Counters
}
