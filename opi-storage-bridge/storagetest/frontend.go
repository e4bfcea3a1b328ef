package storagetest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// qosLimits reads the limits SPDK applies to a bdev.
func (h *Harness) qosLimits(t *testing.T, bdev string) map[string]uint64 {
	t.Helper()
	var out []struct {
		Limits map[string]uint64 `json:"assigned_rate_limits"`
	}
	h.call(t, "bdev_get_bdevs", map[string]any{"name": bdev}, &out)
	if len(out) != 1 {
		t.Fatalf("bdev_get_bdevs(%s) = %+v", bdev, out)
	}
	return out[0].Limits
}

func qosLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	mid := h.Middleend
	h.malloc(t, "qbase", 2048)
	q := must[*pb.QosVolume](t, "create")(mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q1",
		QosVolume: &pb.QosVolume{Volume: "mallocVolumes/qbase", Limits: &pb.QosLimits{RwIosPerSec: 2000}}}))
	if l := h.qosLimits(t, "qos-q1"); l["rw_ios_per_sec"] != 2000 {
		t.Errorf("SPDK's limits on qos-q1 = %v, want 2000 IO/s", l)
	}
	if l := h.qosLimits(t, "malloc-qbase"); l["rw_ios_per_sec"] != 0 {
		t.Errorf("SPDK limits the base volume itself: %v", l)
	}
	wantCode[*emptypb.Empty](t, "deleting the base under it", codes.FailedPrecondition)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/qbase"}))

	// A change of the limits while nothing has the volume open: spdk-sim
	// applies it; spdk_tgt v26.05 refuses every change after the first on
	// such a bdev (README, known difference D1), and the bridge then keeps
	// the limits it had.
	q.Limits = &pb.QosLimits{RwMbytesPerSec: 50}
	u, err := mid.UpdateQosVolume(ctx, &pb.UpdateQosVolumeRequest{QosVolume: q})
	if h.Target.Real {
		// -32602 "Failed to configure rate limit: Resource temporarily
		// unavailable", classified as invalid argument.
		if status.Code(err) != codes.InvalidArgument {
			t.Errorf("an update of an unexported QoS volume on spdk_tgt = %v, %v; want InvalidArgument (README's D1): if SPDK now applies it, update D1", u.GetLimits(), err)
		}
		if got := must[*pb.QosVolume](t, "get")(mid.GetQosVolume(ctx, &pb.GetQosVolumeRequest{Name: q.GetName()})); got.GetLimits().GetRwIosPerSec() != 2000 {
			t.Errorf("after SPDK refused the change the stored limits are %v, want the old 2000 IO/s", got.GetLimits())
		}
	} else if err != nil || u.GetLimits().GetRwMbytesPerSec() != 50 || h.qosLimits(t, "qos-q1")["rw_mbytes_per_sec"] != 50 {
		t.Errorf("update of an unexported QoS volume = %v, %v (SPDK %v); want 50 MB/s applied", u, err, h.qosLimits(t, "qos-q1"))
	}

	// Exported, the volume is open, and a change applies on both.
	h.subsystem(t, "qsub")
	must[*pb.NvmeNamespace](t, "export it")(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/qsub", NvmeNamespaceId: "qns",
		NvmeNamespace: &pb.NvmeNamespace{Volume: q.GetName()}}))
	q.Limits = &pb.QosLimits{RwMbytesPerSec: 100}
	u = must[*pb.QosVolume](t, "update of an exported QoS volume")(mid.UpdateQosVolume(ctx, &pb.UpdateQosVolumeRequest{QosVolume: q}))
	if l := h.qosLimits(t, "qos-q1"); u.GetLimits().GetRwMbytesPerSec() != 100 || l["rw_mbytes_per_sec"] != 100 || l["rw_ios_per_sec"] != 0 {
		t.Errorf("after the update to 100 MB/s: returned %v, SPDK %v", u.GetLimits(), l)
	}
	wantCode[*emptypb.Empty](t, "deleting an exported QoS volume", codes.FailedPrecondition)(mid.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: q.GetName()}))
	must[*pb.StatsQosVolumeResponse](t, "stats")(mid.StatsQosVolume(ctx, &pb.StatsQosVolumeRequest{Name: q.GetName()}))
	must[*emptypb.Empty](t, "delete the subsystem with its namespace")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/qsub", Force: true}))
	must[*emptypb.Empty](t, "delete")(mid.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: q.GetName()}))
	must[*emptypb.Empty](t, "delete again with allow_missing")(mid.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: q.GetName(), AllowMissing: true}))
	must[*emptypb.Empty](t, "delete the base")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/qbase"}))
}

// A host NQN and a PSK in the interchange format (32 bytes and a CRC).
const (
	hostNQN = "nqn.2014-08.org.nvmexpress:uuid:2b6c8a0e-3f4d-4e8a-9c1b-5d2e7f9a0b1c"
	hostPSK = "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"
)

func nvmeTCPLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	h.malloc(t, "tvol", 2048)
	sub := must[*pb.NvmeSubsystem](t, "create the subsystem")(h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "tsub",
		NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("tsub"), Hosts: []*pb.NvmeSubsystemHost{{HostNqn: hostNQN, Psk: hostPSK}}}}))
	ready(t, sub.GetName(), sub.GetStatus())
	if hst := sub.GetHosts()[0]; hst.GetPsk() != "" || !hst.GetPskConfigured() {
		t.Errorf("host as returned: psk %q, psk_configured %v; want the PSK withheld and psk_configured", hst.GetPsk(), hst.GetPskConfigured())
	}
	if sub.GetSerialNumber() == "" || sub.GetModelNumber() == "" {
		t.Errorf("serial %q, model %q: want both chosen", sub.GetSerialNumber(), sub.GetModelNumber())
	}
	ns := must[*pb.NvmeNamespace](t, "create the namespace")(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: sub.GetName(),
		NvmeNamespaceId: "tns", NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/tvol", Nsid: 3}}))
	port := FreePort(t)
	ctrl := must[*pb.NvmeController](t, "create the controller")(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: sub.GetName(),
		NvmeControllerId: "tcp1", NvmeController: tcp(port)}))
	ready(t, ctrl.GetName(), ctrl.GetStatus())
	if ctrl.GetMaxQueueDepth() == 0 || ctrl.GetMaxIoQueuePairs() == 0 {
		t.Errorf("the controller does not report its transport's limits: %v", ctrl)
	}
	got := h.Subsystems(t)[nqn("tsub")]
	if len(got.Namespaces) != 1 || got.Namespaces[0].NSID != 3 || got.Namespaces[0].BdevName != "malloc-tvol" {
		t.Errorf("SPDK's namespaces = %+v, want nsid 3 on malloc-tvol", got.Namespaces)
	}
	if len(got.ListenAddresses) != 1 || got.ListenAddresses[0].Traddr != "127.0.0.1" || got.ListenAddresses[0].Trsvcid != strconv.Itoa(int(port)) {
		t.Errorf("SPDK's listeners = %+v, want 127.0.0.1:%d", got.ListenAddresses, port)
	}
	if len(got.Hosts) != 1 || got.Hosts[0].NQN != hostNQN {
		t.Errorf("SPDK's hosts = %+v, want %s", got.Hosts, hostNQN)
	}
	keys, _ := filepath.Glob(filepath.Join(h.StateDir, "keys", "*"))
	if len(keys) != 1 {
		t.Errorf("PSK files = %v, want one", keys)
	} else if st, err := os.Stat(keys[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("PSK file %s: %v, %v; want mode 0600", keys[0], st, err)
	}
	if g := must[*pb.NvmeNamespace](t, "get the namespace")(h.Nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: ns.GetName()})); g.GetNsid() != 3 {
		t.Errorf("namespace as read: %v", g)
	}
	if l := must[*pb.ListNvmeControllersResponse](t, "list controllers")(h.Nvme.ListNvmeControllers(ctx, &pb.ListNvmeControllersRequest{Parent: sub.GetName()})); len(l.GetNvmeControllers()) != 1 {
		t.Errorf("controllers listed: %v", l)
	}
	if l := must[*pb.ListNvmeSubsystemsResponse](t, "list subsystems")(h.Nvme.ListNvmeSubsystems(ctx, &pb.ListNvmeSubsystemsRequest{})); len(l.GetNvmeSubsystems()) != 1 || l.GetNvmeSubsystems()[0].GetHosts()[0].GetPsk() != "" {
		t.Errorf("subsystems listed: %v (PSKs must never come back)", l)
	}
	wantCode[*pb.NvmeController](t, "a second controller on the same address", codes.AlreadyExists)(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{
		Parent: sub.GetName(), NvmeControllerId: "tcp2", NvmeController: tcp(port)}))

	must[*emptypb.Empty](t, "delete the controller")(h.Nvme.DeleteNvmeController(ctx, &pb.DeleteNvmeControllerRequest{Name: ctrl.GetName()}))
	if l := h.Subsystems(t)[nqn("tsub")].ListenAddresses; len(l) != 0 {
		t.Errorf("SPDK still listens after the controller's delete: %+v", l)
	}
	must[*emptypb.Empty](t, "delete the namespace")(h.Nvme.DeleteNvmeNamespace(ctx, &pb.DeleteNvmeNamespaceRequest{Name: ns.GetName()}))
	must[*emptypb.Empty](t, "delete the subsystem")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: sub.GetName()}))
	if keys, _ := filepath.Glob(filepath.Join(h.StateDir, "keys", "opi-*")); len(keys) != 0 {
		t.Errorf("PSK files left after the delete: %v", keys)
	}
	must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/tvol"}))
}

func virtioBlkLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	h.malloc(t, "bvol", 2048)
	blk := must[*pb.VirtioBlk](t, "create")(h.VirtioBlks.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: "blk1", VirtioBlk: &pb.VirtioBlk{
		Volume: "mallocVolumes/bvol", Endpoint: &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}}}))
	ready(t, blk.GetName(), blk.GetStatus())
	if !h.VhostControllers(t)["blk1"] {
		t.Errorf("SPDK (%s) has no vhost controller blk1", h.Target.Name)
	}
	wantCode[*emptypb.Empty](t, "deleting the volume under the device", codes.FailedPrecondition)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/bvol"}))
	blk.CoalescingDelayUs, blk.CoalescingIopsThreshold = 40, 60000
	must[*pb.VirtioBlk](t, "update coalescing")(h.VirtioBlks.UpdateVirtioBlk(ctx, &pb.UpdateVirtioBlkRequest{VirtioBlk: blk}))
	var ctrlrs []struct {
		DelayBaseUs   uint32 `json:"delay_base_us"`
		IopsThreshold uint32 `json:"iops_threshold"`
	}
	h.call(t, "vhost_get_controllers", map[string]any{"name": "blk1"}, &ctrlrs)
	if len(ctrlrs) != 1 || ctrlrs[0].DelayBaseUs != 40 || ctrlrs[0].IopsThreshold != 60000 {
		t.Errorf("SPDK's coalescing of blk1 = %+v, want 40 us and 60000 IO/s", ctrlrs)
	}
	must[*emptypb.Empty](t, "delete")(h.VirtioBlks.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: blk.GetName()}))
	if h.VhostControllers(t)["blk1"] {
		t.Error("the vhost controller is still in SPDK after its delete")
	}
	must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/bvol"}))
}

// export serves the malloc volume vol as namespace 1 of the subsystem id
// (open to any host) on 127.0.0.1:port, through the bridge, for a remote
// controller of the same bridge to attach to. The namespace gets a UUID
// and NGUID of its own: an SPDK attaching its own namespace under the
// bdev's UUID cannot register the remote bdev (README, D2).
func (h *Harness) export(t *testing.T, id, vol string, port uint32) {
	t.Helper()
	ctx := ctxT(t)
	h.subsystem(t, id)
	must[*pb.NvmeNamespace](t, "export "+vol)(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/" + id,
		NvmeNamespaceId: "ns1", NvmeNamespace: &pb.NvmeNamespace{Volume: vol, Nsid: 1,
			Uuid: "6f1b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", Nguid: "6F1B1A2C3D4E4F508A6B7C8D9E0F1A2B"}}))
	must[*pb.NvmeController](t, "listen for "+id)(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/" + id,
		NvmeControllerId: "c1", NvmeController: tcp(port)}))
}

func remoteLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.Remote
	h.malloc(t, "rvol", 2048)
	port := FreePort(t)
	h.export(t, "rsub", "mallocVolumes/rvol", port)
	addr := &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: port}
	create := &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r1", NvmeRemoteController: &pb.NvmeRemoteController{Address: addr, Subnqn: nqn("rsub")}}
	r := must[*pb.NvmeRemoteController](t, "attach")(c.CreateNvmeRemoteController(ctx, create))
	ready(t, r.GetName(), r.GetStatus())
	must[*pb.NvmeRemoteController](t, "a retried attach")(c.CreateNvmeRemoteController(ctx, create))
	l := must[*pb.ListNvmeRemoteNamespacesResponse](t, "list remote namespaces")(c.ListNvmeRemoteNamespaces(ctx, &pb.ListNvmeRemoteNamespacesRequest{Parent: r.GetName()}))
	if len(l.GetNvmeRemoteNamespaces()) != 1 {
		t.Fatalf("remote namespaces = %v, want the one exported", l)
	}
	rns := l.GetNvmeRemoteNamespaces()[0]
	if rns.GetName() != r.GetName()+"/nvmeRemoteNamespaces/1" || rns.GetBlockCount() != 2048 {
		t.Errorf("remote namespace %v; want nsid 1 with 2048 blocks", rns)
	}
	must[*pb.StatsNvmeRemoteNamespaceResponse](t, "remote namespace stats")(c.StatsNvmeRemoteNamespace(ctx, &pb.StatsNvmeRemoteNamespaceRequest{Name: rns.GetName()}))
	must[*pb.QosVolume](t, "a QoS volume on the remote namespace")(h.Middleend.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "rq",
		QosVolume: &pb.QosVolume{Volume: rns.GetName(), Limits: &pb.QosLimits{}}}))
	wantCode[*emptypb.Empty](t, "detaching a controller whose namespace is used", codes.FailedPrecondition)(
		c.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: r.GetName()}))
	must[*emptypb.Empty](t, "delete the QoS volume")(h.Middleend.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: "qosVolumes/rq"}))
	st := must[*pb.StatsNvmeRemoteControllerResponse](t, "controller stats")(c.StatsNvmeRemoteController(ctx, &pb.StatsNvmeRemoteControllerRequest{Name: r.GetName()}))
	if len(st.GetPaths()) != 1 || !st.GetPaths()[0].GetConnected() {
		t.Errorf("stats = %v; want the first path, connected", st)
	}
	wantCode[*pb.NvmePath](t, "a path to the controller's own address", codes.AlreadyExists)(c.CreateNvmePath(ctx, &pb.CreateNvmePathRequest{
		Parent: r.GetName(), NvmePathId: "p1", NvmePath: &pb.NvmePath{Address: addr}}))
	must[*emptypb.Empty](t, "detach")(c.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: r.GetName(), Force: true}))
	wantCode[*pb.NvmeRemoteNamespace](t, "a namespace of the detached controller", codes.NotFound)(c.GetNvmeRemoteNamespace(ctx, &pb.GetNvmeRemoteNamespaceRequest{Name: rns.GetName()}))
	for name := range h.Bdevs(t) {
		if strings.HasPrefix(name, "nvme-r1") {
			t.Errorf("SPDK still has the remote bdev %s after the detach", name)
		}
	}
	h.unexport(t, "rsub", "mallocVolumes/rvol")
}

// unexport deletes what export made, and the volume.
func (h *Harness) unexport(t *testing.T, id, vol string) {
	t.Helper()
	ctx := ctxT(t)
	must[*emptypb.Empty](t, fmt.Sprintf("delete nvmeSubsystems/%s", id))(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/" + id, Force: true}))
	must[*emptypb.Empty](t, "delete "+vol)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: vol}))
}
