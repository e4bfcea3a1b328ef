// Package adapter is the storage bridge's SPDK adapter: it realises the
// storage domain's backend interfaces (storage.Backends) with SPDK
// JSON-RPC calls on an spdk.Caller, under the SPDK naming scheme (BdevName
// and friends), and reads stats, remote namespaces and connections from
// SPDK (Reader).
//
// Every backend call is idempotent: an equal object already in SPDK is
// success, a missing one on delete is success, so recovery and replay
// after an SPDK restart can repeat them. Errors are classified with
// spdk.Classify (errdefs classes); nothing here builds a gRPC status.
//
// A vendor that realises one piece differently (NVMe controllers through
// its own SPDK methods, say) keeps the rest of Backends as New fills it,
// and may reuse the exported types and names of this package.
package adapter

import (
	"path/filepath"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// Adapter is the SPDK adapter on one SPDK connection.
type Adapter struct {
	c          spdk.Caller // features over the caller New was given
	features   *Features
	stateDir   string
	transports *Transports
}

// New returns the adapter on c. stateDir holds the files SPDK reads:
// keys/ (TLS PSKs, 0600) and vfio-user/ (socket directories of PCIe
// endpoints). Every call goes through Features, so a method this SPDK is
// built without fails FailedPrecondition naming the missing feature.
func New(c spdk.Caller, stateDir string) *Adapter {
	f := NewFeatures(c)
	return &Adapter{c: f, features: f, stateDir: stateDir, transports: NewTransports(f)}
}

// KeyDir is where PSK files go.
func (a *Adapter) KeyDir() string { return filepath.Join(a.stateDir, "keys") }

// VfioUserDir is where the vfio-user socket directories of PCIe endpoints
// go.
func (a *Adapter) VfioUserDir() string { return filepath.Join(a.stateDir, "vfio-user") }

// Transports is the adapter's cache of NVMe-oF transports made in SPDK,
// for a vendor's NVMe controllers on the same SPDK.
func (a *Adapter) Transports() *Transports { return a.transports }

// Reset forgets what the adapter remembers of SPDK (the transports it
// made, its method list); call it when SPDK may have restarted.
func (a *Adapter) Reset() {
	a.transports.Reset()
	a.features.Reset()
}

// Backends returns every backend of the storage domain realised on SPDK,
// each transport registered: NVMe controllers over TCP, RDMA and PCIe,
// virtio-blk over vhost-user and PCIe, virtio-scsi over vhost-user,
// remote controllers over TCP and RDMA.
func (a *Adapter) Backends() storage.Backends {
	ctrls := NewNvmeControllers(a.c, a.transports, a.VfioUserDir())
	blks := NewVirtioBlks(a.c)
	remote := storage.RemoteFabric{Controllers: RemoteControllers{C: a.c, KeyDir: a.KeyDir()}, Paths: NvmePaths{C: a.c}}
	return storage.Backends{
		MallocVolumes:       MallocVolumes{C: a.c},
		NullVolumes:         NullVolumes{C: a.c},
		AioVolumes:          AioVolumes{C: a.c},
		LogicalVolumeStores: LogicalVolumeStores{C: a.c},
		LogicalVolumes:      LogicalVolumes{C: a.c},
		EncryptedVolumes:    EncryptedVolumes{C: a.c},
		QosVolumes:          QosVolumes{C: a.c},
		NvmeSubsystems:      NewNvmeSubsystems(a.c, a.KeyDir()),
		NvmeNamespaces:      NvmeNamespaces{C: a.c},
		NvmeControllers: map[storage.Transport]storage.ChildBackend[*pb.NvmeSubsystem, *pb.NvmeController]{
			storage.TransportTCP: ctrls, storage.TransportRDMA: ctrls, storage.TransportPCIe: ctrls,
		},
		VirtioBlks: map[storage.Transport]resource.Backend[*pb.VirtioBlk]{
			storage.TransportVhostUser: blks, storage.TransportPCIe: blks,
		},
		VirtioScsiTargets: VirtioScsiTargets{C: a.c},
		VirtioScsiLuns:    VirtioScsiLuns{C: a.c},
		RemoteFabrics: map[storage.Transport]storage.RemoteFabric{
			storage.TransportTCP: remote, storage.TransportRDMA: remote,
		},
		Reader: Reader{C: a.c},
	}
}
