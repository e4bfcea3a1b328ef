package storagetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// The namespace identity the replay must keep.
const (
	replayNSID = 5
	replayUUID = "0b1c2d3e-4f50-4617-8283-949596979899"
)

// restarts builds one of every kind, restarts SPDK empty and then the
// bridge, and checks after each that SPDK holds everything again under the
// same names, namespace ids and UUIDs, and that every resource is READY.
func restarts(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	m := h.malloc(t, "rm", 2048)
	n := must[*pb.NullVolume](t, "null")(h.Volumes.CreateNullVolume(ctx, &pb.CreateNullVolumeRequest{NullVolumeId: "rn", NullVolume: &pb.NullVolume{BlockCount: 2048}}))
	a := must[*pb.AioVolume](t, "aio")(h.Volumes.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "ra", AioVolume: &pb.AioVolume{Filename: file}}))
	h.malloc(t, "rpool", 16384)
	must[*pb.LogicalVolumeStore](t, "store")(h.Lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "rs",
		LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "mallocVolumes/rpool", ClusterSizeBytes: 1 << 20}}))
	must[*pb.LogicalVolume](t, "logical volume")(h.Lvols.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/rs",
		LogicalVolumeId: "rv", LogicalVolume: &pb.LogicalVolume{SizeMib: 4}}))
	h.malloc(t, "rem", 2048)
	must[*pb.EncryptedVolume](t, "encrypted")(h.Middleend.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "re",
		EncryptedVolume: &pb.EncryptedVolume{Volume: "mallocVolumes/rem", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, Key: key1, Key2: key2}}))
	must[*pb.QosVolume](t, "qos")(h.Middleend.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "rq",
		QosVolume: &pb.QosVolume{Volume: "nullVolumes/rn", Limits: &pb.QosLimits{RwIosPerSec: 3000}}}))
	must[*pb.NvmeSubsystem](t, "subsystem")(h.Nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "rsub",
		NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("rsub"), Hosts: []*pb.NvmeSubsystemHost{{HostNqn: hostNQN, Psk: hostPSK}}}}))
	for _, ns := range []struct {
		id  string
		def *pb.NvmeNamespace
	}{
		{"ns-lvol", &pb.NvmeNamespace{Volume: "logicalVolumeStores/rs/logicalVolumes/rv", Nsid: replayNSID, Uuid: replayUUID}},
		{"ns-crypto", &pb.NvmeNamespace{Volume: "encryptedVolumes/re"}},
		{"ns-qos", &pb.NvmeNamespace{Volume: "qosVolumes/rq"}},
	} {
		must[*pb.NvmeNamespace](t, ns.id)(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/rsub", NvmeNamespaceId: ns.id, NvmeNamespace: ns.def}))
	}
	port := FreePort(t)
	must[*pb.NvmeController](t, "controller")(h.Nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/rsub",
		NvmeControllerId: "rc", NvmeController: tcp(port)}))
	must[*pb.VirtioBlk](t, "virtio-blk")(h.VirtioBlks.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: "rblk",
		VirtioBlk: &pb.VirtioBlk{Volume: "mallocVolumes/rm", Endpoint: &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}}}))
	h.malloc(t, "rexp", 2048)
	xport := FreePort(t)
	h.export(t, "rxsub", "mallocVolumes/rexp", xport)
	must[*pb.NvmeRemoteController](t, "remote controller")(h.Remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "rr",
		NvmeRemoteController: &pb.NvmeRemoteController{Subnqn: nqn("rxsub"),
			Address: &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: xport}}}))

	before := h.resources(t)
	rebuilt := func(t *testing.T) func() (bool, string) {
		return func() (bool, string) { return h.rebuilt(t, before, m, n, a) }
	}
	if ok, why := rebuilt(t)(); !ok {
		t.Fatalf("before any restart: %s", why)
	}
	t.Run("spdk restarted empty", func(t *testing.T) { h.RestartTarget(t, rebuilt(t)) })
	t.Run("bridge restarted on the same state directory", func(t *testing.T) {
		h.RestartBridge(t)
		if ok, why := rebuilt(t)(); !ok {
			t.Error(why)
		}
	})
	h.deleteReplaySet(t)
}

// rebuilt reports whether SPDK holds everything restarts made, with the
// same identities, and the API reports every resource as before and READY.
func (h *Harness) rebuilt(t *testing.T, before map[string]resource, m *pb.MallocVolume, n *pb.NullVolume, a *pb.AioVolume) (bool, string) {
	{
		// Right after a restart the harness's own connection may be the
		// dead one: this call finds out and the next dials again.
		if err := h.SPDK.Call(context.Background(), "spdk_get_version", nil, nil); err != nil {
			return false, "SPDK does not answer yet: " + err.Error()
		}
		bdevs := h.Bdevs(t)
		for name, uuid := range map[string]string{"malloc-rm": m.GetUuid(), "null-rn": n.GetUuid(), "aio-ra": a.GetUuid()} {
			if !bdevs[name].hasUUID(uuid) {
				return false, fmt.Sprintf("SPDK has no %s with uuid %s: %+v", name, uuid, bdevs[name])
			}
		}
		// SPDK gives a recreated store and logical volume UUIDs of its
		// own (bdev_lvol_create takes none), so these are found by name.
		for _, name := range []string{"lvs-rs/rv", "crypto-re", "qos-rq", "nvme-rrn1"} {
			if _, ok := bdevs[name]; !ok {
				return false, "SPDK has no bdev " + name
			}
		}
		sub := h.Subsystems(t)[nqn("rsub")]
		if len(sub.Namespaces) != 3 || len(sub.ListenAddresses) != 1 || len(sub.Hosts) != 1 {
			return false, fmt.Sprintf("SPDK's subsystem %s = %+v; want 3 namespaces, 1 listener, 1 host", nqn("rsub"), sub)
		}
		for _, ns := range sub.Namespaces {
			if ns.BdevName == "lvs-rs/rv" || bdevs["lvs-rs/rv"].Name == ns.BdevName {
				if ns.NSID != replayNSID || ns.UUID != replayUUID {
					return false, fmt.Sprintf("the logical volume's namespace is %+v; want nsid %d uuid %s", ns, replayNSID, replayUUID)
				}
			}
		}
		if !h.VhostControllers(t)["rblk"] {
			return false, "SPDK has no vhost controller rblk"
		}
		after := h.resources(t)
		for name, was := range before {
			now, ok := after[name]
			if !ok {
				return false, name + " is no longer stored"
			}
			if now.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
				return false, fmt.Sprintf("%s: %v", name, now.status)
			}
			if !proto.Equal(now.msg, was.msg) {
				return false, fmt.Sprintf("%s changed: %v, then %v", name, was.msg, now.msg)
			}
		}
		return true, ""
	}
}

// deleteReplaySet deletes what restarts made, users first.
func (h *Harness) deleteReplaySet(t *testing.T) {
	ctx := ctxT(t)
	must[*emptypb.Empty](t, "detach")(h.Remote.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/rr", Force: true}))
	h.unexport(t, "rxsub", "mallocVolumes/rexp")
	must[*emptypb.Empty](t, "delete virtio-blk")(h.VirtioBlks.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: "virtioBlks/rblk"}))
	must[*emptypb.Empty](t, "delete subsystem")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/rsub", Force: true}))
	must[*emptypb.Empty](t, "delete qos")(h.Middleend.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: "qosVolumes/rq"}))
	must[*emptypb.Empty](t, "delete encrypted")(h.Middleend.DeleteEncryptedVolume(ctx, &pb.DeleteEncryptedVolumeRequest{Name: "encryptedVolumes/re"}))
	must[*emptypb.Empty](t, "delete store")(h.Lvols.DeleteLogicalVolumeStore(ctx, &pb.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/rs", Force: true}))
	for _, id := range []string{"rm", "rpool", "rem"} {
		must[*emptypb.Empty](t, "delete "+id)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/" + id}))
	}
	must[*emptypb.Empty](t, "delete null")(h.Volumes.DeleteNullVolume(ctx, &pb.DeleteNullVolumeRequest{Name: "nullVolumes/rn"}))
	must[*emptypb.Empty](t, "delete aio")(h.Volumes.DeleteAioVolume(ctx, &pb.DeleteAioVolumeRequest{Name: "aioVolumes/ra"}))
}

// resource is a stored resource as read through the API, its status apart.
type resource struct {
	msg    proto.Message
	status *commonv1.ResourceStatus
}

func (r resource) GetState() commonv1.ResourceState { return r.status.GetState() }

// resources reads every stored resource through the API, by name, with the
// status taken out so that the rest can be compared across restarts.
func (h *Harness) resources(t *testing.T) map[string]resource {
	t.Helper()
	ctx := context.Background()
	out := map[string]resource{}
	add := func(m interface {
		proto.Message
		GetName() string
		GetStatus() *commonv1.ResourceStatus
	}) {
		c := proto.Clone(m)
		c.ProtoReflect().Clear(c.ProtoReflect().Descriptor().Fields().ByName("status"))
		out[m.GetName()] = resource{msg: c, status: m.GetStatus()}
	}
	l1 := must[*pb.ListMallocVolumesResponse](t, "list")(h.Volumes.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{}))
	for _, m := range l1.GetMallocVolumes() {
		add(m)
	}
	l2 := must[*pb.ListNullVolumesResponse](t, "list")(h.Volumes.ListNullVolumes(ctx, &pb.ListNullVolumesRequest{}))
	for _, m := range l2.GetNullVolumes() {
		add(m)
	}
	l3 := must[*pb.ListAioVolumesResponse](t, "list")(h.Volumes.ListAioVolumes(ctx, &pb.ListAioVolumesRequest{}))
	for _, m := range l3.GetAioVolumes() {
		add(m)
	}
	l4 := must[*pb.ListLogicalVolumeStoresResponse](t, "list")(h.Lvols.ListLogicalVolumeStores(ctx, &pb.ListLogicalVolumeStoresRequest{}))
	for _, s := range l4.GetLogicalVolumeStores() {
		// Free clusters are read live; the rest is the stored store.
		s.FreeClusters = 0
		add(s)
		l := must[*pb.ListLogicalVolumesResponse](t, "list")(h.Lvols.ListLogicalVolumes(ctx, &pb.ListLogicalVolumesRequest{Parent: s.GetName()}))
		for _, v := range l.GetLogicalVolumes() {
			add(v)
		}
	}
	l5 := must[*pb.ListEncryptedVolumesResponse](t, "list")(h.Middleend.ListEncryptedVolumes(ctx, &pb.ListEncryptedVolumesRequest{}))
	for _, m := range l5.GetEncryptedVolumes() {
		add(m)
	}
	l6 := must[*pb.ListQosVolumesResponse](t, "list")(h.Middleend.ListQosVolumes(ctx, &pb.ListQosVolumesRequest{}))
	for _, m := range l6.GetQosVolumes() {
		add(m)
	}
	l7 := must[*pb.ListNvmeRemoteControllersResponse](t, "list")(h.Remote.ListNvmeRemoteControllers(ctx, &pb.ListNvmeRemoteControllersRequest{}))
	for _, m := range l7.GetNvmeRemoteControllers() {
		add(m)
	}
	l8 := must[*pb.ListNvmeSubsystemsResponse](t, "list")(h.Nvme.ListNvmeSubsystems(ctx, &pb.ListNvmeSubsystemsRequest{}))
	for _, s := range l8.GetNvmeSubsystems() {
		add(s)
		nss := must[*pb.ListNvmeNamespacesResponse](t, "list")(h.Nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: s.GetName()}))
		for _, m := range nss.GetNvmeNamespaces() {
			add(m)
		}
		cs := must[*pb.ListNvmeControllersResponse](t, "list")(h.Nvme.ListNvmeControllers(ctx, &pb.ListNvmeControllersRequest{Parent: s.GetName()}))
		for _, m := range cs.GetNvmeControllers() {
			add(m)
		}
	}
	l9 := must[*pb.ListVirtioBlksResponse](t, "list")(h.VirtioBlks.ListVirtioBlks(ctx, &pb.ListVirtioBlksRequest{}))
	for _, m := range l9.GetVirtioBlks() {
		add(m)
	}
	return out
}
