package service

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-kit/validate"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// volHarness serves this area's four services over an in-memory gRPC
// connection, with the backend on a real spdk-sim and a bbolt store. Every
// request the bridge sends to SPDK is checked against SPDK's contract.
type volHarness struct {
	conn  *grpc.ClientConn
	spdk  *spdk.Client
	mu    sync.Mutex
	calls []string // SPDK methods sent, in order
}

func newVolHarness(t *testing.T) *volHarness {
	t.Helper()
	dir, err := os.MkdirTemp("", "vol") // short: unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "spdk.sock")
	s := sim.New(sim.WithPollInterval(0)) // no poller: these tests are not about timing
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })

	ct, err := contract.Load()
	if err != nil {
		t.Fatal(err)
	}
	h := &volHarness{}
	h.spdk = spdk.New(sock, spdk.WithObserver(func(method string, params json.RawMessage) {
		h.mu.Lock()
		h.calls = append(h.calls, method)
		h.mu.Unlock()
		if err := ct.ValidateRequest(method, params); err != nil {
			t.Errorf("request breaks SPDK's contract: %s %s: %v", method, params, err)
		}
	}))
	t.Cleanup(func() { h.spdk.Close() })

	st, err := store.Open(filepath.Join(dir, "state", "intent.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	vols, err := backend.NewVolumeCollections(st, h.spdk)
	if err != nil {
		t.Fatal(err)
	}
	lvols, err := backend.NewLogicalVolumeCollections(st, h.spdk)
	if err != nil {
		t.Fatal(err)
	}
	mids, err := backend.NewMiddleendCollections(st, h.spdk)
	if err != nil {
		t.Fatal(err)
	}
	remotes, err := backend.NewNvmeRemoteCollections(st, h.spdk, filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}

	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(validate.UnaryServerInterceptor(), server.RedactUnaryServerInterceptor()))
	pb.RegisterVolumeServiceServer(srv, NewVolumeService(vols, h.spdk))
	pb.RegisterLogicalVolumeServiceServer(srv, NewLogicalVolumeService(lvols, h.spdk))
	pb.RegisterMiddleendServiceServer(srv, NewMiddleendService(mids, h.spdk))
	pb.RegisterBackendNvmeServiceServer(srv, NewBackendNvmeService(remotes, h.spdk))
	bl := bufconn.Listen(1 << 20)
	go srv.Serve(bl)
	t.Cleanup(srv.Stop)
	h.conn, err = grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return bl.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.conn.Close() })
	return h
}

func (h *volHarness) sent() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

func wantCode(t *testing.T, err error, want codes.Code) {
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
	h := newVolHarness(t)
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
		wantCode(t, err, codes.AlreadyExists)
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
		wantCode(t, err, codes.InvalidArgument)
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
		wantCode(t, err, codes.NotFound)
		if _, err := c.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/m1", AllowMissing: true}); err != nil {
			t.Fatal(err)
		}
		_, err = c.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/m1"})
		wantCode(t, err, codes.NotFound)
	})
}

func TestVolumeNullAndAioLifecycle(t *testing.T) {
	h := newVolHarness(t)
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
	h := newVolHarness(t)
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
			wantCode(t, err, tt.want)
		})
	}
	t.Run("an AIO volume on a relative path is refused", func(t *testing.T) {
		_, err := c.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a", AioVolume: &pb.AioVolume{Filename: "disk.img"}})
		wantCode(t, err, codes.InvalidArgument)
	})
	t.Run("an AIO volume on a missing file is NotFound", func(t *testing.T) {
		_, err := c.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a", AioVolume: &pb.AioVolume{Filename: "/nonexistent/disk.img"}})
		wantCode(t, err, codes.NotFound)
	})
	resp, err := c.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{})
	if err != nil || len(resp.GetMallocVolumes()) != 0 {
		t.Fatalf("bad input left %v (%v)", resp.GetMallocVolumes(), err)
	}
	for _, m := range h.sent() {
		if m == "bdev_malloc_create" {
			t.Errorf("bad input reached SPDK: %v", h.sent())
		}
	}
}
