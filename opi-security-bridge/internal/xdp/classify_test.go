package xdp

import (
	"errors"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ruleset"
)

// packet is what the classifier looks at.
type packet struct {
	src, dst     netip.Addr
	proto        firewall.Protocol
	sport, dport int // -1: no ports (non-first fragment)
}

// reference judges p by walking the rules in order: the meaning the tables
// must reproduce. It returns the deciding slot, the action and the COUNT
// slots before it.
func reference(rules []firewall.Rule, def firewall.Action, p packet) (uint32, firewall.Action, []uint32) {
	var counts []uint32
	for i, r := range rules {
		if !matches(r, p) {
			continue
		}
		if r.Action == firewall.ActionCount {
			counts = append(counts, uint32(i))
			continue
		}
		return uint32(i), r.Action, counts
	}
	return slotDefault, def, counts
}

// matches is the documented meaning of a rule, written out independently
// of the code under test: every condition that is set must hold; ICMP is
// IPv4's and ICMPv6 IPv6's; a non-first fragment (no ports) matches only
// rules that name no port range.
func matches(r firewall.Rule, p packet) bool {
	in := func(ps []netip.Prefix, a netip.Addr) bool {
		if len(ps) == 0 {
			return true
		}
		return slices.ContainsFunc(ps, func(q netip.Prefix) bool { return q.Contains(a) })
	}
	if !in(r.Src, p.src) || !in(r.Dst, p.dst) || (r.Protocol != firewall.ProtoAny && r.Protocol != p.proto) {
		return false
	}
	if (r.Protocol == firewall.ProtoICMP && !p.src.Is4()) || (r.Protocol == firewall.ProtoICMPv6 && !p.src.Is6()) {
		return false
	}
	switch p.proto {
	case firewall.ProtoTCP, firewall.ProtoUDP, firewall.ProtoSCTP:
		if p.sport < 0 {
			return r.SrcPorts == nil && r.DstPorts == nil
		}
		return r.SrcPorts.Contains(uint16(p.sport)) && r.DstPorts.Contains(uint16(p.dport))
	}
	return true
}

// lookup judges p through the tables as the BPF program does: a class per
// field, the AND of their bitmaps over the words the classes' anchored
// masks leave, the first deciding bit, the COUNT bits before it.
func (t *Tables) lookup(p packet) (uint32, firewall.Action, []uint32) {
	miss := func() (uint32, firewall.Action, []uint32) { return t.DefaultSlot, t.DefaultAction, nil }
	ids := t.classIDs(p)
	if slices.Contains(ids, 0) {
		return miss()
	}
	cand := t.candidates(p)
	var counts []uint32
	for w := range t.Words {
		if cand[w/64]&(1<<(w%64)) == 0 {
			continue
		}
		m := t.Bitmaps[ids[0]][w] & t.Bitmaps[ids[1]][w] & t.Bitmaps[ids[2]][w] & t.Bitmaps[ids[3]][w]
		for ; m != 0; m &= m - 1 {
			i := uint32(w*64 + bits.TrailingZeros64(m))
			switch {
			case t.Count[w]&(1<<(i%64)) != 0:
				counts = append(counts, i)
			case t.Drop[w]&(1<<(i%64)) != 0:
				return i, firewall.ActionDrop, counts
			default:
				return i, firewall.ActionAllow, counts
			}
		}
	}
	return t.DefaultSlot, t.DefaultAction, counts
}

// candidates is the union of p's classes' anchored masks and Always: the
// words the program searches for p.
func (t *Tables) candidates(p packet) wordMask {
	cand := t.Always
	for d, id := range t.classIDs(p) {
		for k := range cand {
			if id != 0 {
				cand[k] |= t.Anchored[id][d][k]
			}
		}
	}
	return cand
}

// classIDs are p's classes, in the order of the dimensions.
func (t *Tables) classIDs(p packet) []uint32 {
	lpm := func(entries []PrefixClass, a netip.Addr) uint32 {
		best, class := -1, uint32(0)
		for _, e := range entries {
			if e.Prefix.Contains(a) && e.Prefix.Bits() > best {
				best, class = e.Prefix.Bits(), e.Class
			}
		}
		return class
	}
	slot := func(port int) int {
		switch p.proto {
		case firewall.ProtoTCP, firewall.ProtoUDP, firewall.ProtoSCTP:
			base := map[firewall.Protocol]int{firewall.ProtoTCP: 0, firewall.ProtoUDP: portSpan, firewall.ProtoSCTP: 2 * portSpan}[p.proto]
			if port < 0 {
				return base + portNone
			}
			return base + port
		case firewall.ProtoICMP:
			return portOther + 1
		case firewall.ProtoICMPv6:
			return portOther + 2
		}
		return portOther
	}
	return []uint32{lpm(t.Src, p.src), lpm(t.Dst, p.dst), t.SrcPorts[slot(p.sport)], t.DstPorts[slot(p.dport)]}
}

func TestCompiledTablesAgreeWithALinearScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	v4 := []string{"0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3/32", "192.0.2.0/24", "10.200.0.0/16"}
	v6 := []string{"::/0", "2001:db8::/32", "2001:db8:1::/48", "2001:db8:1::1/128", "fd00::/8"}
	protos := []firewall.Protocol{firewall.ProtoAny, firewall.ProtoTCP, firewall.ProtoUDP, firewall.ProtoSCTP, firewall.ProtoICMP, firewall.ProtoICMPv6, 47}
	randPrefixes := func() []netip.Prefix {
		var out []netip.Prefix
		pool := v4
		if rng.IntN(3) == 0 {
			pool = v6
		}
		for range rng.IntN(3) {
			out = append(out, netip.MustParsePrefix(pool[rng.IntN(len(pool))]))
		}
		return out
	}
	randRange := func() *firewall.PortRange {
		switch rng.IntN(6) {
		case 0, 1, 2:
			return nil
		case 3:
			return &firewall.PortRange{First: 0, Last: 65535} // named, so not for fragments
		}
		a := uint16(rng.IntN(100))
		return &firewall.PortRange{First: a, Last: a + uint16(rng.IntN(20))}
	}
	addrs := []string{"10.1.2.3", "10.1.2.4", "10.1.9.9", "10.200.3.4", "192.0.2.7", "8.8.8.8", "2001:db8:1::1", "2001:db8:1::2", "2001:db8:2::1", "fd00::5", "2002::1"}
	for round := range 50 {
		var rules []firewall.Rule
		for range 1 + rng.IntN(30) {
			r := firewall.Rule{Src: randPrefixes(), Dst: randPrefixes(), Protocol: protos[rng.IntN(4)],
				Action: []firewall.Action{firewall.ActionAllow, firewall.ActionDrop, firewall.ActionCount}[rng.IntN(3)]}
			if r.Protocol == firewall.ProtoTCP || r.Protocol == firewall.ProtoUDP || r.Protocol == firewall.ProtoSCTP {
				r.SrcPorts, r.DstPorts = randRange(), randRange()
			} else if rng.IntN(2) == 0 {
				r.Protocol = protos[4+rng.IntN(2)] // rules name only the protocols the API offers
			}
			if v4, v6 := r.Families(); !v4 && !v6 {
				continue // refused by validation
			}
			rules = append(rules, r)
		}
		def := []firewall.Action{firewall.ActionAllow, firewall.ActionDrop}[round%2]
		tb, err := Compile(rules, def)
		if err != nil {
			t.Fatal(err)
		}
		for range 400 {
			src := netip.MustParseAddr(addrs[rng.IntN(len(addrs))])
			dst := netip.MustParseAddr(addrs[rng.IntN(len(addrs))])
			if src.Is4() != dst.Is4() {
				continue
			}
			p := packet{src: src, dst: dst, proto: protos[rng.IntN(len(protos))], sport: rng.IntN(130), dport: rng.IntN(130)}
			if rng.IntN(10) == 0 {
				p.sport, p.dport = -1, -1
			}
			ws, wa, wc := reference(rules, def, p)
			gs, ga, gc := tb.lookup(p)
			if ws != gs || wa != ga || !slices.Equal(wc, gc) {
				t.Fatalf("round %d, packet %+v: tables say slot %d %v counts %v; a linear scan says slot %d %v counts %v\nrules %+v",
					round, p, gs, ga, gc, ws, wa, wc, rules)
			}
		}
	}
}

// TestAnchoredMasksLoseNoMatch: on 10,000 random mixed rules with rules
// anchored in no dimension, the search that skips the words the masks
// rule out judges packets as a linear scan does.
func TestAnchoredMasksLoseNoMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rules := withUnanchored(ruleset.Mixed(7, 10000))
	tb, err := Compile(rules, firewall.ActionAllow)
	if err != nil {
		t.Fatal(err)
	}
	skipped, hits := 0, 0
	for range 2000 {
		p := mixedPacket(rng, rules)
		ws, wa, wc := reference(rules, firewall.ActionAllow, p)
		gs, ga, gc := tb.lookup(p)
		if ws != gs || wa != ga || !slices.Equal(wc, gc) {
			t.Fatalf("packet %+v: tables say slot %d %v counts %v; a linear scan says slot %d %v counts %v", p, gs, ga, gc, ws, wa, wc)
		}
		if ws != slotDefault {
			hits++
		}
		cand, searched := tb.candidates(p), 0
		for _, m := range cand {
			searched += bits.OnesCount64(m)
		}
		if searched < tb.Words {
			skipped++
		}
	}
	// Not vacuous: packets decided by rules, and searches that skipped.
	t.Logf("of 2000 packets %d matched a rule, %d searches skipped words", hits, skipped)
	if hits < 500 || skipped < 500 {
		t.Fatalf("of 2000 packets %d matched a rule and %d skipped words; want 500 of each", hits, skipped)
	}
}

func TestCompileRefusesWhatTheDataPlaneCannotHold(t *testing.T) {
	for _, tc := range []struct {
		name  string
		rules []firewall.Rule
	}{
		{"more rules than the counter slots are refused", make([]firewall.Rule, MaxRules+1)},
		{"more source prefixes than a generation's half of the trie are refused", []firewall.Rule{hostsRule(MaxPrefixes + 1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Compile(tc.rules, firewall.ActionAllow); !errors.Is(err, ErrTooComplex) {
				t.Fatalf("got %v, want ErrTooComplex", err)
			}
		})
	}
}

// hostsRule drops n distinct IPv4 /32 sources.
func hostsRule(n int) firewall.Rule {
	r := firewall.Rule{Action: firewall.ActionDrop}
	for i := range n {
		r.Src = append(r.Src, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32))
	}
	return r
}

// TestLargestPrefixSetReplacesItself loads a rule set at MaxPrefixes
// twice, so both generations hold it at once during the second load: the
// limit Compile enforces is one the maps really hold.
func TestLargestPrefixSetReplacesItself(t *testing.T) {
	d, err := Open(bpffs(t) + "/p")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for _, def := range []firewall.Action{firewall.ActionAllow, firewall.ActionDrop} {
		tb, err := Compile([]firewall.Rule{hostsRule(MaxPrefixes)}, def)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Load(tb); err != nil {
			t.Fatalf("loading %d prefixes with default %v: %v", MaxPrefixes, def, err)
		}
	}
}

// TestFingerprintIsTheRulesMeaning: equal rule sets built apart have one
// fingerprint (a restarted bridge must recognise the set it pinned, or it
// reloads and zeroes the counters), and any change of meaning changes it.
func TestFingerprintIsTheRulesMeaning(t *testing.T) {
	build := func(last uint16, def firewall.Action) uint64 {
		r := []firewall.Rule{{Src: pfx("10.0.0.0/8"), Protocol: firewall.ProtoTCP, DstPorts: &firewall.PortRange{First: 1, Last: last}, Action: firewall.ActionDrop}}
		return fingerprint(r, def)
	}
	if build(9, firewall.ActionAllow) != build(9, firewall.ActionAllow) {
		t.Fatal("the same rules built twice have different fingerprints")
	}
	for name, other := range map[string]uint64{
		"another port range": build(10, firewall.ActionAllow),
		"another default":    build(9, firewall.ActionDrop),
		"no port range":      fingerprint([]firewall.Rule{{Src: pfx("10.0.0.0/8"), Protocol: firewall.ProtoTCP, Action: firewall.ActionDrop}}, firewall.ActionAllow),
	} {
		if other == build(9, firewall.ActionAllow) {
			t.Errorf("%s leaves the fingerprint unchanged", name)
		}
	}
}
