package bridge

import (
	"bytes"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var (
	testKey  = bytes.Repeat([]byte{0x11}, 32)
	testKey2 = bytes.Repeat([]byte{0x22}, 32)
)

func TestMiddleendEncryptedAndQosLifecycle(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	vols := pb.NewVolumeServiceClient(h.conn)
	mid := pb.NewMiddleendServiceClient(h.conn)
	for _, id := range []string{"base1", "base2"} {
		if _, err := vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: id, MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}}); err != nil {
			t.Fatal(err)
		}
	}
	enc := &pb.EncryptedVolume{Volume: "mallocVolumes/base1", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, Key: testKey, Key2: testKey2}
	got, err := mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1", EncryptedVolume: enc})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("keys are never returned", func(t *testing.T) {
		if len(got.GetKey()) != 0 || len(got.GetKey2()) != 0 {
			t.Fatalf("create returned key material")
		}
		g, err := mid.GetEncryptedVolume(ctx, &pb.GetEncryptedVolumeRequest{Name: "encryptedVolumes/e1"})
		if err != nil || len(g.GetKey()) != 0 || len(g.GetKey2()) != 0 {
			t.Fatalf("get = %v (keys %d/%d bytes)", err, len(g.GetKey()), len(g.GetKey2()))
		}
		l, err := mid.ListEncryptedVolumes(ctx, &pb.ListEncryptedVolumesRequest{})
		if err != nil || len(l.GetEncryptedVolumes()) != 1 || len(l.GetEncryptedVolumes()[0].GetKey()) != 0 {
			t.Fatalf("list = %v, %v", l, err)
		}
	})
	t.Run("a retried create with the same key succeeds", func(t *testing.T) {
		if _, err := mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1", EncryptedVolume: enc}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a create with another key is AlreadyExists and does not quote it", func(t *testing.T) {
		other := &pb.EncryptedVolume{Volume: "mallocVolumes/base1", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, Key: testKey2, Key2: testKey}
		_, err := mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1", EncryptedVolume: other})
		requireCode(t, err, codes.AlreadyExists)
		if strings.Contains(err.Error(), "2222") || strings.Contains(err.Error(), "1111") {
			t.Fatalf("error quotes key material: %v", err)
		}
	})
	t.Run("the base volume cannot be deleted while used", func(t *testing.T) {
		_, err := vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/base1"})
		requireCode(t, err, codes.FailedPrecondition)
	})
	t.Run("stats come from SPDK", func(t *testing.T) {
		if _, err := mid.StatsEncryptedVolume(ctx, &pb.StatsEncryptedVolumeRequest{Name: "encryptedVolumes/e1"}); err != nil {
			t.Fatal(err)
		}
	})

	q, err := mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q1", QosVolume: &pb.QosVolume{Volume: "mallocVolumes/base2", Limits: &pb.QosLimits{RwIosPerSec: 2000}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("qos limits can be changed", func(t *testing.T) {
		q.Limits = &pb.QosLimits{RwMbytesPerSec: 100}
		u, err := mid.UpdateQosVolume(ctx, &pb.UpdateQosVolumeRequest{QosVolume: q})
		if err != nil || u.GetLimits().GetRwMbytesPerSec() != 100 {
			t.Fatalf("update = %v, %v", u, err)
		}
	})
	t.Run("qos stats come from SPDK", func(t *testing.T) {
		if _, err := mid.StatsQosVolume(ctx, &pb.StatsQosVolumeRequest{Name: "qosVolumes/q1"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("delete frees the base volumes", func(t *testing.T) {
		if _, err := mid.DeleteEncryptedVolume(ctx, &pb.DeleteEncryptedVolumeRequest{Name: "encryptedVolumes/e1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := mid.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: "qosVolumes/q1"}); err != nil {
			t.Fatal(err)
		}
		if _, err := mid.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: "qosVolumes/q1", AllowMissing: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/base1"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestMiddleendBadInputChangesNothing(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	mid := pb.NewMiddleendServiceClient(h.conn)
	xts := pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS
	tests := []struct {
		name string
		v    *pb.EncryptedVolume
		want codes.Code
	}{
		{"an unspecified cipher is refused", &pb.EncryptedVolume{Volume: "mallocVolumes/b", Key: testKey}, codes.InvalidArgument},
		{"an unknown cipher is refused", &pb.EncryptedVolume{Volume: "mallocVolumes/b", Cipher: 9, Key: testKey, Key2: testKey2}, codes.InvalidArgument},
		{"a 20-byte key is refused", &pb.EncryptedVolume{Volume: "mallocVolumes/b", Cipher: xts, Key: testKey[:20], Key2: testKey2[:20]}, codes.InvalidArgument},
		{"xts with equal keys is refused", &pb.EncryptedVolume{Volume: "mallocVolumes/b", Cipher: xts, Key: testKey, Key2: testKey}, codes.InvalidArgument},
		{"cbc with a second key is refused", &pb.EncryptedVolume{Volume: "mallocVolumes/b", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC, Key: testKey, Key2: testKey2}, codes.InvalidArgument},
		{"a volume of no known kind is refused", &pb.EncryptedVolume{Volume: "disks/b", Cipher: xts, Key: testKey, Key2: testKey2}, codes.InvalidArgument},
		{"a missing base volume is NotFound", &pb.EncryptedVolume{Volume: "mallocVolumes/absent", Cipher: xts, Key: testKey, Key2: testKey2}, codes.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e", EncryptedVolume: tt.v})
			requireCode(t, err, tt.want)
			if err != nil && (strings.Contains(err.Error(), "1111") || strings.Contains(err.Error(), "2222")) {
				t.Fatalf("error quotes key material: %v", err)
			}
		})
	}
	t.Run("a qos volume on a missing base is NotFound", func(t *testing.T) {
		_, err := mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q", QosVolume: &pb.QosVolume{Volume: "nullVolumes/absent", Limits: &pb.QosLimits{}}})
		requireCode(t, err, codes.NotFound)
	})
	for _, m := range h.rec.methods() {
		if strings.HasPrefix(m, "accel_") || strings.HasPrefix(m, "bdev_crypto") || strings.HasPrefix(m, "bdev_passthru") {
			t.Errorf("bad input reached SPDK: %v", h.rec.methods())
		}
	}
}

func TestLvolStoreAndVolumeLifecycle(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	vols := pb.NewVolumeServiceClient(h.conn)
	lv := pb.NewLogicalVolumeServiceClient(h.conn)
	if _, err := vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "pool", MallocVolume: &pb.MallocVolume{BlockSize: 4096, BlockCount: 16384}}); err != nil {
		t.Fatal(err)
	}
	st, err := lv.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "s1", LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "mallocVolumes/pool", ClusterSizeBytes: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if st.GetUuid() == "" || st.GetTotalClusters() == 0 {
		t.Errorf("store %v lacks its uuid or geometry", st)
	}
	v, err := lv.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/s1", LogicalVolumeId: "v1", LogicalVolume: &pb.LogicalVolume{SizeMib: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if v.GetUuid() == "" {
		t.Errorf("logical volume %v has no uuid", v)
	}
	t.Run("a retried create succeeds", func(t *testing.T) {
		if _, err := lv.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/s1", LogicalVolumeId: "v1", LogicalVolume: &pb.LogicalVolume{SizeMib: 4}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the base volume and the store cannot be deleted while used", func(t *testing.T) {
		_, err := vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/pool"})
		requireCode(t, err, codes.FailedPrecondition)
		_, err = lv.DeleteLogicalVolumeStore(ctx, &pb.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/s1"})
		requireCode(t, err, codes.FailedPrecondition)
	})
	t.Run("a logical volume can grow", func(t *testing.T) {
		u, err := lv.UpdateLogicalVolume(ctx, &pb.UpdateLogicalVolumeRequest{LogicalVolume: &pb.LogicalVolume{Name: "logicalVolumeStores/s1/logicalVolumes/v1", SizeMib: 8}})
		if err != nil || u.GetSizeMib() != 8 {
			t.Fatalf("resize = %v, %v", u, err)
		}
		var bdevs []struct {
			NumBlocks uint64 `json:"num_blocks"`
			BlockSize uint64 `json:"block_size"`
		}
		if err := h.direct.Call(ctx, "bdev_get_bdevs", map[string]any{"name": "lvs-s1/v1"}, &bdevs); err != nil || len(bdevs) != 1 {
			t.Fatalf("bdev_get_bdevs = %v, %v", bdevs, err)
		}
		if got := bdevs[0].NumBlocks * bdevs[0].BlockSize; got != 8<<20 {
			t.Errorf("SPDK holds %d bytes after the resize, want %d", got, 8<<20)
		}
	})
	t.Run("more than the store holds is resource exhausted, and changes nothing", func(t *testing.T) {
		_, err := lv.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/s1", LogicalVolumeId: "huge", LogicalVolume: &pb.LogicalVolume{SizeMib: 1 << 20}})
		requireCode(t, err, codes.ResourceExhausted)
		if _, err := lv.GetLogicalVolume(ctx, &pb.GetLogicalVolumeRequest{Name: "logicalVolumeStores/s1/logicalVolumes/huge"}); status.Code(err) != codes.NotFound {
			t.Errorf("the refused volume was stored: %v", err)
		}
		_, err = lv.UpdateLogicalVolume(ctx, &pb.UpdateLogicalVolumeRequest{LogicalVolume: &pb.LogicalVolume{Name: "logicalVolumeStores/s1/logicalVolumes/v1", SizeMib: 1 << 20}})
		requireCode(t, err, codes.ResourceExhausted)
		if got, err := lv.GetLogicalVolume(ctx, &pb.GetLogicalVolumeRequest{Name: "logicalVolumeStores/s1/logicalVolumes/v1"}); err != nil || got.GetSizeMib() != 8 {
			t.Errorf("after a refused resize the volume is %v, %v; want 8 MiB", got, err)
		}
	})
	t.Run("a size of zero is refused", func(t *testing.T) {
		_, err := lv.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/s1", LogicalVolumeId: "v0", LogicalVolume: &pb.LogicalVolume{}})
		requireCode(t, err, codes.InvalidArgument)
	})
	t.Run("a store on an unknown volume kind is refused", func(t *testing.T) {
		_, err := lv.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "s2", LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "logicalVolumeStores/s1"}})
		requireCode(t, err, codes.InvalidArgument)
	})
	t.Run("stats come from SPDK", func(t *testing.T) {
		if _, err := lv.StatsLogicalVolume(ctx, &pb.StatsLogicalVolumeRequest{Name: "logicalVolumeStores/s1/logicalVolumes/v1"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("force deletes the store with its volumes", func(t *testing.T) {
		if _, err := lv.DeleteLogicalVolumeStore(ctx, &pb.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/s1", Force: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/pool"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRemoteControllerBadInputChangesNothing(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	c := pb.NewBackendNvmeServiceClient(h.conn)
	tcp := &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: 4420}
	nqn := "nqn.2016-06.io.spdk:cnode1"
	tests := []struct {
		name string
		c    *pb.NvmeRemoteController
	}{
		{"an unspecified transport is refused", &pb.NvmeRemoteController{Address: &pb.NvmeFabricsAddress{Traddr: "127.0.0.1"}, Subnqn: nqn}},
		{"a host name is refused", &pb.NvmeRemoteController{Address: &pb.NvmeFabricsAddress{Trtype: tcp.Trtype, Traddr: "target.example"}, Subnqn: nqn}},
		{"a port past 65535 is refused", &pb.NvmeRemoteController{Address: &pb.NvmeFabricsAddress{Trtype: tcp.Trtype, Traddr: "127.0.0.1", Trsvcid: 70000}, Subnqn: nqn}},
		{"a malformed subsystem NQN is refused", &pb.NvmeRemoteController{Address: tcp, Subnqn: "cnode1"}},
		{"a malformed PSK is refused", &pb.NvmeRemoteController{Address: tcp, Subnqn: nqn, Psk: "secret"}},
		{"too many queues are refused", &pb.NvmeRemoteController{Address: tcp, Subnqn: nqn, IoQueues: 1 << 20}},
		{"a loss timeout without a reconnect delay is refused", &pb.NvmeRemoteController{Address: tcp, Subnqn: nqn, ControllerLossTimeoutSeconds: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r", NvmeRemoteController: tt.c})
			requireCode(t, err, codes.InvalidArgument)
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error quotes the PSK: %v", err)
			}
		})
	}
	t.Run("remote namespaces of a missing controller are NotFound", func(t *testing.T) {
		_, err := c.ListNvmeRemoteNamespaces(ctx, &pb.ListNvmeRemoteNamespacesRequest{Parent: "nvmeRemoteControllers/absent"})
		requireCode(t, err, codes.NotFound)
	})
	for _, m := range h.rec.methods() {
		if strings.HasPrefix(m, "bdev_nvme") || strings.HasPrefix(m, "keyring") {
			t.Errorf("bad input reached SPDK: %v", h.rec.methods())
		}
	}
}
