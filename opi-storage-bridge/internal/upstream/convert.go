// Package upstream serves upstream OPI's storage API (opi_api.storage.v1,
// vendored in opi-upstream) beside the bridge's own: each call is
// translated to calls of the storage domain, the same ones the native API
// makes, so both APIs see the same resources.
//
// Upstream's rules that its clients depend on are kept here, at the edge:
// resources in upstream's shapes (NVMe subsystems, controllers and
// namespaces wrapped in spec and status), upstream's enums, an empty *_id
// answered with a server-generated UUID, names in the forms upstream's
// clients send (a bare id or the pattern's form, which is the native one;
// a volume reference may be a bare volume id), and upstream's error codes,
// which are the runtime's mapping of the domain's error classes.
//
// Where upstream has a field the native domain has no counterpart for, the
// facade either maps it (documented per field in opi-upstream's README) or
// refuses a request that sets it with INVALID_ARGUMENT naming the field;
// nothing is dropped silently except the sizing hints godpu sends and
// SPDK picks itself (NVMe controller queue counts and sizes).
//
// Upstream's protos mark no field secret; init marks the keys and PSKs so
// that the runtime clears them from every response and every logged
// payload, as it does the native API's.
package upstream

import (
	"context"
	"errors"
	"math"
	"strings"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/redact"
	"github.com/opi-suite/opi/opi-kit/store"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// SecretFields are the fields of upstream's storage API that hold key
// material. Their protos carry no secret option, so they are named here.
var SecretFields = []string{
	"opi_api.storage.v1.EncryptedVolume.key",
	"opi_api.storage.v1.TcpController.psk",
	"opi_api.storage.v1.NvmeSubsystemSpec.psk",
}

func init() {
	for _, f := range SecretFields {
		redact.MarkSecret(protoreflect.FullName(f))
	}
}

// idOrNew returns id, or a new UUID when it is empty (upstream's rule).
func idOrNew(id string) (string, error) {
	if id != "" {
		return id, nil
	}
	return aip.NewID()
}

// name turns a name upstream's clients send into the native name of a
// top-level kind coll: a bare id gets the collection in front, and so
// does the "volumes/x" form upstream's SPDK bridge answers for volumes,
// virtio-blk devices and virtio-SCSI targets, controllers and LUNs alike
// (the RPC says which kind is meant); any other form (the pattern's,
// which is the native one) is passed on unchanged for the domain to
// check.
func name(coll, s string) string {
	if id, ok := strings.CutPrefix(s, upstreamVolumes); ok && volumeNamedColl(coll) {
		s = id
	}
	if s != "" && !strings.Contains(s, "/") {
		return coll + "/" + s
	}
	return s
}

// volumeNamedColl reports the native collections whose resources
// upstream's SPDK bridge names "volumes/{id}".
func volumeNamedColl(coll string) bool {
	switch coll {
	case storage.KindVirtioBlks, storage.KindVirtioScsiTargets, storage.KindVirtioScsiLuns:
		return true
	}
	return strings.HasSuffix(coll, "Volumes")
}

// upstreamVolumes is the collection upstream's SPDK bridge names every
// volume in, whatever its kind (godpu's test expects it).
const upstreamVolumes = "volumes/"

// child turns a child's name or bare id (with its parent known) into the
// native name.
func child(parent, coll, s string) string {
	if s != "" && !strings.Contains(s, "/") && parent != "" {
		return parent + "/" + coll + "/" + s
	}
	return s
}

// volumeKinds are the kinds a bare volume_name_ref is looked up in, in
// this order.
func volumeKinds(s *storage.Storage) []struct {
	coll string
	get  func(context.Context, string) error
} {
	type entry = struct {
		coll string
		get  func(context.Context, string) error
	}
	return []entry{
		{storage.KindMallocVolumes, func(ctx context.Context, n string) error { _, err := s.MallocVolumes.Get(ctx, n); return err }},
		{storage.KindNullVolumes, func(ctx context.Context, n string) error { _, err := s.NullVolumes.Get(ctx, n); return err }},
		{storage.KindAioVolumes, func(ctx context.Context, n string) error { _, err := s.AioVolumes.Get(ctx, n); return err }},
		{storage.KindEncryptedVolumes, func(ctx context.Context, n string) error { _, err := s.EncryptedVolumes.Get(ctx, n); return err }},
		{storage.KindQosVolumes, func(ctx context.Context, n string) error { _, err := s.QosVolumes.Get(ctx, n); return err }},
	}
}

// volumeRef turns upstream's volume_name_ref into a native volume name.
// A name with a "/" is the native form and passed on. A bare id (what
// upstream's clients send: upstream's SPDK bridge takes SPDK's bdev name)
// is looked up in every volume kind: found in one, it is that volume;
// found in none, NOT_FOUND; found in several, INVALID_ARGUMENT asking for
// the full name.
func volumeRef(ctx context.Context, s *storage.Storage, field, ref string) (string, error) {
	if ref == "" {
		return "", errdefs.InvalidArgumentf("%s is required", field)
	}
	ref = strings.TrimPrefix(ref, upstreamVolumes)
	if strings.Contains(ref, "/") {
		return ref, nil
	}
	var found []string
	for _, k := range volumeKinds(s) {
		n := k.coll + "/" + ref
		err := k.get(ctx, n)
		switch {
		case err == nil:
			found = append(found, n)
		case !errors.Is(err, errdefs.ErrNotFound):
			return "", err
		}
	}
	switch len(found) {
	case 0:
		return "", errdefs.NotFoundf("%s: volume %s not found: create it first", field, names.Quote(ref))
	case 1:
		return found[0], nil
	}
	return "", errdefs.InvalidArgumentf("%s: %s names %s: send the full name", field, names.Quote(ref), strings.Join(found, " and "))
}

// stats turns the native counters into upstream's; upstream's are 32 bits,
// so a larger count is answered as the largest int32.
func stats(in *pb.VolumeStats) *up.VolumeStats {
	if in == nil {
		return &up.VolumeStats{}
	}
	c := func(v uint64) int32 {
		if v > math.MaxInt32 {
			return math.MaxInt32
		}
		return int32(v)
	}
	return &up.VolumeStats{
		ReadBytesCount: c(in.GetReadBytes()), ReadOpsCount: c(in.GetReadOps()),
		WriteBytesCount: c(in.GetWriteBytes()), WriteOpsCount: c(in.GetWriteOps()),
		UnmapBytesCount: c(in.GetUnmapBytes()), UnmapOpsCount: c(in.GetUnmapOps()),
		ReadLatencyTicks: c(in.GetReadLatencyTicks()), WriteLatencyTicks: c(in.GetWriteLatencyTicks()),
		UnmapLatencyTicks: c(in.GetUnmapLatencyTicks()),
	}
}

// mask translates an update mask's upstream paths into native ones: paths
// maps each upstream path to its native field(s); "*" (and "spec", for the
// kinds with one) name every mapped field, so that a field upstream does
// not have is never reset. A nil mask stays nil (every field the request
// sets).
func mask(m *fieldmaskpb.FieldMask, paths map[string][]string) (*fieldmaskpb.FieldMask, error) {
	if m == nil {
		return nil, nil
	}
	out := &fieldmaskpb.FieldMask{}
	seen := map[string]bool{}
	add := func(ps []string) {
		for _, p := range ps {
			if !seen[p] {
				seen[p] = true
				out.Paths = append(out.Paths, p)
			}
		}
	}
	for _, p := range m.GetPaths() {
		switch {
		case p == "*" || (p == "spec" && paths["spec"] == nil):
			for up, native := range paths {
				if up != "spec" {
					add(native)
				}
			}
		case paths[p] != nil:
			add(paths[p])
		default:
			return nil, errdefs.InvalidArgumentf("update_mask: %s is not a field the bridge keeps for this resource", names.Quote(p))
		}
	}
	return out, nil
}

// u32 reads an upstream int64 or int32 into a native uint32, refusing a
// value out of range with the field's name.
func u32(field string, v int64) (uint32, error) {
	if v < 0 || v > math.MaxUint32 {
		return 0, errdefs.InvalidArgumentf("%s %d is out of range: 0 to %d", field, v, uint32(math.MaxUint32))
	}
	return uint32(v), nil
}

// refuse returns INVALID_ARGUMENT naming a field the native domain has no
// counterpart for, when set is true.
func refuse(set bool, field, why string) error {
	if set {
		return errdefs.InvalidArgumentf("%s is not supported: %s", field, why)
	}
	return nil
}

// isReady says whether a native resource's status reads as upstream's
// enabled, online or active: every backend has applied it.
func isReady(st *commonv1.ResourceStatus) bool {
	return st.GetState() == commonv1.ResourceState_RESOURCE_STATE_READY
}

// Facade is upstream's storage API over one storage domain.
type Facade struct {
	FrontendNvme     *FrontendNvme
	VirtioBlks       *VirtioBlks
	VirtioScsi       *VirtioScsi
	Remote           *Remote
	AioVolumes       *AioVolumes
	MallocVolumes    *MallocVolumes
	NullVolumes      *NullVolumes
	EncryptedVolumes *EncryptedVolumes
	QosVolumes       *QosVolumes

	names NameStyle
}

// Option configures a Facade.
type Option func(*Facade)

// WithNames sets the form of the names the facade answers (ProtoNames by
// default); register its services with Facade.ServiceDesc for it to
// apply.
func WithNames(style NameStyle) Option { return func(f *Facade) { f.names = style } }

// New returns upstream's storage services over s. The remote controllers
// keep what upstream's API says and the native one has no place for in
// st, the bridge's intent store.
func New(s *storage.Storage, st store.Store, opts ...Option) (*Facade, error) {
	remote, err := newRemote(s, st)
	if err != nil {
		return nil, err
	}
	f := &Facade{
		FrontendNvme: &FrontendNvme{s: s}, VirtioBlks: &VirtioBlks{s: s}, VirtioScsi: &VirtioScsi{s: s}, Remote: remote,
		AioVolumes: &AioVolumes{s: s}, MallocVolumes: &MallocVolumes{s: s}, NullVolumes: &NullVolumes{s: s},
		EncryptedVolumes: &EncryptedVolumes{s: s}, QosVolumes: &QosVolumes{s: s},
	}
	for _, o := range opts {
		o(f)
	}
	return f, nil
}
