// Package api implements the storage API's gRPC services thinly: each
// handler turns the request into one call of the storage domain and the
// result into the response. Errors are the domain's, unchanged: the
// runtime (opi-kit/server) maps their errdefs classes to gRPC codes.
package api

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/protobuf/types/known/emptypb"
)

// VolumeService implements storagev1.VolumeService: malloc, null and AIO
// volumes.
type VolumeService struct {
	pb.UnimplementedVolumeServiceServer
	s *storage.Storage
}

// NewVolumeService returns the service over s.
func NewVolumeService(s *storage.Storage) *VolumeService { return &VolumeService{s: s} }

// CreateMallocVolume creates a malloc volume.
func (a *VolumeService) CreateMallocVolume(ctx context.Context, r *pb.CreateMallocVolumeRequest) (*pb.MallocVolume, error) {
	return a.s.CreateMallocVolume(ctx, r.GetMallocVolumeId(), r.GetMallocVolume())
}

// GetMallocVolume returns one malloc volume.
func (a *VolumeService) GetMallocVolume(ctx context.Context, r *pb.GetMallocVolumeRequest) (*pb.MallocVolume, error) {
	return a.s.MallocVolumes.Get(ctx, r.GetName())
}

// ListMallocVolumes lists malloc volumes by name.
func (a *VolumeService) ListMallocVolumes(ctx context.Context, r *pb.ListMallocVolumesRequest) (*pb.ListMallocVolumesResponse, error) {
	items, next, err := a.s.MallocVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListMallocVolumesResponse{MallocVolumes: items, NextPageToken: next}, nil
}

// UpdateMallocVolume creates the volume with allow_missing; nothing else
// can change.
func (a *VolumeService) UpdateMallocVolume(ctx context.Context, r *pb.UpdateMallocVolumeRequest) (*pb.MallocVolume, error) {
	return a.s.UpdateMallocVolume(ctx, r.GetMallocVolume(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteMallocVolume deletes a malloc volume.
func (a *VolumeService) DeleteMallocVolume(ctx context.Context, r *pb.DeleteMallocVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.MallocVolumes.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsMallocVolume returns a malloc volume's I/O counters.
func (a *VolumeService) StatsMallocVolume(ctx context.Context, r *pb.StatsMallocVolumeRequest) (*pb.StatsMallocVolumeResponse, error) {
	st, err := a.s.MallocVolumeStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsMallocVolumeResponse{Stats: st}, nil
}

// CreateNullVolume creates a null volume.
func (a *VolumeService) CreateNullVolume(ctx context.Context, r *pb.CreateNullVolumeRequest) (*pb.NullVolume, error) {
	return a.s.CreateNullVolume(ctx, r.GetNullVolumeId(), r.GetNullVolume())
}

// GetNullVolume returns one null volume.
func (a *VolumeService) GetNullVolume(ctx context.Context, r *pb.GetNullVolumeRequest) (*pb.NullVolume, error) {
	return a.s.NullVolumes.Get(ctx, r.GetName())
}

// ListNullVolumes lists null volumes by name.
func (a *VolumeService) ListNullVolumes(ctx context.Context, r *pb.ListNullVolumesRequest) (*pb.ListNullVolumesResponse, error) {
	items, next, err := a.s.NullVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListNullVolumesResponse{NullVolumes: items, NextPageToken: next}, nil
}

// UpdateNullVolume creates the volume with allow_missing; nothing else can
// change.
func (a *VolumeService) UpdateNullVolume(ctx context.Context, r *pb.UpdateNullVolumeRequest) (*pb.NullVolume, error) {
	return a.s.UpdateNullVolume(ctx, r.GetNullVolume(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteNullVolume deletes a null volume.
func (a *VolumeService) DeleteNullVolume(ctx context.Context, r *pb.DeleteNullVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NullVolumes.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsNullVolume returns a null volume's I/O counters.
func (a *VolumeService) StatsNullVolume(ctx context.Context, r *pb.StatsNullVolumeRequest) (*pb.StatsNullVolumeResponse, error) {
	st, err := a.s.NullVolumeStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNullVolumeResponse{Stats: st}, nil
}

// CreateAioVolume creates an AIO volume.
func (a *VolumeService) CreateAioVolume(ctx context.Context, r *pb.CreateAioVolumeRequest) (*pb.AioVolume, error) {
	return a.s.CreateAioVolume(ctx, r.GetAioVolumeId(), r.GetAioVolume())
}

// GetAioVolume returns one AIO volume.
func (a *VolumeService) GetAioVolume(ctx context.Context, r *pb.GetAioVolumeRequest) (*pb.AioVolume, error) {
	return a.s.AioVolumes.Get(ctx, r.GetName())
}

// ListAioVolumes lists AIO volumes by name.
func (a *VolumeService) ListAioVolumes(ctx context.Context, r *pb.ListAioVolumesRequest) (*pb.ListAioVolumesResponse, error) {
	items, next, err := a.s.AioVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListAioVolumesResponse{AioVolumes: items, NextPageToken: next}, nil
}

// UpdateAioVolume creates the volume with allow_missing; nothing else can
// change.
func (a *VolumeService) UpdateAioVolume(ctx context.Context, r *pb.UpdateAioVolumeRequest) (*pb.AioVolume, error) {
	return a.s.UpdateAioVolume(ctx, r.GetAioVolume(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteAioVolume deletes an AIO volume; the file stays.
func (a *VolumeService) DeleteAioVolume(ctx context.Context, r *pb.DeleteAioVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.AioVolumes.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsAioVolume returns an AIO volume's I/O counters.
func (a *VolumeService) StatsAioVolume(ctx context.Context, r *pb.StatsAioVolumeRequest) (*pb.StatsAioVolumeResponse, error) {
	st, err := a.s.AioVolumeStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsAioVolumeResponse{Stats: st}, nil
}
