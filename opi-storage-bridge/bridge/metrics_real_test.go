package bridge

import (
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
)

// TestRealMetricsCountASubsystemsHostAndQueuePairs: on spdk_tgt, a host
// attached over NVMe/TCP (the target's own initiator, through the
// bridge's remote controller API) shows on the exported subsystem as one
// controller with its queue pairs: the admin queue at least (SPDK's
// initiator opens its I/O queues when I/O first flows).
func TestRealMetricsCountASubsystemsHostAndQueuePairs(t *testing.T) {
	r := newRealBridge(t)
	ctx := realCtx(t)
	if _, err := r.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "m",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 8192}}); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	nqn := r.export(ctx, "exp", "mallocVolumes/m", port)
	if got := scrape(t, r.b)["opi_storage_nvme_subsystem_controllers{subsystem=nvmeSubsystems/exp}"]; got != 0 {
		t.Errorf("before any host: %v controllers", got)
	}
	if _, err := r.remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "loop",
		NvmeRemoteController: &pb.NvmeRemoteController{Subnqn: nqn, Address: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: uint32(port)}}}); err != nil {
		t.Fatal(err)
	}
	r.b.metrics.volumes.maxAge = 0 // read again now, not within the second
	got := scrape(t, r.b)
	if c := got["opi_storage_nvme_subsystem_controllers{subsystem=nvmeSubsystems/exp}"]; c != 1 {
		t.Errorf("with a host: %v controllers, want 1", c)
	}
	if q := got["opi_storage_nvme_subsystem_queue_pairs{subsystem=nvmeSubsystems/exp}"]; q < 1 {
		t.Errorf("with a host: %v queue pairs, want the admin queue at least", q)
	}
}
