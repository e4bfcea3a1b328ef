package api

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/protobuf/types/known/emptypb"
)

// LogicalVolumeService implements storagev1.LogicalVolumeService: logical
// volume stores and their logical volumes.
type LogicalVolumeService struct {
	pb.UnimplementedLogicalVolumeServiceServer
	s *storage.Storage
}

// NewLogicalVolumeService returns the service over s.
func NewLogicalVolumeService(s *storage.Storage) *LogicalVolumeService {
	return &LogicalVolumeService{s: s}
}

// CreateLogicalVolumeStore formats a base volume as a store.
func (a *LogicalVolumeService) CreateLogicalVolumeStore(ctx context.Context, r *pb.CreateLogicalVolumeStoreRequest) (*pb.LogicalVolumeStore, error) {
	return a.s.CreateLogicalVolumeStore(ctx, r.GetLogicalVolumeStoreId(), r.GetLogicalVolumeStore())
}

// GetLogicalVolumeStore returns one store, with the backend's current
// cluster counts.
func (a *LogicalVolumeService) GetLogicalVolumeStore(ctx context.Context, r *pb.GetLogicalVolumeStoreRequest) (*pb.LogicalVolumeStore, error) {
	return a.s.LogicalVolumeStores.Get(ctx, r.GetName())
}

// ListLogicalVolumeStores lists stores by name.
func (a *LogicalVolumeService) ListLogicalVolumeStores(ctx context.Context, r *pb.ListLogicalVolumeStoresRequest) (*pb.ListLogicalVolumeStoresResponse, error) {
	items, next, err := a.s.LogicalVolumeStores.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListLogicalVolumeStoresResponse{LogicalVolumeStores: items, NextPageToken: next}, nil
}

// UpdateLogicalVolumeStore creates the store with allow_missing; nothing
// else can change.
func (a *LogicalVolumeService) UpdateLogicalVolumeStore(ctx context.Context, r *pb.UpdateLogicalVolumeStoreRequest) (*pb.LogicalVolumeStore, error) {
	return a.s.UpdateLogicalVolumeStore(ctx, r.GetLogicalVolumeStore(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteLogicalVolumeStore deletes a store; with force its logical volumes
// first.
func (a *LogicalVolumeService) DeleteLogicalVolumeStore(ctx context.Context, r *pb.DeleteLogicalVolumeStoreRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.LogicalVolumeStores.Delete(ctx, r.GetName(), r.GetAllowMissing(), r.GetForce())
}

// CreateLogicalVolume allocates a logical volume in a store.
func (a *LogicalVolumeService) CreateLogicalVolume(ctx context.Context, r *pb.CreateLogicalVolumeRequest) (*pb.LogicalVolume, error) {
	return a.s.CreateLogicalVolume(ctx, r.GetParent(), r.GetLogicalVolumeId(), r.GetLogicalVolume())
}

// GetLogicalVolume returns one logical volume.
func (a *LogicalVolumeService) GetLogicalVolume(ctx context.Context, r *pb.GetLogicalVolumeRequest) (*pb.LogicalVolume, error) {
	return a.s.LogicalVolumes.Get(ctx, r.GetName())
}

// ListLogicalVolumes lists the logical volumes of a store by name.
func (a *LogicalVolumeService) ListLogicalVolumes(ctx context.Context, r *pb.ListLogicalVolumesRequest) (*pb.ListLogicalVolumesResponse, error) {
	items, next, err := a.s.LogicalVolumes.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListLogicalVolumesResponse{LogicalVolumes: items, NextPageToken: next}, nil
}

// UpdateLogicalVolume resizes a logical volume, or creates it with
// allow_missing.
func (a *LogicalVolumeService) UpdateLogicalVolume(ctx context.Context, r *pb.UpdateLogicalVolumeRequest) (*pb.LogicalVolume, error) {
	return a.s.UpdateLogicalVolume(ctx, r.GetLogicalVolume(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteLogicalVolume deletes a logical volume and its data.
func (a *LogicalVolumeService) DeleteLogicalVolume(ctx context.Context, r *pb.DeleteLogicalVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.LogicalVolumes.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsLogicalVolume returns a logical volume's I/O counters.
func (a *LogicalVolumeService) StatsLogicalVolume(ctx context.Context, r *pb.StatsLogicalVolumeRequest) (*pb.StatsLogicalVolumeResponse, error) {
	st, err := a.s.LogicalVolumeStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsLogicalVolumeResponse{Stats: st}, nil
}
