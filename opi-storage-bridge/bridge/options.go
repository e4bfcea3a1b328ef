package bridge

import (
	"log/slog"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// Env is what a vendor's backend may build on: the bridge's own SPDK
// connection and adapter (to reuse its naming and transports), its state
// directory and logger. Each option's build function gets it.
type Env struct {
	// SPDK is the bridge's one pipelined SPDK connection.
	SPDK spdk.Caller
	// Adapter is the SPDK adapter that realises everything not replaced.
	Adapter *adapter.Adapter
	// StateDir is the bridge's state directory.
	StateDir string
	// Logger is the bridge's logger.
	Logger *slog.Logger
}

// Option replaces one piece of the bridge's backend; the rest stays the
// SPDK adapter's. Options apply in order, so a later one wins.
type Option interface {
	apply(Env, *storage.Backends)
}

type optionFunc func(Env, *storage.Backends)

func (f optionFunc) apply(e Env, b *storage.Backends) { f(e, b) }

// WithNvmeTransport realises the NVMe controllers of transport t
// (storage.TransportTCP, TransportRDMA, TransportPCIe, or one of the
// vendor's) with the backend build returns. A nil backend takes the
// transport away: its controllers are refused as unimplemented.
func WithNvmeTransport(t storage.Transport, build func(Env) storage.ChildBackend[*pb.NvmeSubsystem, *pb.NvmeController]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { setEntry(&b.NvmeControllers, t, build(e)) })
}

// WithVirtioBlkTransport realises the virtio-blk devices of transport t
// (storage.TransportVhostUser, TransportPCIe) with the backend build
// returns; nil takes the transport away.
func WithVirtioBlkTransport(t storage.Transport, build func(Env) resource.Backend[*pb.VirtioBlk]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { setEntry(&b.VirtioBlks, t, build(e)) })
}

// WithVirtioScsi realises virtio-scsi targets and LUNs with the backends
// build returns; nil backends take virtio-scsi away (refused as
// unimplemented).
func WithVirtioScsi(build func(Env) (resource.Backend[*pb.VirtioScsiTarget], resource.Backend[*pb.VirtioScsiLun])) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.VirtioScsiTargets, b.VirtioScsiLuns = build(e) })
}

// WithRemoteFabric connects to remote NVMe-oF subsystems over transport t
// (storage.TransportTCP, TransportRDMA) with the fabric build returns; a
// fabric without controllers takes the transport away.
func WithRemoteFabric(t storage.Transport, build func(Env) storage.RemoteFabric) Option {
	return optionFunc(func(e Env, b *storage.Backends) {
		f := build(e)
		if f.Controllers == nil {
			delete(b.RemoteFabrics, t)
			return
		}
		setEntry(&b.RemoteFabrics, t, f)
	})
}

// WithMallocVolumeBackend realises malloc volumes with build's backend.
func WithMallocVolumeBackend(build func(Env) resource.Backend[*pb.MallocVolume]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.MallocVolumes = build(e) })
}

// WithNullVolumeBackend realises null volumes with build's backend.
func WithNullVolumeBackend(build func(Env) resource.Backend[*pb.NullVolume]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.NullVolumes = build(e) })
}

// WithAioVolumeBackend realises AIO volumes with build's backend.
func WithAioVolumeBackend(build func(Env) resource.Backend[*pb.AioVolume]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.AioVolumes = build(e) })
}

// WithLogicalVolumeStoreBackend realises logical volume stores with build's
// backend.
func WithLogicalVolumeStoreBackend(build func(Env) resource.Backend[*pb.LogicalVolumeStore]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.LogicalVolumeStores = build(e) })
}

// WithLogicalVolumeBackend realises logical volumes with build's backend.
func WithLogicalVolumeBackend(build func(Env) resource.Backend[*pb.LogicalVolume]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.LogicalVolumes = build(e) })
}

// WithEncryptedVolumeBackend realises encrypted volumes with build's
// backend.
func WithEncryptedVolumeBackend(build func(Env) resource.Backend[*pb.EncryptedVolume]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.EncryptedVolumes = build(e) })
}

// WithQosVolumeBackend realises QoS volumes with build's backend.
func WithQosVolumeBackend(build func(Env) resource.Backend[*pb.QosVolume]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.QosVolumes = build(e) })
}

// WithNvmeSubsystemBackend realises NVMe subsystems with build's backend.
func WithNvmeSubsystemBackend(build func(Env) resource.Backend[*pb.NvmeSubsystem]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.NvmeSubsystems = build(e) })
}

// WithNvmeNamespaceBackend realises NVMe namespaces with build's backend.
func WithNvmeNamespaceBackend(build func(Env) storage.ChildBackend[*pb.NvmeSubsystem, *pb.NvmeNamespace]) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.NvmeNamespaces = build(e) })
}

// WithReader serves stats, remote namespaces and connections from build's
// reader.
func WithReader(build func(Env) storage.Reader) Option {
	return optionFunc(func(e Env, b *storage.Backends) { b.Reader = build(e) })
}

// setEntry sets (*m)[t] to v, or deletes it when v is nil, copying the map
// first so that the adapter's own registries are never changed.
func setEntry[V any](m *map[storage.Transport]V, t storage.Transport, v V) {
	next := make(map[storage.Transport]V, len(*m)+1)
	for k, x := range *m {
		next[k] = x
	}
	if any(v) == nil {
		delete(next, t)
	} else {
		next[t] = v
	}
	*m = next
}
