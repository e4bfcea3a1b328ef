// Package storage is the storage bridge's domain: what the user asked for
// (volumes, NVMe subsystems, controllers and namespaces, virtio-blk
// devices, remote NVMe-oF controllers), kept as intent in opi-kit/resource
// collections, with the rules the API's field_behavior annotations cannot
// state: formats and ranges (UUIDs, sizes, keys, NQNs, addresses),
// cross-resource invariants (one PCIe endpoint per device, one subsystem
// per NQN, a volume under one stack, no delete while in use), defaults that
// keep a retried create equal, and idempotency.
//
// The domain reaches its backend only through the interfaces in Backends,
// so a vendor can realise any kind (or one transport of the NVMe frontend)
// differently and keep everything else. Errors are errdefs classes; the
// runtime turns them into gRPC statuses.
package storage

import (
	"context"
	"errors"
	"fmt"
	"sync"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// named is every stored storage resource.
type named interface {
	proto.Message
	GetName() string
}

// Storage is the storage domain on one intent store. Its Kinds serve Get,
// List and Delete; creates, updates and reads from the backend go through
// its methods, which apply the domain's rules first.
type Storage struct {
	MallocVolumes         *Kind[*pb.MallocVolume]
	NullVolumes           *Kind[*pb.NullVolume]
	AioVolumes            *Kind[*pb.AioVolume]
	LogicalVolumeStores   *Kind[*pb.LogicalVolumeStore]
	LogicalVolumes        *Kind[*pb.LogicalVolume]
	EncryptedVolumes      *Kind[*pb.EncryptedVolume]
	QosVolumes            *Kind[*pb.QosVolume]
	NvmeRemoteControllers *Kind[*pb.NvmeRemoteController]
	NvmePaths             *Kind[*pb.NvmePath]
	NvmeSubsystems        *Kind[*pb.NvmeSubsystem]
	NvmeNamespaces        *Kind[*pb.NvmeNamespace]
	NvmeControllers       *Kind[*pb.NvmeController]
	VirtioBlks            *Kind[*pb.VirtioBlk]
	VirtioScsiTargets     *Kind[*pb.VirtioScsiTarget]
	VirtioScsiLuns        *Kind[*pb.VirtioScsiLun]

	st   store.Store
	read Reader
	// remoteCtrls is the controller backend of each remote fabric, for
	// what goes beyond CRUD (reset).
	remoteCtrls map[Transport]resource.Backend[*pb.NvmeRemoteController]
	opts        options
	// nqns serializes subsystem creates so that two cannot take one NQN.
	nqns sync.Mutex
	// pcie serializes creates on PCIe endpoints so that two devices cannot
	// take one endpoint.
	pcie sync.Mutex
	// volumes holds a volume while a resource that claims it is created
	// (claimVolume).
	volumes keyLocks
	// names holds a resource name (or a subsystem's listeners) from a
	// check or a default picked from the store to the create it guards.
	names keyLocks
}

// New builds the domain on st over b with opts. Every field of b must be
// set; the transport registries may leave transports out (resources on
// them are refused as unimplemented).
func New(st store.Store, b Backends, opts ...Option) (*Storage, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	s := &Storage{st: st, read: b.Reader}
	for _, o := range opts {
		o(&s.opts)
	}
	var err error
	if s.MallocVolumes, err = newKind(st, KindMallocVolumes, MallocVolumePattern, b.MallocVolumes); err != nil {
		return nil, err
	}
	if s.NullVolumes, err = newKind(st, KindNullVolumes, NullVolumePattern, b.NullVolumes); err != nil {
		return nil, err
	}
	if s.AioVolumes, err = newKind(st, KindAioVolumes, AioVolumePattern, b.AioVolumes); err != nil {
		return nil, err
	}
	if s.LogicalVolumeStores, err = newKind(st, KindLogicalVolumeStores, LogicalVolumeStorePattern, b.LogicalVolumeStores,
		resource.WithReferences(func(m *pb.LogicalVolumeStore) []resource.Ref { return volumeRefs(m.GetVolume()) })); err != nil {
		return nil, err
	}
	if s.LogicalVolumes, err = newKind(st, KindLogicalVolumes, LogicalVolumePattern, b.LogicalVolumes,
		resource.WithParentKind(KindLogicalVolumeStores)); err != nil {
		return nil, err
	}
	if s.EncryptedVolumes, err = newKind(st, KindEncryptedVolumes, EncryptedVolumePattern, b.EncryptedVolumes,
		resource.WithReferences(func(m *pb.EncryptedVolume) []resource.Ref { return volumeRefs(m.GetVolume()) })); err != nil {
		return nil, err
	}
	if s.QosVolumes, err = newKind(st, KindQosVolumes, QosVolumePattern, b.QosVolumes,
		resource.WithReferences(func(m *pb.QosVolume) []resource.Ref { return volumeRefs(m.GetVolume()) })); err != nil {
		return nil, err
	}
	if err := s.newRemote(st, b); err != nil {
		return nil, err
	}
	if err := s.newFrontend(st, b); err != nil {
		return nil, err
	}
	s.wireHooks()
	// Kinds whose resources stand alone are replayed many at once; the
	// others one after another, in name order (a volume on a volume of
	// its own kind, a controller whose transport the first one makes).
	parallel := s.opts.replayParallel
	if parallel <= 0 {
		parallel = replayParallel
	}
	for _, k := range []interface{ setReplayParallel(int) }{
		s.MallocVolumes, s.NullVolumes, s.AioVolumes, s.NvmeSubsystems, s.NvmeNamespaces,
	} {
		k.setReplayParallel(parallel)
	}
	return s, nil
}

// replayParallel is how many resources of a kind that stand alone a
// replay pass sends to the backend at once by default: SPDK answers every
// request it has read in one poller tick, so 32 creates take about as long
// as one.
const replayParallel = 32

// WithReplayParallel sets how many volumes, subsystems or namespaces a
// replay pass creates at once (default 32); 1 creates them one after
// another, for a backend that cannot take concurrent creates.
func WithReplayParallel(n int) Option {
	return func(o *options) { o.replayParallel = n }
}

// Unverify makes every resource read PENDING until the next replay pass
// has checked it against the backend: call it when the backend may have
// restarted and lost what it held.
func (s *Storage) Unverify() {
	s.MallocVolumes.c.Unverify()
	s.NullVolumes.c.Unverify()
	s.AioVolumes.c.Unverify()
	s.LogicalVolumeStores.c.Unverify()
	s.LogicalVolumes.c.Unverify()
	s.EncryptedVolumes.c.Unverify()
	s.QosVolumes.c.Unverify()
	s.NvmeRemoteControllers.c.Unverify()
	s.NvmePaths.c.Unverify()
	s.NvmeSubsystems.c.Unverify()
	s.NvmeNamespaces.c.Unverify()
	s.NvmeControllers.c.Unverify()
	s.VirtioBlks.c.Unverify()
	s.VirtioScsiTargets.c.Unverify()
	s.VirtioScsiLuns.c.Unverify()
}

func (s *Storage) newRemote(st store.Store, b Backends) error {
	ctrls := map[Transport]resource.Backend[*pb.NvmeRemoteController]{}
	paths := map[Transport]ChildBackend[*pb.NvmeRemoteController, *pb.NvmePath]{}
	for t, f := range b.RemoteFabrics {
		if f.Controllers == nil || f.Paths == nil {
			return fmt.Errorf("storage: the remote fabric %q needs both a controller and a path backend", t)
		}
		ctrls[t], paths[t] = f.Controllers, f.Paths
	}
	s.remoteCtrls = ctrls
	var err error
	if s.NvmeRemoteControllers, err = newKind[*pb.NvmeRemoteController](st, KindNvmeRemoteControllers, NvmeRemoteControllerPattern,
		byTransport[*pb.NvmeRemoteController]{what: "remote NVMe controllers", backends: ctrls,
			of: func(c *pb.NvmeRemoteController) Transport { return FabricsTransport(c.GetAddress()) }}); err != nil {
		return err
	}
	s.NvmePaths, err = newKind[*pb.NvmePath](st, KindNvmePaths, NvmePathPattern,
		byTransport[*pb.NvmePath]{what: "NVMe paths", backends: children(s.NvmeRemoteControllers.c, NvmePathPattern, paths),
			of: func(p *pb.NvmePath) Transport { return FabricsTransport(p.GetAddress()) }},
		resource.WithParentKind(KindNvmeRemoteControllers))
	return err
}

func (s *Storage) newFrontend(st store.Store, b Backends) error {
	var err error
	if s.NvmeSubsystems, err = newKind(st, KindNvmeSubsystems, NvmeSubsystemPattern, b.NvmeSubsystems); err != nil {
		return err
	}
	if s.NvmeNamespaces, err = newKind[*pb.NvmeNamespace](st, KindNvmeNamespaces, NvmeNamespacePattern,
		child[*pb.NvmeSubsystem, *pb.NvmeNamespace]{parents: s.NvmeSubsystems.c, pattern: NvmeNamespacePattern, b: b.NvmeNamespaces},
		resource.WithParentKind(KindNvmeSubsystems),
		resource.WithReferences(func(m *pb.NvmeNamespace) []resource.Ref { return volumeRefs(m.GetVolume()) })); err != nil {
		return err
	}
	if s.NvmeControllers, err = newKind[*pb.NvmeController](st, KindNvmeControllers, NvmeControllerPattern,
		byTransport[*pb.NvmeController]{what: "NVMe controllers", of: ControllerTransport,
			backends: children(s.NvmeSubsystems.c, NvmeControllerPattern, b.NvmeControllers)},
		resource.WithParentKind(KindNvmeSubsystems)); err != nil {
		return err
	}
	vb := map[Transport]resource.Backend[*pb.VirtioBlk]{}
	for t, v := range b.VirtioBlks {
		if v != nil {
			vb[t] = v
		}
	}
	if s.VirtioBlks, err = newKind[*pb.VirtioBlk](st, KindVirtioBlks, VirtioBlkPattern,
		byTransport[*pb.VirtioBlk]{what: "virtio-blk devices", of: VirtioBlkTransport, backends: vb},
		resource.WithReferences(func(m *pb.VirtioBlk) []resource.Ref { return volumeRefs(m.GetVolume()) })); err != nil {
		return err
	}
	return s.newVirtioScsi(st, b)
}

// wireHooks gives the kinds their domain behaviour beyond CRUD: what a
// client must not see, what is read live, what force deletes.
func (s *Storage) wireHooks() {
	s.EncryptedVolumes.hide = func(v *pb.EncryptedVolume) { v.Key, v.Key2 = nil, nil }
	s.NvmeRemoteControllers.hide = hidePSK
	s.NvmeSubsystems.hide = hideHostPSKs
	s.LogicalVolumeStores.refresh = s.read.RefreshStoreUsage
	s.LogicalVolumeStores.children = deleteChildren(s.LogicalVolumes, LogicalVolumeStorePattern)
	s.NvmeRemoteControllers.children = deleteChildren(s.NvmePaths, NvmeRemoteControllerPattern)
	s.NvmeSubsystems.children = s.deleteSubsystemChildren
	s.LogicalVolumes.parent = s.LogicalVolumeStores.exists
	s.NvmePaths.parent = s.NvmeRemoteControllers.exists
	s.NvmeNamespaces.parent = s.NvmeSubsystems.exists
	s.NvmeControllers.parent = s.NvmeSubsystems.exists
	// A subsystem is held only by its children, so force always helps.
	s.NvmeSubsystems.forceHint = "or set force to delete its controllers and namespaces with it"
}

func (b Backends) check() error {
	var missing []error
	for name, v := range map[string]any{
		"MallocVolumes": b.MallocVolumes, "NullVolumes": b.NullVolumes, "AioVolumes": b.AioVolumes,
		"LogicalVolumeStores": b.LogicalVolumeStores, "LogicalVolumes": b.LogicalVolumes,
		"EncryptedVolumes": b.EncryptedVolumes, "QosVolumes": b.QosVolumes,
		"NvmeSubsystems": b.NvmeSubsystems, "NvmeNamespaces": b.NvmeNamespaces, "Reader": b.Reader,
	} {
		if v == nil {
			missing = append(missing, fmt.Errorf("storage: Backends.%s is not set", name))
		}
	}
	return errors.Join(missing...)
}

// Kind is one stored kind of the domain: Get, List and Delete with the
// domain's view of the resources (secrets withheld, live fields read).
// Creates and updates are Storage's methods, which validate first.
type Kind[T named] struct {
	c       *resource.Collection[T]
	backend resource.Backend[T]
	// hide clears what clients must never get back (keys); nil: nothing.
	hide func(T)
	// refresh fills, on Get, output fields the backend keeps current.
	refresh func(context.Context, T)
	// children deletes what a forced delete removes first; nil: the kind
	// has nothing to force.
	children func(ctx context.Context, name string) error
	// forceHint is added to a refused delete when force would have helped.
	forceHint string
	// parent reports NotFound unless the named parent is stored; nil: the
	// kind is top-level.
	parent func(ctx context.Context, name string) error
	// parallel is how many resources a replay pass applies at once.
	parallel int
}

func newKind[T named](st store.Store, kind string, p *aip.Pattern, b resource.Backend[T], opts ...resource.Option) (*Kind[T], error) {
	// Every kind is walked by the bridge's replay pass, so a restarted
	// bridge serves at once and shows PENDING what it has not checked yet.
	c, err := resource.New[T](st, kind, p, append(opts, resource.WithBackend[T](b), resource.PendingUntilReplayed())...)
	if err != nil {
		return nil, err
	}
	return &Kind[T]{c: c, backend: b}, nil
}

// Get returns one resource with its status, or NotFound.
func (k *Kind[T]) Get(ctx context.Context, name string) (T, error) {
	m, err := k.c.Get(ctx, name)
	if err != nil {
		return m, err
	}
	if k.refresh != nil {
		k.refresh(ctx, m)
	}
	return k.out(m), nil
}

// List returns one page of the children of parent ("" for a top-level
// kind), in name order, and the token of the next page. A parent that is
// not stored is NotFound.
func (k *Kind[T]) List(ctx context.Context, parent string, pageSize int32, pageToken string) ([]T, string, error) {
	// An empty page would read as "no children" for a parent that is not
	// there (a typo, or deleted meanwhile): the client is told instead.
	if k.parent != nil {
		if err := k.parent(ctx, parent); err != nil {
			return nil, "", err
		}
	}
	items, next, err := k.c.List(ctx, parent, pageSize, pageToken)
	for _, m := range items {
		k.out(m)
	}
	return items, next, err
}

// Delete removes a resource from the backend and the store. A resource in
// use is FailedPrecondition; with force, for the kinds that hold others
// (a store its logical volumes, a subsystem its controllers and
// namespaces, a remote controller its paths), those are deleted first.
func (k *Kind[T]) Delete(ctx context.Context, name string, allowMissing, force bool) error {
	if force && k.children != nil {
		if err := k.children(ctx, name); err != nil {
			return err
		}
	}
	err := k.c.Delete(ctx, name, allowMissing)
	if errors.Is(err, errdefs.ErrFailedPrecondition) && !force && k.forceHint != "" {
		return errdefs.FailedPreconditionf("%w (%s)", err, k.forceHint)
	}
	return err
}

// Recover finishes the operations a crash interrupted (resource.Recoverer).
func (k *Kind[T]) Recover(ctx context.Context) error { return k.c.Recover(ctx) }

// Replay is the replay step of this kind: every stored resource the
// backend does not hold is created again, and each resource's status
// records how that went; backend names the backend in those statuses.
// A backend that implements Presence is read once for the kind (not at
// all when none is stored), so that what it holds costs no call.
func (k *Kind[T]) Replay(backend string) resource.Step {
	return func(ctx context.Context) (int, error) {
		var present func(T) bool
		if p, ok := k.backend.(Presence[T]); ok {
			empty, err := k.c.Empty(ctx)
			if err != nil {
				return 0, err
			}
			if !empty {
				if present, err = p.Present(ctx); err != nil {
					return 0, err
				}
			}
		}
		return resource.ReplayStep(k.c, resource.Replayer[T]{Backend: backend, Apply: k.backend.Create,
			Present: present, Parallel: k.parallel})(ctx)
	}
}

func (k *Kind[T]) setReplayParallel(n int) { k.parallel = n }

// Collection is the kind's intent collection. Writing through it skips
// the domain's rules; it is there for tools that fill a store in bulk
// (benchmarks) and for conformance tests that inspect the intent.
func (k *Kind[T]) Collection() *resource.Collection[T] { return k.c }

func (k *Kind[T]) out(m T) T {
	if k.hide != nil {
		k.hide(m)
	}
	return m
}

// create stores m as parent/id through the backend, as clients see it.
func (k *Kind[T]) create(ctx context.Context, parent, id string, m T) (T, error) {
	out, err := k.c.Create(ctx, parent, id, m)
	if err != nil {
		return out, err
	}
	return k.out(out), nil
}

// update applies m onto the stored resource per mask (AIP-134), as
// clients see it.
func (k *Kind[T]) update(ctx context.Context, m T, mask *fieldmaskpb.FieldMask, allowMissing bool) (T, error) {
	return k.updateChecked(ctx, m, mask, allowMissing, nil)
}

// updateChecked is update after check accepted the resource the update
// leaves (the stored one with mask applied, or m for an allow_missing
// create). check runs under the collection's lock for the name
// (resource.Collection.UpdateChecked), so two updates of one resource at
// once cannot store a combination neither was checked against; nil checks
// nothing.
func (k *Kind[T]) updateChecked(ctx context.Context, m T, mask *fieldmaskpb.FieldMask, allowMissing bool, check func(next T) error) (T, error) {
	out, err := k.c.UpdateChecked(ctx, m, mask, allowMissing, check)
	if err != nil {
		return out, err
	}
	return k.out(out), nil
}

// createCheck is a check for updateChecked that runs validate on what an
// allow_missing update of name creates. Whether name is stored is read
// under the lock updateChecked holds, so a resource deleted after the
// caller looked is not created unvalidated. Without allowMissing an
// update never creates, and createCheck is nil.
func (k *Kind[T]) createCheck(ctx context.Context, name string, allowMissing bool, validate func(next T) error) func(T) error {
	if !allowMissing {
		return nil
	}
	return func(next T) error {
		if err := k.exists(ctx, name); !errors.Is(err, errdefs.ErrNotFound) {
			return err
		}
		return validate(next)
	}
}

// exists reports NotFound unless the resource name is stored.
func (k *Kind[T]) exists(ctx context.Context, name string) error {
	_, err := k.c.Get(ctx, name)
	return err
}

// deleteChildren returns the force-delete of a kind whose children are of
// kind c: every child, page by page; one still in use stops it.
func deleteChildren[T named](c *Kind[T], parentPattern *aip.Pattern) func(context.Context, string) error {
	return func(ctx context.Context, parent string) error {
		if err := parentPattern.Validate(parent); err != nil {
			return err
		}
		for {
			items, _, err := c.c.List(ctx, parent, 0, "")
			if err != nil || len(items) == 0 {
				return err
			}
			for _, m := range items {
				if err := c.c.Delete(ctx, m.GetName(), true); err != nil {
					return err
				}
			}
		}
	}
}
