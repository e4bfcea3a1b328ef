package upstream

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// Every field of the three volume kinds is fixed once created: an update
// changes nothing, but creates the volume with allow_missing, and refuses
// a changed field as the native API does.
var (
	mallocMask = map[string][]string{"block_size": {"block_size"}, "blocks_count": {"block_count"}, "uuid": {"uuid"}}
	nullMask   = map[string][]string{"block_size": {"block_size"}, "blocks_count": {"block_count"}, "uuid": {"uuid"}}
	aioMask    = map[string][]string{"block_size": {"block_size"}, "uuid": {"uuid"}, "filename": {"filename"}}
)

// MallocVolumes implements upstream's MallocVolumeService.
type MallocVolumes struct {
	up.UnimplementedMallocVolumeServiceServer
	s *storage.Storage
}

func mallocToNative(in *up.MallocVolume) (*pb.MallocVolume, error) {
	if err := refuse(in.GetMetadataSize() != 0, "malloc_volume.metadata_size", "the bridge makes malloc volumes without per-block metadata"); err != nil {
		return nil, err
	}
	bs, err := u32("malloc_volume.block_size", in.GetBlockSize())
	if err != nil {
		return nil, err
	}
	if in.GetBlocksCount() < 0 {
		return nil, refuse(true, "malloc_volume.blocks_count", "it is negative")
	}
	return &pb.MallocVolume{Name: name(storage.KindMallocVolumes, in.GetName()), BlockSize: bs, BlockCount: uint64(in.GetBlocksCount()), Uuid: in.GetUuid()}, nil
}

func mallocFromNative(in *pb.MallocVolume) *up.MallocVolume {
	return &up.MallocVolume{Name: in.GetName(), BlockSize: int64(in.GetBlockSize()), BlocksCount: int64(in.GetBlockCount()), Uuid: in.GetUuid()}
}

// CreateMallocVolume implements upstream's MallocVolumeService.
func (a *MallocVolumes) CreateMallocVolume(ctx context.Context, r *up.CreateMallocVolumeRequest) (*up.MallocVolume, error) {
	id, err := idOrNew(r.GetMallocVolumeId())
	if err != nil {
		return nil, err
	}
	v, err := mallocToNative(r.GetMallocVolume())
	if err != nil {
		return nil, err
	}
	v.Name = ""
	out, err := a.s.CreateMallocVolume(ctx, id, v)
	if err != nil {
		return nil, err
	}
	return mallocFromNative(out), nil
}

// DeleteMallocVolume implements upstream's MallocVolumeService.
func (a *MallocVolumes) DeleteMallocVolume(ctx context.Context, r *up.DeleteMallocVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.MallocVolumes.Delete(ctx, name(storage.KindMallocVolumes, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateMallocVolume implements upstream's MallocVolumeService.
func (a *MallocVolumes) UpdateMallocVolume(ctx context.Context, r *up.UpdateMallocVolumeRequest) (*up.MallocVolume, error) {
	m, err := mask(r.GetUpdateMask(), mallocMask)
	if err != nil {
		return nil, err
	}
	v, err := mallocToNative(r.GetMallocVolume())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateMallocVolume(ctx, v, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return mallocFromNative(out), nil
}

// ListMallocVolumes implements upstream's MallocVolumeService.
func (a *MallocVolumes) ListMallocVolumes(ctx context.Context, r *up.ListMallocVolumesRequest) (*up.ListMallocVolumesResponse, error) {
	items, next, err := a.s.MallocVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListMallocVolumesResponse{NextPageToken: next}
	for _, it := range items {
		out.MallocVolumes = append(out.MallocVolumes, mallocFromNative(it))
	}
	return out, nil
}

// GetMallocVolume implements upstream's MallocVolumeService.
func (a *MallocVolumes) GetMallocVolume(ctx context.Context, r *up.GetMallocVolumeRequest) (*up.MallocVolume, error) {
	out, err := a.s.MallocVolumes.Get(ctx, name(storage.KindMallocVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return mallocFromNative(out), nil
}

// StatsMallocVolume implements upstream's MallocVolumeService.
func (a *MallocVolumes) StatsMallocVolume(ctx context.Context, r *up.StatsMallocVolumeRequest) (*up.StatsMallocVolumeResponse, error) {
	st, err := a.s.MallocVolumeStats(ctx, name(storage.KindMallocVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsMallocVolumeResponse{Stats: stats(st)}, nil
}

// NullVolumes implements upstream's NullVolumeService.
type NullVolumes struct {
	up.UnimplementedNullVolumeServiceServer
	s *storage.Storage
}

func nullToNative(in *up.NullVolume) (*pb.NullVolume, error) {
	bs, err := u32("null_volume.block_size", in.GetBlockSize())
	if err != nil {
		return nil, err
	}
	if in.GetBlocksCount() < 0 {
		return nil, refuse(true, "null_volume.blocks_count", "it is negative")
	}
	return &pb.NullVolume{Name: name(storage.KindNullVolumes, in.GetName()), BlockSize: bs, BlockCount: uint64(in.GetBlocksCount()), Uuid: in.GetUuid()}, nil
}

func nullFromNative(in *pb.NullVolume) *up.NullVolume {
	return &up.NullVolume{Name: in.GetName(), BlockSize: int64(in.GetBlockSize()), BlocksCount: int64(in.GetBlockCount()), Uuid: in.GetUuid()}
}

// CreateNullVolume implements upstream's NullVolumeService.
func (a *NullVolumes) CreateNullVolume(ctx context.Context, r *up.CreateNullVolumeRequest) (*up.NullVolume, error) {
	id, err := idOrNew(r.GetNullVolumeId())
	if err != nil {
		return nil, err
	}
	v, err := nullToNative(r.GetNullVolume())
	if err != nil {
		return nil, err
	}
	v.Name = ""
	out, err := a.s.CreateNullVolume(ctx, id, v)
	if err != nil {
		return nil, err
	}
	return nullFromNative(out), nil
}

// DeleteNullVolume implements upstream's NullVolumeService.
func (a *NullVolumes) DeleteNullVolume(ctx context.Context, r *up.DeleteNullVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NullVolumes.Delete(ctx, name(storage.KindNullVolumes, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateNullVolume implements upstream's NullVolumeService.
func (a *NullVolumes) UpdateNullVolume(ctx context.Context, r *up.UpdateNullVolumeRequest) (*up.NullVolume, error) {
	m, err := mask(r.GetUpdateMask(), nullMask)
	if err != nil {
		return nil, err
	}
	v, err := nullToNative(r.GetNullVolume())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateNullVolume(ctx, v, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return nullFromNative(out), nil
}

// ListNullVolumes implements upstream's NullVolumeService.
func (a *NullVolumes) ListNullVolumes(ctx context.Context, r *up.ListNullVolumesRequest) (*up.ListNullVolumesResponse, error) {
	items, next, err := a.s.NullVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListNullVolumesResponse{NextPageToken: next}
	for _, it := range items {
		out.NullVolumes = append(out.NullVolumes, nullFromNative(it))
	}
	return out, nil
}

// GetNullVolume implements upstream's NullVolumeService.
func (a *NullVolumes) GetNullVolume(ctx context.Context, r *up.GetNullVolumeRequest) (*up.NullVolume, error) {
	out, err := a.s.NullVolumes.Get(ctx, name(storage.KindNullVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return nullFromNative(out), nil
}

// StatsNullVolume implements upstream's NullVolumeService.
func (a *NullVolumes) StatsNullVolume(ctx context.Context, r *up.StatsNullVolumeRequest) (*up.StatsNullVolumeResponse, error) {
	st, err := a.s.NullVolumeStats(ctx, name(storage.KindNullVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsNullVolumeResponse{Stats: stats(st)}, nil
}

// AioVolumes implements upstream's AioVolumeService.
type AioVolumes struct {
	up.UnimplementedAioVolumeServiceServer
	s *storage.Storage
}

// aioToNative reads an AIO volume. Upstream's blocks_count is not read:
// the size is the file's, and is answered as SPDK reports it.
func aioToNative(in *up.AioVolume) (*pb.AioVolume, error) {
	bs, err := u32("aio_volume.block_size", in.GetBlockSize())
	if err != nil {
		return nil, err
	}
	return &pb.AioVolume{Name: name(storage.KindAioVolumes, in.GetName()), Filename: in.GetFilename(), BlockSize: bs, Uuid: in.GetUuid()}, nil
}

func aioFromNative(in *pb.AioVolume) *up.AioVolume {
	return &up.AioVolume{Name: in.GetName(), Filename: in.GetFilename(), BlockSize: int64(in.GetBlockSize()), BlocksCount: int64(in.GetBlockCount()), Uuid: in.GetUuid()}
}

// CreateAioVolume implements upstream's AioVolumeService.
func (a *AioVolumes) CreateAioVolume(ctx context.Context, r *up.CreateAioVolumeRequest) (*up.AioVolume, error) {
	id, err := idOrNew(r.GetAioVolumeId())
	if err != nil {
		return nil, err
	}
	v, err := aioToNative(r.GetAioVolume())
	if err != nil {
		return nil, err
	}
	v.Name = ""
	out, err := a.s.CreateAioVolume(ctx, id, v)
	if err != nil {
		return nil, err
	}
	return aioFromNative(out), nil
}

// DeleteAioVolume implements upstream's AioVolumeService.
func (a *AioVolumes) DeleteAioVolume(ctx context.Context, r *up.DeleteAioVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.AioVolumes.Delete(ctx, name(storage.KindAioVolumes, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateAioVolume implements upstream's AioVolumeService.
func (a *AioVolumes) UpdateAioVolume(ctx context.Context, r *up.UpdateAioVolumeRequest) (*up.AioVolume, error) {
	m, err := mask(r.GetUpdateMask(), aioMask)
	if err != nil {
		return nil, err
	}
	v, err := aioToNative(r.GetAioVolume())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateAioVolume(ctx, v, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return aioFromNative(out), nil
}

// ListAioVolumes implements upstream's AioVolumeService.
func (a *AioVolumes) ListAioVolumes(ctx context.Context, r *up.ListAioVolumesRequest) (*up.ListAioVolumesResponse, error) {
	items, next, err := a.s.AioVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListAioVolumesResponse{NextPageToken: next}
	for _, it := range items {
		out.AioVolumes = append(out.AioVolumes, aioFromNative(it))
	}
	return out, nil
}

// GetAioVolume implements upstream's AioVolumeService.
func (a *AioVolumes) GetAioVolume(ctx context.Context, r *up.GetAioVolumeRequest) (*up.AioVolume, error) {
	out, err := a.s.AioVolumes.Get(ctx, name(storage.KindAioVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return aioFromNative(out), nil
}

// StatsAioVolume implements upstream's AioVolumeService.
func (a *AioVolumes) StatsAioVolume(ctx context.Context, r *up.StatsAioVolumeRequest) (*up.StatsAioVolumeResponse, error) {
	st, err := a.s.AioVolumeStats(ctx, name(storage.KindAioVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsAioVolumeResponse{Stats: stats(st)}, nil
}
