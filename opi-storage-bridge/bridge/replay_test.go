package bridge

import (
	"bytes"
	"context"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
)

func TestVirtioBlkLifecycleOverVhostUser(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("vol1")
	blk, err := f.virtio.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: "blk1", VirtioBlk: &pb.VirtioBlk{
		Volume: "mallocVolumes/vol1", Endpoint: &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}}})
	if err != nil {
		t.Fatal(err)
	}
	if blk.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Errorf("status = %v", blk.GetStatus())
	}
	wantCode(t, "deleting the volume under the device", codes.FailedPrecondition)(f.vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/vol1"}))
	blk.CoalescingDelayUs, blk.CoalescingIopsThreshold = 40, 60000
	if _, err := f.virtio.UpdateVirtioBlk(ctx, &pb.UpdateVirtioBlkRequest{VirtioBlk: blk}); err != nil {
		t.Fatalf("updating coalescing: %v", err)
	}
	var ctrlrs []struct {
		DelayBaseUs   uint32 `json:"delay_base_us"`
		IopsThreshold uint32 `json:"iops_threshold"`
	}
	if err := f.direct.Call(ctx, "vhost_get_controllers", map[string]any{"name": "blk1"}, &ctrlrs); err != nil {
		t.Fatalf("SPDK has no vhost controller blk1: %v", err)
	}
	if len(ctrlrs) != 1 || ctrlrs[0].DelayBaseUs != 40 || ctrlrs[0].IopsThreshold != 60000 {
		t.Errorf("SPDK's coalescing of blk1 = %+v, want delay 40 us, threshold 60000", ctrlrs)
	}
	blk.CoalescingIopsThreshold = 99
	wantCode(t, "a threshold SPDK would refuse", codes.InvalidArgument)(f.virtio.UpdateVirtioBlk(ctx, &pb.UpdateVirtioBlkRequest{VirtioBlk: blk}))
	mustOK(t)(f.virtio.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: "virtioBlks/blk1"}))
	if f.vhost()["blk1"] {
		t.Error("the vhost controller is still in SPDK after its delete")
	}
}

func TestSPDKRestartedEmptyGetsTheIntentReplayed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("vol1")
	f.malloc("vol2")
	f.subsystem("sub1", &pb.NvmeSubsystemHost{HostNqn: hostNQN, Psk: testPSK})
	mustCreateNS(t, f, "sub1", "ns1", "mallocVolumes/vol1")
	if _, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1", NvmeControllerId: "tcp1",
		NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.virtio.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: "blk1", VirtioBlk: &pb.VirtioBlk{
		Volume: "mallocVolumes/vol2", Endpoint: &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}}}); err != nil {
		t.Fatal(err)
	}

	f.restartSim()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The health probe (every 5s in production) reconnects; the
		// reconnect notification kicks the loop. The first call may only
		// find the old connection dead, so probe on every round.
		_ = f.b.Probe(ctx)
		sub, ok := f.subsystems()[nqn("sub1")]
		if ok && len(sub.Namespaces) == 1 && len(sub.ListenAddresses) == 1 && len(sub.Hosts) == 1 && f.bdevs()["malloc-vol1"] && f.vhost()["blk1"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SPDK was not rebuilt within 10s: subsystem %+v, bdevs %v, vhost %v", sub, f.bdevs(), f.vhost())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, name := range []string{"nvmeSubsystems/sub1/nvmeNamespaces/ns1", "nvmeSubsystems/sub1/nvmeControllers/tcp1"} {
		var st *commonv1.ResourceStatus
		if ns, err := f.nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: name}); err == nil {
			st = ns.GetStatus()
		} else if c, err := f.nvme.GetNvmeController(ctx, &pb.GetNvmeControllerRequest{Name: name}); err == nil {
			st = c.GetStatus()
		}
		if st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
			t.Errorf("%s status after the replay = %v, want READY", name, st)
		}
	}
}

func TestASecondBridgeOnTheSameStateDirectoryIsRefused(t *testing.T) {
	f := newFixture(t)
	f.malloc("vol1")
	f.subsystem("sub1")
	mustCreateNS(t, f, "sub1", "ns1", "mallocVolumes/vol1")
	// A second bridge on the same state directory is refused while the
	// first holds the store.
	if _, err := New(Config{StateDir: f.dir, SPDKSocket: f.sock}); err == nil {
		t.Fatal("a second bridge opened a state directory in use")
	}
}

// vhost returns the names of SPDK's vhost controllers.
func (f *fixture) vhost() map[string]bool {
	f.t.Helper()
	var out []struct {
		Ctrlr string `json:"ctrlr"`
	}
	if err := f.direct.Call(context.Background(), "vhost_get_controllers", nil, &out); err != nil {
		f.t.Fatal(err)
	}
	m := map[string]bool{}
	for _, c := range out {
		m[c.Ctrlr] = true
	}
	return m
}

func TestOnePassRebuildsVolumesStackedOnLaterKinds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// Each volume sits on one of a kind that a fixed order of kinds
	// (stores, logical volumes, encrypted, QoS) would replay after it:
	// malloc <- QoS <- encrypted <- store <- logical volume.
	if _, err := f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "base",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 64 << 11}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q1",
		QosVolume: &pb.QosVolume{Volume: "mallocVolumes/base", Limits: &pb.QosLimits{RwIosPerSec: 2000}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1",
		EncryptedVolume: &pb.EncryptedVolume{Volume: "qosVolumes/q1", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS,
			Key: bytes.Repeat([]byte{0x11}, 32), Key2: bytes.Repeat([]byte{0x22}, 32)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "s1",
		LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "encryptedVolumes/e1", ClusterSizeBytes: 1 << 20}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lvols.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/s1", LogicalVolumeId: "v1",
		LogicalVolume: &pb.LogicalVolume{SizeMib: 4}}); err != nil {
		t.Fatal(err)
	}

	// SPDK loses the stack (as after a restart, but without the
	// reconnection that would kick the loop into passes of its own, whose
	// count the test could not control): one pass must rebuild all of it.
	for _, call := range []struct {
		method string
		params map[string]any
	}{
		{"bdev_lvol_delete", map[string]any{"name": "lvs-s1/v1"}},
		{"bdev_lvol_delete_lvstore", map[string]any{"lvs_name": "lvs-s1"}},
		{"bdev_crypto_delete", map[string]any{"name": "crypto-e1"}},
		{"bdev_passthru_delete", map[string]any{"name": "qos-q1"}},
	} {
		if err := f.direct.Call(ctx, call.method, call.params, nil); err != nil {
			t.Fatalf("%s: %v", call.method, err)
		}
	}
	if err := f.b.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.direct.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "lvs-s1/v1"}, nil); err != nil {
		t.Errorf("the logical volume on top of the stack is not in SPDK after one pass: %v (bdevs %v)", err, f.bdevs())
	}
	q, _ := f.mid.GetQosVolume(ctx, &pb.GetQosVolumeRequest{Name: "qosVolumes/q1"})
	e, _ := f.mid.GetEncryptedVolume(ctx, &pb.GetEncryptedVolumeRequest{Name: "encryptedVolumes/e1"})
	s, _ := f.lvols.GetLogicalVolumeStore(ctx, &pb.GetLogicalVolumeStoreRequest{Name: "logicalVolumeStores/s1"})
	v, _ := f.lvols.GetLogicalVolume(ctx, &pb.GetLogicalVolumeRequest{Name: "logicalVolumeStores/s1/logicalVolumes/v1"})
	for name, st := range map[string]*commonv1.ResourceStatus{
		"qosVolumes/q1": q.GetStatus(), "encryptedVolumes/e1": e.GetStatus(),
		"logicalVolumeStores/s1": s.GetStatus(), "logicalVolumeStores/s1/logicalVolumes/v1": v.GetStatus(),
	} {
		if st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
			t.Errorf("%s status after one pass = %v, want READY", name, st)
		}
	}
}
