package storage

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// DefaultBlockSize is the block size a malloc or null volume gets when the
// request leaves it 0, and an AIO volume on a regular file.
const DefaultBlockSize = 512

// MaxBlockSize is the largest logical block size the bridge accepts: SPDK
// wants a multiple of 512, and no block device uses more than 64 KiB.
const MaxBlockSize = 64 << 10

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// CreateMallocVolume creates a malloc volume. One created without uuid gets
// a random one, or the stored one when the create is retried.
func (s *Storage) CreateMallocVolume(ctx context.Context, id string, v *pb.MallocVolume) (*pb.MallocVolume, error) {
	in := proto.Clone(v).(*pb.MallocVolume)
	lowerUUID(&in.Uuid)
	if err := validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid()); err != nil {
		return nil, err
	}
	return createVolume(ctx, s, s.MallocVolumes, id, in, &in.Uuid)
}

// UpdateMallocVolume changes nothing (every field is fixed) but creates the
// volume with allowMissing.
func (s *Storage) UpdateMallocVolume(ctx context.Context, v *pb.MallocVolume, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.MallocVolume, error) {
	in := proto.Clone(v).(*pb.MallocVolume)
	lowerUUID(&in.Uuid)
	defer s.names.lock(in.GetName())()
	if err := prepareMissing(ctx, s.MallocVolumes, in.GetName(), &in.Uuid, allowMissing, func() error {
		return validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid())
	}); err != nil {
		return nil, err
	}
	return s.MallocVolumes.update(ctx, in, mask, allowMissing)
}

// MallocVolumeStats returns a malloc volume's I/O counters.
func (s *Storage) MallocVolumeStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	return volumeStats(ctx, s, s.MallocVolumes, name)
}

// CreateNullVolume creates a null volume; see CreateMallocVolume.
func (s *Storage) CreateNullVolume(ctx context.Context, id string, v *pb.NullVolume) (*pb.NullVolume, error) {
	in := proto.Clone(v).(*pb.NullVolume)
	lowerUUID(&in.Uuid)
	if err := validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid()); err != nil {
		return nil, err
	}
	return createVolume(ctx, s, s.NullVolumes, id, in, &in.Uuid)
}

// UpdateNullVolume changes nothing (every field is fixed) but creates the
// volume with allowMissing.
func (s *Storage) UpdateNullVolume(ctx context.Context, v *pb.NullVolume, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.NullVolume, error) {
	in := proto.Clone(v).(*pb.NullVolume)
	lowerUUID(&in.Uuid)
	defer s.names.lock(in.GetName())()
	if err := prepareMissing(ctx, s.NullVolumes, in.GetName(), &in.Uuid, allowMissing, func() error {
		return validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid())
	}); err != nil {
		return nil, err
	}
	return s.NullVolumes.update(ctx, in, mask, allowMissing)
}

// NullVolumeStats returns a null volume's I/O counters.
func (s *Storage) NullVolumeStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	return volumeStats(ctx, s, s.NullVolumes, name)
}

// CreateAioVolume creates an AIO volume on a file; see CreateMallocVolume.
func (s *Storage) CreateAioVolume(ctx context.Context, id string, v *pb.AioVolume) (*pb.AioVolume, error) {
	in := proto.Clone(v).(*pb.AioVolume)
	lowerUUID(&in.Uuid)
	if err := validateAio(in); err != nil {
		return nil, err
	}
	if err := s.checkAioFile(in.GetFilename()); err != nil {
		return nil, err
	}
	return createVolume(ctx, s, s.AioVolumes, id, in, &in.Uuid)
}

// UpdateAioVolume changes nothing (every field is fixed) but creates the
// volume with allowMissing.
func (s *Storage) UpdateAioVolume(ctx context.Context, v *pb.AioVolume, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.AioVolume, error) {
	in := proto.Clone(v).(*pb.AioVolume)
	lowerUUID(&in.Uuid)
	defer s.names.lock(in.GetName())()
	if err := prepareMissing(ctx, s.AioVolumes, in.GetName(), &in.Uuid, allowMissing, func() error {
		if err := validateAio(in); err != nil {
			return err
		}
		return s.checkAioFile(in.GetFilename())
	}); err != nil {
		return nil, err
	}
	return s.AioVolumes.update(ctx, in, mask, allowMissing)
}

// AioVolumeStats returns an AIO volume's I/O counters.
func (s *Storage) AioVolumeStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	return volumeStats(ctx, s, s.AioVolumes, name)
}

// uuidVolume is a volume message that carries a client-settable UUID.
type uuidVolume interface {
	named
	GetUuid() string
}

// prepareMissing readies an update with allow_missing: when the resource
// does not exist the request is a create, so it is validated as one and
// gets a UUID; when it exists an unset uuid keeps the stored one, whatever
// the mask. The caller holds the name until the update is done (see
// createVolume).
func prepareMissing[T uuidVolume](ctx context.Context, k *Kind[T], name string, uuid *string, allowMissing bool, validate func() error) error {
	cur, err := k.c.Get(ctx, name)
	switch {
	case err == nil:
		if *uuid == "" {
			*uuid = cur.GetUuid()
		}
		return nil
	case !errors.Is(err, errdefs.ErrNotFound) || !allowMissing:
		return nil // Update reports it
	}
	if err := validate(); err != nil {
		return err
	}
	if *uuid == "" {
		*uuid = newUUID()
	}
	return nil
}

// createVolume creates in as the volume id of k with the UUID pickUUID
// gives, writing it to *uuid. The name is held from the pick to the
// create: identical concurrent creates without uuid would otherwise each
// pick a random UUID, and all but the first be "a different spec".
func createVolume[T uuidVolume](ctx context.Context, s *Storage, k *Kind[T], id string, in T, uuid *string) (T, error) {
	var zero T
	name, err := k.c.Pattern().Child("", id)
	if err != nil {
		return zero, err
	}
	defer s.names.lock(name)()
	if *uuid, err = pickUUID(ctx, k, name, *uuid); err != nil {
		return zero, err
	}
	return k.create(ctx, "", id, in)
}

// pickUUID returns the UUID a create should carry: the one asked for, else
// the stored one of a volume of that name (a retried create stays equal),
// else a new random one.
func pickUUID[T uuidVolume](ctx context.Context, k *Kind[T], name, asked string) (string, error) {
	if asked != "" {
		return asked, nil
	}
	cur, err := k.c.Get(ctx, name)
	switch {
	case err == nil:
		return cur.GetUuid(), nil
	case errors.Is(err, errdefs.ErrNotFound):
		return newUUID(), nil
	}
	return "", err
}

// newUUID returns a random (version 4) RFC 4122 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// validateBlockSize checks a block size field; 0 means the default.
func validateBlockSize(bs uint32) error {
	if bs%512 != 0 || bs > MaxBlockSize {
		return errdefs.InvalidArgumentf("block_size %d is not valid: use a multiple of 512 up to %d, such as 512 or 4096, or 0 for the default", bs, MaxBlockSize)
	}
	return nil
}

func validateUUID(uuid string) error {
	switch {
	case uuid != "" && !uuidRE.MatchString(uuid):
		return errdefs.InvalidArgumentf("uuid %q is not an RFC 4122 UUID such as \"ceccf520-691e-4b46-9546-34af789907c5\"; leave it empty to get one", uuid)
	case uuid == nilUUID:
		return errdefs.InvalidArgumentf("uuid %s is the nil UUID, which identifies nothing; give another or leave it empty to get one", uuid)
	}
	return nil
}

// nilUUID is RFC 4122's nil UUID: hosts take it for "no UUID".
const nilUUID = "00000000-0000-0000-0000-000000000000"

// lowerUUID is the form UUIDs are stored in: lower case, as RFC 4122
// prints them and SPDK reports them, so that one UUID asked for in
// another case is the same spec.
func lowerUUID(u *string) { *u = strings.ToLower(*u) }

// validateSized checks a malloc or null volume.
func validateSized(bs uint32, count uint64, uuid string) error {
	if err := validateBlockSize(bs); err != nil {
		return err
	}
	if bs == 0 {
		bs = DefaultBlockSize
	}
	switch {
	case count == 0:
		return errdefs.InvalidArgumentf("block_count must be at least 1")
	case count > math.MaxInt64/uint64(bs):
		return errdefs.InvalidArgumentf("block_count %d times block_size %d does not fit in 63 bits; ask for a smaller volume", count, bs)
	}
	return validateUUID(uuid)
}

func validateAio(v *pb.AioVolume) error {
	f := v.GetFilename()
	if f == "" || !filepath.IsAbs(f) || strings.ContainsRune(f, 0) || filepath.Clean(f) != f {
		return errdefs.InvalidArgumentf("filename %q is not a clean absolute path, such as \"/var/lib/opi/disk0.img\"", f)
	}
	if err := validateBlockSize(v.GetBlockSize()); err != nil {
		return err
	}
	return validateUUID(v.GetUuid())
}

// validateVolume checks a volume reference.
func validateVolume(volume string) error {
	if volume == "" {
		return errdefs.InvalidArgumentf("volume is required: the full resource name of a volume, such as \"mallocVolumes/vol1\"")
	}
	_, err := ParseVolume(volume)
	return err
}

// requireVolume checks, before a resource is stacked on volume, that the
// volume (or, for a remote namespace, its controller) is stored, so that
// the refusal says what to do.
func (s *Storage) requireVolume(ctx context.Context, volume string) error {
	ref, err := VolumeRef(volume)
	if err != nil {
		return err
	}
	err = s.exists(ctx, ref.Kind, ref.Name)
	switch {
	case !errors.Is(err, errdefs.ErrNotFound):
		return err
	case ref.Name == volume:
		return errdefs.NotFoundf("volume %s not found: create it first", volume)
	}
	return errdefs.NotFoundf("volume %s needs %s, which is not found: create it first", volume, ref.Name)
}

// exists reports NotFound unless name is stored in the volume kind (or the
// remote controller kind) named kind.
func (s *Storage) exists(ctx context.Context, kind, name string) error {
	switch kind {
	case KindMallocVolumes:
		return s.MallocVolumes.exists(ctx, name)
	case KindNullVolumes:
		return s.NullVolumes.exists(ctx, name)
	case KindAioVolumes:
		return s.AioVolumes.exists(ctx, name)
	case KindLogicalVolumes:
		return s.LogicalVolumes.exists(ctx, name)
	case KindEncryptedVolumes:
		return s.EncryptedVolumes.exists(ctx, name)
	case KindQosVolumes:
		return s.QosVolumes.exists(ctx, name)
	case KindNvmeRemoteControllers:
		return s.NvmeRemoteControllers.exists(ctx, name)
	}
	return errdefs.InvalidArgumentf("%s is not a volume", name)
}

// volumeStats returns the I/O counters of a stored volume.
func volumeStats[T named](ctx context.Context, s *Storage, k *Kind[T], name string) (*pb.VolumeStats, error) {
	if err := k.exists(ctx, name); err != nil {
		return nil, err
	}
	return s.read.VolumeStats(ctx, name)
}

// maskHas reports whether an update mask touches field: explicitly, by
// "*", or (empty mask) because the request sets it.
func maskHas(mask *fieldmaskpb.FieldMask, field string, set bool) bool {
	if len(mask.GetPaths()) == 0 {
		return set
	}
	for _, p := range mask.GetPaths() {
		if p == field || p == "*" {
			return true
		}
	}
	return false
}
