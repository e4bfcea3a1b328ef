package dpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"golang.org/x/sys/unix"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// MiB is the granularity of every volume size: logical volumes are sized
// in MiB, and AIO files are made a whole number of MiB.
const MiB = 1 << 20

// defaultClusterSize is SPDK's cluster size for a logical volume store
// created without one (bdev_lvol_create_lvstore's cluster_sz).
const defaultClusterSize = 4 * MiB

// ErrOutOfRange is the class of a capacity range no volume can satisfy
// (CSI's OUT_OF_RANGE); it wraps errdefs.ErrInvalidArgument.
var ErrOutOfRange = errors.New("capacity out of range")

// Volume is a backing volume made for a CSI volume.
type Volume struct {
	// ID is the resource id, VolumeID of the CSI name; also the CSI
	// volume_id.
	ID string
	// Name is the storage API resource name (a namespace's `volume`).
	Name string
	// CapacityBytes is the volume's size.
	CapacityBytes int64
	// File is the AIO volume's file, empty for logical volumes.
	File string
}

// Capacity is a CSI capacity range: Required 0 means no lower bound
// beyond one MiB, Limit 0 means no upper bound.
type Capacity struct {
	Required, Limit int64
}

// size picks the size a volume of range r gets: Required rounded up to
// whole MiB (at least one), refused when that exceeds Limit.
func (r Capacity) size() (int64, error) {
	if r.Required < 0 || r.Limit < 0 {
		return 0, errdefs.Wrap(errdefs.ErrInvalidArgument, fmt.Errorf("%w: negative bytes", ErrOutOfRange))
	}
	if r.Limit > 0 && r.Required > r.Limit {
		return 0, errdefs.Wrap(errdefs.ErrInvalidArgument, fmt.Errorf("%w: required %d bytes is more than the limit %d", ErrOutOfRange, r.Required, r.Limit))
	}
	size := max(r.Required, MiB)
	size = (size + MiB - 1) / MiB * MiB
	if r.Limit > 0 && size > r.Limit {
		return 0, errdefs.Wrap(errdefs.ErrInvalidArgument, fmt.Errorf("%w: volumes are whole MiB, and %d bytes rounds up to %d, past the limit %d", ErrOutOfRange, r.Required, size, r.Limit))
	}
	return size, nil
}

// fits reports whether a volume of size bytes satisfies r.
func (r Capacity) fits(size int64) bool {
	return size >= r.Required && (r.Limit == 0 || size <= r.Limit)
}

// Backing is how CSI volumes are backed in the storage API: LogicalVolumes
// or AioFiles.
type Backing interface {
	create(ctx context.Context, c *Client, id string, size int64) (*Volume, error)
	get(ctx context.Context, c *Client, id string) (*Volume, error)
	delete(ctx context.Context, c *Client, id string) error
	list(ctx context.Context, c *Client) ([]*Volume, error)
	resize(ctx context.Context, c *Client, id string, size int64) (*Volume, error)
	capacity(ctx context.Context, c *Client) (int64, error)
	expandable() bool
}

// CanExpand reports whether ExpandVolume can grow this client's volumes.
func (c *Client) CanExpand() bool { return c.backing.expandable() }

// CreateVolume makes the volume for the CSI volume name with a size in r,
// or returns the one a previous call made. A volume of that name whose
// size is outside r is ALREADY_EXISTS, as CSI requires.
func (c *Client) CreateVolume(ctx context.Context, name string, r Capacity) (*Volume, error) {
	if name == "" {
		return nil, errdefs.InvalidArgumentf("a volume needs a name")
	}
	size, err := r.size()
	if err != nil {
		return nil, err
	}
	id := VolumeID(name)
	defer c.locks.Lock(id)()
	v, err := c.backing.get(ctx, c, id)
	switch {
	case err == nil:
		if !r.fits(v.CapacityBytes) {
			return nil, errdefs.AlreadyExistsf("volume %q exists with %d bytes, outside the range asked for (%d to %d)", name, v.CapacityBytes, r.Required, r.Limit)
		}
		return v, nil
	case !errors.Is(err, errdefs.ErrNotFound):
		return nil, err
	}
	return c.backing.create(ctx, c, id, size)
}

// GetVolume returns volume id, NOT_FOUND when there is none.
func (c *Client) GetVolume(ctx context.Context, id string) (*Volume, error) {
	if !strings.HasPrefix(id, "csi-") {
		return nil, errdefs.NotFoundf("volume %q is not one of this driver's", id)
	}
	return c.backing.get(ctx, c, id)
}

// DeleteVolume deletes volume id and whatever exposes it; a volume that
// is not there is success.
func (c *Client) DeleteVolume(ctx context.Context, id string) error {
	if !strings.HasPrefix(id, "csi-") {
		return nil // never one of ours: nothing to delete
	}
	defer c.locks.Lock(id)()
	if err := c.unexposeAll(ctx, id); err != nil {
		return err
	}
	return c.backing.delete(ctx, c, id)
}

// ListVolumes returns every volume of this driver, sorted by id.
func (c *Client) ListVolumes(ctx context.Context) ([]*Volume, error) {
	vs, err := c.backing.list(ctx, c)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(vs, func(a, b *Volume) int { return strings.Compare(a.ID, b.ID) })
	return vs, nil
}

// ExpandVolume grows volume id to a size in r; a volume already that
// large is returned unchanged.
func (c *Client) ExpandVolume(ctx context.Context, id string, r Capacity) (*Volume, error) {
	size, err := r.size()
	if err != nil {
		return nil, err
	}
	defer c.locks.Lock(id)()
	v, err := c.GetVolume(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.CapacityBytes >= size {
		return v, nil
	}
	return c.backing.resize(ctx, c, id, size)
}

// Capacity is how many bytes new volumes can still take.
func (c *Client) Capacity(ctx context.Context) (int64, error) { return c.backing.capacity(ctx, c) }

// fromAPI turns a storage API error into an errdefs class.
func fromAPI(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, errgrpc.ToError(err))
}

// LogicalVolumes backs each CSI volume with a logical volume in the store
// of id store (which must exist), thinly provisioned if thin.
func LogicalVolumes(store string, thin bool) Backing { return &lvolBacking{store: store, thin: thin} }

type lvolBacking struct {
	store string
	thin  bool
}

func (b *lvolBacking) storeName() string { return "logicalVolumeStores/" + b.store }

func (b *lvolBacking) volume(lv *pb.LogicalVolume) *Volume {
	return &Volume{ID: lv.GetName()[strings.LastIndex(lv.GetName(), "/")+1:], Name: lv.GetName(), CapacityBytes: int64(lv.GetSizeMib()) * MiB}
}

func (b *lvolBacking) create(ctx context.Context, c *Client, id string, size int64) (*Volume, error) {
	lv, err := c.lvols.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{
		Parent: b.storeName(), LogicalVolumeId: id,
		LogicalVolume: &pb.LogicalVolume{SizeMib: uint64(size / MiB), ThinProvisioned: b.thin},
	})
	if err != nil {
		return nil, fromAPI("creating logical volume "+id, err)
	}
	return b.volume(lv), c.step("volume")
}

func (b *lvolBacking) get(ctx context.Context, c *Client, id string) (*Volume, error) {
	lv, err := c.lvols.GetLogicalVolume(ctx, &pb.GetLogicalVolumeRequest{Name: b.storeName() + "/logicalVolumes/" + id})
	if err != nil {
		return nil, fromAPI("reading logical volume "+id, err)
	}
	return b.volume(lv), nil
}

func (b *lvolBacking) delete(ctx context.Context, c *Client, id string) error {
	_, err := c.lvols.DeleteLogicalVolume(ctx, &pb.DeleteLogicalVolumeRequest{Name: b.storeName() + "/logicalVolumes/" + id, AllowMissing: true})
	return fromAPI("deleting logical volume "+id, err)
}

func (b *lvolBacking) list(ctx context.Context, c *Client) ([]*Volume, error) {
	var out []*Volume
	token := ""
	for {
		resp, err := c.lvols.ListLogicalVolumes(ctx, &pb.ListLogicalVolumesRequest{Parent: b.storeName(), PageSize: 100, PageToken: token})
		if err != nil {
			return nil, fromAPI("listing logical volumes", err)
		}
		for _, lv := range resp.GetLogicalVolumes() {
			if v := b.volume(lv); strings.HasPrefix(v.ID, "csi-") {
				out = append(out, v)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

func (b *lvolBacking) resize(ctx context.Context, c *Client, id string, size int64) (*Volume, error) {
	lv, err := c.lvols.UpdateLogicalVolume(ctx, &pb.UpdateLogicalVolumeRequest{
		LogicalVolume: &pb.LogicalVolume{Name: b.storeName() + "/logicalVolumes/" + id, SizeMib: uint64(size / MiB)},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"size_mib"}},
	})
	if err != nil {
		return nil, fromAPI("resizing logical volume "+id, err)
	}
	return b.volume(lv), nil
}

func (b *lvolBacking) expandable() bool { return true }

func (b *lvolBacking) capacity(ctx context.Context, c *Client) (int64, error) {
	s, err := c.lvols.GetLogicalVolumeStore(ctx, &pb.GetLogicalVolumeStoreRequest{Name: b.storeName()})
	if err != nil {
		return 0, fromAPI("reading logical volume store "+b.store, err)
	}
	cluster := int64(s.GetClusterSizeBytes())
	if cluster == 0 {
		// A store created without a cluster size reports none: it has
		// SPDK's default.
		cluster = defaultClusterSize
	}
	return int64(s.GetFreeClusters()) * cluster, nil
}

// AioFiles backs each CSI volume with an AIO volume on a file
// "<dir>/<volume id>.img", which the client creates (sparse) and removes.
// dir must be a directory the client and the storage API's backend both
// see at that path: the client runs on the DPU, or, in this repository's
// tests, on the host of spdk-sim or spdk_tgt. It is the test mode: the
// node's loop attacher maps the same file to a loop device.
func AioFiles(dir string) Backing { return &aioBacking{dir: dir} }

type aioBacking struct{ dir string }

func (b *aioBacking) file(id string) string { return filepath.Join(b.dir, id+".img") }

func (b *aioBacking) volume(v *pb.AioVolume) *Volume {
	bs := int64(max(v.GetBlockSize(), 512))
	size := int64(v.GetBlockCount()) * bs
	if size == 0 {
		// A volume another client is creating right now is reported before
		// the backend has opened its file (block_count 0): the file, sized
		// before the create, says how large it is.
		if st, err := os.Stat(v.GetFilename()); err == nil {
			size = st.Size()
		}
	}
	return &Volume{ID: strings.TrimPrefix(v.GetName(), "aioVolumes/"), Name: v.GetName(), CapacityBytes: size, File: v.GetFilename()}
}

func (b *aioBacking) create(ctx context.Context, c *Client, id string, size int64) (*Volume, error) {
	file := b.file(id)
	// A file left by a call that stopped before the volume was made is
	// ours (the name is derived from the volume id): resize and reuse it.
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("creating the file of volume %s: %w", id, err))
	}
	err = f.Truncate(size)
	f.Close()
	if err != nil {
		os.Remove(file)
		if errors.Is(err, unix.ENOSPC) {
			return nil, errdefs.Wrap(errdefs.ErrResourceExhausted, err)
		}
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("sizing the file of volume %s: %w", id, err))
	}
	if err := c.step("file"); err != nil {
		return nil, err
	}
	v, err := c.vols.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: id, AioVolume: &pb.AioVolume{Filename: file}})
	if err != nil {
		// The volume was not made: the file is this call's to remove.
		// (A create that reached the backend but whose answer was lost is
		// found by the next try's get, and its file made again.)
		if !errors.Is(errgrpc.ToError(err), errdefs.ErrAlreadyExists) {
			os.Remove(file)
		}
		return nil, fromAPI("creating AIO volume "+id, err)
	}
	return b.volume(v), c.step("volume")
}

func (b *aioBacking) get(ctx context.Context, c *Client, id string) (*Volume, error) {
	v, err := c.vols.GetAioVolume(ctx, &pb.GetAioVolumeRequest{Name: "aioVolumes/" + id})
	if err != nil {
		return nil, fromAPI("reading AIO volume "+id, err)
	}
	return b.volume(v), nil
}

func (b *aioBacking) delete(ctx context.Context, c *Client, id string) error {
	if _, err := c.vols.DeleteAioVolume(ctx, &pb.DeleteAioVolumeRequest{Name: "aioVolumes/" + id, AllowMissing: true}); err != nil {
		return fromAPI("deleting AIO volume "+id, err)
	}
	if err := os.Remove(b.file(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("removing the file of volume %s: %w", id, err))
	}
	return nil
}

func (b *aioBacking) list(ctx context.Context, c *Client) ([]*Volume, error) {
	var out []*Volume
	token := ""
	for {
		resp, err := c.vols.ListAioVolumes(ctx, &pb.ListAioVolumesRequest{PageSize: 100, PageToken: token})
		if err != nil {
			return nil, fromAPI("listing AIO volumes", err)
		}
		for _, av := range resp.GetAioVolumes() {
			if v := b.volume(av); strings.HasPrefix(v.ID, "csi-") && v.File == b.file(v.ID) {
				out = append(out, v)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

func (b *aioBacking) resize(context.Context, *Client, string, int64) (*Volume, error) {
	return nil, errdefs.Unimplementedf("AIO volumes have a fixed size in the storage API: expansion needs logical volumes")
}

func (b *aioBacking) expandable() bool { return false }

func (b *aioBacking) capacity(context.Context, *Client) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(b.dir, &st); err != nil {
		return 0, errdefs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("reading the free space of %s: %w", b.dir, err))
	}
	return int64(st.Bavail) * st.Bsize, nil
}
