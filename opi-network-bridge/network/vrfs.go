package network

import (
	"context"
	"errors"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func (g *Gateway) vrfCRUD() crud[*networkv1.Vrf] {
	return crud[*networkv1.Vrf]{g: g, coll: g.vrfs, claims: vrfClaims, decorate: g.decorateVrf}
}

// CreateVrf stores a VRF and makes its devices.
func (g *Gateway) CreateVrf(ctx context.Context, id string, v *networkv1.Vrf) (*networkv1.Vrf, error) {
	if _, err := g.checkVrf(ctx, v); err != nil {
		return nil, err
	}
	return g.vrfCRUD().create(ctx, id, v)
}

// GetVrf returns one VRF.
func (g *Gateway) GetVrf(ctx context.Context, name string) (*networkv1.Vrf, error) {
	return g.vrfCRUD().get(ctx, name)
}

// ListVrfs returns one page of VRFs.
func (g *Gateway) ListVrfs(ctx context.Context, size int32, token string) ([]*networkv1.Vrf, string, error) {
	return g.vrfCRUD().list(ctx, size, token)
}

// UpdateVrf changes a VRF's mutable fields.
func (g *Gateway) UpdateVrf(ctx context.Context, v *networkv1.Vrf, mask *fieldmaskpb.FieldMask, allowMissing bool) (*networkv1.Vrf, error) {
	return g.vrfCRUD().checkedUpdate(ctx, v, mask, allowMissing, func(n *networkv1.Vrf) error { _, err := g.checkVrf(ctx, n); return err })
}

// DeleteVrf removes a VRF; one an SVI uses is FailedPrecondition.
func (g *Gateway) DeleteVrf(ctx context.Context, name string, allowMissing bool) error {
	return g.vrfCRUD().delete(ctx, name, allowMissing)
}

// vrfSpec checks a VRF's values and converts it.
func (g *Gateway) vrfSpec(v *networkv1.Vrf) (Vrf, error) {
	var out Vrf
	if v.Vni != nil {
		if err := checkVNI("vni", v.GetVni()); err != nil {
			return out, err
		}
		out.VNI = v.GetVni()
	}
	if s := v.GetLoopbackIpPrefix(); s != "" {
		p, err := parsePrefix("loopback_ip_prefix", s)
		if err != nil {
			return out, err
		}
		out.Loopback = p
	}
	if s := v.GetVtepIp(); s != "" {
		a, err := parseAddr("vtep_ip", s)
		if err != nil {
			return out, err
		}
		out.VtepIP = a
	}
	if s := v.GetRouteDistinguisher(); s != "" {
		if err := checkRD("route_distinguisher", s); err != nil {
			return out, err
		}
		out.RD = s
	}
	for _, rt := range v.GetImportRouteTargets() {
		if err := checkRD("import_route_targets", rt); err != nil {
			return out, err
		}
	}
	for _, rt := range v.GetExportRouteTargets() {
		if err := checkRD("export_route_targets", rt); err != nil {
			return out, err
		}
	}
	out.ImportRTs, out.ExportRTs = v.GetImportRouteTargets(), v.GetExportRouteTargets()
	if out.VNI != 0 {
		out.TableID = out.VNI
	}
	return out, nil
}

func (g *Gateway) checkVrf(ctx context.Context, v *networkv1.Vrf) (Vrf, error) {
	spec, err := g.vrfSpec(v)
	if err != nil {
		return spec, err
	}
	if !g.Features().VRF {
		return spec, errdefs.FailedPreconditionf("this kernel lacks VRF devices (CONFIG_NET_VRF)")
	}
	return spec, g.checkVtep(ctx, spec.VtepIP, spec.VNI)
}

// kernelVrf is the VRF as the kernel and FRR get it.
func (g *Gateway) kernelVrf(v *networkv1.Vrf) (Vrf, error) {
	spec, err := g.vrfSpec(v)
	if err != nil {
		return spec, err
	}
	if !spec.VtepIP.IsValid() {
		spec.VtepIP = g.cfg.DefaultVtepIP
	}
	id, _ := VrfPattern.ID(v.GetName())
	spec.DeviceName = vrfDevice(spec, id)
	return spec, nil
}

// vrfDevice names a VRF's device: "vrf<vni>", or for a local VRF its id
// cut to the kernel's 15 characters.
func vrfDevice(spec Vrf, id string) string {
	if spec.VNI != 0 {
		return "vrf" + itoa(spec.VNI)
	}
	if len(id) > 15 {
		id = id[:15]
	}
	return id
}

type vrfHooks struct{ g *Gateway }

func (h vrfHooks) Create(ctx context.Context, v *networkv1.Vrf) error { return h.g.ensureVrf(ctx, v) }

func (h vrfHooks) Update(ctx context.Context, old, v *networkv1.Vrf) error {
	if err := h.g.ensureVrf(ctx, v); err != nil {
		return errors.Join(err, h.g.ensureVrf(context.WithoutCancel(ctx), old))
	}
	return nil
}

func (h vrfHooks) Delete(ctx context.Context, v *networkv1.Vrf) error {
	spec, err := h.g.kernelVrf(v)
	if err != nil {
		return err
	}
	return h.g.cfg.Kernel.RemoveVrf(ctx, spec)
}

func (g *Gateway) ensureVrf(ctx context.Context, v *networkv1.Vrf) error {
	return g.ensureVrfFor(ctx, v, true)
}

// ensureVrfFor is ensureVrf; changed says the intent changed (a create or update),
// so FRR's component is PENDING until the next sync; a replay of unchanged
// intent only asks for a sync and leaves an APPLIED component as it is.
func (g *Gateway) ensureVrfFor(ctx context.Context, v *networkv1.Vrf, changed bool) error {
	spec, err := g.kernelVrf(v)
	if err == nil {
		err = g.cfg.Kernel.EnsureVrf(ctx, spec)
	}
	if err != nil {
		g.comps.failed(v.GetName(), ComponentKernel, err)
		return err
	}
	g.comps.applied(v.GetName(), ComponentKernel)
	g.routingChanged(v.GetName(), changed)
	return nil
}
