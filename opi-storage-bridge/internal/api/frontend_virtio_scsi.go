package api

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/protobuf/types/known/emptypb"
)

// FrontendVirtioScsiService implements storagev1.FrontendVirtioScsiService:
// virtio-scsi targets and the LUNs on them.
type FrontendVirtioScsiService struct {
	pb.UnimplementedFrontendVirtioScsiServiceServer
	s *storage.Storage
}

// NewFrontendVirtioScsiService returns the service over s.
func NewFrontendVirtioScsiService(s *storage.Storage) *FrontendVirtioScsiService {
	return &FrontendVirtioScsiService{s: s}
}

// CreateVirtioScsiTarget creates a target.
func (a *FrontendVirtioScsiService) CreateVirtioScsiTarget(ctx context.Context, r *pb.CreateVirtioScsiTargetRequest) (*pb.VirtioScsiTarget, error) {
	return a.s.CreateVirtioScsiTarget(ctx, r.GetVirtioScsiTargetId(), r.GetVirtioScsiTarget())
}

// GetVirtioScsiTarget returns one target.
func (a *FrontendVirtioScsiService) GetVirtioScsiTarget(ctx context.Context, r *pb.GetVirtioScsiTargetRequest) (*pb.VirtioScsiTarget, error) {
	return a.s.VirtioScsiTargets.Get(ctx, r.GetName())
}

// ListVirtioScsiTargets returns one page of targets.
func (a *FrontendVirtioScsiService) ListVirtioScsiTargets(ctx context.Context, r *pb.ListVirtioScsiTargetsRequest) (*pb.ListVirtioScsiTargetsResponse, error) {
	items, next, err := a.s.VirtioScsiTargets.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListVirtioScsiTargetsResponse{VirtioScsiTargets: items, NextPageToken: next}, nil
}

// UpdateVirtioScsiTarget creates the target with allow_missing; nothing
// else can change.
func (a *FrontendVirtioScsiService) UpdateVirtioScsiTarget(ctx context.Context, r *pb.UpdateVirtioScsiTargetRequest) (*pb.VirtioScsiTarget, error) {
	return a.s.UpdateVirtioScsiTarget(ctx, r.GetVirtioScsiTarget(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteVirtioScsiTarget deletes a target that holds no LUN.
func (a *FrontendVirtioScsiService) DeleteVirtioScsiTarget(ctx context.Context, r *pb.DeleteVirtioScsiTargetRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.VirtioScsiTargets.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsVirtioScsiTarget sums the counters of the target's LUNs' volumes.
func (a *FrontendVirtioScsiService) StatsVirtioScsiTarget(ctx context.Context, r *pb.StatsVirtioScsiTargetRequest) (*pb.StatsVirtioScsiTargetResponse, error) {
	st, err := a.s.VirtioScsiTargetStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsVirtioScsiTargetResponse{Stats: st}, nil
}

// CreateVirtioScsiLun puts a volume on a target.
func (a *FrontendVirtioScsiService) CreateVirtioScsiLun(ctx context.Context, r *pb.CreateVirtioScsiLunRequest) (*pb.VirtioScsiLun, error) {
	return a.s.CreateVirtioScsiLun(ctx, r.GetVirtioScsiLunId(), r.GetVirtioScsiLun())
}

// GetVirtioScsiLun returns one LUN.
func (a *FrontendVirtioScsiService) GetVirtioScsiLun(ctx context.Context, r *pb.GetVirtioScsiLunRequest) (*pb.VirtioScsiLun, error) {
	return a.s.VirtioScsiLuns.Get(ctx, r.GetName())
}

// ListVirtioScsiLuns returns one page of LUNs.
func (a *FrontendVirtioScsiService) ListVirtioScsiLuns(ctx context.Context, r *pb.ListVirtioScsiLunsRequest) (*pb.ListVirtioScsiLunsResponse, error) {
	items, next, err := a.s.VirtioScsiLuns.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListVirtioScsiLunsResponse{VirtioScsiLuns: items, NextPageToken: next}, nil
}

// UpdateVirtioScsiLun creates the LUN with allow_missing; nothing else
// can change.
func (a *FrontendVirtioScsiService) UpdateVirtioScsiLun(ctx context.Context, r *pb.UpdateVirtioScsiLunRequest) (*pb.VirtioScsiLun, error) {
	return a.s.UpdateVirtioScsiLun(ctx, r.GetVirtioScsiLun(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteVirtioScsiLun hot-removes a LUN.
func (a *FrontendVirtioScsiService) DeleteVirtioScsiLun(ctx context.Context, r *pb.DeleteVirtioScsiLunRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.VirtioScsiLuns.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsVirtioScsiLun returns the counters of the LUN's volume.
func (a *FrontendVirtioScsiService) StatsVirtioScsiLun(ctx context.Context, r *pb.StatsVirtioScsiLunRequest) (*pb.StatsVirtioScsiLunResponse, error) {
	st, err := a.s.VirtioScsiLunStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsVirtioScsiLunResponse{Stats: st}, nil
}
