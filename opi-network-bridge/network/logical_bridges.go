package network

import (
	"context"
	"errors"
	"net/netip"
	"slices"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func (g *Gateway) lbCRUD() crud[*networkv1.LogicalBridge] {
	return crud[*networkv1.LogicalBridge]{g: g, coll: g.lbs, claims: lbClaims, decorate: g.decorateLB}
}

// CreateLogicalBridge stores a logical bridge and makes its bridge and
// VXLAN device; FRR announces it once the routing sync has run.
func (g *Gateway) CreateLogicalBridge(ctx context.Context, id string, lb *networkv1.LogicalBridge) (*networkv1.LogicalBridge, error) {
	if _, err := g.checkLB(ctx, lb); err != nil {
		return nil, err
	}
	return g.lbCRUD().create(ctx, id, lb)
}

// GetLogicalBridge returns one logical bridge.
func (g *Gateway) GetLogicalBridge(ctx context.Context, name string) (*networkv1.LogicalBridge, error) {
	return g.lbCRUD().get(ctx, name)
}

// ListLogicalBridges returns one page of logical bridges.
func (g *Gateway) ListLogicalBridges(ctx context.Context, size int32, token string) ([]*networkv1.LogicalBridge, string, error) {
	return g.lbCRUD().list(ctx, size, token)
}

// UpdateLogicalBridge changes a logical bridge's VTEP address.
func (g *Gateway) UpdateLogicalBridge(ctx context.Context, lb *networkv1.LogicalBridge, mask *fieldmaskpb.FieldMask, allowMissing bool) (*networkv1.LogicalBridge, error) {
	return g.lbCRUD().checkedUpdate(ctx, lb, mask, allowMissing, func(n *networkv1.LogicalBridge) error { _, err := g.checkLB(ctx, n); return err })
}

// DeleteLogicalBridge removes a logical bridge and its devices; one that a
// bridge port or SVI uses is FailedPrecondition.
func (g *Gateway) DeleteLogicalBridge(ctx context.Context, name string, allowMissing bool) error {
	return g.lbCRUD().delete(ctx, name, allowMissing)
}

// checkLB checks a logical bridge's values against the API's rules and this
// gateway (a VTEP address must be one of its own), before anything is
// stored.
func (g *Gateway) checkLB(ctx context.Context, lb *networkv1.LogicalBridge) (LogicalBridge, error) {
	spec, err := g.lbSpec(lb)
	if err != nil {
		return spec, err
	}
	f := g.Features()
	if !f.Bridge {
		return spec, errdefs.FailedPreconditionf("this kernel lacks Linux bridges (CONFIG_BRIDGE)")
	}
	if spec.VNI != 0 && !f.VXLAN {
		return spec, errdefs.FailedPreconditionf("vni: this kernel lacks VXLAN devices (CONFIG_VXLAN)")
	}
	return spec, g.checkVtep(ctx, spec.VtepIP, spec.VNI)
}

// checkVtep checks a VTEP address: one of this gateway's, or, when none is
// given for a VNI, the bridge's default must exist.
func (g *Gateway) checkVtep(ctx context.Context, vtep netip.Addr, vni uint32) error {
	switch {
	case vtep.IsValid():
		return g.checkLocal(ctx, "vtep_ip", vtep)
	case vni != 0 && !g.cfg.DefaultVtepIP.IsValid():
		return errdefs.FailedPreconditionf("vtep_ip: not set and the bridge has no default VTEP address (--vtep-ip)")
	}
	return nil
}

// checkLocal says whether a is an address of this gateway.
func (g *Gateway) checkLocal(ctx context.Context, field string, a netip.Addr) error {
	ifs, err := g.cfg.Kernel.Interfaces(ctx)
	if err != nil {
		return err
	}
	for _, i := range ifs {
		if slices.ContainsFunc(i.Addresses, func(p netip.Prefix) bool { return p.Addr() == a }) {
			return nil
		}
	}
	return errdefs.InvalidArgumentf("%s: %s is not an address of this gateway; a VTEP must be local", field, a)
}

// kernelLB is the logical bridge as the kernel gets it: with the default
// VTEP address filled in.
func (g *Gateway) kernelLB(lb *networkv1.LogicalBridge) (LogicalBridge, error) {
	spec, err := g.lbSpec(lb)
	if err != nil {
		return spec, err
	}
	if !spec.VtepIP.IsValid() {
		spec.VtepIP = g.cfg.DefaultVtepIP
	}
	return spec, nil
}

// lbHooks make the kernel hold each stored change (resource.Backend).
type lbHooks struct{ g *Gateway }

func (h lbHooks) Create(ctx context.Context, lb *networkv1.LogicalBridge) error {
	return h.g.ensureLB(ctx, lb)
}

func (h lbHooks) Update(ctx context.Context, old, lb *networkv1.LogicalBridge) error {
	if err := h.g.ensureLB(ctx, lb); err != nil {
		return errors.Join(err, h.g.ensureLB(context.WithoutCancel(ctx), old))
	}
	return nil
}

func (h lbHooks) Delete(ctx context.Context, lb *networkv1.LogicalBridge) error {
	spec, err := h.g.kernelLB(lb)
	if err != nil {
		return err
	}
	return h.g.cfg.Kernel.RemoveLogicalBridge(ctx, spec)
}

// ensureLB makes the kernel hold lb and queues the routing sync.
func (g *Gateway) ensureLB(ctx context.Context, lb *networkv1.LogicalBridge) error {
	return g.ensureLBFor(ctx, lb, true)
}

// ensureLBFor is ensureLB; changed says the intent changed (a create or update),
// so FRR's component is PENDING until the next sync; a replay of unchanged
// intent only asks for a sync and leaves an APPLIED component as it is.
func (g *Gateway) ensureLBFor(ctx context.Context, lb *networkv1.LogicalBridge, changed bool) error {
	spec, err := g.kernelLB(lb)
	if err == nil {
		err = g.cfg.Kernel.EnsureLogicalBridge(ctx, spec)
	}
	if err != nil {
		g.comps.failed(lb.GetName(), ComponentKernel, err)
		return err
	}
	g.comps.applied(lb.GetName(), ComponentKernel)
	g.routingChanged(lb.GetName(), changed)
	return nil
}
