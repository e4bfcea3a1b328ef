package bridge

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// BenchmarkCreateNvmeNamespace compares one CreateNvmeNamespace through the
// bridge (gRPC with the runtime's validation, the domain layer, the store,
// SPDK) with the same SPDK call made directly on a raw client, both against
// the in-process spdk-sim with SPDK's 4 ms poller, so that the SPDK call
// costs what it costs against spdk_tgt (two ticks for calls made one after
// another). "bridge" keeps its intent in bbolt on disk (two fsynced
// transactions per create), "bridge-memstore" in the in-memory store.
// spdk-calls/op counts the SPDK requests each create sends.
//
//	go test -run '^$' -bench CreateNvmeNamespace -benchtime 300x ./bridge/
func BenchmarkCreateNvmeNamespace(b *testing.B) {
	ctx := context.Background()
	for _, mode := range []struct {
		name string
		cfg  fixtureConfig
	}{
		{"bridge", fixtureConfig{pollInterval: spdkPollInterval}},
		{"bridge-memstore", fixtureConfig{memoryStore: true, pollInterval: spdkPollInterval}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			f := newFixture(b, mode.cfg)
			subs := prepareBenchVolumes(b, f, b.N)
			sent := f.rec.count()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{
					Parent: "nvmeSubsystems/" + subs[i/1000], NvmeNamespaceId: fmt.Sprintf("ns%d", i),
					NvmeNamespace: &pb.NvmeNamespace{Volume: fmt.Sprintf("mallocVolumes/v%d", i)}}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(f.rec.count()-sent)/float64(b.N), "spdk-calls/op")
		})
	}
	b.Run("direct", func(b *testing.B) {
		f := newFixture(b, fixtureConfig{memoryStore: true, pollInterval: spdkPollInterval})
		for i := 0; i < b.N; i += 1000 {
			if err := f.direct.Call(ctx, "nvmf_create_subsystem", map[string]any{"nqn": nqn(fmt.Sprintf("direct%d", i/1000)), "max_namespaces": 1000}, nil); err != nil {
				b.Fatal(err)
			}
		}
		concurrently(b, 64, b.N, func(i int) error {
			return f.direct.Call(ctx, "bdev_malloc_create", map[string]any{"name": fmt.Sprintf("direct-v%d", i), "block_size": 512, "num_blocks": 2048}, nil)
		})
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			params, _ := adapter.AddNamespaceParams(nqn(fmt.Sprintf("direct%d", i/1000)), &pb.NvmeNamespace{Volume: "mallocVolumes/x"})
			params["namespace"].(map[string]any)["bdev_name"] = fmt.Sprintf("direct-v%d", i)
			var nsid uint32
			if err := f.direct.Call(ctx, "nvmf_subsystem_add_ns", params, &nsid); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(1, "spdk-calls/op")
	})
}

// prepareBenchVolumes makes n malloc volumes v0..v(n-1) through the API,
// 64 at once, and one subsystem per 1000 of them; it returns the subsystem
// ids.
func prepareBenchVolumes(b *testing.B, f *fixture, n int) []string {
	var subs []string
	for i := 0; i < n; i += 1000 {
		id := fmt.Sprintf("sub%d", i/1000)
		if _, err := f.nvme.CreateNvmeSubsystem(context.Background(), &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: id,
			NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn(id), MaxNamespaces: 1000}}); err != nil {
			b.Fatal(err)
		}
		subs = append(subs, id)
	}
	concurrently(b, 64, n, func(i int) error {
		_, err := f.vols.CreateMallocVolume(context.Background(), &pb.CreateMallocVolumeRequest{
			MallocVolumeId: fmt.Sprintf("v%d", i), MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}})
		return err
	})
	return subs
}

// spdkPollInterval is SPDK's RPC poller period, which benchmarks give
// spdk-sim so that each SPDK call costs what it costs against spdk_tgt.
const spdkPollInterval = 4 * time.Millisecond

// BenchmarkListNvmeNamespaces lists one page of 100 namespaces from a
// subsystem holding 1,000 or 10,000: the cost must stay flat. The intent
// is in the in-memory store so that 10,000 creates fit in a benchmark; the
// store's own benchmark shows bbolt seeks the same way. Listing reads only
// the store, so SPDK's poller does not enter the timing; it does the fill,
// which therefore runs 64 creates at once, pipelined on the bridge's one
// SPDK connection (one after another, 20,000 SPDK calls at two 4 ms ticks
// each would take minutes).
//
//	go test -run '^$' -bench ListNvmeNamespaces ./bridge/
func BenchmarkListNvmeNamespaces(b *testing.B) {
	for _, total := range []int{1000, 10000} {
		// Populated once, outside b.Run, which calls its function again for
		// every b.N it tries.
		f := newFixture(b, fixtureConfig{memoryStore: true, pollInterval: spdkPollInterval})
		ctx := context.Background()
		// Straight through the collections: the API caps max_namespaces
		// at 1024, which a 10,000-namespace subsystem exceeds.
		if _, err := f.b.Storage().NvmeSubsystems.Collection().Create(ctx, "", "big", &pb.NvmeSubsystem{Nqn: nqn("big"), MaxNamespaces: uint32(total)}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		concurrently(b, 64, total, func(i int) error {
			if _, err := f.b.Storage().NullVolumes.Collection().Create(ctx, "", fmt.Sprintf("n%05d", i), &pb.NullVolume{BlockSize: 512, BlockCount: 2048}); err != nil {
				return err
			}
			_, err := f.b.Storage().NvmeNamespaces.Collection().Create(ctx, "nvmeSubsystems/big", fmt.Sprintf("ns%05d", i),
				&pb.NvmeNamespace{Volume: fmt.Sprintf("nullVolumes/n%05d", i)})
			return err
		})
		b.Logf("filled %d namespaces in %v", total, time.Since(start).Round(time.Millisecond))
		// A page from the middle, reached through a real token.
		first, err := f.nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/big", PageSize: int32(total / 2)})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("total=%d", total), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res, err := f.nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/big", PageSize: 100, PageToken: first.GetNextPageToken()})
				if err != nil || len(res.GetNvmeNamespaces()) != 100 {
					b.Fatalf("page: %d items, %v", len(res.GetNvmeNamespaces()), err)
				}
			}
		})
	}
}

// concurrently runs fn(0..n-1) on workers goroutines and fails b on the
// first error.
func concurrently(b *testing.B, workers, n int, fn func(i int) error) {
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

// BenchmarkScrape is one scrape of the bridge's metrics (what /metrics
// serves besides the runtime's), gathered and encoded in Prometheus' text
// format, with 1,000 and 10,000 volumes stored and in spdk-sim (4 ms
// poller, as spdk_tgt): the stored resources counted per kind, and each
// volume's I/O counters, which a scrape reads from SPDK (one
// bdev_get_iostat of every bdev) at most once a second and waits for at
// most 50 ms; the rest of the time it shows the last read (see
// readCache). The scrapes come back to back, so about one a second
// starts a read that then runs beside the others, as it would beside
// Prometheus' scrapes. The bound is 100 ms at 10,000.
//
//   - "rendered" is what the bridge serves: the registry's few families
//     encoded per scrape, the volumes' families as rendered once per read
//     (server.WriteMetrics with Bridge.Gatherer);
//   - "rendered-openmetrics" the same in OpenMetrics (what Prometheus
//     asks for);
//   - "const-metrics" is how the bridge served them before, side by side:
//     the last read kept as 60,000 constant metrics that every scrape
//     gathers through the registry (written to protobuf form, checked,
//     sorted) and encodes;
//   - "read" is the cost of one read itself (bdev_get_iostat and building
//     the families), which happens at most once a second, off the scrape.
//
// series/op is the number of volume series a scrape returns.
//
//	go test -run '^$' -bench Scrape ./bridge/
func BenchmarkScrape(b *testing.B) {
	for _, total := range []int{1000, 10000} {
		f := newFixture(b, fixtureConfig{memoryStore: true, pollInterval: spdkPollInterval})
		ctx := context.Background()
		concurrently(b, 64, total, func(i int) error {
			_, err := f.b.Storage().NullVolumes.Collection().Create(ctx, "", fmt.Sprintf("n%05d", i), &pb.NullVolume{BlockSize: 512, BlockCount: 2048})
			return err
		})
		reg := prometheus.NewRegistry()
		reg.MustRegister(f.b.Collector())
		g := f.b.Gatherer()
		if _, err := g.Gather(); err != nil { // the first read, which a first scrape waits for
			b.Fatal(err)
		}
		for _, format := range []expfmt.Format{expfmt.FmtText, expfmt.FmtOpenMetrics_1_0_0} {
			name := "rendered"
			if format != expfmt.FmtText {
				name = "rendered-openmetrics"
			}
			b.Run(fmt.Sprintf("volumes=%d/%s", total, name), func(b *testing.B) {
				var out countingWriter
				for i := 0; i < b.N; i++ {
					out = countingWriter{}
					if err := server.WriteMetrics(&out, format, reg, g); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				if out.lines("opi_storage_volume_read_ops_total{") != total {
					b.Fatalf("%d volume series, want %d", out.lines("opi_storage_volume_read_ops_total{"), total)
				}
				b.ReportMetric(float64(total), "series/op")
				b.ReportMetric(float64(out.n)/1e6, "MB/op")
			})
		}
		b.Run(fmt.Sprintf("volumes=%d/const-metrics", total), func(b *testing.B) {
			old := prometheus.NewRegistry()
			old.MustRegister(f.b.Collector(), constCollector(b, g))
			for i := 0; i < b.N; i++ {
				fams, err := old.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(io.Discard, expfmt.FmtText)
				for _, fam := range fams {
					if err := enc.Encode(fam); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(total), "series/op")
		})
		b.Run(fmt.Sprintf("volumes=%d/read", total), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				fams, _ := f.b.metrics.readVolumes().Gather()
				if len(fams) != 7 || len(fams[1].GetMetric()) != total {
					b.Fatalf("%d families, want 7 with %d series each", len(fams), total)
				}
			}
		})
	}
}

// countingWriter counts the bytes of an exposition and keeps its text.
type countingWriter struct {
	n   int
	buf []byte
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *countingWriter) lines(prefix string) int {
	n := 0
	for _, l := range strings.Split(string(c.buf), "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// constCollector serves g's volume families as the bridge did before
// server.Families: one constant metric per series, built once per read
// and gathered through the registry on every scrape.
func constCollector(b testing.TB, g server.RenderedGatherer) prometheus.Collector {
	fams, err := g.Gather()
	if err != nil {
		b.Fatal(err)
	}
	var ms []prometheus.Metric
	var descs []*prometheus.Desc
	for _, fam := range fams {
		if !strings.HasPrefix(fam.GetName(), "opi_storage_volume_") || strings.HasSuffix(fam.GetName(), "_age_seconds") {
			continue
		}
		var labels []string
		if len(fam.GetMetric()) > 0 {
			for _, l := range fam.GetMetric()[0].GetLabel() {
				labels = append(labels, l.GetName())
			}
		}
		d := prometheus.NewDesc(fam.GetName(), fam.GetHelp(), labels, nil)
		descs = append(descs, d)
		for _, m := range fam.GetMetric() {
			var values []string
			for _, l := range m.GetLabel() {
				values = append(values, l.GetValue())
			}
			if m.Counter != nil {
				ms = append(ms, prometheus.MustNewConstMetric(d, prometheus.CounterValue, m.GetCounter().GetValue(), values...))
			} else {
				ms = append(ms, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, m.GetGauge().GetValue(), values...))
			}
		}
	}
	return collectorFunc{descs: descs, ms: ms}
}

type collectorFunc struct {
	descs []*prometheus.Desc
	ms    []prometheus.Metric
}

func (c collectorFunc) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c collectorFunc) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.ms {
		ch <- m
	}
}
