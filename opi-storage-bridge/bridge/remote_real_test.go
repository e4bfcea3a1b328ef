package bridge

import (
	"bytes"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
)

// TestRealRemoteControllerBetweenTwoBridges is the remote-controller data
// path on two spdk_tgt processes, each with its own bridge (one SPDK
// cannot attach its own subsystem: the namespace's UUID would appear
// twice): bridge A exports a malloc volume; bridge B attaches it as a
// remote controller and exports the remote namespace again. An initiator
// writes through B; the bytes read back through A directly are the same,
// so they travelled host -> B -> B's NVMe/TCP initiator -> A -> A's volume.
func TestRealRemoteControllerBetweenTwoBridges(t *testing.T) {
	a := newRealBridge(t)
	b := newRealBridge(t)
	ctx := realCtx(t)
	if _, err := a.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "shared",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: dpVolumeBytes / 512}}); err != nil {
		t.Fatal(err)
	}
	portA, portB := freePort(t), freePort(t)
	nqnA := a.export(ctx, "on-a", "mallocVolumes/shared", portA)

	if _, err := b.remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "from-a",
		NvmeRemoteController: &pb.NvmeRemoteController{Subnqn: nqnA, Address: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: uint32(portA)}}}); err != nil {
		t.Fatalf("attaching A's subsystem on B: %v", err)
	}
	remoteNS := "nvmeRemoteControllers/from-a/nvmeRemoteNamespaces/1"
	ns, err := b.remote.GetNvmeRemoteNamespace(ctx, &pb.GetNvmeRemoteNamespaceRequest{Name: remoteNS})
	if err != nil || ns.GetBlockCount() != dpVolumeBytes/512 {
		t.Fatalf("B's view of A's namespace: %v, %v", ns, err)
	}
	nqnB := b.export(ctx, "on-b", remoteNS, portB)

	data := randomBytes(t, dpIOBytes)
	newHost(t, b.tgt, nqnB, portB).write(data)
	got, _ := newHost(t, a.tgt, nqnA, portA).read(dpIOBytes)
	if !bytes.Equal(got, data) {
		t.Fatalf("written through B, read through A: %s", equalBytes(got, data))
	}
	st, err := b.remote.StatsNvmeRemoteController(ctx, &pb.StatsNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/from-a"})
	if err != nil {
		t.Fatal(err)
	}
	if w := st.GetStats().GetWriteBytes(); w < dpIOBytes {
		t.Errorf("B's remote controller counted %d bytes written, want at least %d", w, dpIOBytes)
	}
}
