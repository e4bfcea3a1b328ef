package xdp

import (
	"fmt"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ruleset"
)

// benchRules returns n rules: n-1 random mixed ones (source-only,
// destination-only, port rules) and last the one the probe matches, the
// worst place for a linear bit-vector search: every word of the four
// bitmaps is loaded and ANDed before the deciding bit is found. With one
// rule the program takes the same path over one word.
func benchRules(n int) []firewall.Rule {
	return append(ruleset.Mixed(uint64(n), n-1), firewall.Rule{Src: pfx("192.0.2.0/24"), Protocol: firewall.ProtoUDP,
		DstPorts: &firewall.PortRange{First: 40000, Last: 40000}, Action: firewall.ActionDrop})
}

// benchProbe lies outside the mixed rules' addresses and ports.
var benchProbe = frame{src: addr("192.0.2.1"), dst: addr("198.51.100.1"), proto: 17, sport: 50000, dport: 40000}

// everyNth replaces every nth rule of rules by one for the probe's
// source subnet but another protocol: its source class holds them, so the
// anchored masks leave their words to search, and none matches. With n =
// 64 every word is searched: the worst case of the masks, the whole walk
// as without them, plus their cost.
func everyNth(n int, rules []firewall.Rule) []firewall.Rule {
	for i := n / 2; i < len(rules)-1; i += n {
		rules[i] = firewall.Rule{Src: pfx("192.0.2.0/24"), Protocol: firewall.ProtoTCP,
			DstPorts: &firewall.PortRange{First: 22, Last: 22}, Action: firewall.ActionAllow}
	}
	return rules
}

// BenchmarkVerdict times the program on one frame with Program.Run (the
// kernel repeats it, so the figure is the program's own cost per packet),
// at 1, 1,000 and 10,000 rules, and at 10,000 rules where the anchored
// masks leave a word in every chunk, and every word, to search (everyNth);
// the larger sets also report their cost as a multiple of one rule's,
// measured in the same run.
func BenchmarkVerdict(b *testing.B) {
	var one float64
	for _, tc := range []struct {
		name  string
		rules []firewall.Rule
	}{
		{"rules=1", benchRules(1)},
		{"rules=1000", benchRules(1000)},
		{"rules=10000", benchRules(10000)},
		{"rules=10000/a-word-per-chunk-searched", everyNth(1000, benchRules(10000))},
		{"rules=10000/every-word-searched", everyNth(64, benchRules(10000))},
	} {
		n := len(tc.rules)
		b.Run(tc.name, func(b *testing.B) {
			d := openLoaded(b, tc.rules, firewall.ActionAllow)
			data := benchProbe.bytes()
			const repeat = 1 << 20
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				ret, per, err := d.Program().Benchmark(data, repeat, nil)
				if err != nil {
					b.Fatal(err)
				}
				if ret != xdpDrop {
					b.Fatalf("verdict %d, want the last rule's drop", ret)
				}
				total += per
			}
			ns := float64(total.Nanoseconds()) / float64(b.N)
			b.ReportMetric(ns, "ns/packet")
			if n == 1 {
				one = ns
			} else if one > 0 {
				b.ReportMetric(ns/one, "x-1-rule")
			}
		})
	}
}

// BenchmarkLoadRules times compiling and loading 10,000 random mixed
// rules, including clearing the old generation and the atomic switch.
func BenchmarkLoadRules(b *testing.B) {
	for _, n := range []int{10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := openLoaded(b, benchRules(1), firewall.ActionAllow)
			rules := benchRules(n)
			b.ResetTimer()
			for range b.N {
				t, err := Compile(rules, firewall.ActionAllow)
				if err != nil {
					b.Fatal(err)
				}
				if err := d.Load(t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
