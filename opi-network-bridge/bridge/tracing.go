package bridge

import (
	"context"
	"fmt"

	"github.com/opi-suite/opi/opi-kit/telemetry"
	"github.com/opi-suite/opi/opi-network-bridge/network"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// traceScope is the instrumentation scope of the components' spans.
const traceScope = "github.com/opi-suite/opi/opi-network-bridge/bridge"

// tracedKernel and tracedRouting put one span around every change the
// gateway asks of a component, a child of the call's span when the call
// is traced (nothing otherwise): "netlink EnsurePort", "frr Apply", with
// what identifies the object (opi.backend.target: the port's interface,
// the bridge's VLAN and VNI). They wrap whatever component the bridge runs on,
// a vendor's too.
type tracedKernel struct{ network.Kernel }

type tracedRouting struct{ network.Routing }

func span(ctx context.Context, system, op, name string) (context.Context, trace.Span) {
	ctx, sp := telemetry.Start(ctx, traceScope, system+" "+op, trace.SpanKindClient)
	if sp.IsRecording() {
		sp.SetAttributes(attribute.String("opi.backend", system), attribute.String("opi.backend.operation", op))
		if name != "" {
			sp.SetAttributes(attribute.String("opi.backend.target", name))
		}
	}
	return ctx, sp
}

func (k tracedKernel) do(ctx context.Context, op, name string, fn func(context.Context) error) error {
	ctx, sp := span(ctx, "netlink", op, name)
	err := fn(ctx)
	telemetry.End(sp, err)
	return err
}

func (k tracedKernel) EnsureLogicalBridge(ctx context.Context, lb network.LogicalBridge) error {
	return k.do(ctx, "EnsureLogicalBridge", fmt.Sprintf("vlan %d vni %d", lb.VlanID, lb.VNI), func(ctx context.Context) error { return k.Kernel.EnsureLogicalBridge(ctx, lb) })
}

func (k tracedKernel) RemoveLogicalBridge(ctx context.Context, lb network.LogicalBridge) error {
	return k.do(ctx, "RemoveLogicalBridge", fmt.Sprintf("vlan %d vni %d", lb.VlanID, lb.VNI), func(ctx context.Context) error { return k.Kernel.RemoveLogicalBridge(ctx, lb) })
}

func (k tracedKernel) EnsurePort(ctx context.Context, p network.Port) error {
	return k.do(ctx, "EnsurePort", p.Interface, func(ctx context.Context) error { return k.Kernel.EnsurePort(ctx, p) })
}

func (k tracedKernel) RemovePort(ctx context.Context, p network.Port) error {
	return k.do(ctx, "RemovePort", p.Interface, func(ctx context.Context) error { return k.Kernel.RemovePort(ctx, p) })
}

func (k tracedKernel) EnsureVrf(ctx context.Context, v network.Vrf) error {
	return k.do(ctx, "EnsureVrf", fmt.Sprintf("vni %d", v.VNI), func(ctx context.Context) error { return k.Kernel.EnsureVrf(ctx, v) })
}

func (k tracedKernel) RemoveVrf(ctx context.Context, v network.Vrf) error {
	return k.do(ctx, "RemoveVrf", fmt.Sprintf("vni %d", v.VNI), func(ctx context.Context) error { return k.Kernel.RemoveVrf(ctx, v) })
}

func (k tracedKernel) EnsureSvi(ctx context.Context, s network.Svi) error {
	return k.do(ctx, "EnsureSvi", fmt.Sprintf("vlan %d", s.Bridge.VlanID), func(ctx context.Context) error { return k.Kernel.EnsureSvi(ctx, s) })
}

func (k tracedKernel) RemoveSvi(ctx context.Context, s network.Svi) error {
	return k.do(ctx, "RemoveSvi", fmt.Sprintf("vlan %d", s.Bridge.VlanID), func(ctx context.Context) error { return k.Kernel.RemoveSvi(ctx, s) })
}

func (k tracedKernel) SetInterface(ctx context.Context, name string, up bool, mtu int) error {
	return k.do(ctx, "SetInterface", name, func(ctx context.Context) error { return k.Kernel.SetInterface(ctx, name, up, mtu) })
}

func (r tracedRouting) Apply(ctx context.Context, cfg network.RoutingConfig) error {
	ctx, sp := span(ctx, "frr", "Apply", "")
	err := r.Routing.Apply(ctx, cfg)
	telemetry.End(sp, err)
	return err
}

// Backend names the bridge's backend and how to ask its version, for the
// telemetry resource (server.DescribeBackend): FRR's version (with the
// kernel's release) when the routing component can say it, else the
// kernel's release alone.
func (b *Bridge) Backend() (string, func(context.Context) (string, error)) {
	v, ok := b.routing.(interface {
		Version(context.Context) (string, error)
	})
	if !ok {
		return "linux-netlink", telemetry.KernelRelease
	}
	return "frr", func(ctx context.Context) (string, error) {
		frr, err := v.Version(ctx)
		if err != nil {
			return "", err
		}
		kernel, _ := telemetry.KernelRelease(ctx)
		return frr + " (linux " + kernel + ")", nil
	}
}
