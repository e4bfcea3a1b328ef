package backend

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// DefaultBlockSize is the block size a malloc or null volume gets when the
// request leaves it 0.
const DefaultBlockSize = 512

// VolumeCollections holds the stored intent of the basic volumes.
type VolumeCollections struct {
	Malloc *resource.Collection[*storagev1.MallocVolume]
	Null   *resource.Collection[*storagev1.NullVolume]
	Aio    *resource.Collection[*storagev1.AioVolume]
}

// NewVolumeCollections creates the malloc, null and AIO volume collections
// on st, each backed by SPDK through c.
func NewVolumeCollections(st store.Store, c spdk.Caller) (*VolumeCollections, error) {
	malloc, err := resource.New[*storagev1.MallocVolume](st, KindMallocVolumes, MallocVolumePattern,
		resource.WithBackend[*storagev1.MallocVolume](MallocBackend{c}))
	if err != nil {
		return nil, err
	}
	null, err := resource.New[*storagev1.NullVolume](st, KindNullVolumes, NullVolumePattern,
		resource.WithBackend[*storagev1.NullVolume](NullBackend{c}))
	if err != nil {
		return nil, err
	}
	aio, err := resource.New[*storagev1.AioVolume](st, KindAioVolumes, AioVolumePattern,
		resource.WithBackend[*storagev1.AioVolume](AioBackend{c}))
	if err != nil {
		return nil, err
	}
	return &VolumeCollections{Malloc: malloc, Null: null, Aio: aio}, nil
}

// Recover finishes the operations a crash interrupted, for every kind.
func (v *VolumeCollections) Recover(ctx context.Context) error {
	return errors.Join(v.Malloc.Recover(ctx), v.Null.Recover(ctx), v.Aio.Recover(ctx))
}

// MallocBackend makes malloc volumes exist in SPDK (bdev_malloc_*).
type MallocBackend struct{ C spdk.Caller }

type mallocParams struct {
	Name      string `json:"name"`
	BlockSize uint32 `json:"block_size"`
	NumBlocks uint64 `json:"num_blocks"`
	UUID      string `json:"uuid,omitempty"`
}

// Create creates bdev malloc-<id>; an equal existing bdev is success.
func (b MallocBackend) Create(ctx context.Context, v *storagev1.MallocVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	p := mallocParams{Name: name, BlockSize: blockSizeOr512(v.GetBlockSize()), NumBlocks: v.GetBlockCount(), UUID: v.GetUuid()}
	err = b.C.Call(ctx, "bdev_malloc_create", p, nil)
	if spdk.IsAlreadyExists(err) {
		return sameBdev(ctx, b.C, v.GetName(), name, p.BlockSize, p.NumBlocks, p.UUID)
	}
	return spdk.Status(err)
}

// Update has nothing to do: every field of a malloc volume is immutable.
func (MallocBackend) Update(context.Context, *storagev1.MallocVolume, *storagev1.MallocVolume) error {
	return nil
}

// Delete deletes the bdev; a missing one is success.
func (b MallocBackend) Delete(ctx context.Context, v *storagev1.MallocVolume) error {
	return deleteBdev(ctx, b.C, "bdev_malloc_delete", v.GetName())
}

// NullBackend makes null volumes exist in SPDK (bdev_null_*).
type NullBackend struct{ C spdk.Caller }

// Create creates bdev null-<id>; an equal existing bdev is success.
func (b NullBackend) Create(ctx context.Context, v *storagev1.NullVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	p := mallocParams{Name: name, BlockSize: blockSizeOr512(v.GetBlockSize()), NumBlocks: v.GetBlockCount(), UUID: v.GetUuid()}
	err = b.C.Call(ctx, "bdev_null_create", p, nil)
	if spdk.IsAlreadyExists(err) {
		return sameBdev(ctx, b.C, v.GetName(), name, p.BlockSize, p.NumBlocks, p.UUID)
	}
	return spdk.Status(err)
}

// Update has nothing to do: every field of a null volume is immutable.
func (NullBackend) Update(context.Context, *storagev1.NullVolume, *storagev1.NullVolume) error {
	return nil
}

// Delete deletes the bdev; a missing one is success.
func (b NullBackend) Delete(ctx context.Context, v *storagev1.NullVolume) error {
	return deleteBdev(ctx, b.C, "bdev_null_delete", v.GetName())
}

// AioBackend makes AIO volumes exist in SPDK (bdev_aio_*).
type AioBackend struct{ C spdk.Caller }

type aioParams struct {
	Name      string `json:"name"`
	Filename  string `json:"filename"`
	BlockSize uint32 `json:"block_size,omitempty"`
	Readonly  bool   `json:"readonly,omitempty"`
	UUID      string `json:"uuid,omitempty"`
}

// Create creates bdev aio-<id> and records its block count; an equal
// existing bdev is success.
func (b AioBackend) Create(ctx context.Context, v *storagev1.AioVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	p := aioParams{Name: name, Filename: v.GetFilename(), BlockSize: v.GetBlockSize(), Readonly: v.GetReadOnly(), UUID: v.GetUuid()}
	err = b.C.Call(ctx, "bdev_aio_create", p, nil)
	if spdk.IsCode(err, spdk.CodeEINVAL) && p.BlockSize == 0 {
		// SPDK cannot detect the block size of a regular file; the API
		// documents 512 for those.
		p.BlockSize = DefaultBlockSize
		err = b.C.Call(ctx, "bdev_aio_create", p, nil)
	}
	if err != nil && !spdk.IsAlreadyExists(err) {
		return spdk.Status(err)
	}
	info, gerr := getBdev(ctx, b.C, name)
	switch {
	case gerr != nil:
		return gerr
	case info == nil && err != nil:
		return aip.AlreadyExistsf("cannot create %s: its uuid %s is already used by another SPDK bdev", v.GetName(), v.GetUuid())
	case info == nil:
		return aip.Unavailablef("SPDK created bdev %s but does not list it", name)
	case err != nil && (!strings.EqualFold(info.UUID, v.GetUuid()) || (v.GetBlockSize() != 0 && info.BlockSize != v.GetBlockSize())):
		return aip.AlreadyExistsf("SPDK already has bdev %s with a different uuid or block size; delete it in SPDK or choose another id", name)
	}
	v.BlockCount = info.NumBlocks
	return nil
}

// Update has nothing to do: every field of an AIO volume is immutable.
func (AioBackend) Update(context.Context, *storagev1.AioVolume, *storagev1.AioVolume) error {
	return nil
}

// Delete deletes the bdev; a missing one is success. The file is kept.
func (b AioBackend) Delete(ctx context.Context, v *storagev1.AioVolume) error {
	return deleteBdev(ctx, b.C, "bdev_aio_delete", v.GetName())
}

// bdevInfo is the part of a bdev_get_bdevs entry the bridge reads.
type bdevInfo struct {
	Name           string          `json:"name"`
	Aliases        []string        `json:"aliases"`
	ProductName    string          `json:"product_name"`
	BlockSize      uint32          `json:"block_size"`
	NumBlocks      uint64          `json:"num_blocks"`
	UUID           string          `json:"uuid"`
	Claimed        bool            `json:"claimed"`
	DriverSpecific json.RawMessage `json:"driver_specific"`
}

type nameParam struct {
	Name string `json:"name"`
}

// getBdev returns the bdev named (or aliased) name, or nil when SPDK has
// none.
func getBdev(ctx context.Context, c spdk.Caller, name string) (*bdevInfo, error) {
	var out []bdevInfo
	err := c.Call(ctx, "bdev_get_bdevs", nameParam{name}, &out)
	if spdk.IsNotFound(err) || (err == nil && len(out) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, spdk.Status(err)
	}
	return &out[0], nil
}

// listBdevs returns every bdev SPDK has.
func listBdevs(ctx context.Context, c spdk.Caller) ([]bdevInfo, error) {
	var out []bdevInfo
	if err := c.Call(ctx, "bdev_get_bdevs", nil, &out); err != nil {
		return nil, spdk.Status(err)
	}
	return out, nil
}

// sameBdev decides, after SPDK said "File exists", whether the existing
// bdev is the one asked for (a replay: success) or something else.
func sameBdev(ctx context.Context, c spdk.Caller, resName, bdev string, blockSize uint32, numBlocks uint64, uuid string) error {
	info, err := getBdev(ctx, c, bdev)
	if err != nil {
		return err
	}
	if info == nil {
		return aip.AlreadyExistsf("cannot create %s: its uuid %s is already used by another SPDK bdev", resName, uuid)
	}
	if info.BlockSize != blockSize || info.NumBlocks != numBlocks || (uuid != "" && !strings.EqualFold(info.UUID, uuid)) {
		return aip.AlreadyExistsf("SPDK already has bdev %s with a different size or uuid; delete it in SPDK or choose another id", bdev)
	}
	return nil
}

// deleteBdev runs a bdev delete method for a volume; "No such device" means
// it is already gone, which is success.
func deleteBdev(ctx context.Context, c spdk.Caller, method, volumeName string) error {
	name, err := BdevName(volumeName)
	if err != nil {
		return err
	}
	if err := c.Call(ctx, method, nameParam{name}, nil); err != nil && !spdk.IsNotFound(err) {
		return spdk.Status(err)
	}
	return nil
}

// requireFreeBase checks, before a bdev is stacked on volumeName, that the
// volume's bdev exists and is not claimed by another module, so the caller
// gets a message to act on instead of SPDK's deferred or failed create.
func requireFreeBase(ctx context.Context, c spdk.Caller, volumeName string) (string, error) {
	base, err := BdevName(volumeName)
	if err != nil {
		return "", err
	}
	info, err := getBdev(ctx, c, base)
	switch {
	case err != nil:
		return "", err
	case info == nil:
		return "", aip.FailedPreconditionf("volume %s is not ready in SPDK (no bdev %s); check its status, or wait until it is READY", volumeName, base)
	case info.Claimed:
		return "", aip.FailedPreconditionf("volume %s is already claimed by another volume, store or device; a volume can back only one of them", volumeName)
	}
	return base, nil
}

type iostatParams struct {
	Names []string `json:"names"`
}

type iostat struct {
	TickRate uint64       `json:"tick_rate"`
	Bdevs    []bdevIostat `json:"bdevs"`
}

type bdevIostat struct {
	Name              string `json:"name"`
	BytesRead         uint64 `json:"bytes_read"`
	NumReadOps        uint64 `json:"num_read_ops"`
	BytesWritten      uint64 `json:"bytes_written"`
	NumWriteOps       uint64 `json:"num_write_ops"`
	BytesUnmapped     uint64 `json:"bytes_unmapped"`
	NumUnmapOps       uint64 `json:"num_unmap_ops"`
	ReadLatencyTicks  uint64 `json:"read_latency_ticks"`
	WriteLatencyTicks uint64 `json:"write_latency_ticks"`
	UnmapLatencyTicks uint64 `json:"unmap_latency_ticks"`
}

// BdevStats returns the I/O counters of the named bdevs, summed. A bdev
// SPDK does not have is FailedPrecondition (the resource is stored but not
// in the backend: see its status).
func BdevStats(ctx context.Context, c spdk.Caller, bdevs ...string) (*storagev1.VolumeStats, error) {
	out := &storagev1.VolumeStats{}
	if len(bdevs) == 0 {
		return out, nil
	}
	var st iostat
	err := c.Call(ctx, "bdev_get_iostat", iostatParams{Names: bdevs}, &st)
	if spdk.IsNotFound(err) {
		return nil, aip.FailedPreconditionf("SPDK has no bdev among %s; the resource is not in the backend now, see its status", strings.Join(bdevs, ", "))
	}
	if err != nil {
		return nil, spdk.Status(err)
	}
	out.TickRate = st.TickRate
	for _, b := range st.Bdevs {
		addStats(out, &storagev1.VolumeStats{
			ReadBytes: b.BytesRead, ReadOps: b.NumReadOps, WriteBytes: b.BytesWritten, WriteOps: b.NumWriteOps,
			UnmapBytes: b.BytesUnmapped, UnmapOps: b.NumUnmapOps, ReadLatencyTicks: b.ReadLatencyTicks,
			WriteLatencyTicks: b.WriteLatencyTicks, UnmapLatencyTicks: b.UnmapLatencyTicks,
		})
	}
	return out, nil
}

// VolumeStats returns the I/O counters of a volume, given by resource name.
func VolumeStats(ctx context.Context, c spdk.Caller, volumeName string) (*storagev1.VolumeStats, error) {
	name, err := BdevName(volumeName)
	if err != nil {
		return nil, err
	}
	return BdevStats(ctx, c, name)
}

func addStats(dst, s *storagev1.VolumeStats) {
	dst.ReadBytes += s.GetReadBytes()
	dst.ReadOps += s.GetReadOps()
	dst.WriteBytes += s.GetWriteBytes()
	dst.WriteOps += s.GetWriteOps()
	dst.UnmapBytes += s.GetUnmapBytes()
	dst.UnmapOps += s.GetUnmapOps()
	dst.ReadLatencyTicks += s.GetReadLatencyTicks()
	dst.WriteLatencyTicks += s.GetWriteLatencyTicks()
	dst.UnmapLatencyTicks += s.GetUnmapLatencyTicks()
}

func blockSizeOr512(bs uint32) uint32 {
	if bs == 0 {
		return DefaultBlockSize
	}
	return bs
}
