package network

import (
	"context"
	"errors"
	"fmt"
	"slices"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

func (g *Gateway) portCRUD() crud[*networkv1.BridgePort] {
	return crud[*networkv1.BridgePort]{g: g, coll: g.ports, decorate: g.decoratePort,
		claims: func(p *networkv1.BridgePort) map[string]string {
			mac, _ := ParseMAC("mac_address", p.GetMacAddress()) // checked before
			return portClaims(p, mac.String())
		}}
}

// CreateBridgePort stores a bridge port and attaches its interface. An
// interface that does not exist yet leaves the port PENDING: it is
// attached when it appears.
func (g *Gateway) CreateBridgePort(ctx context.Context, id string, p *networkv1.BridgePort) (*networkv1.BridgePort, error) {
	if err := g.checkPort(p); err != nil {
		return nil, err
	}
	return g.portCRUD().create(ctx, id, p)
}

// GetBridgePort returns one bridge port.
func (g *Gateway) GetBridgePort(ctx context.Context, name string) (*networkv1.BridgePort, error) {
	return g.portCRUD().get(ctx, name)
}

// ListBridgePorts returns one page of bridge ports.
func (g *Gateway) ListBridgePorts(ctx context.Context, size int32, token string) ([]*networkv1.BridgePort, string, error) {
	return g.portCRUD().list(ctx, size, token)
}

// UpdateBridgePort changes the logical bridges of a port.
func (g *Gateway) UpdateBridgePort(ctx context.Context, p *networkv1.BridgePort, mask *fieldmaskpb.FieldMask, allowMissing bool) (*networkv1.BridgePort, error) {
	return g.portCRUD().checkedUpdate(ctx, p, mask, allowMissing, g.checkPort)
}

// DeleteBridgePort detaches a port's interface and forgets the port; the
// interface itself stays.
func (g *Gateway) DeleteBridgePort(ctx context.Context, name string, allowMissing bool) error {
	return g.portCRUD().delete(ctx, name, allowMissing)
}

// checkPort checks a bridge port's values.
func (g *Gateway) checkPort(p *networkv1.BridgePort) error {
	if _, err := ParseMAC("mac_address", p.GetMacAddress()); err != nil {
		return err
	}
	if p.GetInterface() != "" {
		if err := checkIfName("interface", p.GetInterface()); err != nil {
			return err
		}
	}
	lbs := p.GetLogicalBridges()
	for i, lb := range lbs {
		if err := LogicalBridgePattern.Validate(lb); err != nil {
			return errdefs.InvalidArgumentf("logical_bridges[%d]: %v", i, err)
		}
		if slices.Index(lbs, lb) != i {
			return errdefs.InvalidArgumentf("logical_bridges[%d]: %s is listed twice", i, lb)
		}
	}
	switch p.GetPtype() {
	case networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS:
		if len(lbs) != 1 {
			return errdefs.InvalidArgumentf("logical_bridges: an access port belongs to exactly one logical bridge, not %d", len(lbs))
		}
	case networkv1.BridgePortType_BRIDGE_PORT_TYPE_TRUNK:
		if len(lbs) == 0 {
			return errdefs.InvalidArgumentf("logical_bridges: a trunk port belongs to at least one logical bridge")
		}
		if !g.Features().VlanFiltering {
			return errdefs.FailedPreconditionf("ptype: a trunk port needs bridge VLAN filtering, which this kernel lacks (CONFIG_BRIDGE_VLAN_FILTERING)")
		}
	default:
		return errdefs.InvalidArgumentf("ptype: must be ACCESS or TRUNK")
	}
	return nil
}

// kernelPort is the port as the kernel gets it, with its logical bridges'
// values.
func (g *Gateway) kernelPort(ctx context.Context, p *networkv1.BridgePort) (Port, error) {
	mac, err := ParseMAC("mac_address", p.GetMacAddress())
	if err != nil {
		return Port{}, err
	}
	out := Port{Interface: p.GetInterface(), MAC: mac, Type: PortAccess}
	if p.GetPtype() == networkv1.BridgePortType_BRIDGE_PORT_TYPE_TRUNK {
		out.Type = PortTrunk
	}
	for _, name := range p.GetLogicalBridges() {
		lb, err := g.lbs.Get(ctx, name)
		if err != nil {
			return Port{}, fmt.Errorf("logical bridge %s: %w", name, err)
		}
		spec, err := g.kernelLB(lb)
		if err != nil {
			return Port{}, err
		}
		out.Bridges = append(out.Bridges, spec)
	}
	return out, nil
}

// portHooks make the kernel hold each stored change (resource.Backend).
type portHooks struct{ g *Gateway }

func (h portHooks) Create(ctx context.Context, p *networkv1.BridgePort) error {
	return h.g.ensurePort(ctx, p)
}

func (h portHooks) Update(ctx context.Context, old, p *networkv1.BridgePort) error {
	if err := h.g.removePort(ctx, old); err != nil {
		return err
	}
	if err := h.g.ensurePort(ctx, p); err != nil {
		return errors.Join(err, h.g.ensurePort(context.WithoutCancel(ctx), old))
	}
	return nil
}

func (h portHooks) Delete(ctx context.Context, p *networkv1.BridgePort) error {
	return h.g.removePort(ctx, p)
}

// ensurePort attaches the port's interface. An interface that is not there
// is not an error: the port waits for it (PENDING), and the reconcile pass
// attaches it when it appears.
func (g *Gateway) ensurePort(ctx context.Context, p *networkv1.BridgePort) error {
	spec, err := g.kernelPort(ctx, p)
	if err == nil {
		err = g.cfg.Kernel.EnsurePort(ctx, spec)
	}
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		g.comps.pending(p.GetName(), ComponentKernel, "waiting for the interface: "+errorText(err))
		return nil
	case err != nil:
		g.comps.failed(p.GetName(), ComponentKernel, err)
		return err
	}
	g.comps.applied(p.GetName(), ComponentKernel)
	return nil
}

func (g *Gateway) removePort(ctx context.Context, p *networkv1.BridgePort) error {
	spec, err := g.kernelPort(ctx, p)
	if err != nil {
		return err
	}
	err = g.cfg.Kernel.RemovePort(ctx, spec)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil // the interface is gone: nothing is attached
	}
	return err
}
