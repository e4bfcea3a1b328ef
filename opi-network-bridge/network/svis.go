package network

import (
	"context"
	"errors"
	"fmt"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func (g *Gateway) sviCRUD() crud[*networkv1.Svi] {
	return crud[*networkv1.Svi]{g: g, coll: g.svis, claims: sviClaims, decorate: g.decorateSvi}
}

// CreateSvi stores an SVI and makes it in the kernel.
func (g *Gateway) CreateSvi(ctx context.Context, id string, s *networkv1.Svi) (*networkv1.Svi, error) {
	if err := g.checkSvi(s); err != nil {
		return nil, err
	}
	return g.sviCRUD().create(ctx, id, s)
}

// GetSvi returns one SVI.
func (g *Gateway) GetSvi(ctx context.Context, name string) (*networkv1.Svi, error) {
	return g.sviCRUD().get(ctx, name)
}

// ListSvis returns one page of SVIs.
func (g *Gateway) ListSvis(ctx context.Context, size int32, token string) ([]*networkv1.Svi, string, error) {
	return g.sviCRUD().list(ctx, size, token)
}

// UpdateSvi changes an SVI's MAC, addresses or BGP settings.
func (g *Gateway) UpdateSvi(ctx context.Context, s *networkv1.Svi, mask *fieldmaskpb.FieldMask, allowMissing bool) (*networkv1.Svi, error) {
	return g.sviCRUD().checkedUpdate(ctx, s, mask, allowMissing, g.checkSvi)
}

// DeleteSvi removes an SVI.
func (g *Gateway) DeleteSvi(ctx context.Context, name string, allowMissing bool) error {
	return g.sviCRUD().delete(ctx, name, allowMissing)
}

func (g *Gateway) checkSvi(s *networkv1.Svi) error {
	if err := VrfPattern.Validate(s.GetVrf()); err != nil {
		return errdefs.InvalidArgumentf("vrf: %v", err)
	}
	if err := LogicalBridgePattern.Validate(s.GetLogicalBridge()); err != nil {
		return errdefs.InvalidArgumentf("logical_bridge: %v", err)
	}
	if _, err := ParseMAC("mac_address", s.GetMacAddress()); err != nil {
		return err
	}
	if len(s.GetGwIpPrefixes()) == 0 {
		return errdefs.InvalidArgumentf("gw_ip_prefixes: at least one gateway address is required")
	}
	for i, p := range s.GetGwIpPrefixes() {
		if _, err := parsePrefix(fmt.Sprintf("gw_ip_prefixes[%d]", i), p); err != nil {
			return err
		}
	}
	if s.GetEnableBgp() && s.GetRemoteAs() == 0 {
		return errdefs.InvalidArgumentf("remote_as: required with enable_bgp")
	}
	if !g.Features().VRF {
		return errdefs.FailedPreconditionf("this kernel lacks VRF devices (CONFIG_NET_VRF), which an SVI needs")
	}
	return nil
}

// kernelSvi is the SVI as the kernel and FRR get it.
func (g *Gateway) kernelSvi(ctx context.Context, s *networkv1.Svi) (Svi, error) {
	var out Svi
	mac, err := ParseMAC("mac_address", s.GetMacAddress())
	if err != nil {
		return out, err
	}
	vrf, err := g.vrfs.Get(ctx, s.GetVrf())
	if err != nil {
		return out, err
	}
	lb, err := g.lbs.Get(ctx, s.GetLogicalBridge())
	if err != nil {
		return out, err
	}
	if out.Vrf, err = g.kernelVrf(vrf); err != nil {
		return out, err
	}
	if out.Bridge, err = g.kernelLB(lb); err != nil {
		return out, err
	}
	out.MAC, out.EnableBGP, out.RemoteAS = mac, s.GetEnableBgp(), s.GetRemoteAs()
	for _, p := range s.GetGwIpPrefixes() {
		pfx, err := parsePrefix("gw_ip_prefixes", p)
		if err != nil {
			return out, err
		}
		out.Gateways = append(out.Gateways, pfx)
	}
	return out, nil
}

type sviHooks struct{ g *Gateway }

func (h sviHooks) Create(ctx context.Context, s *networkv1.Svi) error { return h.g.ensureSvi(ctx, s) }

func (h sviHooks) Update(ctx context.Context, old, s *networkv1.Svi) error {
	if err := h.g.ensureSvi(ctx, s); err != nil {
		return errors.Join(err, h.g.ensureSvi(context.WithoutCancel(ctx), old))
	}
	return nil
}

func (h sviHooks) Delete(ctx context.Context, s *networkv1.Svi) error {
	spec, err := h.g.kernelSvi(ctx, s)
	if err != nil {
		return err
	}
	return h.g.cfg.Kernel.RemoveSvi(ctx, spec)
}

func (g *Gateway) ensureSvi(ctx context.Context, s *networkv1.Svi) error {
	return g.ensureSviFor(ctx, s, true)
}

// ensureSviFor is ensureSvi; changed says the intent changed (a create or update),
// so FRR's component is PENDING until the next sync; a replay of unchanged
// intent only asks for a sync and leaves an APPLIED component as it is.
func (g *Gateway) ensureSviFor(ctx context.Context, s *networkv1.Svi, changed bool) error {
	spec, err := g.kernelSvi(ctx, s)
	if err == nil {
		err = g.cfg.Kernel.EnsureSvi(ctx, spec)
	}
	if err != nil {
		g.comps.failed(s.GetName(), ComponentKernel, err)
		return err
	}
	g.comps.applied(s.GetName(), ComponentKernel)
	g.routingChanged(s.GetName(), changed)
	return nil
}
