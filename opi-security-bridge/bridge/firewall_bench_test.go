package bridge_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ruleset"
	"github.com/opi-suite/opi/opi-security-bridge/internal/xdp"
)

const (
	benchRules    = 10000
	benchPort     = 40000 // above ruleset.MaxPort: no random port rule matches
	blastDuration = 2 * time.Second
)

// dropRules is 9,999 random mixed rules (source-only, destination-only and
// port rules, none matching the blasted traffic) and last the one that
// drops it: the worst case for both filters, which must look at every rule
// (XDP: every word of its bitmaps) before deciding.
func dropRules() []firewall.Rule {
	return append(ruleset.Mixed(7, benchRules-1), firewall.Rule{Src: []netip.Prefix{netip.MustParsePrefix(addrB + "/32")},
		Protocol: firewall.ProtoUDP, DstPorts: &firewall.PortRange{First: benchPort, Last: benchPort}, Action: firewall.ActionDrop})
}

// blast sends small datagrams from B as fast as one socket can for the
// blast duration and returns how many it sent.
func blast(b *testing.B) int {
	stop := make(chan struct{})
	n := 0
	go func() { time.Sleep(blastDuration); close(stop) }()
	err := inPeer(b, func() error {
		c, err := dialUDP(benchPort)
		if err != nil {
			return err
		}
		defer c.Close()
		buf := make([]byte, 18)
		for {
			select {
			case <-stop:
				return nil
			default:
			}
			for range 256 {
				_, _ = c.Write(buf)
				n++
			}
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkDropRate measures packets dropped per second on the veth by the
// same 10,000 random mixed rules in XDP (generic mode, as on the veth's receive path of a
// namespace) and in an nftables netdev ingress chain.
func BenchmarkDropRate(b *testing.B) {
	if !inNamespaces(b, true) {
		return
	}
	rules := dropRules()
	b.Run("xdp", func(b *testing.B) {
		host := xdp.NewHost(mountBPFFS(b))
		prios := make([]uint32, len(rules))
		for i := range prios {
			prios[i] = uint32(i + 1)
		}
		ctx := context.Background()
		start := time.Now()
		if err := host.Apply(ctx, "bench", &firewall.Policy{Rules: rules, Priorities: prios, Default: firewall.ActionAllow,
			Interfaces: []string{vethA}, Mode: firewall.ModeNative}); err != nil {
			b.Fatal(err)
		}
		b.Logf("XDP loaded %d rules in %v", len(rules), time.Since(start))
		defer host.Remove(ctx, "bench")
		for range b.N {
			before, _ := host.Stats(ctx, "bench", benchRules)
			sent := blast(b)
			after, _ := host.Stats(ctx, "bench", benchRules)
			dropped := after.Rules[benchRules-1].Packets - before.Rules[benchRules-1].Packets
			report(b, sent, dropped)
		}
	})
	b.Run("nftables", func(b *testing.B) {
		if _, err := exec.LookPath("nft"); err != nil {
			b.Skip("needs nft (Debian package nftables)")
		}
		var script bytes.Buffer
		fmt.Fprintf(&script, "table netdev opifwbench {\n chain in {\n  type filter hook ingress device %q priority 0; policy accept;\n", vethA)
		script.WriteString(ruleset.Nftables(rules))
		script.WriteString(" }\n}\n")
		start := time.Now()
		load := exec.Command("nft", "-f", "-")
		load.Stdin = &script
		if out, err := load.CombinedOutput(); err != nil {
			b.Fatalf("nft -f: %v: %s", err, out)
		}
		b.Logf("nft loaded %d rules in %v", benchRules, time.Since(start))
		defer exec.Command("nft", "delete", "table", "netdev", "opifwbench").Run()
		for range b.N {
			before := nftLastCounter(b)
			sent := blast(b)
			report(b, sent, nftLastCounter(b)-before)
		}
	})
}

var counterRE = regexp.MustCompile(`counter packets (\d+)`)

// nftLastCounter reads the counter of the last rule (the one the traffic hits).
func nftLastCounter(b *testing.B) uint64 {
	out, err := exec.Command("nft", "list", "chain", "netdev", "opifwbench", "in").Output()
	if err != nil {
		b.Fatal(err)
	}
	m := counterRE.FindAllSubmatch(out, -1)
	if len(m) == 0 {
		b.Fatal("no counters in the nftables chain")
	}
	n, _ := strconv.ParseUint(string(m[len(m)-1][1]), 10, 64)
	return n
}

func report(b *testing.B, sent int, dropped uint64) {
	secs := blastDuration.Seconds()
	b.ReportMetric(float64(sent)/secs, "sent/s")
	b.ReportMetric(float64(dropped)/secs, "dropped/s")
	if dropped < uint64(sent)*9/10 {
		b.Errorf("only %d of %d packets were dropped", dropped, sent)
	}
}
