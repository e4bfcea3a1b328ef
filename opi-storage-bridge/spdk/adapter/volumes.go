package adapter

import (
	"context"
	"strings"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// MallocVolumes makes malloc volumes exist in SPDK (bdev_malloc_*).
type MallocVolumes struct{ C spdk.Caller }

type mallocParams struct {
	Name      string `json:"name"`
	BlockSize uint32 `json:"block_size"`
	NumBlocks uint64 `json:"num_blocks"`
	UUID      string `json:"uuid,omitempty"`
}

// Create creates bdev malloc-<id>; an equal existing bdev is success.
func (b MallocVolumes) Create(ctx context.Context, v *storagev1.MallocVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	p := mallocParams{Name: name, BlockSize: blockSizeOr512(v.GetBlockSize()), NumBlocks: v.GetBlockCount(), UUID: v.GetUuid()}
	err = b.C.Call(ctx, "bdev_malloc_create", p, nil)
	if spdk.IsAlreadyExists(err) {
		return sameBdev(ctx, b.C, v.GetName(), name, p.BlockSize, p.NumBlocks, p.UUID)
	}
	return spdk.Classify(err)
}

// Update has nothing to do: every field of a malloc volume is immutable.
func (MallocVolumes) Update(context.Context, *storagev1.MallocVolume, *storagev1.MallocVolume) error {
	return nil
}

// Delete deletes the bdev; a missing one is success.
func (b MallocVolumes) Delete(ctx context.Context, v *storagev1.MallocVolume) error {
	return deleteBdev(ctx, b.C, "bdev_malloc_delete", v.GetName())
}

// NullVolumes makes null volumes exist in SPDK (bdev_null_*).
type NullVolumes struct{ C spdk.Caller }

// Create creates bdev null-<id>; an equal existing bdev is success.
func (b NullVolumes) Create(ctx context.Context, v *storagev1.NullVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	p := mallocParams{Name: name, BlockSize: blockSizeOr512(v.GetBlockSize()), NumBlocks: v.GetBlockCount(), UUID: v.GetUuid()}
	err = b.C.Call(ctx, "bdev_null_create", p, nil)
	if spdk.IsAlreadyExists(err) {
		return sameBdev(ctx, b.C, v.GetName(), name, p.BlockSize, p.NumBlocks, p.UUID)
	}
	return spdk.Classify(err)
}

// Update has nothing to do: every field of a null volume is immutable.
func (NullVolumes) Update(context.Context, *storagev1.NullVolume, *storagev1.NullVolume) error {
	return nil
}

// Delete deletes the bdev; a missing one is success.
func (b NullVolumes) Delete(ctx context.Context, v *storagev1.NullVolume) error {
	return deleteBdev(ctx, b.C, "bdev_null_delete", v.GetName())
}

// AioVolumes makes AIO volumes exist in SPDK (bdev_aio_*).
type AioVolumes struct{ C spdk.Caller }

type aioParams struct {
	Name      string `json:"name"`
	Filename  string `json:"filename"`
	BlockSize uint32 `json:"block_size,omitempty"`
	Readonly  bool   `json:"readonly,omitempty"`
	UUID      string `json:"uuid,omitempty"`
}

// Create creates bdev aio-<id> and records its block count; an equal
// existing bdev is success.
func (b AioVolumes) Create(ctx context.Context, v *storagev1.AioVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	p := aioParams{Name: name, Filename: v.GetFilename(), BlockSize: v.GetBlockSize(), Readonly: v.GetReadOnly(), UUID: v.GetUuid()}
	err = b.C.Call(ctx, "bdev_aio_create", p, nil)
	if spdk.IsCode(err, spdk.CodeEINVAL) && p.BlockSize == 0 {
		// SPDK cannot detect the block size of a regular file; the API
		// documents 512 for those.
		p.BlockSize = storage.DefaultBlockSize
		err = b.C.Call(ctx, "bdev_aio_create", p, nil)
	}
	if spdk.IsCode(err, spdk.CodeEISDIR) {
		return errdefs.InvalidArgumentf("filename %s is a directory: give a regular file or a block device (%w)", v.GetFilename(), err)
	}
	if err != nil && !spdk.IsAlreadyExists(err) {
		return spdk.Classify(err)
	}
	info, gerr := getBdev(ctx, b.C, name)
	switch {
	case gerr != nil:
		return gerr
	case info == nil && err != nil:
		return errdefs.AlreadyExistsf("cannot create %s: its uuid %s is already used by another SPDK bdev", v.GetName(), v.GetUuid())
	case info == nil:
		return errdefs.Unavailablef("SPDK created bdev %s but does not list it", name)
	case err != nil && (!strings.EqualFold(info.UUID, v.GetUuid()) || (v.GetBlockSize() != 0 && info.BlockSize != v.GetBlockSize())):
		return errdefs.AlreadyExistsf("SPDK already has bdev %s with a different uuid or block size; delete it in SPDK or choose another id", name)
	}
	v.BlockCount = info.NumBlocks
	return nil
}

// Update has nothing to do: every field of an AIO volume is immutable.
func (AioVolumes) Update(context.Context, *storagev1.AioVolume, *storagev1.AioVolume) error {
	return nil
}

// Delete deletes the bdev; a missing one is success. The file is kept.
func (b AioVolumes) Delete(ctx context.Context, v *storagev1.AioVolume) error {
	return deleteBdev(ctx, b.C, "bdev_aio_delete", v.GetName())
}

type nameParam struct {
	Name string `json:"name"`
}

// getBdev returns the bdev named (or aliased) name, or nil when SPDK has
// none.
func getBdev(ctx context.Context, c spdk.Caller, name string) (*spdk.BdevInfo, error) {
	var out []spdk.BdevInfo
	err := c.Call(ctx, "bdev_get_bdevs", nameParam{name}, &out)
	if spdk.IsNotFound(err) || (err == nil && len(out) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, spdk.Classify(err)
	}
	return &out[0], nil
}

// listBdevs returns every bdev SPDK has.
func listBdevs(ctx context.Context, c spdk.Caller) ([]spdk.BdevInfo, error) {
	var out []spdk.BdevInfo
	if err := c.Call(ctx, "bdev_get_bdevs", nil, &out); err != nil {
		return nil, spdk.Classify(err)
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
		return errdefs.AlreadyExistsf("cannot create %s: its uuid %s is already used by another SPDK bdev", resName, uuid)
	}
	if info.BlockSize != blockSize || info.NumBlocks != numBlocks || (uuid != "" && !strings.EqualFold(info.UUID, uuid)) {
		return errdefs.AlreadyExistsf("SPDK already has bdev %s with a different size or uuid; delete it in SPDK or choose another id", bdev)
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
		return spdk.Classify(err)
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
		return "", errdefs.FailedPreconditionf("volume %s is not ready in SPDK (no bdev %s); check its status, or wait until it is READY", volumeName, base)
	case info.Claimed:
		return "", errdefs.FailedPreconditionf("volume %s is already claimed by another volume, store or device; a volume can back only one of them", volumeName)
	}
	return base, nil
}

func blockSizeOr512(bs uint32) uint32 {
	if bs == 0 {
		return storage.DefaultBlockSize
	}
	return bs
}
