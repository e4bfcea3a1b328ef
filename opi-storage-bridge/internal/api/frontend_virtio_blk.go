package api

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/protobuf/types/known/emptypb"
)

// FrontendVirtioBlkService implements storagev1.FrontendVirtioBlkService.
type FrontendVirtioBlkService struct {
	pb.UnimplementedFrontendVirtioBlkServiceServer
	s *storage.Storage
}

// NewFrontendVirtioBlkService returns the service over s.
func NewFrontendVirtioBlkService(s *storage.Storage) *FrontendVirtioBlkService {
	return &FrontendVirtioBlkService{s: s}
}

// CreateVirtioBlk creates a virtio-blk device.
func (a *FrontendVirtioBlkService) CreateVirtioBlk(ctx context.Context, r *pb.CreateVirtioBlkRequest) (*pb.VirtioBlk, error) {
	return a.s.CreateVirtioBlk(ctx, r.GetVirtioBlkId(), r.GetVirtioBlk())
}

// GetVirtioBlk returns one device.
func (a *FrontendVirtioBlkService) GetVirtioBlk(ctx context.Context, r *pb.GetVirtioBlkRequest) (*pb.VirtioBlk, error) {
	return a.s.VirtioBlks.Get(ctx, r.GetName())
}

// ListVirtioBlks returns one page of devices.
func (a *FrontendVirtioBlkService) ListVirtioBlks(ctx context.Context, r *pb.ListVirtioBlksRequest) (*pb.ListVirtioBlksResponse, error) {
	items, next, err := a.s.VirtioBlks.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListVirtioBlksResponse{VirtioBlks: items, NextPageToken: next}, nil
}

// UpdateVirtioBlk changes interrupt coalescing.
func (a *FrontendVirtioBlkService) UpdateVirtioBlk(ctx context.Context, r *pb.UpdateVirtioBlkRequest) (*pb.VirtioBlk, error) {
	return a.s.UpdateVirtioBlk(ctx, r.GetVirtioBlk(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteVirtioBlk removes a device; the volume stays.
func (a *FrontendVirtioBlkService) DeleteVirtioBlk(ctx context.Context, r *pb.DeleteVirtioBlkRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.VirtioBlks.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsVirtioBlk returns the I/O counters of the device's volume.
func (a *FrontendVirtioBlkService) StatsVirtioBlk(ctx context.Context, r *pb.StatsVirtioBlkRequest) (*pb.StatsVirtioBlkResponse, error) {
	st, err := a.s.VirtioBlkStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsVirtioBlkResponse{Stats: st}, nil
}
