// Package ruleset builds firewall rule sets for tests and benchmarks: the
// random mixed sets (source-only, destination-only and port rules) whose
// per-field classes a precomputed cross-product could not hold, and the
// same rules written for nftables, so both filters are timed on one set.
package ruleset

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// Where Mixed's rules live, so that a probe outside them matches none.
var (
	// SrcV4, SrcV6, DstV4 and DstV6 hold the rules' prefixes.
	SrcV4 = netip.MustParsePrefix("100.64.0.0/10")
	SrcV6 = netip.MustParsePrefix("fd10::/16")
	DstV4 = netip.MustParsePrefix("172.16.0.0/12")
	DstV6 = netip.MustParsePrefix("fd20::/16")
)

// MaxPort is the highest port a rule's range reaches.
const MaxPort = 30000

// Mixed returns n random rules: a third match a source prefix only, a
// third a destination prefix only, a third a protocol and port ranges; one
// in five is IPv6, one in twenty a COUNT rule. It is deterministic for a
// seed.
func Mixed(seed uint64, n int) []firewall.Rule {
	rng := rand.New(rand.NewPCG(seed, 9))
	rules := make([]firewall.Rule, 0, n)
	for range n {
		r := firewall.Rule{Action: firewall.ActionDrop}
		switch x := rng.IntN(20); {
		case x == 0:
			r.Action = firewall.ActionCount
		case x < 9:
			r.Action = firewall.ActionAllow
		}
		src, dst := SrcV4, DstV4
		if rng.IntN(5) == 0 {
			src, dst = SrcV6, DstV6
		}
		switch rng.IntN(3) {
		case 0:
			r.Src = []netip.Prefix{Within(rng, src)}
		case 1:
			r.Dst = []netip.Prefix{Within(rng, dst)}
		default:
			r.Protocol = []firewall.Protocol{firewall.ProtoTCP, firewall.ProtoUDP, firewall.ProtoSCTP}[rng.IntN(3)]
			r.DstPorts = portRange(rng)
			if rng.IntN(3) == 0 {
				r.SrcPorts = portRange(rng)
			}
		}
		rules = append(rules, r)
	}
	return rules
}

// Within returns a random prefix inside p, at least 4 bits longer.
func Within(rng *rand.Rand, p netip.Prefix) netip.Prefix {
	bits := p.Bits() + 4 + rng.IntN(p.Addr().BitLen()-p.Bits()-3)
	q, _ := Addr(rng, p).Prefix(bits)
	return q
}

// Addr returns a random address inside p.
func Addr(rng *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		if rng.IntN(2) == 0 {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func portRange(rng *rand.Rand) *firewall.PortRange {
	first := 1 + rng.IntN(MaxPort)
	last := min(first+rng.IntN(100), MaxPort)
	return &firewall.PortRange{First: uint16(first), Last: uint16(last)}
}

// Nftables writes rules as the rules of an nftables chain, in order, each
// with a counter: the same matching, so the two filters do the same work.
// COUNT rules become `counter` alone, which goes on to the next rule.
func Nftables(rules []firewall.Rule) string {
	var b strings.Builder
	for _, r := range rules {
		var m []string
		for _, dim := range []struct {
			ps  []netip.Prefix
			dir string
		}{{r.Src, "saddr"}, {r.Dst, "daddr"}} {
			for _, p := range dim.ps { // Mixed names at most one prefix per list
				fam := "ip"
				if p.Addr().Is6() {
					fam = "ip6"
				}
				m = append(m, fmt.Sprintf("%s %s %s", fam, dim.dir, p))
			}
		}
		proto := map[firewall.Protocol]string{firewall.ProtoTCP: "tcp", firewall.ProtoUDP: "udp", firewall.ProtoSCTP: "sctp"}[r.Protocol]
		if proto != "" {
			m = append(m, "meta l4proto "+proto)
			if r.SrcPorts != nil {
				m = append(m, fmt.Sprintf("%s sport %d-%d", proto, r.SrcPorts.First, r.SrcPorts.Last))
			}
			if r.DstPorts != nil {
				m = append(m, fmt.Sprintf("%s dport %d-%d", proto, r.DstPorts.First, r.DstPorts.Last))
			}
		}
		verdict := map[firewall.Action]string{firewall.ActionAllow: " accept", firewall.ActionDrop: " drop", firewall.ActionCount: ""}[r.Action]
		fmt.Fprintf(&b, "  %s counter%s\n", strings.Join(m, " "), verdict)
	}
	return b.String()
}
