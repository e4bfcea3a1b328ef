package backend

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/protobuf/proto"
)

// FrontendCollections holds the stored intent of the NVMe and virtio-blk
// frontends, each collection wired to its SPDK backend, and reconciles
// them with SPDK.
type FrontendCollections struct {
	Subsystems  *resource.Collection[*pb.NvmeSubsystem]
	Controllers *resource.Collection[*pb.NvmeController]
	Namespaces  *resource.Collection[*pb.NvmeNamespace]
	VirtioBlks  *resource.Collection[*pb.VirtioBlk]
	// Transports caches the NVMe-oF transports made in SPDK; Reset it when
	// SPDK may have restarted.
	Transports *Transports

	spdk        spdk.Caller
	subsystems  *NvmeSubsystems
	controllers *NvmeControllers
	namespaces  *NvmeNamespaces
	virtioBlks  *VirtioBlks
}

// NewFrontendCollections builds the frontend collections on st. PSK files
// go to <stateDir>/keys and vfio-user sockets to <stateDir>/vfio-user.
func NewFrontendCollections(st store.Store, c spdk.Caller, stateDir string) (*FrontendCollections, error) {
	f := &FrontendCollections{spdk: c, Transports: NewTransports(c)}
	f.subsystems = NewNvmeSubsystems(c, filepath.Join(stateDir, "keys"))
	f.namespaces = NewNvmeNamespaces(c, f.nqnOf)
	f.controllers = NewNvmeControllers(c, f.nqnOf, f.Transports, filepath.Join(stateDir, "vfio-user"))
	f.virtioBlks = NewVirtioBlks(c)
	var err error
	if f.Subsystems, err = resource.New[*pb.NvmeSubsystem](st, KindNvmeSubsystems, NvmeSubsystemPattern,
		resource.WithBackend[*pb.NvmeSubsystem](f.subsystems)); err != nil {
		return nil, err
	}
	if f.Controllers, err = resource.New[*pb.NvmeController](st, KindNvmeControllers, NvmeControllerPattern,
		resource.WithParentKind(KindNvmeSubsystems),
		resource.WithBackend[*pb.NvmeController](f.controllers)); err != nil {
		return nil, err
	}
	if f.Namespaces, err = resource.New[*pb.NvmeNamespace](st, KindNvmeNamespaces, NvmeNamespacePattern,
		resource.WithParentKind(KindNvmeSubsystems),
		resource.WithReferences(func(m *pb.NvmeNamespace) []resource.Ref { return baseRefs(m.GetVolume()) }),
		resource.WithBackend[*pb.NvmeNamespace](f.namespaces)); err != nil {
		return nil, err
	}
	if f.VirtioBlks, err = resource.New[*pb.VirtioBlk](st, KindVirtioBlks, VirtioBlkPattern,
		resource.WithReferences(func(m *pb.VirtioBlk) []resource.Ref { return baseRefs(m.GetVolume()) }),
		resource.WithBackend[*pb.VirtioBlk](f.virtioBlks)); err != nil {
		return nil, err
	}
	return f, nil
}

// nqnOf is the NQNLookup of the namespace and controller backends.
func (f *FrontendCollections) nqnOf(ctx context.Context, subsystem string) (string, error) {
	s, err := f.Subsystems.Get(ctx, subsystem)
	if err != nil {
		return "", err
	}
	return s.GetNqn(), nil
}

// ReconcileNvme finishes interrupted operations and replays the NVMe intent
// into SPDK, parents first: subsystems (with hosts and keys), namespaces,
// controllers (transports first). Each resource's status says how it went.
// It fails, to be retried, only when SPDK cannot be reached; other errors
// go to report.
func (f *FrontendCollections) ReconcileNvme(ctx context.Context, report func(error)) error {
	if err := RecoverAll(ctx, report, f.Subsystems); err != nil {
		return err
	}
	nqns := map[string]string{}
	if _, err := Replay(ctx, f.Subsystems, f.subsystems, func(m *pb.NvmeSubsystem) bool {
		nqns[m.GetName()] = m.GetNqn()
		return false // Create is cheap and also repairs the host list
	}); err != nil {
		return err
	}
	if err := RecoverAll(ctx, report, f.Namespaces); err != nil {
		return err
	}
	subs, err := ListSubsystems(ctx, f.spdk)
	if err != nil {
		return err
	}
	if _, err := Replay(ctx, f.Namespaces, f.namespaces, func(m *pb.NvmeNamespace) bool {
		sub, ok := subs[nqns[subsystemOf(m.GetName())]]
		return ok && f.namespaces.Present(sub, m)
	}); err != nil {
		return err
	}
	if err := RecoverAll(ctx, report, f.Controllers); err != nil {
		return err
	}
	_, err = Replay(ctx, f.Controllers, f.controllers, func(m *pb.NvmeController) bool {
		sub, ok := subs[nqns[subsystemOf(m.GetName())]]
		return ok && f.controllers.Present(sub, m)
	})
	return err
}

// ReconcileVirtioBlk does the same for virtio-blk devices.
func (f *FrontendCollections) ReconcileVirtioBlk(ctx context.Context, report func(error)) error {
	if err := RecoverAll(ctx, report, f.VirtioBlks); err != nil {
		return err
	}
	have, err := ListVhostControllers(ctx, f.spdk)
	if err != nil {
		return err
	}
	_, err = Replay(ctx, f.VirtioBlks, f.virtioBlks, func(m *pb.VirtioBlk) bool {
		return m.GetPcie() == nil && have[VirtioBlkCtrlr(m.GetName())]
	})
	return err
}

// Statusful is every stored storage resource: named, with a status.
type Statusful interface {
	proto.Message
	GetName() string
	GetStatus() *commonv1.ResourceStatus
}

// Replay walks one collection and makes SPDK hold each resource that
// present (nil: none) says it lacks, through the backend's idempotent
// Create, recording READY or ERROR (with SPDK's reason) per resource. It
// returns how many resources SPDK refused, so a caller replaying stacked
// volumes can tell whether another round would help. SPDK being
// unreachable stops the pass with an error.
func Replay[T Statusful](ctx context.Context, c *resource.Collection[T], b resource.Backend[T], present func(T) bool) (refused int, err error) {
	err = c.Walk(ctx, func(m T) error {
		state, msg := commonv1.ResourceState_RESOURCE_STATE_READY, ""
		if present == nil || !present(m) {
			in := proto.Clone(m).(T)
			if err := b.Create(ctx, in); err != nil {
				if Unreachable(err) {
					return err
				}
				refused++
				state, msg = commonv1.ResourceState_RESOURCE_STATE_ERROR, fmt.Sprintf("SPDK refused to recreate it: %v", err)
			}
		}
		if st := m.GetStatus(); st.GetState() == state && st.GetMessage() == msg {
			return nil // unchanged: no write
		}
		err := c.SetStatus(ctx, m.GetName(), state, msg)
		if errors.Is(err, aip.ErrNotFound) {
			return nil // deleted meanwhile
		}
		return err
	})
	return refused, err
}

// Unreachable reports whether err means SPDK could not be reached (or the
// pass was cancelled), rather than SPDK refusing a request.
func Unreachable(err error) bool {
	return errors.Is(err, spdk.ErrUnavailable) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Recoverer is what RecoverAll runs: a collection, or an area's set of them.
type Recoverer interface {
	Recover(ctx context.Context) error
}

// RecoverAll runs Recover on each, in order. Only SPDK being unreachable
// stops it; other failures (SPDK refusing to finish an interrupted
// operation) go to report and stay in the journal for the next pass, so
// one stuck resource cannot keep the bridge from serving.
func RecoverAll(ctx context.Context, report func(error), rs ...Recoverer) error {
	for _, r := range rs {
		if err := r.Recover(ctx); err != nil {
			if Unreachable(err) {
				return err
			}
			if report != nil {
				report(err)
			}
		}
	}
	return nil
}
