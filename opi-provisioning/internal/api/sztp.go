package api

import (
	"context"

	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-provisioning/sztp/registry"
)

// SztpDevices implements provisioningv1.SztpDeviceServiceServer.
type SztpDevices struct {
	provisioningv1.UnimplementedSztpDeviceServiceServer
	reg *registry.Registry
}

// NewSztpDevices serves reg.
func NewSztpDevices(reg *registry.Registry) *SztpDevices { return &SztpDevices{reg: reg} }

// CreateSztpDevice implements SztpDeviceServiceServer.
func (s *SztpDevices) CreateSztpDevice(ctx context.Context, r *provisioningv1.CreateSztpDeviceRequest) (*provisioningv1.SztpDevice, error) {
	return s.reg.Create(ctx, r.GetSztpDeviceId(), r.GetSztpDevice())
}

// GetSztpDevice implements SztpDeviceServiceServer.
func (s *SztpDevices) GetSztpDevice(ctx context.Context, r *provisioningv1.GetSztpDeviceRequest) (*provisioningv1.SztpDevice, error) {
	return s.reg.Get(ctx, r.GetName())
}

// ListSztpDevices implements SztpDeviceServiceServer.
func (s *SztpDevices) ListSztpDevices(ctx context.Context, r *provisioningv1.ListSztpDevicesRequest) (*provisioningv1.ListSztpDevicesResponse, error) {
	items, next, err := s.reg.List(ctx, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &provisioningv1.ListSztpDevicesResponse{SztpDevices: items, NextPageToken: next}, nil
}

// UpdateSztpDevice implements SztpDeviceServiceServer.
func (s *SztpDevices) UpdateSztpDevice(ctx context.Context, r *provisioningv1.UpdateSztpDeviceRequest) (*provisioningv1.SztpDevice, error) {
	return s.reg.Update(ctx, r.GetSztpDevice(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteSztpDevice implements SztpDeviceServiceServer.
func (s *SztpDevices) DeleteSztpDevice(ctx context.Context, r *provisioningv1.DeleteSztpDeviceRequest) (*emptypb.Empty, error) {
	if err := s.reg.Delete(ctx, r.GetName(), r.GetAllowMissing()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}
