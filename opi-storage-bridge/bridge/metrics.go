package bridge

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
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
	statsAge     *prometheus.Desc
	statsUp      *prometheus.Desc
	readOps      *prometheus.Desc
	writeOps     *prometheus.Desc
	readBytes    *prometheus.Desc
	writeBytes   *prometheus.Desc
	readLatency  *prometheus.Desc
	writeLatency *prometheus.Desc
}

func newMetrics(b *Bridge) *metrics {
	volume := []string{"volume"}
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
		statsAge: prometheus.NewDesc("opi_storage_volume_stats_age_seconds",
			"Age of the volumes' I/O counters this scrape shows: they are read from SPDK at most once a second, and a scrape waits for a read at most 50 ms before it shows the previous one.", nil, nil),
		statsUp: prometheus.NewDesc("opi_storage_volume_stats_up",
			"1 when this scrape read the volumes' I/O counters from the backend, 0 when it could not (the opi_storage_volume_* series are missing then).", nil, nil),
		readOps: prometheus.NewDesc("opi_storage_volume_read_ops_total",
			"Read operations completed by the volume's bdev (SPDK's bdev_get_iostat).", volume, nil),
		writeOps: prometheus.NewDesc("opi_storage_volume_write_ops_total",
			"Write operations completed by the volume's bdev.", volume, nil),
		readBytes: prometheus.NewDesc("opi_storage_volume_read_bytes_total",
			"Bytes read from the volume's bdev.", volume, nil),
		writeBytes: prometheus.NewDesc("opi_storage_volume_write_bytes_total",
			"Bytes written to the volume's bdev.", volume, nil),
		readLatency: prometheus.NewDesc("opi_storage_volume_read_latency_seconds_total",
			"Sum of the latencies of the volume's reads; divided by the rate of read_ops it is the mean read latency.", volume, nil),
		writeLatency: prometheus.NewDesc("opi_storage_volume_write_latency_seconds_total",
			"Sum of the latencies of the volume's writes.", volume, nil),
	}
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
	for _, d := range []*prometheus.Desc{m.resources, m.statsAge, m.statsUp, m.readOps, m.writeOps, m.readBytes, m.writeBytes, m.readLatency, m.writeLatency} {
		ch <- d
	}
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
	vols, at := m.volumes.get()
	for _, v := range vols {
		ch <- v
	}
	ch <- prometheus.MustNewConstMetric(m.statsAge, prometheus.GaugeValue, time.Since(at).Seconds())
}

// readVolumes reads every volume's I/O counters (one bdev_get_iostat)
// and returns them as metrics, opi_storage_volume_stats_up among them.
func (m *metrics) readVolumes() []prometheus.Metric {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	stats, err := m.b.storage.EachVolumeStats(ctx)
	if err != nil {
		m.b.logger.Warn("metrics: reading the volumes' I/O counters", "error", err)
		return []prometheus.Metric{prometheus.MustNewConstMetric(m.statsUp, prometheus.GaugeValue, 0)}
	}
	out := make([]prometheus.Metric, 0, 1+6*len(stats))
	out = append(out, prometheus.MustNewConstMetric(m.statsUp, prometheus.GaugeValue, 1))
	for v, st := range stats {
		ticks := float64(st.GetTickRate())
		if ticks == 0 {
			ticks = 1 // no tick rate: no latencies either
		}
		out = append(out,
			prometheus.MustNewConstMetric(m.readOps, prometheus.CounterValue, float64(st.GetReadOps()), v),
			prometheus.MustNewConstMetric(m.writeOps, prometheus.CounterValue, float64(st.GetWriteOps()), v),
			prometheus.MustNewConstMetric(m.readBytes, prometheus.CounterValue, float64(st.GetReadBytes()), v),
			prometheus.MustNewConstMetric(m.writeBytes, prometheus.CounterValue, float64(st.GetWriteBytes()), v),
			prometheus.MustNewConstMetric(m.readLatency, prometheus.CounterValue, float64(st.GetReadLatencyTicks())/ticks, v),
			prometheus.MustNewConstMetric(m.writeLatency, prometheus.CounterValue, float64(st.GetWriteLatencyTicks())/ticks, v))
	}
	return out
}

// readCache holds the last read of an expensive backend listing for
// scrapes. A scrape that finds it older than maxAge starts one read (never
// two at once) and waits up to wait for it; a read that takes longer
// finishes in the background and the scrape serves the previous one, so
// a scrape stays quick however many volumes there are and SPDK is read at
// most once per maxAge, only when someone scrapes. The first scrape waits
// for the first read (bounded by scrapeTimeout).
type readCache struct {
	read   func() []prometheus.Metric
	maxAge time.Duration
	wait   time.Duration

	mu       sync.Mutex
	last     []prometheus.Metric
	at       time.Time     // when last was read; zero before the first read
	inflight chan struct{} // closed when the running read ends; nil when none runs
}

// get returns the freshest read available within the wait, and when it
// was made.
func (c *readCache) get() ([]prometheus.Metric, time.Time) {
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
