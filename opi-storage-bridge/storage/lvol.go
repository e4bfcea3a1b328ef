package storage

import (
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// MaxLogicalVolumeMiB is the largest logical volume size the bridge
// accepts: its size in bytes must fit in 63 bits.
const MaxLogicalVolumeMiB = 1<<43 - 1

// CreateLogicalVolumeStore formats a base volume as a logical volume
// store, which claims the volume.
func (s *Storage) CreateLogicalVolumeStore(ctx context.Context, id string, st *pb.LogicalVolumeStore) (*pb.LogicalVolumeStore, error) {
	if err := validateStore(st); err != nil {
		return nil, err
	}
	if err := s.requireVolume(ctx, st.GetVolume()); err != nil {
		return nil, err
	}
	return claimCreate(ctx, s, s.LogicalVolumeStores, LogicalVolumeStorePattern, id, st)
}

// UpdateLogicalVolumeStore changes nothing (every field is fixed) but
// creates the store with allowMissing.
func (s *Storage) UpdateLogicalVolumeStore(ctx context.Context, st *pb.LogicalVolumeStore, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.LogicalVolumeStore, error) {
	if allowMissing {
		if err := s.LogicalVolumeStores.exists(ctx, st.GetName()); errors.Is(err, errdefs.ErrNotFound) {
			if err := validateStore(st); err != nil {
				return nil, err
			}
		}
	}
	return claimUpdate(ctx, s, s.LogicalVolumeStores, st, mask, allowMissing, func() error { return validateStore(st) })
}

// CreateLogicalVolume allocates a logical volume in a store.
func (s *Storage) CreateLogicalVolume(ctx context.Context, parent, id string, v *pb.LogicalVolume) (*pb.LogicalVolume, error) {
	if err := validateLvol(v, true); err != nil {
		return nil, err
	}
	return s.LogicalVolumes.create(ctx, parent, id, v)
}

// UpdateLogicalVolume resizes a logical volume (size_mib is the only
// mutable field), or creates it with allowMissing.
func (s *Storage) UpdateLogicalVolume(ctx context.Context, v *pb.LogicalVolume, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.LogicalVolume, error) {
	full := false
	if allowMissing {
		full = errors.Is(s.LogicalVolumes.exists(ctx, v.GetName()), errdefs.ErrNotFound)
	}
	if maskHas(mask, "size_mib", v.GetSizeMib() != 0) || full {
		if err := validateLvol(v, full); err != nil {
			return nil, err
		}
	}
	return s.LogicalVolumes.updateChecked(ctx, v, mask, allowMissing, s.LogicalVolumes.createCheck(ctx, v.GetName(), allowMissing,
		func(next *pb.LogicalVolume) error { return validateLvol(next, true) }))
}

// LogicalVolumeStats returns a logical volume's I/O counters.
func (s *Storage) LogicalVolumeStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	return volumeStats(ctx, s, s.LogicalVolumes, name)
}

func validateStore(st *pb.LogicalVolumeStore) error {
	if err := validateVolume(st.GetVolume()); err != nil {
		return err
	}
	if cs := st.GetClusterSizeBytes(); cs%4096 != 0 {
		return errdefs.InvalidArgumentf("cluster_size_bytes %d is not a multiple of 4096; use for example 1048576 or 4194304, or 0 for 4 MiB", cs)
	}
	return validateClearMethod(st.GetClearMethod())
}

func validateClearMethod(m pb.LogicalVolumeClearMethod) error {
	if _, ok := pb.LogicalVolumeClearMethod_name[int32(m)]; !ok {
		return errdefs.InvalidArgumentf("clear_method %d is not a known clear method: use NONE, UNMAP or WRITE_ZEROES, or leave it unset", m)
	}
	return nil
}

// validateLvol checks a logical volume; create says whether every field
// matters (a create) or only the size (a resize).
func validateLvol(v *pb.LogicalVolume, create bool) error {
	switch mib := v.GetSizeMib(); {
	case mib == 0:
		return errdefs.InvalidArgumentf("size_mib must be at least 1")
	case mib > MaxLogicalVolumeMiB:
		return errdefs.InvalidArgumentf("size_mib %d is too large: at most %d", mib, uint64(MaxLogicalVolumeMiB))
	}
	if !create {
		return nil
	}
	return validateClearMethod(v.GetClearMethod())
}
