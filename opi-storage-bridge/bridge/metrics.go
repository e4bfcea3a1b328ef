package bridge

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"
)

// scrapeTimeout bounds the backend reads of one scrape: a slow SPDK makes
// the volume metrics go missing (opi_storage_volume_stats_up 0), never a
// scrape that hangs.
const scrapeTimeout = 5 * time.Second

// statsMaxAge and statsWait tune the volumes' readCache: SPDK's counters
// are read at most once per statsMaxAge, and a scrape waits at most
// statsWait for a read (bdev_get_iostat of 10,000 bdevs is megabytes of
// JSON) before it shows the previous one.
const (
	statsMaxAge = time.Second
	statsWait   = 50 * time.Millisecond
)

// metrics is the storage bridge's own Prometheus metrics. SPDK calls and
// replay passes are counted as they happen; the intent store's size is
// read on scrape (one listing of names per kind), the volumes' I/O
// counters on scrape through a readCache (one bdev_get_iostat at most
// once a second), so nothing polls SPDK between scrapes.
type metrics struct {
	b *Bridge

	spdkCalls    *prometheus.CounterVec
	spdkLatency  *prometheus.HistogramVec
	replayRuns   *prometheus.CounterVec
	replayTook   prometheus.Histogram
	resources    *prometheus.Desc
	volumes      *readCache
	statsAge     familySpec
	statsUp      familySpec
	readOps      familySpec
	writeOps     familySpec
	readBytes    familySpec
	writeBytes   familySpec
	readLatency  familySpec
	writeLatency familySpec
	controllers  familySpec
	qpairs       familySpec
}

// familySpec names a family served by volumeGatherer (not a registry
// collector, so not a prometheus.Desc).
type familySpec struct{ name, help string }

func newMetrics(b *Bridge) *metrics {
	m := &metrics{
		b: b,
		spdkCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opi_storage_spdk_requests_total",
			Help: "SPDK JSON-RPC calls by method and outcome (ok, error: SPDK refused it, unavailable: SPDK could not be reached, canceled: the caller gave up, failed: anything else).",
		}, []string{"method", "outcome"}),
		spdkLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "opi_storage_spdk_request_duration_seconds",
			Help:    "Time from sending an SPDK JSON-RPC call to its answer or failure, by method.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method"}),
		replayRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opi_storage_replay_runs_total",
			Help: "Reconcile passes that put SPDK back the way the intent says, by outcome (ok, or unavailable: SPDK could not be reached and the pass is retried).",
		}, []string{"outcome"}),
		replayTook: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "opi_storage_replay_duration_seconds",
			Help:    "Duration of reconcile passes.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10), // 1 ms to 4.4 min
		}),
		resources: prometheus.NewDesc("opi_storage_intent_resources",
			"Resources in the intent store, by kind.", []string{"kind"}, nil),
		statsAge:     familySpec{"opi_storage_volume_stats_age_seconds", "Age of the volumes' I/O counters this scrape shows: they are read from SPDK at most once a second, and a scrape waits for a read at most 50 ms before it shows the previous one."},
		statsUp:      familySpec{"opi_storage_volume_stats_up", "1 when this scrape read the volumes' I/O counters from the backend, 0 when it could not (the opi_storage_volume_* series are missing then)."},
		readOps:      familySpec{"opi_storage_volume_read_ops_total", "Read operations completed by the volume's bdev (SPDK's bdev_get_iostat)."},
		writeOps:     familySpec{"opi_storage_volume_write_ops_total", "Write operations completed by the volume's bdev."},
		readBytes:    familySpec{"opi_storage_volume_read_bytes_total", "Bytes read from the volume's bdev."},
		writeBytes:   familySpec{"opi_storage_volume_write_bytes_total", "Bytes written to the volume's bdev."},
		readLatency:  familySpec{"opi_storage_volume_read_latency_seconds_total", "Sum of the latencies of the volume's reads; divided by the rate of read_ops it is the mean read latency."},
		writeLatency: familySpec{"opi_storage_volume_write_latency_seconds_total", "Sum of the latencies of the volume's writes."},
	}
	m.controllers = familySpec{"opi_storage_nvme_subsystem_controllers",
		"Host controllers connected to the NVMe-oF subsystem (SPDK's nvmf_subsystem_get_controllers), read with the volumes' counters."}
	m.qpairs = familySpec{"opi_storage_nvme_subsystem_queue_pairs",
		"Queue pairs (admin and I/O) of the hosts connected to the NVMe-oF subsystem (SPDK's nvmf_subsystem_get_qpairs)."}
	m.volumes = &readCache{read: m.readVolumes, maxAge: statsMaxAge, wait: statsWait}
	return m
}

// callDone counts one SPDK call (spdk.WithCallDone). A sampled traced
// call leaves its trace id on the latency histogram as an exemplar, which
// the OpenMetrics exposition shows: a slow bucket leads to a slow call's
// trace.
func (m *metrics) callDone(ctx context.Context, method string, took time.Duration, err error) {
	m.spdkCalls.WithLabelValues(method, callOutcome(err)).Inc()
	h := m.spdkLatency.WithLabelValues(method)
	if sc := trace.SpanContextFromContext(ctx); sc.IsSampled() {
		h.(prometheus.ExemplarObserver).ObserveWithExemplar(took.Seconds(),
			prometheus.Labels{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
		return
	}
	h.Observe(took.Seconds())
}

// callOutcome is the outcome label of an SPDK call that returned err.
func callOutcome(err error) string {
	var spdkErr *spdk.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &spdkErr):
		return "error"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	case errors.Is(err, spdk.ErrUnavailable):
		return "unavailable"
	default:
		return "failed"
	}
}

// replayed counts one reconcile pass.
func (m *metrics) replayed(took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "unavailable"
	}
	m.replayRuns.WithLabelValues(outcome).Inc()
	m.replayTook.Observe(took.Seconds())
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	m.spdkCalls.Describe(ch)
	m.spdkLatency.Describe(ch)
	m.replayRuns.Describe(ch)
	m.replayTook.Describe(ch)
	ch <- m.resources
}

// Collect implements prometheus.Collector: what is read now from the
// store and from SPDK, then the counted metrics (which include this
// scrape's own SPDK calls).
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.collectRead(ch)
	m.spdkCalls.Collect(ch)
	m.spdkLatency.Collect(ch)
	m.replayRuns.Collect(ch)
	m.replayTook.Collect(ch)
}

func (m *metrics) collectRead(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	if counts, err := m.b.storage.Counts(ctx); err == nil {
		for kind, n := range counts {
			ch <- prometheus.MustNewConstMetric(m.resources, prometheus.GaugeValue, float64(n), kind)
		}
	} else {
		m.b.logger.Warn("metrics: counting the stored resources", "error", err)
	}
}

// volumeGatherer serves the volumes' I/O counters, opi_storage_volume_*:
// the families of the last read (server.Families, rendered once per read
// and format, so a scrape of 10,000 volumes copies bytes instead of
// building 60,000 series), and the read's age, built per scrape.
type volumeGatherer struct{ m *metrics }

var _ server.RenderedGatherer = volumeGatherer{}

func (g volumeGatherer) age(at time.Time) *dto.MetricFamily {
	return family(g.m.statsAge, dto.MetricType_GAUGE, []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(time.Since(at).Seconds())}}})
}

// Gather implements prometheus.Gatherer.
func (g volumeGatherer) Gather() ([]*dto.MetricFamily, error) {
	fams, at := g.m.volumes.get()
	out, err := fams.Gather()
	return append(append([]*dto.MetricFamily(nil), out...), g.age(at)), err
}

// Rendered implements server.RenderedGatherer.
func (g volumeGatherer) Rendered(format expfmt.Format) ([]byte, []string, error) {
	fams, at := g.m.volumes.get()
	b, names, err := fams.Rendered(format)
	if err != nil {
		return nil, nil, err
	}
	age := server.NewFamilies([]*dto.MetricFamily{g.age(at)})
	ab, anames, err := age.Rendered(format)
	if err != nil {
		return nil, nil, err
	}
	return append(append(make([]byte, 0, len(b)+len(ab)), b...), ab...), append(append([]string(nil), names...), anames...), nil
}

// readVolumes reads every volume's I/O counters (one bdev_get_iostat)
// and returns them as metric families, opi_storage_volume_stats_up
// among them, sorted by volume.
func (m *metrics) readVolumes() *server.Families {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	up := func(v float64) *dto.MetricFamily {
		return family(m.statsUp, dto.MetricType_GAUGE, []*dto.Metric{{Gauge: &dto.Gauge{Value: proto.Float64(v)}}})
	}
	stats, err := m.b.storage.EachVolumeStats(ctx)
	if err != nil {
		m.b.logger.Warn("metrics: reading the volumes' I/O counters", "error", err)
		return server.NewFamilies([]*dto.MetricFamily{up(0)})
	}
	vols := make([]string, 0, len(stats))
	for v := range stats {
		vols = append(vols, v)
	}
	sort.Strings(vols)
	const n = 6
	series := make([][]*dto.Metric, n)
	for i := range series {
		series[i] = make([]*dto.Metric, 0, len(vols))
	}
	// One allocation for every series' value and label pair.
	counters := make([]dto.Counter, n*len(vols))
	metrics := make([]dto.Metric, n*len(vols))
	labels := make([]dto.LabelPair, len(vols))
	for j, v := range vols {
		st := stats[v]
		ticks := float64(st.GetTickRate())
		if ticks == 0 {
			ticks = 1 // no tick rate: no latencies either
		}
		labels[j] = dto.LabelPair{Name: proto.String("volume"), Value: proto.String(v)}
		lp := []*dto.LabelPair{&labels[j]}
		for i, val := range [n]float64{float64(st.GetReadOps()), float64(st.GetWriteOps()), float64(st.GetReadBytes()),
			float64(st.GetWriteBytes()), float64(st.GetReadLatencyTicks()) / ticks, float64(st.GetWriteLatencyTicks()) / ticks} {
			k := i*len(vols) + j
			counters[k].Value = proto.Float64(val)
			metrics[k] = dto.Metric{Label: lp, Counter: &counters[k]}
			series[i] = append(series[i], &metrics[k])
		}
	}
	fams := []*dto.MetricFamily{up(1)}
	for i, d := range []familySpec{m.readOps, m.writeOps, m.readBytes, m.writeBytes, m.readLatency, m.writeLatency} {
		fams = append(fams, family(d, dto.MetricType_COUNTER, series[i]))
	}
	return server.NewFamilies(append(fams, m.readSubsystems(ctx)...))
}

// readSubsystems counts, per stored NVMe-oF subsystem SPDK holds, the
// host controllers connected and their queue pairs (two calls per
// subsystem, in the same bounded-age read as the volumes' counters). A
// subsystem SPDK lacks has no series; when SPDK cannot be read at all
// the two families are missing (opi_storage_volume_stats_up says so).
func (m *metrics) readSubsystems(ctx context.Context) []*dto.MetricFamily {
	type load struct {
		name          string
		ctrls, qpairs int
	}
	var loads []load
	r := adapter.Reader{C: m.b.spdk}
	err := m.b.storage.NvmeSubsystems.Collection().Walk(ctx, func(s *pb.NvmeSubsystem) error {
		c, q, err := r.SubsystemLoad(ctx, s.GetNqn())
		switch {
		case errors.Is(err, errdefs.ErrUnavailable), ctx.Err() != nil:
			return err // SPDK cannot be read now
		case err != nil:
			return nil // stored, not in SPDK now (its status says so)
		}
		loads = append(loads, load{s.GetName(), c, q})
		return nil
	})
	if err != nil {
		m.b.logger.Warn("metrics: reading the NVMe-oF subsystems' controllers", "error", err)
		return nil
	}
	if len(loads) == 0 {
		return nil // an exposition has no empty families
	}
	sort.Slice(loads, func(i, j int) bool { return loads[i].name < loads[j].name })
	ctrls := make([]*dto.Metric, len(loads))
	qps := make([]*dto.Metric, len(loads))
	for i, l := range loads {
		lp := []*dto.LabelPair{{Name: proto.String("subsystem"), Value: proto.String(l.name)}}
		ctrls[i] = &dto.Metric{Label: lp, Gauge: &dto.Gauge{Value: proto.Float64(float64(l.ctrls))}}
		qps[i] = &dto.Metric{Label: lp, Gauge: &dto.Gauge{Value: proto.Float64(float64(l.qpairs))}}
	}
	return []*dto.MetricFamily{family(m.controllers, dto.MetricType_GAUGE, ctrls), family(m.qpairs, dto.MetricType_GAUGE, qps)}
}

// family builds the metric family spec names with the given series.
func family(f familySpec, typ dto.MetricType, ms []*dto.Metric) *dto.MetricFamily {
	return &dto.MetricFamily{Name: proto.String(f.name), Help: proto.String(f.help), Type: typ.Enum(), Metric: ms}
}

// readCache holds the last read of an expensive backend listing for
// scrapes. A scrape that finds it older than maxAge starts one read (never
// two at once) and waits up to wait for it; a read that takes longer
// finishes in the background and the scrape serves the previous one, so
// a scrape stays quick however many volumes there are and SPDK is read at
// most once per maxAge, only when someone scrapes. The first scrape waits
// for the first read (bounded by scrapeTimeout).
type readCache struct {
	read   func() *server.Families
	maxAge time.Duration
	wait   time.Duration

	mu       sync.Mutex
	last     *server.Families
	at       time.Time     // when last was read; zero before the first read
	inflight chan struct{} // closed when the running read ends; nil when none runs
}

// get returns the freshest read available within the wait, and when it
// was made.
func (c *readCache) get() (*server.Families, time.Time) {
	c.mu.Lock()
	if c.inflight == nil && time.Since(c.at) > c.maxAge {
		done := make(chan struct{})
		c.inflight = done
		go func() {
			ms := c.read()
			c.mu.Lock()
			c.last, c.at, c.inflight = ms, time.Now(), nil
			c.mu.Unlock()
			close(done)
		}()
	}
	inflight, first := c.inflight, c.at.IsZero()
	c.mu.Unlock()
	if inflight != nil {
		if first {
			<-inflight
		} else {
			t := time.NewTimer(c.wait)
			select {
			case <-inflight:
			case <-t.C:
			}
			t.Stop()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last, c.at
}
