package bridge

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// requireCode fails the test unless err has the gRPC code want.
func requireCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Fatalf("got %v (%v), want %v", got, err, want)
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestVolumeMallocLifecycle(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	c := pb.NewVolumeServiceClient(h.conn)

	v, err := c.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "m1", MallocVolume: &pb.MallocVolume{BlockSize: 4096, BlockCount: 256}})
	if err != nil {
		t.Fatal(err)
	}
	if v.GetName() != "mallocVolumes/m1" || v.GetUuid() == "" {
		t.Fatalf("created %v; want a name and a generated uuid", v)
	}
	t.Run("a retried create returns the same volume", func(t *testing.T) {
		again, err := c.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "m1", MallocVolume: &pb.MallocVolume{BlockSize: 4096, BlockCount: 256}})
		if err != nil || again.GetUuid() != v.GetUuid() {
			t.Fatalf("retry = %v, %v; want uuid %s", again, err, v.GetUuid())
		}
	})
	t.Run("a create with another spec is AlreadyExists", func(t *testing.T) {
		_, err := c.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "m1", MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 256}})
		requireCode(t, err, codes.AlreadyExists)
	})
	t.Run("get returns it", func(t *testing.T) {
		got, err := c.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/m1"})
		if err != nil || got.GetBlockCount() != 256 {
			t.Fatalf("get = %v, %v", got, err)
		}
	})
	t.Run("list pages through every volume", func(t *testing.T) {
		for _, id := range []string{"m2", "m3"} {
			if _, err := c.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: id, MallocVolume: &pb.MallocVolume{BlockCount: 8}}); err != nil {
				t.Fatal(err)
			}
		}
		var names []string
		token := ""
		for {
			resp, err := c.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{PageSize: 2, PageToken: token})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range resp.GetMallocVolumes() {
				names = append(names, m.GetName())
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(names) != 3 || names[0] != "mallocVolumes/m1" || names[2] != "mallocVolumes/m3" {
			t.Fatalf("listed %v", names)
		}
	})
	t.Run("an update that changes nothing succeeds", func(t *testing.T) {
		if _, err := c.UpdateMallocVolume(ctx, &pb.UpdateMallocVolumeRequest{MallocVolume: &pb.MallocVolume{Name: "mallocVolumes/m1", BlockCount: 256}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("an update of an immutable field is InvalidArgument", func(t *testing.T) {
		_, err := c.UpdateMallocVolume(ctx, &pb.UpdateMallocVolumeRequest{MallocVolume: &pb.MallocVolume{Name: "mallocVolumes/m1", BlockCount: 999}})
		requireCode(t, err, codes.InvalidArgument)
	})
	t.Run("an update with allow_missing creates it", func(t *testing.T) {
		got, err := c.UpdateMallocVolume(ctx, &pb.UpdateMallocVolumeRequest{MallocVolume: &pb.MallocVolume{Name: "mallocVolumes/m4", BlockCount: 8}, AllowMissing: true})
		if err != nil || got.GetUuid() == "" {
			t.Fatalf("update allow_missing = %v, %v", got, err)
		}
	})
	t.Run("stats come from SPDK", func(t *testing.T) {
		st, err := c.StatsMallocVolume(ctx, &pb.StatsMallocVolumeRequest{Name: "mallocVolumes/m1"})
		if err != nil || st.GetStats() == nil {
			t.Fatalf("stats = %v, %v", st, err)
		}
	})
	t.Run("delete removes it and allow_missing makes a repeat succeed", func(t *testing.T) {
		if _, err := c.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/m1"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/m1"})
		requireCode(t, err, codes.NotFound)
		if _, err := c.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/m1", AllowMissing: true}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/m1"})
		requireCode(t, err, codes.NotFound)
	})
}

func TestVolumeNullAndAioLifecycle(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	c := pb.NewVolumeServiceClient(h.conn)
	if _, err := c.CreateNullVolume(ctx, &pb.CreateNullVolumeRequest{NullVolumeId: "n1", NullVolume: &pb.NullVolume{BlockCount: 1 << 20}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StatsNullVolume(ctx, &pb.StatsNullVolumeRequest{Name: "nullVolumes/n1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteNullVolume(ctx, &pb.DeleteNullVolumeRequest{Name: "nullVolumes/n1"}); err != nil {
		t.Fatal(err)
	}

	file := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(file, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := c.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a1", AioVolume: &pb.AioVolume{Filename: file}})
	if err != nil {
		t.Fatal(err)
	}
	if a.GetBlockCount() == 0 {
		t.Errorf("aio volume %v has no block count", a)
	}
	if _, err := c.DeleteAioVolume(ctx, &pb.DeleteAioVolumeRequest{Name: "aioVolumes/a1"}); err != nil {
		t.Fatal(err)
	}
}

func TestVolumeBadInputChangesNothing(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	c := pb.NewVolumeServiceClient(h.conn)
	tests := []struct {
		name string
		req  *pb.CreateMallocVolumeRequest
		want codes.Code
	}{
		{"a zero block count is refused", &pb.CreateMallocVolumeRequest{MallocVolumeId: "b", MallocVolume: &pb.MallocVolume{}}, codes.InvalidArgument},
		{"a block size not a multiple of 512 is refused", &pb.CreateMallocVolumeRequest{MallocVolumeId: "b", MallocVolume: &pb.MallocVolume{BlockSize: 1000, BlockCount: 8}}, codes.InvalidArgument},
		{"a block size over 64 KiB is refused", &pb.CreateMallocVolumeRequest{MallocVolumeId: "b", MallocVolume: &pb.MallocVolume{BlockSize: 1 << 20, BlockCount: 8}}, codes.InvalidArgument},
		{"a size past 63 bits is refused", &pb.CreateMallocVolumeRequest{MallocVolumeId: "b", MallocVolume: &pb.MallocVolume{BlockSize: 4096, BlockCount: 1 << 62}}, codes.InvalidArgument},
		{"a malformed uuid is refused", &pb.CreateMallocVolumeRequest{MallocVolumeId: "b", MallocVolume: &pb.MallocVolume{BlockCount: 8, Uuid: "nope"}}, codes.InvalidArgument},
		{"a bad id is refused", &pb.CreateMallocVolumeRequest{MallocVolumeId: "B_1", MallocVolume: &pb.MallocVolume{BlockCount: 8}}, codes.InvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.CreateMallocVolume(ctx, tt.req)
			requireCode(t, err, tt.want)
		})
	}
	t.Run("an AIO volume on a relative path is refused", func(t *testing.T) {
		_, err := c.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a", AioVolume: &pb.AioVolume{Filename: "disk.img"}})
		requireCode(t, err, codes.InvalidArgument)
	})
	t.Run("an AIO volume on a missing file is NotFound", func(t *testing.T) {
		_, err := c.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a", AioVolume: &pb.AioVolume{Filename: "/nonexistent/disk.img"}})
		requireCode(t, err, codes.NotFound)
	})
	resp, err := c.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{})
	if err != nil || len(resp.GetMallocVolumes()) != 0 {
		t.Fatalf("bad input left %v (%v)", resp.GetMallocVolumes(), err)
	}
	for _, m := range h.rec.methods() {
		if m == "bdev_malloc_create" {
			t.Errorf("bad input reached SPDK: %v", h.rec.methods())
		}
	}
}
