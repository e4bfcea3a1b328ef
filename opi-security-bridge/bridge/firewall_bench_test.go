package bridge_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/xdp"
)

const (
	benchRules    = 10000
	benchPort     = 9000
	blastDuration = 2 * time.Second
)

// dropRules is a 10,000-rule UDP blocklist whose last rule matches the
// blasted traffic: the worst case for a classifier that scans.
func dropRules() []*securityv1.FirewallRule {
	var rs []*securityv1.FirewallRule
	for i := 1; i < benchRules; i++ {
		port := uint32(1000 + i%50)
		rs = append(rs, &securityv1.FirewallRule{Priority: uint32(i), SourceCidrs: []string{fmt.Sprintf("10.0.%d.%d/32", i>>8, i&255)},
			Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP, DestinationPorts: &securityv1.PortRange{First: port, Last: port + 10},
			Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP})
	}
	return append(rs, &securityv1.FirewallRule{Priority: benchRules, SourceCidrs: []string{addrB + "/32"},
		Protocol: securityv1.IpProtocol_IP_PROTOCOL_UDP, DestinationPorts: &securityv1.PortRange{First: benchPort},
		Action: securityv1.FirewallAction_FIREWALL_ACTION_DROP})
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
// same 10,000 rules in XDP (generic mode, as on the veth's receive path of a
// namespace) and in an nftables netdev ingress chain.
func BenchmarkDropRate(b *testing.B) {
	if !inNamespaces(b, true) {
		return
	}
	pol := &securityv1.FirewallPolicy{Interfaces: []string{vethA}, AttachMode: securityv1.XdpAttachMode_XDP_ATTACH_MODE_NATIVE, Rules: dropRules()}
	b.Run("xdp", func(b *testing.B) {
		host := xdp.NewHost(mountBPFFS(b))
		c, err := firewall.Compile(pol)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		if err := host.Apply(ctx, "bench", c); err != nil {
			b.Fatal(err)
		}
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
		for _, r := range dropRules() {
			fmt.Fprintf(&script, "  ip saddr %s udp dport %d-%d counter drop\n", r.SourceCidrs[0], r.DestinationPorts.First, max(r.DestinationPorts.First, r.DestinationPorts.Last))
		}
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
