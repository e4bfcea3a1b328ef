// Package api is the network bridge's API layer: opi.network.v1's services
// implemented thinly, each call a request mapped to one call of the
// network domain and its result mapped to the response. Errors are the
// domain's, returned unchanged: the runtime maps their classes to gRPC
// codes. Nothing here knows the kernel or FRR.
package api

import (
	"context"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// LogicalBridges implements networkv1.LogicalBridgeServiceServer over the gateway.
type LogicalBridges struct {
	networkv1.UnimplementedLogicalBridgeServiceServer
	g *network.Gateway
}

// NewLogicalBridges returns the LogicalBridge service over g.
func NewLogicalBridges(g *network.Gateway) *LogicalBridges { return &LogicalBridges{g: g} }

// CreateLogicalBridge implements LogicalBridgeServiceServer.
func (s *LogicalBridges) CreateLogicalBridge(ctx context.Context, r *networkv1.CreateLogicalBridgeRequest) (*networkv1.LogicalBridge, error) {
	return s.g.CreateLogicalBridge(ctx, r.GetLogicalBridgeId(), r.GetLogicalBridge())
}

// GetLogicalBridge implements LogicalBridgeServiceServer.
func (s *LogicalBridges) GetLogicalBridge(ctx context.Context, r *networkv1.GetLogicalBridgeRequest) (*networkv1.LogicalBridge, error) {
	return s.g.GetLogicalBridge(ctx, r.GetName())
}

// ListLogicalBridges implements LogicalBridgeServiceServer.
func (s *LogicalBridges) ListLogicalBridges(ctx context.Context, r *networkv1.ListLogicalBridgesRequest) (*networkv1.ListLogicalBridgesResponse, error) {
	items, next, err := s.g.ListLogicalBridges(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &networkv1.ListLogicalBridgesResponse{LogicalBridges: items, NextPageToken: next}, nil
}

// UpdateLogicalBridge implements LogicalBridgeServiceServer.
func (s *LogicalBridges) UpdateLogicalBridge(ctx context.Context, r *networkv1.UpdateLogicalBridgeRequest) (*networkv1.LogicalBridge, error) {
	return s.g.UpdateLogicalBridge(ctx, r.GetLogicalBridge(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteLogicalBridge implements LogicalBridgeServiceServer.
func (s *LogicalBridges) DeleteLogicalBridge(ctx context.Context, r *networkv1.DeleteLogicalBridgeRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteLogicalBridge(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// BridgePorts implements networkv1.BridgePortServiceServer over the gateway.
type BridgePorts struct {
	networkv1.UnimplementedBridgePortServiceServer
	g *network.Gateway
}

// NewBridgePorts returns the BridgePort service over g.
func NewBridgePorts(g *network.Gateway) *BridgePorts { return &BridgePorts{g: g} }

// CreateBridgePort implements BridgePortServiceServer.
func (s *BridgePorts) CreateBridgePort(ctx context.Context, r *networkv1.CreateBridgePortRequest) (*networkv1.BridgePort, error) {
	return s.g.CreateBridgePort(ctx, r.GetBridgePortId(), r.GetBridgePort())
}

// GetBridgePort implements BridgePortServiceServer.
func (s *BridgePorts) GetBridgePort(ctx context.Context, r *networkv1.GetBridgePortRequest) (*networkv1.BridgePort, error) {
	return s.g.GetBridgePort(ctx, r.GetName())
}

// ListBridgePorts implements BridgePortServiceServer.
func (s *BridgePorts) ListBridgePorts(ctx context.Context, r *networkv1.ListBridgePortsRequest) (*networkv1.ListBridgePortsResponse, error) {
	items, next, err := s.g.ListBridgePorts(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &networkv1.ListBridgePortsResponse{BridgePorts: items, NextPageToken: next}, nil
}

// UpdateBridgePort implements BridgePortServiceServer.
func (s *BridgePorts) UpdateBridgePort(ctx context.Context, r *networkv1.UpdateBridgePortRequest) (*networkv1.BridgePort, error) {
	return s.g.UpdateBridgePort(ctx, r.GetBridgePort(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteBridgePort implements BridgePortServiceServer.
func (s *BridgePorts) DeleteBridgePort(ctx context.Context, r *networkv1.DeleteBridgePortRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteBridgePort(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Vrfs implements networkv1.VrfServiceServer over the gateway.
type Vrfs struct {
	networkv1.UnimplementedVrfServiceServer
	g *network.Gateway
}

// NewVrfs returns the Vrf service over g.
func NewVrfs(g *network.Gateway) *Vrfs { return &Vrfs{g: g} }

// CreateVrf implements VrfServiceServer.
func (s *Vrfs) CreateVrf(ctx context.Context, r *networkv1.CreateVrfRequest) (*networkv1.Vrf, error) {
	return s.g.CreateVrf(ctx, r.GetVrfId(), r.GetVrf())
}

// GetVrf implements VrfServiceServer.
func (s *Vrfs) GetVrf(ctx context.Context, r *networkv1.GetVrfRequest) (*networkv1.Vrf, error) {
	return s.g.GetVrf(ctx, r.GetName())
}

// ListVrfs implements VrfServiceServer.
func (s *Vrfs) ListVrfs(ctx context.Context, r *networkv1.ListVrfsRequest) (*networkv1.ListVrfsResponse, error) {
	items, next, err := s.g.ListVrfs(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &networkv1.ListVrfsResponse{Vrfs: items, NextPageToken: next}, nil
}

// UpdateVrf implements VrfServiceServer.
func (s *Vrfs) UpdateVrf(ctx context.Context, r *networkv1.UpdateVrfRequest) (*networkv1.Vrf, error) {
	return s.g.UpdateVrf(ctx, r.GetVrf(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteVrf implements VrfServiceServer.
func (s *Vrfs) DeleteVrf(ctx context.Context, r *networkv1.DeleteVrfRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteVrf(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// Svis implements networkv1.SviServiceServer over the gateway.
type Svis struct {
	networkv1.UnimplementedSviServiceServer
	g *network.Gateway
}

// NewSvis returns the Svi service over g.
func NewSvis(g *network.Gateway) *Svis { return &Svis{g: g} }

// CreateSvi implements SviServiceServer.
func (s *Svis) CreateSvi(ctx context.Context, r *networkv1.CreateSviRequest) (*networkv1.Svi, error) {
	return s.g.CreateSvi(ctx, r.GetSviId(), r.GetSvi())
}

// GetSvi implements SviServiceServer.
func (s *Svis) GetSvi(ctx context.Context, r *networkv1.GetSviRequest) (*networkv1.Svi, error) {
	return s.g.GetSvi(ctx, r.GetName())
}

// ListSvis implements SviServiceServer.
func (s *Svis) ListSvis(ctx context.Context, r *networkv1.ListSvisRequest) (*networkv1.ListSvisResponse, error) {
	items, next, err := s.g.ListSvis(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &networkv1.ListSvisResponse{Svis: items, NextPageToken: next}, nil
}

// UpdateSvi implements SviServiceServer.
func (s *Svis) UpdateSvi(ctx context.Context, r *networkv1.UpdateSviRequest) (*networkv1.Svi, error) {
	return s.g.UpdateSvi(ctx, r.GetSvi(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteSvi implements SviServiceServer.
func (s *Svis) DeleteSvi(ctx context.Context, r *networkv1.DeleteSviRequest) (*emptypb.Empty, error) {
	if err := s.g.DeleteSvi(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// NetInterfaces implements networkv1.NetInterfaceServiceServer over the
// gateway.
type NetInterfaces struct {
	networkv1.UnimplementedNetInterfaceServiceServer
	g *network.Gateway
}

// NewNetInterfaces returns the NetInterface service over g.
func NewNetInterfaces(g *network.Gateway) *NetInterfaces { return &NetInterfaces{g: g} }

// GetNetInterface implements NetInterfaceServiceServer.
func (s *NetInterfaces) GetNetInterface(ctx context.Context, r *networkv1.GetNetInterfaceRequest) (*networkv1.NetInterface, error) {
	return s.g.GetNetInterface(ctx, r.GetName())
}

// ListNetInterfaces implements NetInterfaceServiceServer.
func (s *NetInterfaces) ListNetInterfaces(ctx context.Context, r *networkv1.ListNetInterfacesRequest) (*networkv1.ListNetInterfacesResponse, error) {
	items, next, err := s.g.ListNetInterfaces(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &networkv1.ListNetInterfacesResponse{NetInterfaces: items, NextPageToken: next}, nil
}

// UpdateNetInterface implements NetInterfaceServiceServer.
func (s *NetInterfaces) UpdateNetInterface(ctx context.Context, r *networkv1.UpdateNetInterfaceRequest) (*networkv1.NetInterface, error) {
	return s.g.UpdateNetInterface(ctx, r.GetNetInterface(), r.GetUpdateMask())
}
