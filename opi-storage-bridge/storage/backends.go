package storage

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/resource"
	"google.golang.org/protobuf/proto"
)

// Backends is everything the storage domain needs from its backend: one
// resource.Backend per kind (or a ChildBackend for kinds whose backend
// objects live inside their parent's), transport registries for the kinds
// a vendor realises differently per transport, and a Reader for what is
// read live (stats, remote namespaces, connections). The bridge fills it
// with the SPDK adapter (opi-storage-bridge/spdk/adapter) and lets a
// vendor replace any piece.
//
// Every method must be idempotent (see resource.Backend): a crash or a
// backend restart makes the domain call it again. Errors carry errdefs
// classes; an unreachable backend is errdefs.ErrUnavailable, which stops a
// replay pass instead of marking resources as refused.
type Backends struct {
	MallocVolumes       resource.Backend[*pb.MallocVolume]
	NullVolumes         resource.Backend[*pb.NullVolume]
	AioVolumes          resource.Backend[*pb.AioVolume]
	LogicalVolumeStores resource.Backend[*pb.LogicalVolumeStore]
	LogicalVolumes      resource.Backend[*pb.LogicalVolume]
	EncryptedVolumes    resource.Backend[*pb.EncryptedVolume]
	QosVolumes          resource.Backend[*pb.QosVolume]
	NvmeSubsystems      resource.Backend[*pb.NvmeSubsystem]
	NvmeNamespaces      ChildBackend[*pb.NvmeSubsystem, *pb.NvmeNamespace]

	// NvmeControllers realises NVMe controllers per transport of their
	// endpoint (TransportTCP, TransportRDMA, TransportPCIe). A controller
	// on a transport without an entry is refused as unimplemented.
	NvmeControllers map[Transport]ChildBackend[*pb.NvmeSubsystem, *pb.NvmeController]
	// VirtioBlks realises virtio-blk devices per endpoint
	// (TransportVhostUser, TransportPCIe).
	VirtioBlks map[Transport]resource.Backend[*pb.VirtioBlk]
	// VirtioScsiTargets and VirtioScsiLuns realise virtio-scsi devices and
	// the volumes on them. Either may be nil: the kind is then refused as
	// unimplemented.
	VirtioScsiTargets resource.Backend[*pb.VirtioScsiTarget]
	VirtioScsiLuns    resource.Backend[*pb.VirtioScsiLun]
	// RemoteFabrics connects to remote NVMe-oF subsystems per transport of
	// the remote address (TransportTCP, TransportRDMA).
	RemoteFabrics map[Transport]RemoteFabric

	// Reader serves what the domain reads live from the backend.
	Reader Reader
}

// RemoteFabric realises remote NVMe controllers and their extra paths over
// one transport.
type RemoteFabric struct {
	Controllers resource.Backend[*pb.NvmeRemoteController]
	Paths       ChildBackend[*pb.NvmeRemoteController, *pb.NvmePath]
}

// ChildBackend realises a kind whose backend objects live inside their
// parent's (a namespace or a controller inside its NVMe subsystem, a path
// of a remote controller): each call also gets the stored parent, so the
// backend can address it (by its NQN, say) without reading the store.
// The rules of resource.Backend apply.
type ChildBackend[P, T proto.Message] interface {
	// Create makes m exist in the backend; it may fill m's output fields.
	Create(ctx context.Context, parent P, m T) error
	// Update changes the backend object from old to m.
	Update(ctx context.Context, parent P, old, m T) error
	// Delete removes m from the backend; a missing object is success.
	Delete(ctx context.Context, parent P, m T) error
}

// Presence is optionally implemented by a resource.Backend that can read,
// once per replay pass, which resources it holds already: the pass then
// skips those instead of calling Create for each.
type Presence[T proto.Message] interface {
	// Present reads the backend and returns a function that reports
	// whether it holds m.
	Present(ctx context.Context) (func(m T) bool, error)
}

// ChildPresence is Presence for a ChildBackend.
type ChildPresence[P, T proto.Message] interface {
	// Present reads the backend and returns a function that reports
	// whether it holds m inside parent.
	Present(ctx context.Context) (func(parent P, m T) bool, error)
}

// Reader is what the domain reads live from the backend rather than from
// the intent store. Resources are given by resource name or as stored.
type Reader interface {
	// VolumeStats returns the I/O counters of the named volumes, summed.
	// A volume the backend does not hold is FailedPrecondition.
	VolumeStats(ctx context.Context, volumes ...string) (*pb.VolumeStats, error)
	// RemoteNamespaces lists, ordered by namespace id, the namespaces the
	// backend has attached for the remote controller c.
	RemoteNamespaces(ctx context.Context, c *pb.NvmeRemoteController) ([]*pb.NvmeRemoteNamespace, error)
	// ConnectedPaths returns the addresses through which the remote
	// controller c is connected now.
	ConnectedPaths(ctx context.Context, c *pb.NvmeRemoteController) ([]*pb.NvmeFabricsAddress, error)
	// HostConnections lists the hosts connected to subsystem s, only
	// those that came through controller c when c is not nil.
	HostConnections(ctx context.Context, s *pb.NvmeSubsystem, c *pb.NvmeController) ([]*pb.NvmeHostConnection, error)
	// RefreshStoreUsage fills the output fields of store s that change as
	// volumes are allocated (free clusters). Best effort: a store the
	// backend does not hold now is left as stored; its status says why.
	RefreshStoreUsage(ctx context.Context, s *pb.LogicalVolumeStore)
}
