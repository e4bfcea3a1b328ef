package bridge

import (
	"github.com/opi-suite/opi/opi-kit/resource"
)

// backendName names the backend in the status of a resource it refused.
const backendName = "the backend"

// replay is the bridge's replay pass, the one place that says in which
// order the backend is rebuilt: for each kind, parents and bases first, it
// finishes the operations a crash interrupted and makes the backend hold
// every stored resource again, recording each resource's status:
//
//  1. malloc, null and AIO volumes; remote NVMe controllers and their paths;
//  2. the volumes stacked on other volumes (logical volume stores, logical
//     volumes, encrypted and QoS volumes) in rounds: any of them can sit on
//     any other (a store on an encrypted volume on a QoS volume), so a
//     round repeats while it leaves fewer resources refused;
//  3. NVMe subsystems (hosts, keys), namespaces, controllers;
//  4. virtio-blk devices, virtio-scsi targets, then their LUNs.
//
// Every backend Create is idempotent, so a pass over a backend that has
// everything changes nothing. The pass fails (and the loop retries with
// backoff) only when the backend cannot be reached.
func (b *Bridge) replay() resource.Step {
	report := func(err error) { b.logger.Warn("an interrupted operation could not be finished yet", "error", err) }
	kind := func(k interface {
		resource.Recoverer
		Replay(backend string) resource.Step
	}) resource.Step {
		return resource.Sequence(resource.RecoverStep(report, k), k.Replay(backendName))
	}
	s := b.storage
	return resource.Sequence(
		kind(s.MallocVolumes), kind(s.NullVolumes), kind(s.AioVolumes),
		kind(s.NvmeRemoteControllers), kind(s.NvmePaths),
		resource.Rounds(resource.Sequence(
			kind(s.LogicalVolumeStores), kind(s.LogicalVolumes), kind(s.EncryptedVolumes), kind(s.QosVolumes),
		)),
		kind(s.NvmeSubsystems), kind(s.NvmeNamespaces), kind(s.NvmeControllers),
		kind(s.VirtioBlks),
		kind(s.VirtioScsiTargets), kind(s.VirtioScsiLuns),
	)
}
