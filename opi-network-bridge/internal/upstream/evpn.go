package upstream

import (
	"context"
	"strings"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	evpn "github.com/opi-suite/opi/opi-upstream/network/evpngw/v1alpha1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// The kinds, with the collection names godpu uses besides upstream's own.
var (
	lbKind   = kind{coll: network.LogicalBridgePattern.Collection(), aliases: []string{"bridges"}}
	portKind = kind{coll: network.BridgePortPattern.Collection(), aliases: []string{"ports"}}
	vrfKind  = kind{coll: network.VrfPattern.Collection()}
	sviKind  = kind{coll: network.SviPattern.Collection()}
	// Upstream's NetInterface pattern is "netInterface/{interface}", the
	// native one "netInterfaces/{net_interface}"; upstream's own bridges
	// answer "//network.opiproject.org/interfaces/x".
	ifKind = kind{coll: strings.TrimSuffix(network.NetInterfacePrefix, "/"), aliases: []string{"netInterface", "interfaces"}}
)

// operStatus is upstream's *OperStatus value (the four kinds' enums share
// their numbers): 1 UP when every component applied the resource, 2 DOWN
// otherwise, 0 when the state is not known.
func operStatus(st *commonv1.ResourceStatus) int32 {
	isUp, known := up(st)
	switch {
	case !known:
		return 0
	case isUp:
		return 1
	}
	return 2
}

// Services returns upstream's four EVPN gateway services over g, for the
// assembly to register beside the native ones.
func Services(g *network.Gateway) (*LogicalBridges, *BridgePorts, *Vrfs, *Svis) {
	return &LogicalBridges{g: g}, &BridgePorts{g: g}, &Vrfs{g: g}, &Svis{g: g}
}

// LogicalBridges implements upstream's LogicalBridgeService.
type LogicalBridges struct {
	evpn.UnimplementedLogicalBridgeServiceServer
	g *network.Gateway
}

var lbMask = map[string]string{"spec.vlan_id": "vlan_id", "spec.vni": "vni", "spec.vtep_ip_prefix": "vtep_ip"}

func lbToNative(in *evpn.LogicalBridge) (*networkv1.LogicalBridge, error) {
	vtep, err := addrOfPrefix("logical_bridge.spec.vtep_ip_prefix", in.GetSpec().GetVtepIpPrefix())
	if err != nil {
		return nil, err
	}
	return &networkv1.LogicalBridge{Name: lbKind.name(in.GetName()), VlanId: in.GetSpec().GetVlanId(), Vni: in.GetSpec().Vni, VtepIp: vtep}, nil
}

func lbFromNative(in *networkv1.LogicalBridge) *evpn.LogicalBridge {
	return &evpn.LogicalBridge{
		Name: in.GetName(),
		Spec: &evpn.LogicalBridgeSpec{VlanId: in.GetVlanId(), Vni: in.Vni, VtepIpPrefix: prefixToUpstream(in.GetVtepIp())},
		Status: &evpn.LogicalBridgeStatus{
			OperStatus: evpn.LBOperStatus(operStatus(in.GetStatus())),
			Components: components(in.GetComponents()),
		},
	}
}

// CreateLogicalBridge implements upstream's LogicalBridgeService.
func (s *LogicalBridges) CreateLogicalBridge(ctx context.Context, r *evpn.CreateLogicalBridgeRequest) (*evpn.LogicalBridge, error) {
	id, err := idOrNew(r.GetLogicalBridgeId())
	if err != nil {
		return nil, err
	}
	lb, err := lbToNative(r.GetLogicalBridge())
	if err != nil {
		return nil, err
	}
	lb.Name = ""
	out, err := s.g.CreateLogicalBridge(ctx, id, lb)
	if err != nil {
		return nil, err
	}
	return lbFromNative(out), nil
}

// GetLogicalBridge implements upstream's LogicalBridgeService.
func (s *LogicalBridges) GetLogicalBridge(ctx context.Context, r *evpn.GetLogicalBridgeRequest) (*evpn.LogicalBridge, error) {
	out, err := s.g.GetLogicalBridge(ctx, lbKind.name(r.GetName()))
	if err != nil {
		return nil, err
	}
	return lbFromNative(out), nil
}

// ListLogicalBridges implements upstream's LogicalBridgeService.
func (s *LogicalBridges) ListLogicalBridges(ctx context.Context, r *evpn.ListLogicalBridgesRequest) (*evpn.ListLogicalBridgesResponse, error) {
	items, next, err := s.g.ListLogicalBridges(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &evpn.ListLogicalBridgesResponse{NextPageToken: next}
	for _, it := range items {
		out.LogicalBridges = append(out.LogicalBridges, lbFromNative(it))
	}
	return out, nil
}

// UpdateLogicalBridge implements upstream's LogicalBridgeService.
func (s *LogicalBridges) UpdateLogicalBridge(ctx context.Context, r *evpn.UpdateLogicalBridgeRequest) (*evpn.LogicalBridge, error) {
	m, err := mask(r.GetUpdateMask(), lbMask)
	if err != nil {
		return nil, err
	}
	lb, err := lbToNative(r.GetLogicalBridge())
	if err != nil {
		return nil, err
	}
	out, err := s.g.UpdateLogicalBridge(ctx, lb, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return lbFromNative(out), nil
}

// DeleteLogicalBridge implements upstream's LogicalBridgeService.
func (s *LogicalBridges) DeleteLogicalBridge(ctx context.Context, r *evpn.DeleteLogicalBridgeRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteLogicalBridge(ctx, lbKind.name(r.GetName()), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// BridgePorts implements upstream's BridgePortService.
type BridgePorts struct {
	evpn.UnimplementedBridgePortServiceServer
	g *network.Gateway
}

var portMask = map[string]string{"spec.mac_address": "mac_address", "spec.ptype": "ptype", "spec.logical_bridges": "logical_bridges"}

func portToNative(in *evpn.BridgePort) (*networkv1.BridgePort, error) {
	mac, err := macFromUpstream("bridge_port.spec.mac_address", in.GetSpec().GetMacAddress())
	if err != nil {
		return nil, err
	}
	return &networkv1.BridgePort{
		Name:           portKind.name(in.GetName()),
		MacAddress:     mac,
		Ptype:          networkv1.BridgePortType(in.GetSpec().GetPtype()),
		LogicalBridges: lbKind.names(in.GetSpec().GetLogicalBridges()),
	}, nil
}

func portFromNative(in *networkv1.BridgePort) *evpn.BridgePort {
	return &evpn.BridgePort{
		Name: in.GetName(),
		Spec: &evpn.BridgePortSpec{
			MacAddress:     macToUpstream(in.GetMacAddress()),
			Ptype:          evpn.BridgePortType(in.GetPtype()),
			LogicalBridges: in.GetLogicalBridges(),
		},
		Status: &evpn.BridgePortStatus{
			OperStatus: evpn.BPOperStatus(operStatus(in.GetStatus())),
			Components: components(in.GetComponents()),
		},
	}
}

// CreateBridgePort implements upstream's BridgePortService.
func (s *BridgePorts) CreateBridgePort(ctx context.Context, r *evpn.CreateBridgePortRequest) (*evpn.BridgePort, error) {
	id, err := idOrNew(r.GetBridgePortId())
	if err != nil {
		return nil, err
	}
	p, err := portToNative(r.GetBridgePort())
	if err != nil {
		return nil, err
	}
	p.Name = ""
	out, err := s.g.CreateBridgePort(ctx, id, p)
	if err != nil {
		return nil, err
	}
	return portFromNative(out), nil
}

// GetBridgePort implements upstream's BridgePortService.
func (s *BridgePorts) GetBridgePort(ctx context.Context, r *evpn.GetBridgePortRequest) (*evpn.BridgePort, error) {
	out, err := s.g.GetBridgePort(ctx, portKind.name(r.GetName()))
	if err != nil {
		return nil, err
	}
	return portFromNative(out), nil
}

// ListBridgePorts implements upstream's BridgePortService.
func (s *BridgePorts) ListBridgePorts(ctx context.Context, r *evpn.ListBridgePortsRequest) (*evpn.ListBridgePortsResponse, error) {
	items, next, err := s.g.ListBridgePorts(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &evpn.ListBridgePortsResponse{NextPageToken: next}
	for _, it := range items {
		out.BridgePorts = append(out.BridgePorts, portFromNative(it))
	}
	return out, nil
}

// UpdateBridgePort implements upstream's BridgePortService.
func (s *BridgePorts) UpdateBridgePort(ctx context.Context, r *evpn.UpdateBridgePortRequest) (*evpn.BridgePort, error) {
	m, err := mask(r.GetUpdateMask(), portMask)
	if err != nil {
		return nil, err
	}
	p, err := portToNative(r.GetBridgePort())
	if err != nil {
		return nil, err
	}
	out, err := s.g.UpdateBridgePort(ctx, p, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return portFromNative(out), nil
}

// DeleteBridgePort implements upstream's BridgePortService.
func (s *BridgePorts) DeleteBridgePort(ctx context.Context, r *evpn.DeleteBridgePortRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteBridgePort(ctx, portKind.name(r.GetName()), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Vrfs implements upstream's VrfService.
type Vrfs struct {
	evpn.UnimplementedVrfServiceServer
	g *network.Gateway
}

var vrfMask = map[string]string{"spec.vni": "vni", "spec.loopback_ip_prefix": "loopback_ip_prefix", "spec.vtep_ip_prefix": "vtep_ip"}

func vrfToNative(in *evpn.Vrf) (*networkv1.Vrf, error) {
	loopback, err := prefixFromUpstream("vrf.spec.loopback_ip_prefix", in.GetSpec().GetLoopbackIpPrefix())
	if err != nil {
		return nil, err
	}
	vtep, err := addrOfPrefix("vrf.spec.vtep_ip_prefix", in.GetSpec().GetVtepIpPrefix())
	if err != nil {
		return nil, err
	}
	return &networkv1.Vrf{Name: vrfKind.name(in.GetName()), Vni: in.GetSpec().Vni, LoopbackIpPrefix: loopback, VtepIp: vtep}, nil
}

func vrfFromNative(in *networkv1.Vrf) *evpn.Vrf {
	return &evpn.Vrf{
		Name: in.GetName(),
		Spec: &evpn.VrfSpec{
			Vni:              in.Vni,
			LoopbackIpPrefix: prefixToUpstream(in.GetLoopbackIpPrefix()),
			VtepIpPrefix:     prefixToUpstream(in.GetVtepIp()),
		},
		Status: &evpn.VrfStatus{
			OperStatus: evpn.VRFOperStatus(operStatus(in.GetStatus())),
			Components: components(in.GetComponents()),
		},
	}
}

// CreateVrf implements upstream's VrfService.
func (s *Vrfs) CreateVrf(ctx context.Context, r *evpn.CreateVrfRequest) (*evpn.Vrf, error) {
	id, err := idOrNew(r.GetVrfId())
	if err != nil {
		return nil, err
	}
	v, err := vrfToNative(r.GetVrf())
	if err != nil {
		return nil, err
	}
	v.Name = ""
	out, err := s.g.CreateVrf(ctx, id, v)
	if err != nil {
		return nil, err
	}
	return vrfFromNative(out), nil
}

// GetVrf implements upstream's VrfService.
func (s *Vrfs) GetVrf(ctx context.Context, r *evpn.GetVrfRequest) (*evpn.Vrf, error) {
	out, err := s.g.GetVrf(ctx, vrfKind.name(r.GetName()))
	if err != nil {
		return nil, err
	}
	return vrfFromNative(out), nil
}

// ListVrfs implements upstream's VrfService.
func (s *Vrfs) ListVrfs(ctx context.Context, r *evpn.ListVrfsRequest) (*evpn.ListVrfsResponse, error) {
	items, next, err := s.g.ListVrfs(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &evpn.ListVrfsResponse{NextPageToken: next}
	for _, it := range items {
		out.Vrfs = append(out.Vrfs, vrfFromNative(it))
	}
	return out, nil
}

// UpdateVrf implements upstream's VrfService.
func (s *Vrfs) UpdateVrf(ctx context.Context, r *evpn.UpdateVrfRequest) (*evpn.Vrf, error) {
	m, err := mask(r.GetUpdateMask(), vrfMask)
	if err != nil {
		return nil, err
	}
	v, err := vrfToNative(r.GetVrf())
	if err != nil {
		return nil, err
	}
	out, err := s.g.UpdateVrf(ctx, v, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return vrfFromNative(out), nil
}

// DeleteVrf implements upstream's VrfService.
func (s *Vrfs) DeleteVrf(ctx context.Context, r *evpn.DeleteVrfRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteVrf(ctx, vrfKind.name(r.GetName()), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Svis implements upstream's SviService.
type Svis struct {
	evpn.UnimplementedSviServiceServer
	g *network.Gateway
}

var sviMask = map[string]string{
	"spec.vrf": "vrf", "spec.logical_bridge": "logical_bridge", "spec.mac_address": "mac_address",
	"spec.gw_ip_prefix": "gw_ip_prefixes", "spec.enable_bgp": "enable_bgp", "spec.remote_as": "remote_as",
}

func sviToNative(in *evpn.Svi) (*networkv1.Svi, error) {
	spec := in.GetSpec()
	mac, err := macFromUpstream("svi.spec.mac_address", spec.GetMacAddress())
	if err != nil {
		return nil, err
	}
	var gws []string
	for _, p := range spec.GetGwIpPrefix() {
		s, err := prefixFromUpstream("svi.spec.gw_ip_prefix", p)
		if err != nil {
			return nil, err
		}
		gws = append(gws, s)
	}
	out := &networkv1.Svi{
		Name: sviKind.name(in.GetName()), MacAddress: mac, GwIpPrefixes: gws,
		EnableBgp: spec.GetEnableBgp(), RemoteAs: spec.GetRemoteAs(),
	}
	if spec.GetVrf() != "" {
		out.Vrf = vrfKind.name(spec.GetVrf())
	}
	if spec.GetLogicalBridge() != "" {
		out.LogicalBridge = lbKind.name(spec.GetLogicalBridge())
	}
	return out, nil
}

func sviFromNative(in *networkv1.Svi) *evpn.Svi {
	spec := &evpn.SviSpec{
		Vrf: in.GetVrf(), LogicalBridge: in.GetLogicalBridge(), MacAddress: macToUpstream(in.GetMacAddress()),
		EnableBgp: in.GetEnableBgp(), RemoteAs: in.GetRemoteAs(),
	}
	for _, p := range in.GetGwIpPrefixes() {
		spec.GwIpPrefix = append(spec.GwIpPrefix, prefixToUpstream(p))
	}
	return &evpn.Svi{
		Name: in.GetName(),
		Spec: spec,
		Status: &evpn.SviStatus{
			OperStatus: evpn.SVIOperStatus(operStatus(in.GetStatus())),
			Components: components(in.GetComponents()),
		},
	}
}

// CreateSvi implements upstream's SviService.
func (s *Svis) CreateSvi(ctx context.Context, r *evpn.CreateSviRequest) (*evpn.Svi, error) {
	id, err := idOrNew(r.GetSviId())
	if err != nil {
		return nil, err
	}
	v, err := sviToNative(r.GetSvi())
	if err != nil {
		return nil, err
	}
	v.Name = ""
	out, err := s.g.CreateSvi(ctx, id, v)
	if err != nil {
		return nil, err
	}
	return sviFromNative(out), nil
}

// GetSvi implements upstream's SviService.
func (s *Svis) GetSvi(ctx context.Context, r *evpn.GetSviRequest) (*evpn.Svi, error) {
	out, err := s.g.GetSvi(ctx, sviKind.name(r.GetName()))
	if err != nil {
		return nil, err
	}
	return sviFromNative(out), nil
}

// ListSvis implements upstream's SviService.
func (s *Svis) ListSvis(ctx context.Context, r *evpn.ListSvisRequest) (*evpn.ListSvisResponse, error) {
	items, next, err := s.g.ListSvis(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &evpn.ListSvisResponse{NextPageToken: next}
	for _, it := range items {
		out.Svis = append(out.Svis, sviFromNative(it))
	}
	return out, nil
}

// UpdateSvi implements upstream's SviService.
func (s *Svis) UpdateSvi(ctx context.Context, r *evpn.UpdateSviRequest) (*evpn.Svi, error) {
	m, err := mask(r.GetUpdateMask(), sviMask)
	if err != nil {
		return nil, err
	}
	v, err := sviToNative(r.GetSvi())
	if err != nil {
		return nil, err
	}
	out, err := s.g.UpdateSvi(ctx, v, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return sviFromNative(out), nil
}

// DeleteSvi implements upstream's SviService.
func (s *Svis) DeleteSvi(ctx context.Context, r *evpn.DeleteSviRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteSvi(ctx, sviKind.name(r.GetName()), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
