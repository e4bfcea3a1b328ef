package service

import (
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/protobuf/types/known/emptypb"
)

// MaxLogicalVolumeMiB is the largest logical volume size the bridge
// accepts: its size in bytes must fit in 63 bits.
const MaxLogicalVolumeMiB = 1<<43 - 1

// LogicalVolumeService implements storagev1.LogicalVolumeService.
type LogicalVolumeService struct {
	pb.UnimplementedLogicalVolumeServiceServer
	l *backend.LogicalVolumeCollections
	c spdk.Caller
}

// NewLogicalVolumeService returns the service over l; c serves the Stats
// method and the stores' live cluster counts.
func NewLogicalVolumeService(l *backend.LogicalVolumeCollections, c spdk.Caller) *LogicalVolumeService {
	return &LogicalVolumeService{l: l, c: c}
}

// CreateLogicalVolumeStore formats a base volume as a store.
func (s *LogicalVolumeService) CreateLogicalVolumeStore(ctx context.Context, r *pb.CreateLogicalVolumeStoreRequest) (*pb.LogicalVolumeStore, error) {
	if err := validateStore(r.GetLogicalVolumeStore()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.l.Stores.Create(ctx, "", r.GetLogicalVolumeStoreId(), r.GetLogicalVolumeStore())
	return out, apiStatus(err)
}

// GetLogicalVolumeStore returns one store, with SPDK's current cluster
// counts.
func (s *LogicalVolumeService) GetLogicalVolumeStore(ctx context.Context, r *pb.GetLogicalVolumeStoreRequest) (*pb.LogicalVolumeStore, error) {
	out, err := s.l.Stores.Get(ctx, r.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	backend.RefreshStore(ctx, s.c, out)
	return out, nil
}

// ListLogicalVolumeStores lists stores by name.
func (s *LogicalVolumeService) ListLogicalVolumeStores(ctx context.Context, r *pb.ListLogicalVolumeStoresRequest) (*pb.ListLogicalVolumeStoresResponse, error) {
	items, next, err := s.l.Stores.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListLogicalVolumeStoresResponse{LogicalVolumeStores: items, NextPageToken: next}, nil
}

// UpdateLogicalVolumeStore changes nothing (every field is fixed) but
// creates the store with allow_missing.
func (s *LogicalVolumeService) UpdateLogicalVolumeStore(ctx context.Context, r *pb.UpdateLogicalVolumeStoreRequest) (*pb.LogicalVolumeStore, error) {
	in := r.GetLogicalVolumeStore()
	if r.GetAllowMissing() {
		if _, err := s.l.Stores.Get(ctx, in.GetName()); errors.Is(err, aip.ErrNotFound) {
			if err := validateStore(in); err != nil {
				return nil, apiStatus(err)
			}
		}
	}
	out, err := s.l.Stores.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

// DeleteLogicalVolumeStore deletes a store; with force its logical volumes
// first.
func (s *LogicalVolumeService) DeleteLogicalVolumeStore(ctx context.Context, r *pb.DeleteLogicalVolumeStoreRequest) (*emptypb.Empty, error) {
	if r.GetForce() {
		if err := s.deleteVolumesOf(ctx, r.GetName()); err != nil {
			return nil, apiStatus(err)
		}
	}
	return &emptypb.Empty{}, apiStatus(s.l.Stores.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// deleteVolumesOf deletes every logical volume of a store, page by page; one
// still in use stops it with FailedPrecondition.
func (s *LogicalVolumeService) deleteVolumesOf(ctx context.Context, store string) error {
	if err := backend.LogicalVolumeStorePattern.Validate(store); err != nil {
		return err
	}
	for {
		vols, _, err := s.l.Volumes.List(ctx, store, 0, "")
		if err != nil || len(vols) == 0 {
			return err
		}
		for _, v := range vols {
			if err := s.l.Volumes.Delete(ctx, v.GetName(), true); err != nil {
				return err
			}
		}
	}
}

// CreateLogicalVolume allocates a logical volume in a store.
func (s *LogicalVolumeService) CreateLogicalVolume(ctx context.Context, r *pb.CreateLogicalVolumeRequest) (*pb.LogicalVolume, error) {
	if err := validateLvol(r.GetLogicalVolume(), true); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.l.Volumes.Create(ctx, r.GetParent(), r.GetLogicalVolumeId(), r.GetLogicalVolume())
	return out, apiStatus(err)
}

// GetLogicalVolume returns one logical volume.
func (s *LogicalVolumeService) GetLogicalVolume(ctx context.Context, r *pb.GetLogicalVolumeRequest) (*pb.LogicalVolume, error) {
	out, err := s.l.Volumes.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListLogicalVolumes lists the logical volumes of a store by name.
func (s *LogicalVolumeService) ListLogicalVolumes(ctx context.Context, r *pb.ListLogicalVolumesRequest) (*pb.ListLogicalVolumesResponse, error) {
	items, next, err := s.l.Volumes.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListLogicalVolumesResponse{LogicalVolumes: items, NextPageToken: next}, nil
}

// UpdateLogicalVolume resizes a logical volume (size_mib is the only
// mutable field), or creates it with allow_missing.
func (s *LogicalVolumeService) UpdateLogicalVolume(ctx context.Context, r *pb.UpdateLogicalVolumeRequest) (*pb.LogicalVolume, error) {
	in := r.GetLogicalVolume()
	full := false
	if r.GetAllowMissing() {
		_, err := s.l.Volumes.Get(ctx, in.GetName())
		full = errors.Is(err, aip.ErrNotFound)
	}
	if maskHas(r.GetUpdateMask(), "size_mib", in.GetSizeMib() != 0) || full {
		if err := validateLvol(in, full); err != nil {
			return nil, apiStatus(err)
		}
	}
	out, err := s.l.Volumes.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

// DeleteLogicalVolume deletes a logical volume and its data.
func (s *LogicalVolumeService) DeleteLogicalVolume(ctx context.Context, r *pb.DeleteLogicalVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.l.Volumes.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// StatsLogicalVolume returns a logical volume's I/O counters.
func (s *LogicalVolumeService) StatsLogicalVolume(ctx context.Context, r *pb.StatsLogicalVolumeRequest) (*pb.StatsLogicalVolumeResponse, error) {
	st, err := stats(ctx, s.c, s.l.Volumes, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsLogicalVolumeResponse{Stats: st}, nil
}

func validateStore(st *pb.LogicalVolumeStore) error {
	if err := validateVolume(st.GetVolume()); err != nil {
		return err
	}
	if cs := st.GetClusterSizeBytes(); cs%4096 != 0 {
		return aip.InvalidArgumentf("cluster_size_bytes %d is not a multiple of 4096; use for example 1048576 or 4194304, or 0 for 4 MiB", cs)
	}
	return validateClearMethod(st.GetClearMethod())
}

func validateClearMethod(m pb.LogicalVolumeClearMethod) error {
	if _, ok := pb.LogicalVolumeClearMethod_name[int32(m)]; !ok {
		return aip.InvalidArgumentf("clear_method %d is not a known clear method: use NONE, UNMAP or WRITE_ZEROES, or leave it unset", m)
	}
	return nil
}

// validateLvol checks a logical volume; create says whether every field
// matters (a create) or only the size (a resize).
func validateLvol(v *pb.LogicalVolume, create bool) error {
	switch mib := v.GetSizeMib(); {
	case mib == 0:
		return aip.InvalidArgumentf("size_mib must be at least 1")
	case mib > MaxLogicalVolumeMiB:
		return aip.InvalidArgumentf("size_mib %d is too large: at most %d", mib, uint64(MaxLogicalVolumeMiB))
	}
	if !create {
		return nil
	}
	return validateClearMethod(v.GetClearMethod())
}
