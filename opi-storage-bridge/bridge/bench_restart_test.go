package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/protobuf/proto"
)

// BenchmarkRestart restarts a bridge whose bbolt store holds about 10,000
// or 100,000 resources (restartMix: malloc volumes, one namespace on each,
// a subsystem per 1,000) on spdk-sim with SPDK's 4 ms poller, and reports
// s-to-serving (from New until health answers SERVING and a Get answers)
// and s-to-ready (until the first pass has checked, or made again, every
// resource), with the SPDK requests the restart sent. spdk=full restarts
// only the bridge; spdk=empty also restarts SPDK empty before each
// restart (outside the timing). "bulk" is the bridge as it is: it serves
// at once and checks SPDK with one listing per kind, making what SPDK
// lacks 32 at a time; "per-object" is the bridge as it was (10,000 only:
// it takes minutes): serving only after a pass that creates every volume
// and subsystem again, one at a time, each create and get waiting on the
// poller.
//
//	go test -run '^$' -bench 'Restart$' -benchtime 1x -timeout 30m ./bridge/
func BenchmarkRestart(b *testing.B) {
	sizes := []int{10000, 100000}
	if n, _ := strconv.Atoi(os.Getenv("OPI_BENCH_RESTART_SIZE")); n > 0 {
		sizes = []int{n} // one other size, to try things out
	}
	for _, n := range sizes {
		// A benchmark that runs others runs once: the fill is done once
		// per size, and only for the sizes -bench selects.
		b.Run(fmt.Sprintf("objects=%d", n), func(b *testing.B) {
			sock := filepath.Join(shortTempDir(b), "spdk.sock")
			var current *sim.Sim
			restartSim := func() {
				if current != nil {
					current.Close()
					os.Remove(sock)
				}
				current = sim.New(sim.WithPollInterval(spdkPollInterval))
				l, err := net.Listen("unix", sock)
				if err != nil {
					b.Fatal(err)
				}
				go func() { _ = current.Serve(l) }()
			}
			restartSim()
			b.Cleanup(func() { current.Close() })
			mix := mixOf(n)
			dir := b.TempDir()
			seedRestart(b, dir, sock, mix)
			for _, c := range restartCases(n <= 10000) {
				b.Run(fmt.Sprintf("spdk=%s/%s", c.spdk, c.mode), func(b *testing.B) {
					benchRestart(b, Config{StateDir: dir, SPDKSocket: sock, Interval: time.Hour}, mix, c, restartSim)
				})
			}
		})
	}
}

// restartCase is one column of the restart benchmarks.
type restartCase struct {
	spdk string // "full" or "empty"
	mode string // "bulk" or "per-object"
}

func restartCases(perObject bool) []restartCase {
	var out []restartCase
	for _, s := range []string{"full", "empty"} {
		out = append(out, restartCase{s, "bulk"})
		if perObject {
			out = append(out, restartCase{s, "per-object"})
		}
	}
	return out
}

// benchRestart restarts a bridge on cfg b.N times as c says; emptySPDK
// restarts SPDK empty.
func benchRestart(b *testing.B, cfg Config, mix restartMix, c restartCase, emptySPDK func()) {
	var serving, ready time.Duration
	calls := 0
	for i := 0; i < b.N; i++ {
		if c.spdk == "empty" {
			b.StopTimer()
			emptySPDK()
			b.StartTimer()
		}
		s, r, n := restartOnce(b, cfg, mix, c.mode == "per-object")
		serving, ready, calls = serving+s, ready+r, calls+n
	}
	b.ReportMetric(serving.Seconds()/float64(b.N), "s-to-serving")
	b.ReportMetric(ready.Seconds()/float64(b.N), "s-to-ready")
	b.ReportMetric(float64(calls)/float64(b.N), "spdk-calls/op")
}

// restartOnce starts a bridge on cfg as Program does, and returns the time
// until it served (health SERVING and a Get answered) and until its first
// pass ended, and how many SPDK requests it sent until then. perObject
// runs it as the bridge was before bulk verification: no listing of
// volumes or subsystems, one create at a time, and the port opened only
// after the first pass.
func restartOnce(b *testing.B, cfg Config, mix restartMix, perObject bool) (serving, ready time.Duration, calls int) {
	var sent atomic.Int64
	cfg.SPDKOptions = append(cfg.SPDKOptions, spdk.WithObserver(func(string, json.RawMessage) { sent.Add(1) }))
	cfg.probeFirst = !perObject // as Program does
	var opts []Option
	if perObject {
		opts = perObjectReplay()
		cfg.storageOptions = []storage.Option{storage.WithReplayParallel(1)}
	}
	began := time.Now()
	br, err := New(cfg, opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = br.Run(ctx) }()
	defer func() { cancel(); <-done; br.Close() }()
	if perObject {
		<-br.Synced()
	}
	conn := serveFor(b, ctx, br)
	waitServing(b, conn, mix)
	serving = time.Since(began)
	// Health must stay SERVING while the pass reads SPDK.
	health := healthpb.NewHealthClient(conn)
	dropped := false
	for tick := time.NewTicker(50 * time.Millisecond); ; {
		select {
		case <-br.Synced():
			tick.Stop()
			return serving, time.Since(began), int(sent.Load())
		case <-tick.C:
			if res, err := health.Check(ctx, &healthpb.HealthCheckRequest{}); !dropped && (err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING) {
				dropped = true
				b.Errorf("health went %v (%v) %v after the start, during the first pass", res.GetStatus(), err, time.Since(began).Round(time.Millisecond))
			}
		}
	}
}

// serveFor serves br's services on loopback until ctx ends, as Program
// does, and returns a client connection.
func serveFor(b *testing.B, ctx context.Context, br *Bridge) *grpc.ClientConn {
	// The production probe interval and timeout (server's defaults).
	s, err := server.New(servertest.Config(), server.WithLogger(slog.New(slog.DiscardHandler)),
		server.WithShutdownTimeout(time.Second))
	if err != nil {
		b.Fatal(err)
	}
	for _, svc := range br.Services() {
		s.AddService(svc)
	}
	go func() { _ = s.Run(ctx) }()
	if s.Addr() == "" {
		b.Fatal("the server did not listen")
	}
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	context.AfterFunc(ctx, func() { conn.Close() })
	return conn
}

// waitServing waits until health answers SERVING and a Get of the mix's
// first volume answers.
func waitServing(b *testing.B, conn *grpc.ClientConn, mix restartMix) {
	ctx := context.Background()
	health := healthpb.NewHealthClient(conn)
	vols := pb.NewVolumeServiceClient(conn)
	var err error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("the bridge did not serve within a minute: %v", err)
		}
		var res *healthpb.HealthCheckResponse
		if res, err = health.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil || res.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			if err == nil {
				err = fmt.Errorf("health %v", res.GetStatus())
			}
			continue
		}
		if mix.null {
			_, err = vols.GetNullVolume(ctx, &pb.GetNullVolumeRequest{Name: mix.volume(0)})
		} else {
			_, err = vols.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: mix.volume(0)})
		}
		if err == nil {
			return
		}
	}
}

// perObjectReplay hides the presence checks of volumes and subsystems, so
// that a pass creates every one again, as the bridge did before they
// existed (namespaces and controllers had theirs already).
func perObjectReplay() []Option {
	return []Option{
		WithMallocVolumeBackend(func(e Env) resource.Backend[*pb.MallocVolume] {
			return withoutPresence[*pb.MallocVolume]{adapter.MallocVolumes{C: e.SPDK}}
		}),
		WithNullVolumeBackend(func(e Env) resource.Backend[*pb.NullVolume] {
			return withoutPresence[*pb.NullVolume]{adapter.NullVolumes{C: e.SPDK}}
		}),
		WithNvmeSubsystemBackend(func(e Env) resource.Backend[*pb.NvmeSubsystem] {
			return withoutPresence[*pb.NvmeSubsystem]{adapter.NewNvmeSubsystems(e.SPDK, e.Adapter.KeyDir())}
		}),
	}
}

// withoutPresence is a backend with only Create, Update and Delete.
type withoutPresence[T proto.Message] struct{ resource.Backend[T] }

// seedRestart fills a bbolt store in dir with mix, made in the SPDK at
// sock: through a bridge on an in-memory store (the creates pipelined,
// 256 at once), then copied into dir's intent.db.
func seedRestart(b *testing.B, dir, sock string, mix restartMix) {
	b.Helper()
	began := time.Now()
	mem := store.NewMemory()
	br, err := New(Config{StateDir: dir, SPDKSocket: sock, Interval: time.Hour, Store: mem})
	if err != nil {
		b.Fatal(err)
	}
	mix.seed(b, br, 256)
	br.Close()
	copyIntent(b, mem, filepath.Join(dir, "intent.db"))
	b.Logf("stored %d resources, made in SPDK, in %v", mix.total(), time.Since(began).Round(time.Millisecond))
}

// copyIntent copies every record of the storage bridge's kinds from src
// into a new bbolt store at path, 20,000 records a transaction.
func copyIntent(b *testing.B, src store.Store, path string) {
	b.Helper()
	dst, err := store.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer dst.Close()
	ctx := context.Background()
	var kinds []string
	for _, k := range []string{storage.KindMallocVolumes, storage.KindNullVolumes, storage.KindAioVolumes,
		storage.KindLogicalVolumeStores, storage.KindLogicalVolumes, storage.KindEncryptedVolumes, storage.KindQosVolumes,
		storage.KindNvmeRemoteControllers, storage.KindNvmePaths, storage.KindNvmeSubsystems, storage.KindNvmeNamespaces,
		storage.KindNvmeControllers, storage.KindVirtioBlks} {
		kinds = append(kinds, k, k+".status")
	}
	kinds = append(kinds, "_refs", "_journal")
	for _, k := range kinds {
		items, err := store.List(ctx, src, k, "", "", 0)
		if err != nil {
			b.Fatal(err)
		}
		for len(items) > 0 {
			chunk := items[:min(len(items), 20000)]
			items = items[len(chunk):]
			if err := dst.Update(ctx, func(tx store.Tx) error {
				for _, it := range chunk {
					if err := tx.Put(k, it.Key, it.Value); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// shortTempDir is a temporary directory with a short path, for unix
// sockets (108 bytes).
func shortTempDir(b *testing.B) string {
	d, err := os.MkdirTemp("", "rb")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(d) })
	return d
}
