package network

import (
	"context"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/resource"
)

// backendName names the kernel in the status of a resource it refused.
const backendName = "the kernel"

// Replay is the gateway's replay pass: for each kind in dependency order
// (logical bridges and VRFs, then SVIs and bridge ports) it finishes the
// operations a crash interrupted and makes the kernel hold every stored
// resource again (each Ensure is idempotent: a kernel that holds it already
// is not changed), then queues a routing sync. report gets the interrupted
// operations that could not be finished yet.
func (g *Gateway) Replay(report func(error)) resource.Step {
	return resource.Sequence(
		resource.RecoverStep(report, g.lbs, g.vrfs, g.svis, g.ports),
		resource.ReplayStep(g.lbs, resource.Replayer[*networkv1.LogicalBridge]{Backend: backendName, Apply: func(ctx context.Context, m *networkv1.LogicalBridge) error { return g.ensureLBFor(ctx, m, false) }}),
		resource.ReplayStep(g.vrfs, resource.Replayer[*networkv1.Vrf]{Backend: backendName, Apply: func(ctx context.Context, m *networkv1.Vrf) error { return g.ensureVrfFor(ctx, m, false) }}),
		resource.ReplayStep(g.svis, resource.Replayer[*networkv1.Svi]{Backend: backendName, Apply: func(ctx context.Context, m *networkv1.Svi) error { return g.ensureSviFor(ctx, m, false) }}),
		resource.ReplayStep(g.ports, resource.Replayer[*networkv1.BridgePort]{Backend: backendName, Apply: g.ensurePort}),
		func(context.Context) (int, error) { g.kickRouting(); return 0, nil },
	)
}

// WatchDrift reports every change to a managed kernel object made behind
// the bridge's back (logged and counted) and calls repair, until ctx ends.
func (g *Gateway) WatchDrift(ctx context.Context, repair func()) error {
	return g.cfg.Kernel.Watch(ctx, func(d Drift) {
		g.drifts.Add(1)
		g.logger.WarnContext(ctx, "kernel: a managed object changed behind the bridge's back; repairing", "object", d.Object, "change", d.Change)
		repair()
	})
}
