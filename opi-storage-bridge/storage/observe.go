package storage

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// VolumeStatsLister is implemented by a Reader that reads the I/O counters
// of many volumes in one backend call. Metrics scrapes use it; a Reader
// without it serves per-resource stats only.
type VolumeStatsLister interface {
	// EachVolumeStats returns the counters of each named volume the
	// backend holds, by volume name; a volume the backend does not hold is
	// left out.
	EachVolumeStats(ctx context.Context, volumes []string) (map[string]*pb.VolumeStats, error)
}

// Counts returns how many resources of each kind the intent store holds,
// by kind (KindMallocVolumes, ...). It reads names only, not the
// resources.
func (s *Storage) Counts(ctx context.Context) (map[string]int, error) {
	out := make(map[string]int, 15)
	for _, k := range s.kinds() {
		names, err := k.names(ctx)
		if err != nil {
			return nil, err
		}
		out[k.kind] = len(names)
	}
	return out, nil
}

// EachVolumeStats returns the I/O counters of every stored volume (malloc,
// null, AIO, logical, encrypted and QoS) that the backend holds, by
// resource name, read in one go. It is Unimplemented when the backend's
// Reader is no VolumeStatsLister.
func (s *Storage) EachVolumeStats(ctx context.Context) (map[string]*pb.VolumeStats, error) {
	l, ok := s.read.(VolumeStatsLister)
	if !ok {
		return nil, errdefs.Unimplementedf("the storage backend cannot read the counters of every volume at once")
	}
	var volumes []string
	for _, k := range s.kinds() {
		if !k.volume {
			continue
		}
		names, err := k.names(ctx)
		if err != nil {
			return nil, err
		}
		volumes = append(volumes, names...)
	}
	if len(volumes) == 0 {
		return map[string]*pb.VolumeStats{}, nil
	}
	return l.EachVolumeStats(ctx, volumes)
}

// storedKind is one kind's name and a way to list the names it stores.
type storedKind struct {
	kind   string
	names  func(context.Context) ([]string, error)
	volume bool // the kind's resources are volumes
}

func (s *Storage) kinds() []storedKind {
	return []storedKind{
		{KindMallocVolumes, s.MallocVolumes.c.Names, true},
		{KindNullVolumes, s.NullVolumes.c.Names, true},
		{KindAioVolumes, s.AioVolumes.c.Names, true},
		{KindLogicalVolumeStores, s.LogicalVolumeStores.c.Names, false},
		{KindLogicalVolumes, s.LogicalVolumes.c.Names, true},
		{KindEncryptedVolumes, s.EncryptedVolumes.c.Names, true},
		{KindQosVolumes, s.QosVolumes.c.Names, true},
		{KindNvmeRemoteControllers, s.NvmeRemoteControllers.c.Names, false},
		{KindNvmePaths, s.NvmePaths.c.Names, false},
		{KindNvmeSubsystems, s.NvmeSubsystems.c.Names, false},
		{KindNvmeNamespaces, s.NvmeNamespaces.c.Names, false},
		{KindNvmeControllers, s.NvmeControllers.c.Names, false},
		{KindVirtioBlks, s.VirtioBlks.c.Names, false},
		{KindVirtioScsiTargets, s.VirtioScsiTargets.c.Names, false},
		{KindVirtioScsiLuns, s.VirtioScsiLuns.c.Names, false},
	}
}
