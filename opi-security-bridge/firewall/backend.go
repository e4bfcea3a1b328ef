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

// PortRange is an inclusive port range; AnyPort matches any port.
type PortRange struct{ First, Last uint16 }

// AnyPort matches every port.
var AnyPort = PortRange{0, 65535}

// Any reports whether r matches every port.
func (r PortRange) Any() bool { return r == AnyPort }

// Rule is one validated rule. Src and Dst hold masked prefixes; an empty
// list matches any address of the families the other list allows.
type Rule struct {
	Src, Dst           []netip.Prefix
	Protocol           Protocol
	SrcPorts, DstPorts PortRange
	Action             Action
}

// Families reports which address families r can match.
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
	return s4 && d4, s6 && d6
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
