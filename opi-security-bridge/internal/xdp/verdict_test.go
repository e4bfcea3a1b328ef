package xdp

import (
	"testing"

	"github.com/cilium/ebpf"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
)

const (
	xdpDrop = 1
	xdpPass = 2
)

// verdictRules is the rule set the verdict table runs against, by priority.
var verdictRules = []firewall.Rule{
	// 0: count everything from 10.0.0.0/8, then go on
	{Src: pfx("10.0.0.0/8"), Action: firewall.ActionCount},
	// 1: drop TCP to port 22 from 10.1.0.0/16
	{Src: pfx("10.1.0.0/16"), Protocol: firewall.ProtoTCP, DstPorts: &firewall.PortRange{First: 22, Last: 22}, Action: firewall.ActionDrop},
	// 2: allow TCP 20-30 from anywhere
	{Protocol: firewall.ProtoTCP, DstPorts: &firewall.PortRange{First: 20, Last: 30}, Action: firewall.ActionAllow},
	// 3: drop UDP 53 to 192.0.2.1
	{Dst: pfx("192.0.2.1/32"), Protocol: firewall.ProtoUDP, DstPorts: &firewall.PortRange{First: 53, Last: 53}, Action: firewall.ActionDrop},
	// 4: drop ICMP from 198.51.100.0/24
	{Src: pfx("198.51.100.0/24"), Protocol: firewall.ProtoICMP, Action: firewall.ActionDrop},
	// 5: drop everything from 2001:db8:bad::/48
	{Src: pfx("2001:db8:bad::/48"), Action: firewall.ActionDrop},
	// 6: drop UDP from source ports 1000-2000 to 2001:db8::/32
	{Dst: pfx("2001:db8::/32"), Protocol: firewall.ProtoUDP, SrcPorts: &firewall.PortRange{First: 1000, Last: 2000}, Action: firewall.ActionDrop},
	// 7: drop ICMPv6 from fd00::/8
	{Src: pfx("fd00::/8"), Protocol: firewall.ProtoICMPv6, Action: firewall.ActionDrop},
	// 8: drop anything from 203.0.113.0/24 (fragments included)
	{Src: pfx("203.0.113.0/24"), Action: firewall.ActionDrop},
	// 9: drop ICMP, which is IPv4's, from anywhere
	{Protocol: firewall.ProtoICMP, Action: firewall.ActionDrop},
	// 10: drop ICMPv6, which is IPv6's, from anywhere
	{Protocol: firewall.ProtoICMPv6, Action: firewall.ActionDrop},
	// 11: drop UDP from 198.18.0.0/15 or 2001:db8:f00::/48 to any port, named
	// as the range 0-65535: a range, so not for non-first fragments
	{Src: pfx("198.18.0.0/15", "2001:db8:f00::/48"), Protocol: firewall.ProtoUDP, DstPorts: &firewall.PortRange{First: 0, Last: 65535}, Action: firewall.ActionDrop},
}

func TestVerdicts(t *testing.T) {
	d := openLoaded(t, verdictRules, firewall.ActionAllow)
	cases := []struct {
		name string
		f    frame
		want uint32
		slot int   // counter slot expected to count it; -1 the default
		also []int // COUNT rules expected to count it too
	}{
		{"IPv4 TCP to port 22 from 10.1/16 is dropped", frame{src: addr("10.1.2.3"), dst: addr("192.0.2.9"), proto: 6, sport: 40000, dport: 22}, xdpDrop, 1, []int{0}},
		{"IPv4 TCP to port 22 from 10.2/16 falls to the allow rule", frame{src: addr("10.2.2.3"), dst: addr("192.0.2.9"), proto: 6, sport: 40000, dport: 22}, xdpPass, 2, []int{0}},
		{"IPv4 TCP to port 80 from 10/8 takes the default", frame{src: addr("10.2.2.3"), dst: addr("192.0.2.9"), proto: 6, sport: 40000, dport: 80}, xdpPass, -1, []int{0}},
		{"IPv4 UDP to port 53 of 192.0.2.1 is dropped", frame{src: addr("172.16.0.1"), dst: addr("192.0.2.1"), proto: 17, sport: 5000, dport: 53}, xdpDrop, 3, nil},
		{"IPv4 UDP to port 53 of 192.0.2.2 passes", frame{src: addr("172.16.0.1"), dst: addr("192.0.2.2"), proto: 17, sport: 5000, dport: 53}, xdpPass, -1, nil},
		{"IPv4 TCP to port 53 of 192.0.2.1 is not the UDP rule", frame{src: addr("172.16.0.1"), dst: addr("192.0.2.1"), proto: 6, sport: 5000, dport: 53}, xdpPass, -1, nil},
		{"ICMP from 198.51.100.7 is dropped", frame{src: addr("198.51.100.7"), dst: addr("192.0.2.1"), proto: 1}, xdpDrop, 4, nil},
		{"UDP from 198.51.100.7 is not the ICMP rule", frame{src: addr("198.51.100.7"), dst: addr("192.0.2.1"), proto: 17, dport: 9}, xdpPass, -1, nil},
		{"IPv6 TCP from 2001:db8:bad::1 is dropped", frame{src: addr("2001:db8:bad::1"), dst: addr("2001:db8::1"), proto: 6, dport: 443}, xdpDrop, 5, nil},
		{"IPv6 UDP from port 1500 into 2001:db8::/32 is dropped", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 17, sport: 1500, dport: 9}, xdpDrop, 6, nil},
		{"IPv6 UDP from port 2001 into 2001:db8::/32 passes", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 17, sport: 2001, dport: 9}, xdpPass, -1, nil},
		{"ICMPv6 from fd00::1 is dropped", frame{src: addr("fd00::1"), dst: addr("2001:db8::1"), proto: 58}, xdpDrop, 7, nil},
		{"IPv4 TCP in two VLAN tags is still judged", frame{src: addr("10.1.2.3"), dst: addr("192.0.2.9"), proto: 6, dport: 22, vlans: 2}, xdpDrop, 1, []int{0}},
		{"IPv4 with options (IHL 6) is parsed past them", frame{src: addr("10.1.2.3"), dst: addr("192.0.2.9"), proto: 6, dport: 22, ihl: 6}, xdpDrop, 1, []int{0}},
		{"a first IPv4 fragment with ports is judged by its ports", frame{src: addr("10.1.2.3"), dst: addr("192.0.2.9"), proto: 6, dport: 22, fragOffset: 0x2000}, xdpDrop, 1, []int{0}},
		{"a non-first IPv4 fragment skips rules with ports", frame{src: addr("10.1.2.3"), dst: addr("192.0.2.9"), proto: 6, fragOffset: 100, l4len: -2, payload: 16}, xdpPass, -1, []int{0}},
		{"a non-first IPv4 fragment matches a portless rule", frame{src: addr("203.0.113.5"), dst: addr("192.0.2.9"), proto: 6, fragOffset: 100, l4len: -2, payload: 16}, xdpDrop, 8, nil},
		{"a non-first IPv6 fragment skips rules with ports", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 17, fragOffset: 10, l4len: -2, payload: 16}, xdpPass, -1, nil},
		{"a non-first IPv6 fragment matches a portless rule", frame{src: addr("2001:db8:bad::1"), dst: addr("2001:db8::1"), proto: 17, fragOffset: 10, l4len: -2, payload: 16}, xdpDrop, 5, nil},
		{"a truncated TCP header is dropped as malformed", frame{src: addr("192.0.2.50"), dst: addr("192.0.2.9"), proto: 6, dport: 80, l4len: 10}, xdpDrop, slotDefault + 1, nil},
		{"a truncated UDP header is dropped as malformed", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 17, l4len: 4}, xdpDrop, slotDefault + 1, nil},
		{"an IPv4 header length below 5 is dropped as malformed", frame{src: addr("192.0.2.50"), dst: addr("192.0.2.9"), proto: 17, ihl: 4}, xdpDrop, slotDefault + 1, nil},
		{"a non-first IPv6 fragment is not parsed past the fragment header", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 60, fragOffset: 10, l4len: -2, payload: 4}, xdpPass, -1, nil},
		{"IPv6 extension headers are followed to the transport header", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 17, sport: 1500, dport: 9, dstOpts: 2}, xdpDrop, 6, nil},
		{"six IPv6 extension headers are followed", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 17, sport: 1500, dport: 9, dstOpts: 6}, xdpDrop, 6, nil},
		{"a seventh IPv6 extension header is dropped as malformed", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 17, sport: 1500, dport: 9, dstOpts: 7}, xdpDrop, slotDefault + 1, nil},
		{"a truncated IPv6 extension header is dropped as malformed", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 60, l4len: -2, payload: 4}, xdpDrop, slotDefault + 1, nil},
		{"a TCP data offset below 5 is dropped as malformed", frame{src: addr("192.0.2.50"), dst: addr("192.0.2.9"), proto: 6, dport: 80, tcpDoff: 4}, xdpDrop, slotDefault + 1, nil},
		{"an IPv4 total length below the header length is dropped as malformed", frame{src: addr("192.0.2.50"), dst: addr("192.0.2.9"), proto: 17, totLen: 19}, xdpDrop, slotDefault + 1, nil},
		{"IPv4 ICMP matches the ICMP rule", frame{src: addr("192.0.2.50"), dst: addr("192.0.2.9"), proto: 1}, xdpDrop, 9, nil},
		{"an IPv6 packet with next header 1 is not ICMP", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 1}, xdpPass, -1, nil},
		{"ICMPv6 matches the ICMPv6 rule", frame{src: addr("2001:db9::1"), dst: addr("2001:db8::1"), proto: 58}, xdpDrop, 10, nil},
		{"an IPv4 packet with protocol 58 is not ICMPv6", frame{src: addr("192.0.2.50"), dst: addr("192.0.2.9"), proto: 58}, xdpPass, -1, nil},
		{"UDP matches a rule naming ports 0-65535", frame{src: addr("198.18.0.1"), dst: addr("192.0.2.9"), proto: 17, sport: 5, dport: 0}, xdpDrop, 11, nil},
		{"a non-first IPv4 fragment skips a rule naming ports 0-65535", frame{src: addr("198.18.0.1"), dst: addr("192.0.2.9"), proto: 17, fragOffset: 100, l4len: -2, payload: 16}, xdpPass, -1, nil},
		{"a non-first IPv6 fragment skips a rule naming ports 0-65535", frame{src: addr("2001:db8:f00::1"), dst: addr("2001:db8::1"), proto: 17, fragOffset: 10, l4len: -2, payload: 16}, xdpPass, -1, nil},
		{"other protocols match only protocol-less rules", frame{src: addr("192.0.2.50"), dst: addr("192.0.2.9"), proto: 47, l4len: -2, payload: 8}, xdpPass, -1, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, err := d.Stats(len(verdictRules))
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Program().Run(&ebpf.RunOptions{Data: tc.f.bytes()})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("verdict %d, want %d", got, tc.want)
			}
			after, err := d.Stats(len(verdictRules))
			if err != nil {
				t.Fatal(err)
			}
			slot := tc.slot
			if slot < 0 {
				slot = slotDefault
			}
			want := map[int]uint64{slot: 1}
			for _, c := range tc.also {
				want[c] = 1
			}
			// Every slot is checked, so a packet counted twice or in a
			// wrong slot fails too.
			for s := range len(verdictRules) + 2 {
				if s >= len(verdictRules) {
					s = slotDefault + s - len(verdictRules)
				}
				if delta := slotCount(after, s) - slotCount(before, s); delta != want[s] {
					t.Errorf("counter slot %d grew by %d, want %d", s, delta, want[s])
				}
			}
		})
	}
}

func slotCount(s *firewall.Stats, slot int) uint64 {
	switch slot {
	case slotDefault:
		return s.Default.Packets
	case slotDefault + 1:
		return s.Malformed.Packets
	}
	return s.Rules[slot].Packets
}

func TestShortFrames(t *testing.T) {
	d := openLoaded(t, verdictRules, firewall.ActionDrop)
	full := frame{src: addr("10.1.2.3"), dst: addr("192.0.2.9"), proto: 6, dport: 22}.bytes()
	for _, tc := range []struct {
		name string
		data []byte
		want uint32
	}{
		{"an Ethernet header alone with the IPv4 type is malformed", full[:14], xdpDrop},
		{"an IPv4 header cut short is malformed", full[:14+12], xdpDrop},
		{"an ARP frame passes untouched", append(append([]byte{}, full[:12]...), 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1), xdpPass},
		{"an IPv6 header cut short is malformed", frame{src: addr("fd00::1"), dst: addr("fd00::2"), proto: 17}.bytes()[:14+30], xdpDrop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, err := d.Stats(0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Program().Run(&ebpf.RunOptions{Data: tc.data})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("verdict %d, want %d", got, tc.want)
			}
			after, err := d.Stats(0)
			if err != nil {
				t.Fatal(err)
			}
			// Malformed frames are counted as such; frames passed
			// unjudged are counted nowhere.
			var want uint64
			if tc.want == xdpDrop {
				want = 1
			}
			if n := after.Malformed.Packets - before.Malformed.Packets; n != want {
				t.Errorf("malformed counter grew by %d, want %d", n, want)
			}
			if n := after.Default.Packets - before.Default.Packets; n != 0 {
				t.Errorf("default counter grew by %d, want 0", n)
			}
		})
	}
}

// TestEveryCountRuleIsCounted: a packet may match any number of COUNT
// rules (the bitmaps hold them all, unlike the eight slots of the former
// verdict table), in several words of the bitmap, and each counts it
// once; COUNT rules after the deciding rule do not.
func TestEveryCountRuleIsCounted(t *testing.T) {
	var rules []firewall.Rule
	for i := range 150 {
		r := firewall.Rule{Action: firewall.ActionCount}
		if i%2 == 1 {
			r.Src = pfx("10.0.0.0/8") // interleaved with COUNT rules that do not match
			r.Protocol = firewall.ProtoTCP
		}
		rules = append(rules, r)
	}
	rules = append(rules,
		firewall.Rule{Protocol: firewall.ProtoUDP, Action: firewall.ActionDrop},
		firewall.Rule{Action: firewall.ActionCount})
	d := openLoaded(t, rules, firewall.ActionAllow)
	got, err := d.Program().Run(&ebpf.RunOptions{Data: frame{src: addr("192.0.2.1"), dst: addr("192.0.2.2"), proto: 17, dport: 53}.bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if got != xdpDrop {
		t.Fatalf("verdict %d, want the UDP drop rule's", got)
	}
	st, err := d.Stats(len(rules))
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range st.Rules {
		want := uint64(0)
		if (i < 150 && i%2 == 0) || i == 150 {
			want = 1
		}
		if c.Packets != want {
			t.Errorf("rule %d counted %d packets, want %d", i, c.Packets, want)
		}
	}
}
