package service

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
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// MaxBlockSize is the largest logical block size the bridge accepts: SPDK
// wants a multiple of 512, and no block device uses more than 64 KiB.
const MaxBlockSize = 64 << 10

var volumeUUIDRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// VolumeService implements storagev1.VolumeService: malloc, null and AIO
// volumes.
type VolumeService struct {
	pb.UnimplementedVolumeServiceServer
	v *backend.VolumeCollections
	c spdk.Caller
}

// NewVolumeService returns the service over v; c serves the Stats methods.
func NewVolumeService(v *backend.VolumeCollections, c spdk.Caller) *VolumeService {
	return &VolumeService{v: v, c: c}
}

// CreateMallocVolume creates a malloc volume.
func (s *VolumeService) CreateMallocVolume(ctx context.Context, r *pb.CreateMallocVolumeRequest) (*pb.MallocVolume, error) {
	in := proto.Clone(r.GetMallocVolume()).(*pb.MallocVolume)
	if err := validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid()); err != nil {
		return nil, apiStatus(err)
	}
	var err error
	if in.Uuid, err = pickUUID(ctx, s.v.Malloc, "", r.GetMallocVolumeId(), in.GetUuid()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.v.Malloc.Create(ctx, "", r.GetMallocVolumeId(), in)
	return out, apiStatus(err)
}

// GetMallocVolume returns one malloc volume.
func (s *VolumeService) GetMallocVolume(ctx context.Context, r *pb.GetMallocVolumeRequest) (*pb.MallocVolume, error) {
	out, err := s.v.Malloc.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListMallocVolumes lists malloc volumes by name.
func (s *VolumeService) ListMallocVolumes(ctx context.Context, r *pb.ListMallocVolumesRequest) (*pb.ListMallocVolumesResponse, error) {
	items, next, err := s.v.Malloc.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListMallocVolumesResponse{MallocVolumes: items, NextPageToken: next}, nil
}

// UpdateMallocVolume changes nothing (every field is fixed) but creates the
// volume with allow_missing.
func (s *VolumeService) UpdateMallocVolume(ctx context.Context, r *pb.UpdateMallocVolumeRequest) (*pb.MallocVolume, error) {
	in := proto.Clone(r.GetMallocVolume()).(*pb.MallocVolume)
	if err := prepareMissing(ctx, s.v.Malloc, in.GetName(), &in.Uuid, r.GetAllowMissing(), func() error {
		return validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid())
	}); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.v.Malloc.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

// DeleteMallocVolume deletes a malloc volume.
func (s *VolumeService) DeleteMallocVolume(ctx context.Context, r *pb.DeleteMallocVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.v.Malloc.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// StatsMallocVolume returns a malloc volume's I/O counters.
func (s *VolumeService) StatsMallocVolume(ctx context.Context, r *pb.StatsMallocVolumeRequest) (*pb.StatsMallocVolumeResponse, error) {
	st, err := stats(ctx, s.c, s.v.Malloc, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsMallocVolumeResponse{Stats: st}, nil
}

// CreateNullVolume creates a null volume.
func (s *VolumeService) CreateNullVolume(ctx context.Context, r *pb.CreateNullVolumeRequest) (*pb.NullVolume, error) {
	in := proto.Clone(r.GetNullVolume()).(*pb.NullVolume)
	if err := validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid()); err != nil {
		return nil, apiStatus(err)
	}
	var err error
	if in.Uuid, err = pickUUID(ctx, s.v.Null, "", r.GetNullVolumeId(), in.GetUuid()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.v.Null.Create(ctx, "", r.GetNullVolumeId(), in)
	return out, apiStatus(err)
}

// GetNullVolume returns one null volume.
func (s *VolumeService) GetNullVolume(ctx context.Context, r *pb.GetNullVolumeRequest) (*pb.NullVolume, error) {
	out, err := s.v.Null.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListNullVolumes lists null volumes by name.
func (s *VolumeService) ListNullVolumes(ctx context.Context, r *pb.ListNullVolumesRequest) (*pb.ListNullVolumesResponse, error) {
	items, next, err := s.v.Null.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListNullVolumesResponse{NullVolumes: items, NextPageToken: next}, nil
}

// UpdateNullVolume changes nothing (every field is fixed) but creates the
// volume with allow_missing.
func (s *VolumeService) UpdateNullVolume(ctx context.Context, r *pb.UpdateNullVolumeRequest) (*pb.NullVolume, error) {
	in := proto.Clone(r.GetNullVolume()).(*pb.NullVolume)
	if err := prepareMissing(ctx, s.v.Null, in.GetName(), &in.Uuid, r.GetAllowMissing(), func() error {
		return validateSized(in.GetBlockSize(), in.GetBlockCount(), in.GetUuid())
	}); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.v.Null.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

// DeleteNullVolume deletes a null volume.
func (s *VolumeService) DeleteNullVolume(ctx context.Context, r *pb.DeleteNullVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.v.Null.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// StatsNullVolume returns a null volume's I/O counters.
func (s *VolumeService) StatsNullVolume(ctx context.Context, r *pb.StatsNullVolumeRequest) (*pb.StatsNullVolumeResponse, error) {
	st, err := stats(ctx, s.c, s.v.Null, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNullVolumeResponse{Stats: st}, nil
}

// CreateAioVolume creates an AIO volume.
func (s *VolumeService) CreateAioVolume(ctx context.Context, r *pb.CreateAioVolumeRequest) (*pb.AioVolume, error) {
	in := proto.Clone(r.GetAioVolume()).(*pb.AioVolume)
	if err := validateAio(in); err != nil {
		return nil, apiStatus(err)
	}
	var err error
	if in.Uuid, err = pickUUID(ctx, s.v.Aio, "", r.GetAioVolumeId(), in.GetUuid()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.v.Aio.Create(ctx, "", r.GetAioVolumeId(), in)
	return out, apiStatus(err)
}

// GetAioVolume returns one AIO volume.
func (s *VolumeService) GetAioVolume(ctx context.Context, r *pb.GetAioVolumeRequest) (*pb.AioVolume, error) {
	out, err := s.v.Aio.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListAioVolumes lists AIO volumes by name.
func (s *VolumeService) ListAioVolumes(ctx context.Context, r *pb.ListAioVolumesRequest) (*pb.ListAioVolumesResponse, error) {
	items, next, err := s.v.Aio.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListAioVolumesResponse{AioVolumes: items, NextPageToken: next}, nil
}

// UpdateAioVolume changes nothing (every field is fixed) but creates the
// volume with allow_missing.
func (s *VolumeService) UpdateAioVolume(ctx context.Context, r *pb.UpdateAioVolumeRequest) (*pb.AioVolume, error) {
	in := proto.Clone(r.GetAioVolume()).(*pb.AioVolume)
	if err := prepareMissing(ctx, s.v.Aio, in.GetName(), &in.Uuid, r.GetAllowMissing(), func() error { return validateAio(in) }); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.v.Aio.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

// DeleteAioVolume deletes an AIO volume; the file stays.
func (s *VolumeService) DeleteAioVolume(ctx context.Context, r *pb.DeleteAioVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.v.Aio.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// StatsAioVolume returns an AIO volume's I/O counters.
func (s *VolumeService) StatsAioVolume(ctx context.Context, r *pb.StatsAioVolumeRequest) (*pb.StatsAioVolumeResponse, error) {
	st, err := stats(ctx, s.c, s.v.Aio, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsAioVolumeResponse{Stats: st}, nil
}

// uuidVolume is a volume message that carries a client-settable UUID.
type uuidVolume interface {
	proto.Message
	GetUuid() string
}

// prepareMissing readies an update with allow_missing: when the resource
// does not exist the request is a create, so it is validated as one and
// gets a UUID; when it exists an unset uuid keeps the stored one, whatever
// the mask.
func prepareMissing[T uuidVolume](ctx context.Context, c *resource.Collection[T], name string, uuid *string, allowMissing bool, validate func() error) error {
	cur, err := c.Get(ctx, name)
	switch {
	case err == nil:
		if *uuid == "" {
			*uuid = cur.GetUuid()
		}
		return nil
	case !errors.Is(err, aip.ErrNotFound) || !allowMissing:
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

// pickUUID returns the UUID a create should carry: the one asked for, else
// the stored one of a volume of that name (a retried create stays equal),
// else a new random one.
func pickUUID[T uuidVolume](ctx context.Context, c *resource.Collection[T], parent, id, asked string) (string, error) {
	if asked != "" {
		return asked, nil
	}
	name, err := c.Pattern().Child(parent, id)
	if err != nil {
		return "", err
	}
	cur, err := c.Get(ctx, name)
	switch {
	case err == nil:
		return cur.GetUuid(), nil
	case errors.Is(err, aip.ErrNotFound):
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
		return aip.InvalidArgumentf("block_size %d is not valid: use a multiple of 512 up to %d, such as 512 or 4096, or 0 for the default", bs, MaxBlockSize)
	}
	return nil
}

func validateUUID(uuid string) error {
	if uuid != "" && !volumeUUIDRE.MatchString(uuid) {
		return aip.InvalidArgumentf("uuid %q is not an RFC 4122 UUID such as \"ceccf520-691e-4b46-9546-34af789907c5\"; leave it empty to get one", uuid)
	}
	return nil
}

// validateSized checks a malloc or null volume.
func validateSized(bs uint32, count uint64, uuid string) error {
	if err := validateBlockSize(bs); err != nil {
		return err
	}
	if bs == 0 {
		bs = backend.DefaultBlockSize
	}
	switch {
	case count == 0:
		return aip.InvalidArgumentf("block_count must be at least 1")
	case count > math.MaxInt64/uint64(bs):
		return aip.InvalidArgumentf("block_count %d times block_size %d does not fit in 63 bits; ask for a smaller volume", count, bs)
	}
	return validateUUID(uuid)
}

func validateAio(v *pb.AioVolume) error {
	f := v.GetFilename()
	if f == "" || !filepath.IsAbs(f) || strings.ContainsRune(f, 0) || filepath.Clean(f) != f {
		return aip.InvalidArgumentf("filename %q is not a clean absolute path, such as \"/var/lib/opi/disk0.img\"", f)
	}
	if err := validateBlockSize(v.GetBlockSize()); err != nil {
		return err
	}
	return validateUUID(v.GetUuid())
}

// namedStatus is every resource of this area: it has a name and a status.
type namedStatus interface {
	proto.Message
	GetName() string
}

// stats returns the I/O counters of a stored volume.
func stats[T namedStatus](ctx context.Context, c spdk.Caller, col *resource.Collection[T], name string) (*pb.VolumeStats, error) {
	if _, err := col.Get(ctx, name); err != nil {
		return nil, apiStatus(err)
	}
	st, err := backend.VolumeStats(ctx, c, name)
	return st, apiStatus(err)
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

// apiStatus is the one way every handler of the bridge turns an error into
// the status the client gets: the domain layer's class (aip) when it has
// one, even when it wraps SPDK's error as its cause; otherwise
// spdk.Status, which keeps a status the backend already made (also when
// joined with a cleanup error) and maps a raw SPDK error by its code.
func apiStatus(err error) error {
	if err == nil {
		return nil
	}
	if aip.Classified(err) {
		return aip.Status(err)
	}
	return spdk.Status(err)
}
