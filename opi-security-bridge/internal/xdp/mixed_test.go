package xdp

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ruleset"
)

// TestRandomMixedRuleSetsLoad: rule sets mixing source-only,
// destination-only and port rules used to be refused ("more than 524288
// combinations") because the classes of each field were crossed; any set
// within the limits must load, whatever its shape.
func TestRandomMixedRuleSetsLoad(t *testing.T) {
	for _, n := range []int{1000, 10000, MaxRules} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tb, err := Compile(ruleset.Mixed(uint64(n), n), firewall.ActionAllow)
			if err != nil {
				t.Fatalf("compiling %d random mixed rules: %v", n, err)
			}
			t.Logf("%d rules: %d classes", n, len(tb.Bitmaps)-1)
			if n > 10000 || os.Geteuid() != 0 {
				return // the compile is what refused; loading is checked below 10,000
			}
			d := openLoaded(t, ruleset.Mixed(1, 1), firewall.ActionAllow)
			for range 2 { // twice, so both generations hold a set at once
				if err := d.Load(tb); err != nil {
					t.Fatalf("loading %d random mixed rules: %v", n, err)
				}
			}
		})
	}
}

// mixedPacket returns a packet that most often falls inside one of the
// rules (which the reference may then find shadowed by an earlier one),
// and otherwise anywhere, fragments and other protocols included.
func mixedPacket(rng *rand.Rand, rules []firewall.Rule) packet {
	v6 := rng.IntN(5) == 0
	src, dst := ruleset.SrcV4, ruleset.DstV4
	if v6 {
		src, dst = ruleset.SrcV6, ruleset.DstV6
	}
	protos := []firewall.Protocol{firewall.ProtoTCP, firewall.ProtoUDP, firewall.ProtoSCTP, firewall.ProtoICMP, firewall.ProtoICMPv6, 47}
	p := packet{src: ruleset.Addr(rng, src), dst: ruleset.Addr(rng, dst), proto: protos[rng.IntN(len(protos))], sport: 1 + rng.IntN(ruleset.MaxPort), dport: 1 + rng.IntN(ruleset.MaxPort)}
	if rng.IntN(10) < 7 {
		r := rules[rng.IntN(len(rules))]
		for _, x := range []struct {
			ps []netip.Prefix
			a  *netip.Addr
		}{{r.Src, &p.src}, {r.Dst, &p.dst}} {
			if len(x.ps) > 0 && x.ps[0].Addr().Is6() == v6 {
				*x.a = ruleset.Addr(rng, x.ps[0])
			}
		}
		if r.Protocol != firewall.ProtoAny {
			p.proto = r.Protocol
		}
		for _, x := range []struct {
			pr   *firewall.PortRange
			port *int
		}{{r.SrcPorts, &p.sport}, {r.DstPorts, &p.dport}} {
			if x.pr != nil {
				*x.port = int(x.pr.First) + rng.IntN(int(x.pr.Last-x.pr.First)+1)
			}
		}
	}
	if rng.IntN(15) == 0 {
		p.sport, p.dport = -1, -1 // a non-first fragment
	}
	return p
}

// frameOf builds the frame the data plane sees for p.
func frameOf(p packet) frame {
	f := frame{src: p.src, dst: p.dst, proto: uint8(p.proto)}
	if p.sport >= 0 {
		f.sport, f.dport = uint16(p.sport), uint16(p.dport)
	} else {
		f.fragOffset, f.l4len, f.payload = 100, -2, 16
		if p.src.Is6() {
			f.fragOffset = 10
		}
	}
	return f
}

// withUnanchored replaces every 97th rule of the first 2,048 (the first
// two chunks of the search) by one that names no address and no port,
// only a protocol (anchored in the destination port dimension) or nothing
// at all (a COUNT rule anchored nowhere, so searched for every packet),
// so that the chunk masks are tested with both, and with chunks that only
// some packets search.
func withUnanchored(rules []firewall.Rule) []firewall.Rule {
	for i := 96; i < min(len(rules), 2048); i += 97 {
		switch i % 3 {
		case 0:
			rules[i] = firewall.Rule{Action: firewall.ActionCount}
		case 1:
			rules[i] = firewall.Rule{Protocol: firewall.ProtoSCTP, Action: firewall.ActionDrop}
		default:
			rules[i] = firewall.Rule{Protocol: firewall.ProtoICMPv6, Action: firewall.ActionCount}
		}
	}
	return rules
}

// TestDataPlaneAgreesWithTheReference runs random packets through the
// loaded program on random mixed rule sets, of 1,000 rules (one chunk of
// the search) and of 2,500 (three chunks, which the chunk masks let a
// packet skip) with rules anchored in no dimension: its verdict, the rule
// it counted as deciding and the COUNT rules it counted must be those of
// the linear reference matcher.
func TestDataPlaneAgreesWithTheReference(t *testing.T) {
	for _, n := range []int{1000, 2500} {
		t.Run(fmt.Sprint(n), func(t *testing.T) { agreesWithTheReference(t, n) })
	}
}

func agreesWithTheReference(t *testing.T, n int) {
	rng := rand.New(rand.NewPCG(3, uint64(n)))
	d := openLoaded(t, ruleset.Mixed(1, 1), firewall.ActionAllow)
	for round := range 3 {
		rules := ruleset.Mixed(uint64(100+round), n)
		if n > 1000 {
			rules = withUnanchored(rules)
		}
		def := []firewall.Action{firewall.ActionAllow, firewall.ActionDrop}[round%2]
		tb, err := Compile(rules, def)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.Load(tb); err != nil {
			t.Fatal(err)
		}
		hits := 0
		before := packetsBySlot(t, d)
		for range 150 {
			p := mixedPacket(rng, rules)
			wslot, wact, wcounts := reference(rules, def, p)
			if wslot != slotDefault {
				hits++
			}
			got, err := d.Program().Run(&ebpf.RunOptions{Data: frameOf(p).bytes()})
			if err != nil {
				t.Fatal(err)
			}
			after := packetsBySlot(t, d)
			want := uint32(xdpPass)
			if wact == firewall.ActionDrop {
				want = xdpDrop
			}
			var counted []uint32
			for s := range slotDefault + 1 {
				if after[s] != before[s] {
					counted = append(counted, uint32(s))
				}
			}
			wantCounted := append(slices.Clone(wcounts), wslot)
			slices.Sort(wantCounted)
			if got != want || !slices.Equal(counted, wantCounted) {
				t.Fatalf("round %d, packet %+v: verdict %d, counted in slots %v; the reference says verdict %d, slots %v (rule %d: %+v)",
					round, p, got, counted, want, wantCounted, wslot, ruleAt(rules, wslot))
			}
			before = after
		}
		// The packets must exercise the rules, not only the default.
		if hits < 50 {
			t.Fatalf("round %d: only %d of 150 packets matched a rule", round, hits)
		}
	}
}

// packetsBySlot reads the packet counters of the active generation, slot
// by slot, in one batch (a lookup per slot would take 16,386 system calls).
func packetsBySlot(t *testing.T, d *Dataplane) []uint64 {
	t.Helper()
	gen, err := d.activeGen()
	if err != nil {
		t.Fatal(err)
	}
	ncpu, err := ebpf.PossibleCPU()
	if err != nil {
		t.Fatal(err)
	}
	entries := int(d.objs.Counters.MaxEntries())
	keys := make([]uint32, entries)
	vals := make([]firewallCounter, entries*ncpu)
	var cursor ebpf.MapBatchCursor
	n, err := d.objs.Counters.BatchLookup(&cursor, keys, vals, nil)
	if err != nil && !errors.Is(err, ebpf.ErrKeyNotExist) {
		t.Fatal(err)
	}
	if n != entries {
		t.Fatalf("read %d counters in one batch, want %d", n, entries)
	}
	out := make([]uint64, slots)
	for i, k := range keys[:n] {
		if k/slots == gen {
			for c := range ncpu {
				out[k%slots] += vals[i*ncpu+c].Packets
			}
		}
	}
	return out
}

func ruleAt(rules []firewall.Rule, slot uint32) any {
	if int(slot) < len(rules) {
		return rules[slot]
	}
	return "default"
}
