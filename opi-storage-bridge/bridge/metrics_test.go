package bridge

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// scrape gathers the bridge's metrics as /metrics would serve them, on a
// pedantic registry (which also checks descriptions and label
// consistency), keyed "name{label=value,...}".
func scrape(t testing.TB, b *Bridge) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(b.Collector())
	fams, err := prometheus.Gatherers{b.Gatherer(), reg}.Gather() // as /metrics: the read first
	if err != nil {
		t.Fatalf("gathering the storage metrics: %v", err)
	}
	return flatten(fams)
}

// flatten keys each sample by its name and labels; a histogram counts as
// its sample count.
func flatten(fams []*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			key := f.GetName() + "{"
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			key += "}"
			switch {
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Histogram != nil:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestMetricsReadTheIntentAndEveryVolumesCountersOnScrape: on spdk-sim
// (which moves no data, so the counters are zero but present), a scrape
// labels each stored volume with its resource name (a logical volume's
// bdev, named by UUID in SPDK, included), counts the stored resources per
// kind, and shows the SPDK calls and the replay pass the bridge made.
func TestMetricsReadTheIntentAndEveryVolumesCountersOnScrape(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("m1")
	if _, err := f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "m2",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 16384}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "s1",
		LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "mallocVolumes/m2", ClusterSizeBytes: 1 << 20}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lvols.CreateLogicalVolume(ctx, &pb.CreateLogicalVolumeRequest{Parent: "logicalVolumeStores/s1", LogicalVolumeId: "v1",
		LogicalVolume: &pb.LogicalVolume{SizeMib: 1}}); err != nil {
		t.Fatal(err)
	}

	got := scrape(t, f.b)
	for key, want := range map[string]float64{
		"opi_storage_volume_stats_up{}":                                                                  1,
		"opi_storage_volume_read_ops_total{volume=mallocVolumes/m1}":                                     0,
		"opi_storage_volume_write_bytes_total{volume=mallocVolumes/m2}":                                  0,
		"opi_storage_volume_read_latency_seconds_total{volume=logicalVolumeStores/s1/logicalVolumes/v1}": 0,
		"opi_storage_intent_resources{kind=mallocVolumes}":                                               2,
		"opi_storage_intent_resources{kind=logicalVolumes}":                                              1,
		"opi_storage_intent_resources{kind=nvmeSubsystems}":                                              0,
		"opi_storage_spdk_requests_total{method=bdev_malloc_create,outcome=ok}":                          2,
		"opi_storage_spdk_request_duration_seconds{method=bdev_lvol_create}":                             1,
		"opi_storage_replay_runs_total{outcome=ok}":                                                      1,
		"opi_storage_replay_duration_seconds{}":                                                          1,
	} {
		if v, ok := got[key]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", key, v, ok, want)
		}
	}
	if n := len(seriesOf(got, "opi_storage_volume_write_ops_total")); n != 3 {
		t.Errorf("write ops of %d volumes, want the 3 stored: %v", n, got)
	}
}

// TestMetricsScrapeWithoutSPDKIsQuickAndSaysSo: with SPDK gone, a scrape
// still answers, in bounded time, with the volume counters missing and
// opi_storage_volume_stats_up 0; the failed calls are counted as
// unavailable.
func TestMetricsScrapeWithoutSPDKIsQuickAndSaysSo(t *testing.T) {
	f := newFixture(t)
	f.malloc("m1")
	f.sim.Close()
	start := time.Now()
	got := scrape(t, f.b)
	if took := time.Since(start); took > scrapeTimeout+time.Second {
		t.Errorf("a scrape without SPDK took %v", took)
	}
	if got["opi_storage_volume_stats_up{}"] != 0 || len(seriesOf(got, "opi_storage_volume_read_ops_total")) != 0 {
		t.Errorf("without SPDK: %v", got)
	}
	if got["opi_storage_intent_resources{kind=mallocVolumes}"] != 1 {
		t.Errorf("the intent is still counted without SPDK: %v", got)
	}
	if got["opi_storage_spdk_requests_total{method=bdev_get_iostat,outcome=unavailable}"] < 1 {
		t.Errorf("the failed bdev_get_iostat is not counted as unavailable: %v", got)
	}
}

func TestCallOutcomeNamesEveryKindOfFailure(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{nil, "ok"},
		{fmt.Errorf("wrapped: %w", &spdk.Error{Code: spdk.CodeENODEV, Method: "bdev_get_iostat"}), "error"},
		{fmt.Errorf("spdk x: %w", spdk.ErrUnavailable), "unavailable"},
		{fmt.Errorf("spdk x: %w", context.DeadlineExceeded), "canceled"},
		{fmt.Errorf("spdk x: %w", context.Canceled), "canceled"},
		{errors.New("spdk x: decode result: bad json"), "failed"},
	} {
		if got := callOutcome(tt.err); got != tt.want {
			t.Errorf("callOutcome(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// seriesOf returns the keys of the samples of one metric.
func seriesOf(samples map[string]float64, name string) []string {
	var out []string
	for k := range samples {
		if len(k) > len(name) && k[:len(name)+1] == name+"{" {
			out = append(out, k)
		}
	}
	return out
}

// TestMetricsCountEachSubsystemsControllersAndQueuePairs: a host (here
// the bridge's own remote controller, attached over NVMe/TCP to the
// bridge's exported subsystem in spdk-sim) shows as one controller on
// that subsystem with its queue pairs; a subsystem with no host shows
// zero; both read in the volumes' bounded-age read.
func TestMetricsCountEachSubsystemsControllersAndQueuePairs(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("m1")
	f.subsystem("idle")
	s := f.subsystem("busy")
	if _, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: s.GetName(), NvmeNamespaceId: "ns",
		NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/m1", Nsid: 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: s.GetName(), NvmeControllerId: "tcp",
		NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: 4420}}}}); err != nil {
		t.Fatal(err)
	}
	// Hosts may connect only where the subsystem allows them.
	if _, err := f.nvme.UpdateNvmeSubsystem(ctx, &pb.UpdateNvmeSubsystemRequest{NvmeSubsystem: &pb.NvmeSubsystem{Name: s.GetName(),
		Nqn: s.GetNqn(), AllowAnyHost: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "loop",
		NvmeRemoteController: &pb.NvmeRemoteController{Subnqn: s.GetNqn(), Address: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: 4420}}}); err != nil {
		t.Fatal(err)
	}
	got := scrape(t, f.b)
	if c := got["opi_storage_nvme_subsystem_controllers{subsystem=nvmeSubsystems/busy}"]; c != 1 {
		t.Errorf("busy subsystem: %v controllers, want 1; %v", c, seriesOf(got, "opi_storage_nvme_subsystem_controllers"))
	}
	if q := got["opi_storage_nvme_subsystem_queue_pairs{subsystem=nvmeSubsystems/busy}"]; q < 2 {
		t.Errorf("busy subsystem: %v queue pairs, want the admin queue and at least one I/O queue", q)
	}
	for _, name := range []string{"opi_storage_nvme_subsystem_controllers{subsystem=nvmeSubsystems/idle}", "opi_storage_nvme_subsystem_queue_pairs{subsystem=nvmeSubsystems/idle}"} {
		if v, ok := got[name]; !ok || v != 0 {
			t.Errorf("%s = %v (present %v), want 0", name, v, ok)
		}
	}
}
