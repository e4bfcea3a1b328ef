package bridge

import (
	"bytes"
	"context"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
)

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
