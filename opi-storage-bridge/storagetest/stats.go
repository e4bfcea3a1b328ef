package storagetest

import (
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"
)

// statsAndReset drives the per-device stats (NVMe namespace, virtio-blk,
// NVMe path) and the reset of a remote controller: a device's counters
// are its volume's, a path of a MULTIPATH controller reports itself
// connected, a reset leaves the controller connected, and a name that is
// not stored is NOT_FOUND.
func statsAndReset(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.Remote
	h.malloc(t, "svol", 2048)
	port, port2 := FreePort(t), FreePort(t)
	h.export(t, "ssub", "mallocVolumes/svol", port)
	must[*pb.NvmeController](t, "a second listener")(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/ssub",
		NvmeControllerId: "c2", NvmeController: tcp(port2)}))
	addr := func(p uint32) *pb.NvmeFabricsAddress {
		return &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: p}
	}
	r := must[*pb.NvmeRemoteController](t, "attach")(c.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "s1",
		NvmeRemoteController: &pb.NvmeRemoteController{Address: addr(port), Subnqn: nqn("ssub"), MultipathMode: pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_MULTIPATH}}))
	ready(t, r.GetName(), r.GetStatus())
	p := must[*pb.NvmePath](t, "a second path")(c.CreateNvmePath(ctx, &pb.CreateNvmePathRequest{Parent: r.GetName(), NvmePathId: "p2",
		NvmePath: &pb.NvmePath{Address: addr(port2)}}))
	ready(t, p.GetName(), p.GetStatus())

	ps := must[*pb.StatsNvmePathResponse](t, "path stats")(c.StatsNvmePath(ctx, &pb.StatsNvmePathRequest{Name: p.GetName()}))
	if st := ps.GetState(); st.GetPath() != p.GetName() || !st.GetConnected() || st.GetAddress().GetTrsvcid() != port2 {
		t.Errorf("path stats = %v; want %s connected through port %d", ps, p.GetName(), port2)
	}
	must[*emptypb.Empty](t, "reset the controller")(c.ResetNvmeRemoteController(ctx, &pb.ResetNvmeRemoteControllerRequest{Name: r.GetName()}))
	h.Eventually(t, 30*time.Second, func() (bool, string) {
		st, err := c.StatsNvmeRemoteController(ctx, &pb.StatsNvmeRemoteControllerRequest{Name: r.GetName()})
		if err != nil {
			return false, err.Error()
		}
		for _, p := range st.GetPaths() {
			if !p.GetConnected() {
				return false, "after the reset: " + st.String()
			}
		}
		return len(st.GetPaths()) == 2, "after the reset: " + st.String()
	})
	wantCode[*emptypb.Empty](t, "resetting a controller that is not stored", codes.NotFound)(c.ResetNvmeRemoteController(ctx, &pb.ResetNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/nope"}))
	wantCode[*emptypb.Empty](t, "resetting a malformed name", codes.InvalidArgument)(c.ResetNvmeRemoteController(ctx, &pb.ResetNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/s1/x"}))
	wantCode[*pb.StatsNvmePathResponse](t, "stats of a path that is not stored", codes.NotFound)(c.StatsNvmePath(ctx, &pb.StatsNvmePathRequest{Name: r.GetName() + "/nvmePaths/nope"}))

	// The namespace's counters are its volume's: read both after the
	// remote attach has read the volume (SPDK examines a new bdev).
	ns := must[*pb.StatsNvmeNamespaceResponse](t, "namespace stats")(h.Nvme.StatsNvmeNamespace(ctx, &pb.StatsNvmeNamespaceRequest{Name: "nvmeSubsystems/ssub/nvmeNamespaces/ns1"}))
	vol := must[*pb.StatsMallocVolumeResponse](t, "volume stats")(h.Volumes.StatsMallocVolume(ctx, &pb.StatsMallocVolumeRequest{Name: "mallocVolumes/svol"}))
	if ns.GetStats().GetReadOps() != vol.GetStats().GetReadOps() || ns.GetStats().GetReadBytes() != vol.GetStats().GetReadBytes() || ns.GetStats().GetTickRate() == 0 {
		t.Errorf("namespace stats %v; want the volume's %v", ns.GetStats(), vol.GetStats())
	}
	wantCode[*pb.StatsNvmeNamespaceResponse](t, "stats of a namespace that is not stored", codes.NotFound)(h.Nvme.StatsNvmeNamespace(ctx, &pb.StatsNvmeNamespaceRequest{Name: "nvmeSubsystems/ssub/nvmeNamespaces/nope"}))
	wantCode[*pb.StatsNvmeNamespaceResponse](t, "stats of a malformed name", codes.InvalidArgument)(h.Nvme.StatsNvmeNamespace(ctx, &pb.StatsNvmeNamespaceRequest{Name: "nvmeNamespaces/ns1"}))
	must[*emptypb.Empty](t, "detach")(c.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: r.GetName(), Force: true}))
	h.unexport(t, "ssub", "mallocVolumes/svol")

	h.malloc(t, "sblk", 2048)
	blk := must[*pb.VirtioBlk](t, "create a virtio-blk")(h.VirtioBlks.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: "sblk1", VirtioBlk: &pb.VirtioBlk{
		Volume: "mallocVolumes/sblk", Endpoint: &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}}}))
	bs := must[*pb.StatsVirtioBlkResponse](t, "virtio-blk stats")(h.VirtioBlks.StatsVirtioBlk(ctx, &pb.StatsVirtioBlkRequest{Name: blk.GetName()}))
	vol = must[*pb.StatsMallocVolumeResponse](t, "volume stats")(h.Volumes.StatsMallocVolume(ctx, &pb.StatsMallocVolumeRequest{Name: "mallocVolumes/sblk"}))
	if bs.GetStats().GetReadOps() != vol.GetStats().GetReadOps() || bs.GetStats().GetTickRate() != vol.GetStats().GetTickRate() || bs.GetStats().GetTickRate() == 0 {
		t.Errorf("virtio-blk stats %v; want the volume's %v", bs.GetStats(), vol.GetStats())
	}
	wantCode[*pb.StatsVirtioBlkResponse](t, "stats of a virtio-blk that is not stored", codes.NotFound)(h.VirtioBlks.StatsVirtioBlk(ctx, &pb.StatsVirtioBlkRequest{Name: "virtioBlks/nope"}))
	must[*emptypb.Empty](t, "delete the virtio-blk")(h.VirtioBlks.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: blk.GetName()}))
	must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/sblk"}))
}
