package backend

import (
	"context"
	"fmt"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// NQNLookup returns the NQN of the stored subsystem with the given resource
// name; the namespace and controller backends use it to address their
// parent in SPDK.
type NQNLookup func(ctx context.Context, subsystem string) (string, error)

// NvmeNamespaces is the SPDK backend of NvmeNamespace: a namespace of the
// parent subsystem over the bdev of the namespace's volume. In SPDK the
// namespace is recognised by its bdev, which only one namespace can claim.
type NvmeNamespaces struct {
	spdk spdk.Caller
	nqn  NQNLookup
}

// NewNvmeNamespaces returns the backend.
func NewNvmeNamespaces(c spdk.Caller, nqn NQNLookup) *NvmeNamespaces {
	return &NvmeNamespaces{spdk: c, nqn: nqn}
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

// Create adds the namespace. When SPDK refuses, the subsystem is read to
// tell "already there" (a replay: success) from a real conflict.
func (b *NvmeNamespaces) Create(ctx context.Context, m *pb.NvmeNamespace) error {
	nqn, err := b.parentNQN(ctx, m)
	if err != nil {
		return err
	}
	params, err := AddNamespaceParams(nqn, m)
	if err != nil {
		return err
	}
	var nsid uint32
	callErr := b.spdk.Call(ctx, "nvmf_subsystem_add_ns", params, &nsid)
	if callErr == nil {
		return nil
	}
	bdev, _ := BdevName(m.GetVolume())
	sub, ok, err := getSubsystem(ctx, b.spdk, nqn)
	if err != nil || !ok {
		if err == nil {
			err = aip.FailedPreconditionf("subsystem %s (NQN %s) is not in SPDK yet; it will be retried: %w", subsystemOf(m.GetName()), nqn, callErr)
		}
		return err
	}
	for _, ns := range sub.Namespaces {
		switch {
		case ns.bdev() == bdev && (m.GetNsid() == 0 || ns.NSID == m.GetNsid()):
			return nil // made before a crash or by an earlier pass
		case ns.bdev() == bdev:
			return aip.FailedPreconditionf("volume %s is already exposed by this subsystem as namespace id %d", m.GetVolume(), ns.NSID)
		case m.GetNsid() != 0 && ns.NSID == m.GetNsid():
			return aip.AlreadyExistsf("namespace id %d is already used in subsystem %s; choose another nsid or 0 for the lowest free one", m.GetNsid(), subsystemOf(m.GetName()))
		}
	}
	return fmt.Errorf("adding namespace on volume %s: %w", m.GetVolume(), callErr)
}

// Update has nothing to change: every field of a namespace is immutable.
func (b *NvmeNamespaces) Update(ctx context.Context, old, m *pb.NvmeNamespace) error { return nil }

// Delete removes the namespace found by its bdev; one SPDK no longer has
// (or a subsystem SPDK no longer has) is success.
func (b *NvmeNamespaces) Delete(ctx context.Context, m *pb.NvmeNamespace) error {
	nqn, err := b.parentNQN(ctx, m)
	if err != nil {
		return err
	}
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return err
	}
	sub, ok, err := getSubsystem(ctx, b.spdk, nqn)
	if err != nil || !ok {
		return err
	}
	for _, ns := range sub.Namespaces {
		if ns.bdev() != bdev {
			continue
		}
		err := b.spdk.Call(ctx, "nvmf_subsystem_remove_ns", map[string]any{"nqn": nqn, "nsid": ns.NSID}, nil)
		if err != nil && spdk.IsCode(err, spdk.CodeInvalidParams) {
			return nil // gone meanwhile
		}
		return err
	}
	return nil
}

// Present reports whether sub (from ListSubsystems) has the namespace.
func (b *NvmeNamespaces) Present(sub nvmfSubsystem, m *pb.NvmeNamespace) bool {
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return false
	}
	for _, ns := range sub.Namespaces {
		if ns.bdev() == bdev {
			return true
		}
	}
	return false
}

func (b *NvmeNamespaces) parentNQN(ctx context.Context, m *pb.NvmeNamespace) (string, error) {
	return b.nqn(ctx, subsystemOf(m.GetName()))
}

// subsystemOf returns the subsystem part of a child's name
// ("nvmeSubsystems/s/nvmeNamespaces/n" -> "nvmeSubsystems/s").
func subsystemOf(child string) string {
	parts := strings.SplitN(child, "/", 3)
	if len(parts) < 2 {
		return child
	}
	return parts[0] + "/" + parts[1]
}
