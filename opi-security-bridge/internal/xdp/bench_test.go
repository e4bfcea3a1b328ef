package xdp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/cilium/ebpf"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

// benchRules returns n rules of the shape a large blocklist has: each drops
// TCP from its own /32 to a range of 11 ports starting at one of 50. The
// probe packet matches the last rule, the worst place for a linear scan, so
// with 1 rule and with 10,000 the program walks the same path.
func benchRules(n int) []firewall.Rule {
	var rules []firewall.Rule
	for i := 1; i <= n; i++ {
		src := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		port := uint16(1000 + i%50)
		rules = append(rules, firewall.Rule{Src: []netip.Prefix{netip.PrefixFrom(src, 32)}, Protocol: firewall.ProtoTCP,
			DstPorts: &firewall.PortRange{First: port, Last: port + 10}, Action: firewall.ActionDrop})
	}
	return rules
}

func benchProbe(n int) frame {
	i := n
	return frame{src: netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), dst: addr("192.0.2.1"),
		proto: 6, sport: 40000, dport: uint16(1000 + i%50)}
}

// BenchmarkVerdict times the program on one frame with Program.Run (the
// kernel repeats it, so the figure is the program's own cost per packet).
func BenchmarkVerdict(b *testing.B) {
	for _, n := range []int{1, 10000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			d := openLoaded(b, benchRules(n), firewall.ActionAllow)
			data := benchProbe(n).bytes()
			want := uint32(xdpDrop)
			const repeat = 1 << 20
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				ret, per, err := d.Program().Benchmark(data, repeat, nil)
				if err != nil {
					b.Fatal(err)
				}
				if ret != want {
					b.Fatalf("verdict %d, want %d", ret, want)
				}
				total += per
			}
			b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/packet")
		})
	}
}

// BenchmarkLoadRules times compiling and loading a rule set, including the
// atomic switch.
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

var _ = ebpf.RunOptions{}
