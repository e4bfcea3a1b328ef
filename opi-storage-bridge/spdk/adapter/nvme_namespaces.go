package adapter

import (
	"context"
	"fmt"
	"strings"
	"sync"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// NvmeNamespaces realises NVMe namespaces in SPDK: a namespace of the
// parent subsystem over the bdev of the namespace's volume. In SPDK the
// namespace is recognised by its bdev, which only one namespace can claim.
type NvmeNamespaces struct{ C spdk.Caller }

// canonical returns the name SPDK reports in a namespace's bdev_name for
// the bdev the bridge calls bdev: the bdev's own name, which for a logical
// volume is its UUID, not the alias lvs-<store>/<id> the bridge uses. A
// bdev SPDK does not have keeps the bridge's name.
func canonical(ctx context.Context, c spdk.Caller, bdev string) (string, error) {
	info, err := getBdev(ctx, c, bdev)
	if err != nil || info == nil {
		return bdev, err
	}
	return info.Name, nil
}

// AddNamespaceParams are the parameters of nvmf_subsystem_add_ns for m on
// the subsystem nqn; exported so that benchmarks can make the very same
// call without the bridge.
func AddNamespaceParams(nqn string, m *pb.NvmeNamespace) (map[string]any, error) {
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return nil, err
	}
	ns := map[string]any{"bdev_name": bdev}
	if m.GetNsid() != 0 {
		ns["nsid"] = m.GetNsid()
	}
	if m.GetUuid() != "" {
		ns["uuid"] = m.GetUuid()
	}
	if m.GetNguid() != "" {
		ns["nguid"] = m.GetNguid()
	}
	if m.GetEui64() != "" {
		ns["eui64"] = m.GetEui64()
	}
	return map[string]any{"nqn": nqn, "namespace": ns}, nil
}

// Create adds the namespace and records in m the namespace id SPDK
// assigned. When SPDK refuses, the subsystem is read to tell "already
// there" (a replay: success) from a real conflict.
func (b NvmeNamespaces) Create(ctx context.Context, sub *pb.NvmeSubsystem, m *pb.NvmeNamespace) error {
	return spdk.Classify(b.create(ctx, sub, m))
}

func (b NvmeNamespaces) create(ctx context.Context, s *pb.NvmeSubsystem, m *pb.NvmeNamespace) error {
	nqn := s.GetNqn()
	params, err := AddNamespaceParams(nqn, m)
	if err != nil {
		return err
	}
	var nsid uint32
	callErr := b.C.Call(ctx, "nvmf_subsystem_add_ns", params, &nsid)
	if callErr == nil {
		// The id SPDK chose is recorded, so that a replay into an empty
		// SPDK asks for it rather than letting SPDK pick again.
		m.Nsid = nsid
		return nil
	}
	bdev, _ := BdevName(m.GetVolume())
	if bdev, err = canonical(ctx, b.C, bdev); err != nil {
		return err
	}
	sub, ok, err := getSubsystem(ctx, b.C, nqn)
	if err != nil || !ok {
		if err == nil {
			err = errdefs.FailedPreconditionf("subsystem %s (NQN %s) is not in SPDK yet; it will be retried: %w", s.GetName(), nqn, callErr)
		}
		return err
	}
	for _, ns := range sub.Namespaces {
		switch {
		case ns.bdev() == bdev && (m.GetNsid() == 0 || ns.NSID == m.GetNsid()):
			m.Nsid = ns.NSID
			return nil // made before a crash or by an earlier pass
		case ns.bdev() == bdev:
			return errdefs.FailedPreconditionf("volume %s is already exposed by this subsystem as namespace id %d", m.GetVolume(), ns.NSID)
		case m.GetNsid() != 0 && ns.NSID == m.GetNsid():
			return errdefs.AlreadyExistsf("namespace id %d is already used in subsystem %s; choose another nsid or 0 for the lowest free one", m.GetNsid(), s.GetName())
		}
	}
	return fmt.Errorf("adding namespace on volume %s: %w", m.GetVolume(), callErr)
}

// Update has nothing to change: every field of a namespace is immutable.
func (NvmeNamespaces) Update(context.Context, *pb.NvmeSubsystem, *pb.NvmeNamespace, *pb.NvmeNamespace) error {
	return nil
}

// Delete removes the namespace found by its bdev and, when recorded, its
// namespace id: a namespace on the same bdev under another id is not this
// resource's, and is left alone. One SPDK no longer has (or a subsystem
// SPDK no longer has) is success.
func (b NvmeNamespaces) Delete(ctx context.Context, s *pb.NvmeSubsystem, m *pb.NvmeNamespace) error {
	return spdk.Classify(b.delete(ctx, s.GetNqn(), m))
}

func (b NvmeNamespaces) delete(ctx context.Context, nqn string, m *pb.NvmeNamespace) error {
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return err
	}
	if bdev, err = canonical(ctx, b.C, bdev); err != nil {
		return err
	}
	sub, ok, err := getSubsystem(ctx, b.C, nqn)
	if err != nil || !ok {
		return err
	}
	for _, ns := range sub.Namespaces {
		if !ns.is(bdev, m.GetNsid()) {
			continue
		}
		err := b.C.Call(ctx, "nvmf_subsystem_remove_ns", map[string]any{"nqn": nqn, "nsid": ns.NSID}, nil)
		if err != nil && spdk.IsCode(err, spdk.CodeInvalidParams) {
			return nil // gone meanwhile
		}
		return err
	}
	return nil
}

// Present lists SPDK's subsystems once and reports, from that listing,
// whether a namespace is there (storage.ChildPresence). SPDK reports a
// logical volume's namespace under the volume's own name, not the alias
// the bridge uses: the bdevs are listed, once, only when such a namespace
// is met.
func (b NvmeNamespaces) Present(ctx context.Context) (func(*pb.NvmeSubsystem, *pb.NvmeNamespace) bool, error) {
	subs, err := listSubsystems(ctx, b.C)
	if err != nil {
		return nil, err
	}
	var (
		once  sync.Once
		names map[string]string // alias -> the name SPDK reports
	)
	canonical := func(bdev string) string {
		if !strings.Contains(bdev, "/") {
			return bdev // not an alias
		}
		once.Do(func() {
			bdevs, err := listBdevs(ctx, b.C)
			if err != nil {
				return // the alias stays, nothing matches: the creates converge
			}
			names = map[string]string{}
			for _, bd := range bdevs {
				for _, a := range bd.Aliases {
					names[a] = bd.Name
				}
			}
		})
		if name, ok := names[bdev]; ok {
			return name
		}
		return bdev
	}
	return func(s *pb.NvmeSubsystem, m *pb.NvmeNamespace) bool {
		sub, ok := subs[s.GetNqn()]
		return ok && hasNamespace(sub, m, canonical)
	}, nil
}

func hasNamespace(sub nvmfSubsystem, m *pb.NvmeNamespace, canonical func(string) string) bool {
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return false
	}
	bdev = canonical(bdev)
	for _, ns := range sub.Namespaces {
		if ns.is(bdev, m.GetNsid()) {
			return true
		}
	}
	return false
}

// is reports whether SPDK's namespace is the one on bdev with id nsid
// (any id when nsid is 0: recorded before ids were).
func (ns nvmfNamespace) is(bdev string, nsid uint32) bool {
	return ns.bdev() == bdev && (nsid == 0 || ns.NSID == nsid)
}
