package bridge

import (
	"context"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
)

// BenchmarkUpstreamOverhead compares upstream OPI's storage API with the
// native one on the same bridge: the same resource created and deleted,
// and read, through the runtime's full chain on an in-memory store and
// spdk-sim answering at once, so that the facade's translation is as
// large a share of a call as it can be. Each "side-by-side" benchmark
// alternates a native and an upstream call in one loop, so that the
// machine's load weighs on both alike, and reports each one's time and
// their ratio (upstream/native); the separate native and upstream
// benchmarks are the same calls alone.
//
//	go test -run '^$' -bench UpstreamOverhead/side-by-side -count 6 ./bridge/
func BenchmarkUpstreamOverhead(b *testing.B) {
	f := newFixture(b, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	umalloc := up.NewMallocVolumeServiceClient(f.conn)
	unvme := up.NewFrontendNvmeServiceClient(f.conn)
	createNative := func(b *testing.B) {
		if _, err := f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "bench", MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 64}}); err != nil {
			b.Fatal(err)
		}
		if _, err := f.vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/bench"}); err != nil {
			b.Fatal(err)
		}
	}
	createUpstream := func(b *testing.B) {
		if _, err := umalloc.CreateMallocVolume(ctx, &up.CreateMallocVolumeRequest{MallocVolumeId: "bench", MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 64}}); err != nil {
			b.Fatal(err)
		}
		if _, err := umalloc.DeleteMallocVolume(ctx, &up.DeleteMallocVolumeRequest{Name: "mallocVolumes/bench"}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("create+delete-malloc/native", func(b *testing.B) {
		for range b.N {
			createNative(b)
		}
	})
	b.Run("create+delete-malloc/upstream", func(b *testing.B) {
		for range b.N {
			createUpstream(b)
		}
	})
	b.Run("side-by-side/create+delete-malloc", func(b *testing.B) { sideBySide(b, createNative, createUpstream) })
	if _, err := f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "v", MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 64}}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "s",
		NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("s"), Hosts: []*pb.NvmeSubsystemHost{{HostNqn: nqn("host")}}}}); err != nil {
		b.Fatal(err)
	}
	b.Run("side-by-side/get-malloc", func(b *testing.B) {
		sideBySide(b, func(b *testing.B) {
			if _, err := f.vols.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/v"}); err != nil {
				b.Fatal(err)
			}
		}, func(b *testing.B) {
			if _, err := umalloc.GetMallocVolume(ctx, &up.GetMallocVolumeRequest{Name: "v"}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("side-by-side/get-subsystem", func(b *testing.B) {
		sideBySide(b, func(b *testing.B) {
			if _, err := f.nvme.GetNvmeSubsystem(ctx, &pb.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/s"}); err != nil {
				b.Fatal(err)
			}
		}, func(b *testing.B) {
			if _, err := unvme.GetNvmeSubsystem(ctx, &up.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/s"}); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("get-malloc/native", func(b *testing.B) {
		for range b.N {
			if _, err := f.vols.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/v"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-malloc/upstream", func(b *testing.B) {
		for range b.N {
			if _, err := umalloc.GetMallocVolume(ctx, &up.GetMallocVolumeRequest{Name: "v"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-subsystem/native", func(b *testing.B) {
		for range b.N {
			if _, err := f.nvme.GetNvmeSubsystem(ctx, &pb.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/s"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-subsystem/upstream", func(b *testing.B) {
		for range b.N {
			if _, err := unvme.GetNvmeSubsystem(ctx, &up.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/s"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// sideBySide runs native and upstream alternately b.N times each and
// reports their times per call and the ratio upstream/native.
func sideBySide(b *testing.B, native, upstream func(*testing.B)) {
	var tn, tu time.Duration
	for i := range b.N {
		// Alternate which goes first, so neither always follows the other.
		first, second, t1, t2 := native, upstream, &tn, &tu
		if i%2 == 1 {
			first, second, t1, t2 = upstream, native, &tu, &tn
		}
		start := time.Now()
		first(b)
		mid := time.Now()
		second(b)
		*t1 += mid.Sub(start)
		*t2 += time.Since(mid)
	}
	b.ReportMetric(float64(tn.Nanoseconds())/float64(b.N), "native-ns/op")
	b.ReportMetric(float64(tu.Nanoseconds())/float64(b.N), "upstream-ns/op")
	b.ReportMetric(float64(tu)/float64(tn), "upstream/native")
}
