package api

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/protobuf/types/known/emptypb"
)

// MiddleendService implements storagev1.MiddleendService: encrypted and
// QoS volumes.
type MiddleendService struct {
	pb.UnimplementedMiddleendServiceServer
	s *storage.Storage
}

// NewMiddleendService returns the service over s.
func NewMiddleendService(s *storage.Storage) *MiddleendService { return &MiddleendService{s: s} }

// CreateEncryptedVolume stacks an encrypted volume on a base volume.
func (a *MiddleendService) CreateEncryptedVolume(ctx context.Context, r *pb.CreateEncryptedVolumeRequest) (*pb.EncryptedVolume, error) {
	return a.s.CreateEncryptedVolume(ctx, r.GetEncryptedVolumeId(), r.GetEncryptedVolume())
}

// GetEncryptedVolume returns one encrypted volume (without its keys).
func (a *MiddleendService) GetEncryptedVolume(ctx context.Context, r *pb.GetEncryptedVolumeRequest) (*pb.EncryptedVolume, error) {
	return a.s.EncryptedVolumes.Get(ctx, r.GetName())
}

// ListEncryptedVolumes lists encrypted volumes by name (without keys).
func (a *MiddleendService) ListEncryptedVolumes(ctx context.Context, r *pb.ListEncryptedVolumesRequest) (*pb.ListEncryptedVolumesResponse, error) {
	items, next, err := a.s.EncryptedVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListEncryptedVolumesResponse{EncryptedVolumes: items, NextPageToken: next}, nil
}

// UpdateEncryptedVolume creates the volume with allow_missing; nothing
// else can change.
func (a *MiddleendService) UpdateEncryptedVolume(ctx context.Context, r *pb.UpdateEncryptedVolumeRequest) (*pb.EncryptedVolume, error) {
	return a.s.UpdateEncryptedVolume(ctx, r.GetEncryptedVolume(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteEncryptedVolume deletes an encrypted volume; the base stays.
func (a *MiddleendService) DeleteEncryptedVolume(ctx context.Context, r *pb.DeleteEncryptedVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.EncryptedVolumes.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsEncryptedVolume returns an encrypted volume's I/O counters.
func (a *MiddleendService) StatsEncryptedVolume(ctx context.Context, r *pb.StatsEncryptedVolumeRequest) (*pb.StatsEncryptedVolumeResponse, error) {
	st, err := a.s.EncryptedVolumeStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsEncryptedVolumeResponse{Stats: st}, nil
}

// CreateQosVolume stacks a rate-limited volume on a base volume.
func (a *MiddleendService) CreateQosVolume(ctx context.Context, r *pb.CreateQosVolumeRequest) (*pb.QosVolume, error) {
	return a.s.CreateQosVolume(ctx, r.GetQosVolumeId(), r.GetQosVolume())
}

// GetQosVolume returns one QoS volume.
func (a *MiddleendService) GetQosVolume(ctx context.Context, r *pb.GetQosVolumeRequest) (*pb.QosVolume, error) {
	return a.s.QosVolumes.Get(ctx, r.GetName())
}

// ListQosVolumes lists QoS volumes by name.
func (a *MiddleendService) ListQosVolumes(ctx context.Context, r *pb.ListQosVolumesRequest) (*pb.ListQosVolumesResponse, error) {
	items, next, err := a.s.QosVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListQosVolumesResponse{QosVolumes: items, NextPageToken: next}, nil
}

// UpdateQosVolume changes the limits, or creates the volume with
// allow_missing.
func (a *MiddleendService) UpdateQosVolume(ctx context.Context, r *pb.UpdateQosVolumeRequest) (*pb.QosVolume, error) {
	return a.s.UpdateQosVolume(ctx, r.GetQosVolume(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteQosVolume deletes a QoS volume; the base stays.
func (a *MiddleendService) DeleteQosVolume(ctx context.Context, r *pb.DeleteQosVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.QosVolumes.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsQosVolume returns a QoS volume's I/O counters.
func (a *MiddleendService) StatsQosVolume(ctx context.Context, r *pb.StatsQosVolumeRequest) (*pb.StatsQosVolumeResponse, error) {
	st, err := a.s.QosVolumeStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsQosVolumeResponse{Stats: st}, nil
}
