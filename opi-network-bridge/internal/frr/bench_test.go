package frr_test

import (
	"net/netip"
	"testing"

	"github.com/opi-suite/opi/opi-network-bridge/internal/frr"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// bridges returns n logical bridges with VNIs from first on.
func bridges(first, n int) network.RoutingConfig {
	var cfg network.RoutingConfig
	for i := range n {
		cfg.LogicalBridges = append(cfg.LogicalBridges, network.LogicalBridge{VlanID: uint32(1 + (first+i)%4094), VNI: uint32(first + i)})
	}
	return cfg
}

// BenchmarkRender1000VNIs renders the whole configuration of 1,000 logical
// bridges: the part of an Apply that runs in the bridge.
func BenchmarkRender1000VNIs(b *testing.B) {
	cfg := bridges(10000, 1000)
	base := underlay(65001, 65002, "10.0.0.2")
	rid := netip.MustParseAddr("10.0.0.1")
	b.ReportAllocs()
	for b.Loop() {
		_ = frr.Render(base, 65001, rid, cfg)
	}
}

// BenchmarkApply1000VNIs applies 1,000 L2 VNIs to a running FRR (render,
// vtysh dry run, frr-reload.py, the running configuration read before and
// after):
//   - initial: onto an FRR that runs the base configuration only (FRR is
//     restarted between iterations, outside the timer);
//   - one-more: 1,000 VNIs are there and one is added or removed;
//   - replace-all: 1,000 VNIs are replaced by 1,000 others (frr-reload.py
//     removes each old one with a vtysh call of its own);
//   - unchanged: the same 1,000 again (no reload: the cheap check).
func BenchmarkApply1000VNIs(b *testing.B) {
	in, a := start(b, 65001, "10.0.0.1", underlay(65001, 65002, "10.0.0.2"))
	ctx := ctxT(b)
	cfg := bridges(10000, 1000)
	b.Run("initial", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			in.Restart()
			b.StartTimer()
			if err := a.Apply(ctx, cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("one-more", func(b *testing.B) {
		more := bridges(10000, 1001)
		if err := a.Apply(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			next := cfg
			if i%2 == 0 {
				next = more
			}
			i++
			if err := a.Apply(ctx, next); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("replace-all", func(b *testing.B) {
		other := bridges(20000, 1000)
		if err := a.Apply(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			next := cfg
			if i%2 == 0 {
				next = other
			}
			i++
			if err := a.Apply(ctx, next); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		if err := a.Apply(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := a.Apply(ctx, cfg); err != nil {
				b.Fatal(err)
			}
		}
	})
}
