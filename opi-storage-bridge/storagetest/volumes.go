package storagetest

import (
	"os"
	"path/filepath"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func mallocLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.Volumes
	spec := &pb.MallocVolume{BlockSize: 4096, BlockCount: 256}
	v := must[*pb.MallocVolume](t, "create")(c.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "m1", MallocVolume: spec}))
	if v.GetName() != "mallocVolumes/m1" || v.GetUuid() == "" {
		t.Fatalf("created %v; want its name and a generated uuid", v)
	}
	ready(t, v.GetName(), v.GetStatus())
	if b, ok := h.Bdevs(t)["malloc-m1"]; !ok || b.UUID != v.GetUuid() || b.BlockSize != 4096 || b.NumBlocks != 256 {
		t.Errorf("SPDK's bdev malloc-m1 = %+v (present %v); want uuid %s, 256 blocks of 4096", b, ok, v.GetUuid())
	}
	wantCode[*pb.MallocVolume](t, "a create with the same id and another spec", codes.AlreadyExists)(
		c.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "m1", MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 256}}))
	if got := must[*pb.MallocVolume](t, "get")(c.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/m1"})); got.GetBlockCount() != 256 {
		t.Errorf("get = %v", got)
	}
	for _, id := range []string{"m2", "m3"} {
		h.malloc(t, id, 8)
	}
	var names []string
	for token := ""; ; {
		l := must[*pb.ListMallocVolumesResponse](t, "list")(c.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{PageSize: 2, PageToken: token}))
		for _, m := range l.GetMallocVolumes() {
			names = append(names, m.GetName())
		}
		if token = l.GetNextPageToken(); token == "" {
			break
		}
	}
	if len(names) != 3 || names[0] != "mallocVolumes/m1" || names[2] != "mallocVolumes/m3" {
		t.Errorf("listed by pages of 2: %v; want m1, m2, m3", names)
	}
	must[*pb.MallocVolume](t, "an update that changes nothing")(c.UpdateMallocVolume(ctx, &pb.UpdateMallocVolumeRequest{MallocVolume: &pb.MallocVolume{Name: "mallocVolumes/m1", BlockSize: 4096, BlockCount: 256}}))
	wantCode[*pb.MallocVolume](t, "an update of an immutable field", codes.InvalidArgument)(
		c.UpdateMallocVolume(ctx, &pb.UpdateMallocVolumeRequest{MallocVolume: &pb.MallocVolume{Name: "mallocVolumes/m1", BlockCount: 999}}))
	if m4 := must[*pb.MallocVolume](t, "an update with allow_missing")(c.UpdateMallocVolume(ctx, &pb.UpdateMallocVolumeRequest{
		MallocVolume: &pb.MallocVolume{Name: "mallocVolumes/m4", BlockCount: 8}, AllowMissing: true})); !h.Bdevs(t)["malloc-m4"].hasUUID(m4.GetUuid()) {
		t.Errorf("an update with allow_missing did not create malloc-m4 (uuid %s) in SPDK", m4.GetUuid())
	}
	if st := must[*pb.StatsMallocVolumeResponse](t, "stats")(c.StatsMallocVolume(ctx, &pb.StatsMallocVolumeRequest{Name: "mallocVolumes/m1"})); st.GetStats() == nil {
		t.Errorf("stats = %v; want SPDK's counters", st)
	}
	for _, id := range []string{"m1", "m2", "m3", "m4"} {
		must[*emptypb.Empty](t, "delete "+id)(c.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/" + id}))
	}
	wantCode[*emptypb.Empty](t, "deleting a deleted volume", codes.NotFound)(c.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/m1"}))
	must[*emptypb.Empty](t, "deleting a deleted volume with allow_missing")(c.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/m1", AllowMissing: true}))
	wantCode[*pb.MallocVolume](t, "get after delete", codes.NotFound)(c.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/m1"}))
}

// hasUUID reports whether the bdev exists with uuid.
func (b Bdev) hasUUID(uuid string) bool { return b.Name != "" && uuid != "" && b.UUID == uuid }

func nullAndAioLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.Volumes
	n := must[*pb.NullVolume](t, "create null")(c.CreateNullVolume(ctx, &pb.CreateNullVolumeRequest{NullVolumeId: "n1", NullVolume: &pb.NullVolume{BlockCount: 1 << 20}}))
	if !h.Bdevs(t)["null-n1"].hasUUID(n.GetUuid()) {
		t.Errorf("SPDK has no bdev null-n1 with uuid %s", n.GetUuid())
	}
	must[*pb.StatsNullVolumeResponse](t, "null stats")(c.StatsNullVolume(ctx, &pb.StatsNullVolumeRequest{Name: "nullVolumes/n1"}))
	must[*emptypb.Empty](t, "delete null")(c.DeleteNullVolume(ctx, &pb.DeleteNullVolumeRequest{Name: "nullVolumes/n1"}))

	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	a := must[*pb.AioVolume](t, "create aio")(c.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a1", AioVolume: &pb.AioVolume{Filename: file}}))
	if a.GetBlockCount()*512 != 1<<20 && a.GetBlockCount()*uint64(a.GetBlockSize()) != 1<<20 {
		t.Errorf("aio volume %v does not report the file's 1 MiB", a)
	}
	if !h.Bdevs(t)["aio-a1"].hasUUID(a.GetUuid()) {
		t.Errorf("SPDK has no bdev aio-a1 with uuid %s", a.GetUuid())
	}
	wantCode[*pb.AioVolume](t, "an aio volume on a missing file", codes.NotFound)(c.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a2",
		AioVolume: &pb.AioVolume{Filename: filepath.Join(t.TempDir(), "absent.img")}}))
	wantCode[*pb.AioVolume](t, "the refused aio volume", codes.NotFound)(c.GetAioVolume(ctx, &pb.GetAioVolumeRequest{Name: "aioVolumes/a2"}))
	must[*emptypb.Empty](t, "delete aio")(c.DeleteAioVolume(ctx, &pb.DeleteAioVolumeRequest{Name: "aioVolumes/a1"}))
}

func lvolLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	lv := h.Lvols
	must[*pb.MallocVolume](t, "create the pool")(h.Volumes.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "pool",
		MallocVolume: &pb.MallocVolume{BlockSize: 4096, BlockCount: 16384}}))
	st := must[*pb.LogicalVolumeStore](t, "create the store")(lv.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "s1",
		LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "mallocVolumes/pool", ClusterSizeBytes: 1 << 20}}))
	if st.GetUuid() == "" || st.GetTotalClusters() == 0 {
		t.Errorf("store %v lacks its uuid or geometry", st)
	}
	create := &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/s1", LogicalVolumeId: "v1", LogicalVolume: &pb.LogicalVolume{SizeMib: 4}}
	v := must[*pb.LogicalVolume](t, "create the volume")(lv.CreateLogicalVolume(ctx, create))
	if b := h.Bdevs(t)["lvs-s1/v1"]; !b.hasUUID(v.GetUuid()) || b.NumBlocks*b.BlockSize != 4<<20 {
		t.Errorf("SPDK's lvol lvs-s1/v1 = %+v; want uuid %s and 4 MiB", b, v.GetUuid())
	}
	if again := must[*pb.LogicalVolume](t, "a retried create")(lv.CreateLogicalVolume(ctx, create)); again.GetUuid() != v.GetUuid() {
		t.Errorf("a retried create returned uuid %s, want %s", again.GetUuid(), v.GetUuid())
	}
	wantCode[*emptypb.Empty](t, "deleting the store's base", codes.FailedPrecondition)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/pool"}))
	wantCode[*emptypb.Empty](t, "deleting a store with volumes", codes.FailedPrecondition)(lv.DeleteLogicalVolumeStore(ctx, &pb.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/s1"}))
	u := must[*pb.LogicalVolume](t, "grow")(lv.UpdateLogicalVolume(ctx, &pb.UpdateLogicalVolumeRequest{LogicalVolume: &pb.LogicalVolume{Name: "logicalVolumeStores/s1/logicalVolumes/v1", SizeMib: 8}}))
	if b := h.Bdevs(t)["lvs-s1/v1"]; u.GetSizeMib() != 8 || b.NumBlocks*b.BlockSize != 8<<20 {
		t.Errorf("after growing to 8 MiB the volume is %d MiB and SPDK holds %d bytes", u.GetSizeMib(), b.NumBlocks*b.BlockSize)
	}
	wantCode[*pb.LogicalVolume](t, "a volume larger than the store", codes.ResourceExhausted)(lv.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{
		Parent: "logicalVolumeStores/s1", LogicalVolumeId: "huge", LogicalVolume: &pb.LogicalVolume{SizeMib: 1 << 20}}))
	wantCode[*pb.LogicalVolume](t, "the refused volume", codes.NotFound)(lv.GetLogicalVolume(ctx, &pb.GetLogicalVolumeRequest{Name: "logicalVolumeStores/s1/logicalVolumes/huge"}))
	wantCode[*pb.LogicalVolume](t, "growing past the store", codes.ResourceExhausted)(lv.UpdateLogicalVolume(ctx, &pb.UpdateLogicalVolumeRequest{
		LogicalVolume: &pb.LogicalVolume{Name: "logicalVolumeStores/s1/logicalVolumes/v1", SizeMib: 1 << 20}}))
	if got := must[*pb.LogicalVolume](t, "get")(lv.GetLogicalVolume(ctx, &pb.GetLogicalVolumeRequest{Name: "logicalVolumeStores/s1/logicalVolumes/v1"})); got.GetSizeMib() != 8 {
		t.Errorf("after a refused resize the volume is %d MiB, want 8", got.GetSizeMib())
	}
	must[*pb.StatsLogicalVolumeResponse](t, "stats")(lv.StatsLogicalVolume(ctx, &pb.StatsLogicalVolumeRequest{Name: "logicalVolumeStores/s1/logicalVolumes/v1"}))
	must[*emptypb.Empty](t, "force deletes the store with its volume")(lv.DeleteLogicalVolumeStore(ctx, &pb.DeleteLogicalVolumeStoreRequest{Name: "logicalVolumeStores/s1", Force: true}))
	if _, ok := h.Bdevs(t)["lvs-s1/v1"]; ok {
		t.Error("the logical volume is still in SPDK after its store was deleted with force")
	}
	must[*emptypb.Empty](t, "delete the pool")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/pool"}))
}

// Key material that no error message may quote (the hex of either key).
var (
	key1 = []byte("0123456789abcdef0123456789abcdef")
	key2 = []byte("fedcba9876543210fedcba9876543210")
)

func encryptedLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	mid := h.Middleend
	h.malloc(t, "base1", 2048)
	enc := &pb.EncryptedVolume{Volume: "mallocVolumes/base1", Cipher: pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, Key: key1, Key2: key2}
	e := must[*pb.EncryptedVolume](t, "create")(mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1", EncryptedVolume: enc}))
	if len(e.GetKey()) != 0 || len(e.GetKey2()) != 0 {
		t.Error("the create returned key material")
	}
	ready(t, e.GetName(), e.GetStatus())
	if _, ok := h.Bdevs(t)["crypto-e1"]; !ok {
		t.Errorf("SPDK (%s) has no crypto bdev crypto-e1", h.Target.Name)
	}
	if g := must[*pb.EncryptedVolume](t, "get")(mid.GetEncryptedVolume(ctx, &pb.GetEncryptedVolumeRequest{Name: e.GetName()})); len(g.GetKey())+len(g.GetKey2()) != 0 {
		t.Error("get returned key material")
	}
	must[*pb.EncryptedVolume](t, "a retried create with the same keys")(mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1", EncryptedVolume: enc}))
	other := &pb.EncryptedVolume{Volume: "mallocVolumes/base1", Cipher: enc.Cipher, Key: key2, Key2: key1}
	_, err := mid.CreateEncryptedVolume(ctx, &pb.CreateEncryptedVolumeRequest{EncryptedVolumeId: "e1", EncryptedVolume: other})
	if status.Code(err) != codes.AlreadyExists || quotesKey(err) {
		t.Errorf("a create with other keys: %v; want AlreadyExists without the keys", err)
	}
	wantCode[*emptypb.Empty](t, "deleting the base under it", codes.FailedPrecondition)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/base1"}))
	must[*pb.StatsEncryptedVolumeResponse](t, "stats")(mid.StatsEncryptedVolume(ctx, &pb.StatsEncryptedVolumeRequest{Name: e.GetName()}))
	must[*emptypb.Empty](t, "delete")(mid.DeleteEncryptedVolume(ctx, &pb.DeleteEncryptedVolumeRequest{Name: e.GetName()}))
	var keys []struct {
		Name string `json:"name"`
	}
	h.call(t, "accel_crypto_keys_get", nil, &keys)
	if len(keys) != 0 {
		t.Errorf("SPDK keeps crypto keys %+v after the delete", keys)
	}
	must[*emptypb.Empty](t, "delete the base")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/base1"}))
}
