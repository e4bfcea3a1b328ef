// Package api is the AI bridge's API layer: opi.ai.v1's services
// implemented thinly over the accelerator, inference and fabric domains. Errors are
// the domains', returned unchanged: the runtime maps their classes to gRPC
// codes.
package api

import (
	"context"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-ai-bridge/accelerator"
	"github.com/opi-suite/opi/opi-ai-bridge/fabric"
	"github.com/opi-suite/opi/opi-ai-bridge/inference"
)

// Accelerators implements aiv1.AcceleratorServiceServer.
type Accelerators struct {
	aiv1.UnimplementedAcceleratorServiceServer
	inv *accelerator.Inventory
}

// NewAccelerators returns the Accelerator service over inv.
func NewAccelerators(inv *accelerator.Inventory) *Accelerators { return &Accelerators{inv: inv} }

// ListAccelerators implements AcceleratorServiceServer.
func (s *Accelerators) ListAccelerators(ctx context.Context, r *aiv1.ListAcceleratorsRequest) (*aiv1.ListAcceleratorsResponse, error) {
	items, next, err := s.inv.List(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &aiv1.ListAcceleratorsResponse{Accelerators: items, NextPageToken: next}, nil
}

// GetAccelerator implements AcceleratorServiceServer.
func (s *Accelerators) GetAccelerator(ctx context.Context, r *aiv1.GetAcceleratorRequest) (*aiv1.Accelerator, error) {
	return s.inv.Get(ctx, r.GetName())
}

// StatsAccelerator implements AcceleratorServiceServer.
func (s *Accelerators) StatsAccelerator(ctx context.Context, r *aiv1.StatsAcceleratorRequest) (*aiv1.StatsAcceleratorResponse, error) {
	st, err := s.inv.Stats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &aiv1.StatsAcceleratorResponse{Stats: st}, nil
}

// InferencePools implements aiv1.InferencePoolServiceServer.
type InferencePools struct {
	aiv1.UnimplementedInferencePoolServiceServer
	pools *inference.Pools
}

// NewInferencePools returns the InferencePool service over pools.
func NewInferencePools(pools *inference.Pools) *InferencePools { return &InferencePools{pools: pools} }

// CreateInferencePool implements InferencePoolServiceServer.
func (s *InferencePools) CreateInferencePool(ctx context.Context, r *aiv1.CreateInferencePoolRequest) (*aiv1.InferencePool, error) {
	return s.pools.Create(ctx, r.GetInferencePoolId(), r.GetInferencePool())
}

// GetInferencePool implements InferencePoolServiceServer.
func (s *InferencePools) GetInferencePool(ctx context.Context, r *aiv1.GetInferencePoolRequest) (*aiv1.InferencePool, error) {
	return s.pools.Get(ctx, r.GetName())
}

// ListInferencePools implements InferencePoolServiceServer.
func (s *InferencePools) ListInferencePools(ctx context.Context, r *aiv1.ListInferencePoolsRequest) (*aiv1.ListInferencePoolsResponse, error) {
	items, next, err := s.pools.List(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &aiv1.ListInferencePoolsResponse{InferencePools: items, NextPageToken: next}, nil
}

// UpdateInferencePool implements InferencePoolServiceServer.
func (s *InferencePools) UpdateInferencePool(ctx context.Context, r *aiv1.UpdateInferencePoolRequest) (*aiv1.InferencePool, error) {
	return s.pools.Update(ctx, r.GetInferencePool(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteInferencePool implements InferencePoolServiceServer.
func (s *InferencePools) DeleteInferencePool(ctx context.Context, r *aiv1.DeleteInferencePoolRequest) (*emptypb.Empty, error) {
	if err := s.pools.Delete(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// PickEndpoint implements InferencePoolServiceServer.
func (s *InferencePools) PickEndpoint(_ context.Context, r *aiv1.PickEndpointRequest) (*aiv1.PickEndpointResponse, error) {
	pk, err := s.pools.Pick(r.GetPool(), r.GetModel(), r.GetPrompt(), false)
	if err != nil {
		return nil, err
	}
	return pk.Proto(), nil
}

// StatsInferencePool implements InferencePoolServiceServer.
func (s *InferencePools) StatsInferencePool(_ context.Context, r *aiv1.StatsInferencePoolRequest) (*aiv1.StatsInferencePoolResponse, error) {
	st, err := s.pools.Stats(r.GetName())
	if err != nil {
		return nil, err
	}
	return &aiv1.StatsInferencePoolResponse{Stats: st}, nil
}

// FabricPorts implements aiv1.AiFabricServiceServer.
type FabricPorts struct {
	aiv1.UnimplementedAiFabricServiceServer
	ports *fabric.Ports
}

// NewFabricPorts returns the AiFabric service over ports.
func NewFabricPorts(ports *fabric.Ports) *FabricPorts { return &FabricPorts{ports: ports} }

// CreateFabricPort implements AiFabricServiceServer.
func (s *FabricPorts) CreateFabricPort(ctx context.Context, r *aiv1.CreateFabricPortRequest) (*aiv1.FabricPort, error) {
	return s.ports.Create(ctx, r.GetFabricPortId(), r.GetFabricPort(), r.GetValidateOnly())
}

// GetFabricPort implements AiFabricServiceServer.
func (s *FabricPorts) GetFabricPort(ctx context.Context, r *aiv1.GetFabricPortRequest) (*aiv1.FabricPort, error) {
	return s.ports.Get(ctx, r.GetName())
}

// ListFabricPorts implements AiFabricServiceServer.
func (s *FabricPorts) ListFabricPorts(ctx context.Context, r *aiv1.ListFabricPortsRequest) (*aiv1.ListFabricPortsResponse, error) {
	items, next, err := s.ports.List(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &aiv1.ListFabricPortsResponse{FabricPorts: items, NextPageToken: next}, nil
}

// UpdateFabricPort implements AiFabricServiceServer.
func (s *FabricPorts) UpdateFabricPort(ctx context.Context, r *aiv1.UpdateFabricPortRequest) (*aiv1.FabricPort, error) {
	return s.ports.Update(ctx, r.GetFabricPort(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteFabricPort implements AiFabricServiceServer.
func (s *FabricPorts) DeleteFabricPort(ctx context.Context, r *aiv1.DeleteFabricPortRequest) (*emptypb.Empty, error) {
	if err := s.ports.Delete(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// PreflightFabricPort implements AiFabricServiceServer.
func (s *FabricPorts) PreflightFabricPort(ctx context.Context, r *aiv1.PreflightFabricPortRequest) (*aiv1.PreflightFabricPortResponse, error) {
	return s.ports.Preflight(ctx, r.GetFabricPort())
}
