package upstream

import (
	"context"
	"strings"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	netcommon "github.com/opi-suite/opi/opi-upstream/network/opinetcommon/v1alpha1"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// NetInterfaces implements upstream's NetInterfaceService over the
// kernel's interfaces, as the native NetInterfaceService does.
type NetInterfaces struct {
	netcommon.UnimplementedNetInterfaceServiceServer
	g *network.Gateway
}

// NewNetInterfaces returns upstream's NetInterfaceService over g.
func NewNetInterfaces(g *network.Gateway) *NetInterfaces { return &NetInterfaces{g: g} }

// upstreamIfPrefix starts the names upstream's protos declare.
const upstreamIfPrefix = "netInterface/"

func ifType(ni *networkv1.NetInterface) (t netcommon.InterfaceType, logical bool) {
	switch {
	case strings.TrimPrefix(ni.GetName(), network.NetInterfacePrefix) == "lo":
		return netcommon.InterfaceType_INTERFACE_TYPE_LOOPBACK, false
	case ni.GetKind() == "" || ni.GetKind() == "veth":
		return netcommon.InterfaceType_INTERFACE_TYPE_ETHERNET, false
	}
	return netcommon.InterfaceType_INTERFACE_TYPE_UNSPECIFIED, true // a bridge, a VXLAN device, a VRF...
}

func ifFromNative(in *networkv1.NetInterface) *netcommon.NetInterface {
	id := strings.TrimPrefix(in.GetName(), network.NetInterfacePrefix)
	t, logical := ifType(in)
	admin, oper := netcommon.AdminState_ADMIN_STATE_DISABLE, netcommon.OperState_OPER_STATE_DOWN
	if in.GetAdminUp() {
		admin = netcommon.AdminState_ADMIN_STATE_ENABLE
	}
	if in.GetOperUp() {
		oper = netcommon.OperState_OPER_STATE_UP
	}
	c := in.GetCounters()
	return &netcommon.NetInterface{
		Name:   upstreamIfPrefix + id,
		Config: &netcommon.NetInterfaceConfig{Name: id, Type: t, Mtu: uint32(in.GetMtu()), Enabled: in.GetAdminUp()},
		State: &netcommon.NetInterfaceState{
			Name: id, Type: t, Mtu: uint32(in.GetMtu()), Enabled: in.GetAdminUp(), Ifindex: uint32(in.GetIfIndex()),
			AdminState: admin, OperState: oper, Logical: logical,
			Counters: &netcommon.NetInterfaceCounters{
				RxOctets: c.GetInBytes(), RxPackets: c.GetInPackets(), RxErrors: c.GetInErrors(), RxDiscards: c.GetInDrops(),
				OutOctets: c.GetOutBytes(), OutPackets: c.GetOutPackets(), OutErrors: c.GetOutErrors(), OutDiscards: c.GetOutDrops(),
			},
		},
	}
}

// GetNetInterface implements upstream's NetInterfaceService.
func (s *NetInterfaces) GetNetInterface(ctx context.Context, r *netcommon.GetNetInterfaceRequest) (*netcommon.NetInterface, error) {
	out, err := s.g.GetNetInterface(ctx, ifKind.name(r.GetName()))
	if err != nil {
		return nil, err
	}
	return ifFromNative(out), nil
}

// ListNetInterfaces implements upstream's NetInterfaceService. The parent
// upstream requires names no resource the suite has (upstream's own
// bridges do not read it): every interface of the host is listed.
func (s *NetInterfaces) ListNetInterfaces(ctx context.Context, r *netcommon.ListNetInterfacesRequest) (*netcommon.ListNetInterfacesResponse, error) {
	items, next, err := s.g.ListNetInterfaces(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &netcommon.ListNetInterfacesResponse{NextPageToken: next}
	for _, it := range items {
		out.NetInterfaces = append(out.NetInterfaces, ifFromNative(it))
	}
	return out, nil
}

// UpdateNetInterface implements upstream's NetInterfaceService: the
// kernel's interfaces take an MTU (config.mtu) and an administrative state
// (config.enabled); nothing else of upstream's config is kept.
func (s *NetInterfaces) UpdateNetInterface(ctx context.Context, r *netcommon.UpdateNetInterfaceRequest) (*netcommon.NetInterface, error) {
	in := r.GetNetInterface()
	var m *fieldmaskpb.FieldMask
	if r.GetUpdateMask() != nil {
		m = &fieldmaskpb.FieldMask{}
		for _, p := range r.GetUpdateMask().GetPaths() {
			switch p {
			case "config.mtu":
				m.Paths = append(m.Paths, "mtu")
			case "config.enabled":
				m.Paths = append(m.Paths, "admin_up")
			case "config", "*":
				m.Paths = append(m.Paths, "mtu", "admin_up")
			default:
				return nil, errdefs.InvalidArgumentf("update_mask: %s is not an updatable field (config.mtu and config.enabled are)", names.Quote(p))
			}
		}
	}
	out, err := s.g.UpdateNetInterface(ctx, &networkv1.NetInterface{
		Name: ifKind.name(in.GetName()), Mtu: int32(in.GetConfig().GetMtu()), AdminUp: in.GetConfig().GetEnabled(),
	}, m)
	if err != nil {
		return nil, err
	}
	return ifFromNative(out), nil
}
