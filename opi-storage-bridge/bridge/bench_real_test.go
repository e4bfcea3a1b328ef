package bridge

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
)

// BenchmarkRealCreateNvmeNamespace is BenchmarkCreateNvmeNamespace on a
// real spdk_tgt: one CreateNvmeNamespace through the bridge (gRPC and the
// runtime's chain, the domain, two fsynced bbolt transactions, one SPDK
// call) against the same nvmf_subsystem_add_ns sent directly, one after
// another, on one target, side by side. Null volumes, so that hundreds of
// them cost SPDK no memory. The aim is bridge/direct <= 1.5.
//
//	go test -run '^$' -bench RealCreateNvmeNamespace -benchtime 200x ./bridge/
func BenchmarkRealCreateNvmeNamespace(b *testing.B) {
	r := newRealBridge(b)
	// A second bridge on the same target keeps its intent in memory: the
	// difference from "bridge" is the cost of the two fsyncs.
	mem := newRealBridgeOn(b, r.tgt, func(c *Config) { c.Store = store.NewMemory() })
	ctx := context.Background()
	var round atomic.Int32 // b.Run calls each function again per b.N tried
	for _, mode := range []struct {
		name string
		r    *realBridge
	}{{"bridge", r}, {"bridge-memstore", mem}} {
		b.Run(mode.name, func(b *testing.B) { benchRealCreate(ctx, b, mode.r, fmt.Sprintf("b%d", round.Add(1))) })
	}
	b.Run("direct", func(b *testing.B) {
		pre := fmt.Sprintf("d%d", round.Add(1))
		subs := benchSubsystems(b, b.N, func(id string) error {
			return r.direct.Call(ctx, "nvmf_create_subsystem", map[string]any{"nqn": "nqn.2022-09.io.opi:" + pre + "-" + id, "max_namespaces": 1000}, nil)
		})
		benchEach(b, 16, b.N, func(i int) error {
			return r.direct.Call(ctx, "bdev_null_create", map[string]any{"name": fmt.Sprintf("%s-v%d", pre, i), "block_size": 512, "num_blocks": 2048}, nil)
		})
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			params, _ := adapter.AddNamespaceParams("nqn.2022-09.io.opi:"+pre+"-"+subs[i/1000], &pb.NvmeNamespace{Volume: "nullVolumes/x"})
			params["namespace"].(map[string]any)["bdev_name"] = fmt.Sprintf("%s-v%d", pre, i)
			if err := r.direct.Call(ctx, "nvmf_subsystem_add_ns", params, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// benchRealCreate times b.N namespace creates through r, on null volumes
// made beforehand; pre keeps each round's names apart.
func benchRealCreate(ctx context.Context, b *testing.B, r *realBridge, pre string) {
	subs := benchSubsystems(b, b.N, func(id string) error {
		_, err := r.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: pre + "-" + id,
			NvmeSubsystem: &pb.NvmeSubsystem{Nqn: "nqn.2022-09.io.opi:" + pre + "-" + id, MaxNamespaces: 1000}})
		return err
	})
	benchEach(b, 16, b.N, func(i int) error {
		_, err := r.vols.CreateNullVolume(ctx, &pb.CreateNullVolumeRequest{NullVolumeId: fmt.Sprintf("%s-v%d", pre, i),
			NullVolume: &pb.NullVolume{BlockSize: 512, BlockCount: 2048}})
		return err
	})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := r.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{
			Parent: "nvmeSubsystems/" + pre + "-" + subs[i/1000], NvmeNamespaceId: fmt.Sprintf("ns%d", i),
			NvmeNamespace: &pb.NvmeNamespace{Volume: fmt.Sprintf("nullVolumes/%s-v%d", pre, i)}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRealNvmeTCPRead measures I/O through a namespace the bridge
// exported over NVMe/TCP on 127.0.0.1: spdk_nvme_perf, 4 KiB random reads
// of a 64 MiB malloc volume for 3 s at queue depth 1 and 32 (perf on core
// 1, spdk_tgt on core 0). ns/op is perf's average latency; IOPS and the
// maximum latency are reported beside it. b.N is ignored: one perf run is
// the measurement.
//
//	go test -run '^$' -bench RealNvmeTCPRead -benchtime 1x ./bridge/
func BenchmarkRealNvmeTCPRead(b *testing.B) {
	r := newRealBridge(b)
	ctx := realCtx(b)
	if _, err := r.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "perf",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 64 << 20 / 512}}); err != nil {
		b.Fatal(err)
	}
	port := freePort(b)
	nqn := r.export(ctx, "perf", "mallocVolumes/perf", port)
	for _, qd := range []int{1, 32} {
		b.Run(fmt.Sprintf("qd=%d", qd), func(b *testing.B) {
			res := perf(b, r.tgt, perfArgs(nqn, port, qd, 4096, "randread", 3))
			b.ReportMetric(res.AvgLatUs*1000, "ns/op")
			b.ReportMetric(res.IOPS, "IOPS")
			b.ReportMetric(res.MaxLatUs, "max-lat-us")
		})
	}
}

// benchSubsystems makes one subsystem per 1000 namespaces (ids s0, s1,
// ...) with mk and returns their ids.
func benchSubsystems(b *testing.B, n int, mk func(id string) error) []string {
	b.Helper()
	var ids []string
	for i := 0; i < n; i += 1000 {
		id := fmt.Sprintf("s%d", i/1000)
		if err := mk(id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// benchEach runs fn(0..n-1) on workers goroutines, failing b on an error.
func benchEach(b *testing.B, workers, n int, fn func(i int) error) {
	b.Helper()
	var next atomic.Int64
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					errs <- nil
					return
				}
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("item %d: %w", i, err)
					return
				}
			}
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRealRestart is BenchmarkRestart on a real spdk_tgt: a bridge
// whose bbolt store holds 10,000 resources (null volumes, which cost SPDK
// no memory, one namespace on each, a subsystem per 1,000) restarts
// against a target that holds them all (spdk=full) or was restarted empty
// (spdk=empty, outside the timing); "bulk" is the bridge as it is,
// "per-object" as it was (see BenchmarkRestart). s-to-serving and
// s-to-ready are the custom metrics.
//
//	go test -run '^$' -bench RealRestart -benchtime 1x -timeout 30m ./bridge/
func BenchmarkRealRestart(b *testing.B) {
	tgt := spdktest.Start(b)
	mix := mixOf(10000)
	mix.null = true
	dir := b.TempDir()
	seedRestart(b, dir, tgt.Socket, mix)
	for _, c := range restartCases(true) {
		b.Run(fmt.Sprintf("objects=%d/spdk=%s/%s", mix.total(), c.spdk, c.mode), func(b *testing.B) {
			benchRestart(b, Config{StateDir: dir, SPDKSocket: tgt.Socket, Interval: time.Hour}, mix, c, tgt.Restart)
		})
	}
}
