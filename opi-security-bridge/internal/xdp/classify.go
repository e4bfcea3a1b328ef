// Package xdp is the firewall's data plane: BPF C of our own (bpf/), the
// compiler that turns an ordered rule list into the tables the program
// reads, and the loader that pins maps and XDP links on bpffs, re-adopts
// them after a restart and replaces rule sets atomically.
package xdp

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"unsafe"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// Limits of the data plane, fixed by the map sizes in bpf/firewall.c.
const (
	// MaxRules is the most rules a policy may have: the bits of a bitmap.
	MaxRules = 16384
	// MaxPrefixes is the most distinct prefixes of one address family a
	// rule set may name in one direction (source or destination): half of
	// that family's trie, the other half is the other generation.
	MaxPrefixes = 1 << 16
	// MaxClasses is the most distinct classes (bitmaps) one rule set may
	// have: half of the bitmaps map. MaxPrefixes and MaxRules keep every
	// rule set below it (at most 2 x 2 x MaxPrefixes address classes and
	// 2 x (2 x MaxRules + 6) port classes), so it is never what refuses
	// a set; Compile checks it all the same, as the map's bound.
	MaxClasses = 1 << 19

	words       = MaxRules / 64 // of a bitmap
	chunk       = 16            // words per search step (CHUNK)
	slotDefault = MaxRules
	slots       = MaxRules + 2
	portSpan    = 65537
	portNone    = 65536
	portOther   = 3 * portSpan
	portSlots   = 3*portSpan + 3
)

// ErrTooComplex says a rule set is larger than the data plane holds. It
// is a property of the rule set, not of the system.
var ErrTooComplex = errors.New("rule set too large for the data plane")

// dpAction is the data plane's code of a deciding action (ACTION_* in
// bpf/firewall.c).
func dpAction(a firewall.Action) uint32 {
	if a == firewall.ActionDrop {
		return 2
	}
	return 1
}

// catchAll reports whether r matches every packet and decides.
func catchAll(r firewall.Rule) bool {
	return len(r.Src) == 0 && len(r.Dst) == 0 && r.Protocol == firewall.ProtoAny &&
		!r.NamesPorts() && r.Action != firewall.ActionCount
}

// Tables is a compiled rule set: the contents of the data plane's maps for
// one generation.
type Tables struct {
	// Fingerprint identifies the rule set, so a restarted bridge can tell
	// whether the pinned maps already hold it. Never 0.
	Fingerprint   uint64
	NumRules      int
	DefaultAction firewall.Action
	DefaultSlot   uint32
	// Src and Dst give each prefix the rules have its class.
	Src, Dst []PrefixClass
	// SrcPorts and DstPorts give each port slot (protocol and port) its
	// class.
	SrcPorts, DstPorts []uint32
	// Bitmaps are the classes' rule sets, by class id; 0 is the empty
	// class and has none. Each is Words long.
	Bitmaps []bitset
	// Anchored says, for each class (by id) and each dimension it may be
	// used in (source, destination, source port, destination port), which
	// words of the bitmaps hold a rule of the class anchored in that
	// dimension; see anchor. Always marks the words holding rules anchored
	// nowhere. A packet's search skips every word outside the union of its
	// four classes' masks and Always: no rule there can match it.
	Anchored [][dims]wordMask
	Always   wordMask
	// Words is how many words of a bitmap the rules span.
	Words int
	// Count and Drop mark the COUNT and the DROP rules; a rule in neither
	// allows.
	Count, Drop bitset
}

// PrefixClass maps a prefix to the class of rules whose prefixes contain it.
type PrefixClass struct {
	Prefix netip.Prefix
	Class  uint32
}

// Compile turns rules, in evaluation order (the index is the rule's bit
// and counter slot), and the default action into tables, as bpf-iptables
// does: for each field of a packet (source prefix, destination prefix,
// protocol with source port, protocol with destination port) every value
// belongs to a class, the set of rules it matches in that field (rules
// that do not name the field included), and each class has the bitmap of
// its rules. The data plane ANDs a packet's four bitmaps and takes the
// first set bit. Classes are deduplicated, so their number stays near
// the number of distinct prefixes and port ranges, never their product:
// any rule set within the limits compiles.
//
// A terminal catch-all rule ends the list: later rules can never match,
// and the catch-all becomes the miss decision instead of a bit in every
// class.
func Compile(rules []firewall.Rule, def firewall.Action) (*Tables, error) {
	if len(rules) > MaxRules {
		return nil, fmt.Errorf("%w: %d rules, the most is %d", ErrTooComplex, len(rules), MaxRules)
	}
	t := &Tables{NumRules: len(rules), DefaultAction: def, DefaultSlot: slotDefault}
	n := len(rules)
	for i, r := range rules {
		if catchAll(r) {
			n, t.DefaultAction, t.DefaultSlot = i, r.Action, uint32(i)
			break
		}
	}
	live := rules[:n]
	var c classes
	t.Src = addrClasses(live, func(r firewall.Rule) []netip.Prefix { return r.Src }, &c)
	t.Dst = addrClasses(live, func(r firewall.Rule) []netip.Prefix { return r.Dst }, &c)
	for _, dim := range []struct {
		name    string
		entries []PrefixClass
	}{{"source", t.Src}, {"destination", t.Dst}} {
		v4 := 0
		for _, e := range dim.entries {
			if e.Prefix.Addr().Is4() {
				v4++
			}
		}
		// Checked here, not left to the map: a set that fits while the
		// other generation is empty would fail on the next replacement.
		if n := max(v4, len(dim.entries)-v4); n > MaxPrefixes {
			return nil, fmt.Errorf("%w: %d distinct %s prefixes of one address family, the most is %d", ErrTooComplex, n, dim.name, MaxPrefixes)
		}
	}
	t.SrcPorts = portClasses(live, func(r firewall.Rule) *firewall.PortRange { return r.SrcPorts }, &c)
	t.DstPorts = portClasses(live, func(r firewall.Rule) *firewall.PortRange { return r.DstPorts }, &c)
	if len(c.sets) > MaxClasses {
		return nil, fmt.Errorf("%w: %d distinct classes, the most is %d", ErrTooComplex, len(c.sets), MaxClasses)
	}
	t.Bitmaps = c.sets
	t.Words = len(newBitset(n))
	t.Anchored, t.Always = anchoredMasks(live, c.sets)
	t.Count, t.Drop = newBitset(n), newBitset(n)
	for i, r := range live {
		switch r.Action {
		case firewall.ActionCount:
			t.Count.set(i)
		case firewall.ActionDrop:
			t.Drop.set(i)
		}
	}
	t.Fingerprint = fingerprint(rules, def)
	return t, nil
}

// fingerprint hashes what the rules mean, field by field: formatting them
// with %v would hash the addresses of their port ranges, which differ in
// every process, and a restarted bridge would reload (and zero the
// counters of) every policy.
func fingerprint(rules []firewall.Rule, def firewall.Action) uint64 {
	h := sha256.New()
	ports := func(b []byte, r *firewall.PortRange) []byte {
		if r == nil {
			return append(b, 0)
		}
		return binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(append(b, 1), r.First), r.Last)
	}
	var b []byte
	for _, r := range rules {
		b = b[:0]
		for _, ps := range [][]netip.Prefix{r.Src, r.Dst} {
			b = binary.LittleEndian.AppendUint32(b, uint32(len(ps)))
			for _, p := range ps {
				b, _ = p.AppendBinary(b)
			}
		}
		b = ports(ports(append(b, byte(r.Protocol)), r.SrcPorts), r.DstPorts)
		b = binary.LittleEndian.AppendUint32(b, uint32(r.Action))
		h.Write(b)
	}
	h.Write(binary.LittleEndian.AppendUint32(nil, uint32(def)))
	return binary.LittleEndian.Uint64(h.Sum(nil)) | 1
}

// The dimensions of a packet's classes, in the order the data plane
// looks them up (b0 to b3 in bpf/firewall.c).
const (
	dimSrc = iota
	dimDst
	dimSrcPort
	dimDstPort
	dims
)

// anchor is the dimension in which rule r is most selective, the one that
// stands for it in the search's chunk masks: its source prefixes, else
// its destination prefixes (neither when they include a /0, which every
// class of its family holds), else its destination ports, else its source
// ports, else its protocol (in the destination port dimension, whose
// classes hold it only for packets of that protocol). A rule that names
// none of them matches every packet of its families: -1, anchored
// nowhere, searched always.
func anchor(r firewall.Rule) int {
	selective := func(ps []netip.Prefix) bool {
		return len(ps) > 0 && !slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Bits() == 0 })
	}
	switch {
	case selective(r.Src):
		return dimSrc
	case selective(r.Dst):
		return dimDst
	case r.DstPorts != nil:
		return dimDstPort
	case r.SrcPorts != nil:
		return dimSrcPort
	case r.Protocol != firewall.ProtoAny:
		return dimDstPort
	}
	return -1
}

// wordMask marks words of a bitmap: bit j of word j/64 for word j.
type wordMask [words / 64]uint64

func (m *wordMask) set(w int) { m[w/64] |= 1 << (w % 64) }

// anchoredMasks computes Tables.Anchored and Tables.Always. A rule that
// matches a packet is in the packet's class of every dimension, so in
// particular in the class of its anchor dimension, whose mask then has
// the rule's word: skipping words outside the union of the masks loses no
// match.
func anchoredMasks(rules []firewall.Rule, sets []bitset) ([][dims]wordMask, wordMask) {
	var anchored [dims]bitset
	for d := range anchored {
		anchored[d] = newBitset(len(rules))
	}
	var always wordMask
	for i, r := range rules {
		if d := anchor(r); d >= 0 {
			anchored[d].set(i)
		} else {
			always.set(i / 64)
		}
	}
	out := make([][dims]wordMask, len(sets))
	for id, set := range sets {
		for w, word := range set {
			for d := range dims {
				if word&anchored[d][w] != 0 {
					out[id][d].set(w)
				}
			}
		}
	}
	return out, always
}

// bitset is a set of rule indexes.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }
func (b bitset) set(i int)   { b[i/64] |= 1 << (i % 64) }
func (b bitset) clear(i int) { b[i/64] &^= 1 << (i % 64) }
func (b bitset) or(o bitset) {
	for i := range b {
		b[i] |= o[i]
	}
}
func (b bitset) clone() bitset { return slices.Clone(b) }
func (b bitset) key() string {
	return unsafe.String((*byte)(unsafe.Pointer(unsafe.SliceData(b))), len(b)*8)
}
func (b bitset) empty() bool { return !slices.ContainsFunc(b, func(w uint64) bool { return w != 0 }) }

// each calls fn for every member in increasing order until fn returns false.
func (b bitset) each(fn func(int) bool) {
	for w, word := range b {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			if !fn(i) {
				return
			}
			word &= word - 1
		}
	}
}

// classes numbers distinct non-empty rule sets from 1; 0 is the empty set.
type classes struct {
	ids  map[string]uint32
	sets []bitset
}

func (c *classes) id(b bitset) uint32 {
	if b.empty() {
		return 0
	}
	if c.ids == nil {
		c.ids = map[string]uint32{}
		c.sets = []bitset{nil}
	}
	k := b.key()
	if id, ok := c.ids[k]; ok {
		return id
	}
	id := uint32(len(c.sets))
	c.sets = append(c.sets, b)
	c.ids[k] = id
	return id
}

// addrClasses gives every prefix named in the dimension (with /0 for rules
// that name none) the class of rules matching all its addresses. The trie's
// longest match then finds, for an address, the most specific named prefix,
// whose class includes every less specific one containing it.
func addrClasses(rules []firewall.Rule, pick func(firewall.Rule) []netip.Prefix, c *classes) []PrefixClass {
	exact := map[netip.Prefix]bitset{}
	add := func(p netip.Prefix, i int) {
		b, ok := exact[p]
		if !ok {
			b = newBitset(len(rules))
			exact[p] = b
		}
		b.set(i)
	}
	for i, r := range rules {
		v4, v6 := r.Families()
		ps := pick(r)
		if len(ps) == 0 {
			if v4 {
				add(netip.PrefixFrom(netip.IPv4Unspecified(), 0), i)
			}
			if v6 {
				add(netip.PrefixFrom(netip.IPv6Unspecified(), 0), i)
			}
			continue
		}
		for _, p := range ps {
			if (p.Addr().Is4() && v4) || (p.Addr().Is6() && v6) {
				add(p, i)
			}
		}
	}
	out := make([]PrefixClass, 0, len(exact))
	for p, b := range exact {
		set := b.clone()
		for l := p.Bits() - 1; l >= 0; l-- {
			if up, ok := exact[netip.PrefixFrom(p.Addr(), l).Masked()]; ok {
				set.or(up)
			}
		}
		out = append(out, PrefixClass{Prefix: p, Class: c.id(set)})
	}
	slices.SortFunc(out, func(a, b PrefixClass) int {
		if x := a.Prefix.Addr().Compare(b.Prefix.Addr()); x != 0 {
			return x
		}
		return a.Prefix.Bits() - b.Prefix.Bits()
	})
	return out
}

// portClasses fills the port slots of one dimension by sweeping the range
// boundaries of each port-carrying protocol.
func portClasses(rules []firewall.Rule, pick func(firewall.Rule) *firewall.PortRange, c *classes) []uint32 {
	out := make([]uint32, portSlots)
	applies := func(r firewall.Rule, p firewall.Protocol) bool {
		return r.Protocol == firewall.ProtoAny || r.Protocol == p
	}
	for pi, proto := range []firewall.Protocol{firewall.ProtoTCP, firewall.ProtoUDP, firewall.ProtoSCTP} {
		base := pi * portSpan
		type event struct {
			at   int
			rule int
			add  bool
		}
		var events []event
		none := newBitset(len(rules))
		for i, r := range rules {
			if !applies(r, proto) {
				continue
			}
			first, last := 0, 65535
			if pr := pick(r); pr != nil {
				first, last = int(pr.First), int(pr.Last)
			}
			events = append(events, event{first, i, true}, event{last + 1, i, false})
			// Non-first fragments carry no ports: only rules naming no
			// range at all match them, in either dimension.
			if !r.NamesPorts() {
				none.set(i)
			}
		}
		slices.SortFunc(events, func(a, b event) int { return a.at - b.at })
		cur := newBitset(len(rules))
		for j := 0; j < len(events); {
			at := events[j].at
			for ; j < len(events) && events[j].at == at; j++ {
				if events[j].add {
					cur.set(events[j].rule)
				} else {
					cur.clear(events[j].rule)
				}
			}
			next := 65536
			if j < len(events) {
				next = events[j].at
			}
			id := c.id(cur.clone())
			for p := at; p < next && p < 65536; p++ {
				out[base+p] = id
			}
		}
		out[base+portNone] = c.id(none)
	}
	for k, proto := range []firewall.Protocol{firewall.ProtoAny, firewall.ProtoICMP, firewall.ProtoICMPv6} {
		set := newBitset(len(rules))
		for i, r := range rules {
			if r.Protocol == firewall.ProtoAny || (proto != firewall.ProtoAny && r.Protocol == proto) {
				set.set(i)
			}
		}
		out[portOther+k] = c.id(set)
	}
	return out
}
