package inference

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Metrics is an endpoint's load as its metrics say.
type Metrics struct {
	// Waiting is the number of requests queued (vllm:num_requests_waiting).
	Waiting float64
	// Running is the number of requests being served (vllm:num_requests_running).
	Running float64
	// KVCacheUsage is the share of the KV cache in use, 0 to 1
	// (vllm:kv_cache_usage_perc).
	KVCacheUsage float64
	// LoRAAdapters are the adapters loaded or loading
	// (vllm:lora_requests_info).
	LoRAAdapters []string
}

// Scraper reads an endpoint's metrics. The bridge's is internal/vllm's;
// its errors are classified (Unavailable for an endpoint that does not
// answer).
type Scraper interface {
	Scrape(ctx context.Context, endpoint, path string) (Metrics, error)
}

// TTFTBuckets are the upper bounds, in seconds, of the time-to-first-byte
// histogram of each endpoint.
var TTFTBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// Endpoint is one model server of a pool as the picker and the proxy see
// it: its last scraped metrics, the requests in flight to it and its
// counters.
type Endpoint struct {
	addr string

	mu         sync.Mutex
	metrics    Metrics
	healthy    bool
	lastScrape time.Time
	lastErr    string

	inflight atomic.Int64
	requests atomic.Uint64
	errors   atomic.Uint64
	ttft     []atomic.Uint64 // one per TTFTBuckets, then +Inf; not cumulative
}

func newEndpoint(addr string) *Endpoint {
	return &Endpoint{addr: addr, ttft: make([]atomic.Uint64, len(TTFTBuckets)+1), lastErr: "not scraped yet"}
}

// Addr returns "host:port".
func (e *Endpoint) Addr() string { return e.addr }

// Healthy says whether the last scrape succeeded.
func (e *Endpoint) Healthy() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.healthy
}

func (e *Endpoint) snapshot() (Metrics, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.metrics, e.healthy
}

func (e *Endpoint) scraped(m Metrics, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.healthy, e.lastErr = false, err.Error()
		return
	}
	e.metrics, e.healthy, e.lastScrape, e.lastErr = m, true, time.Now(), ""
}

// markDown takes the endpoint out of picks until its next good scrape: a
// connection to it was refused.
func (e *Endpoint) markDown(err error) { e.scraped(Metrics{}, err) }

// Begin counts a request sent to the endpoint; call the returned
// functions when its first byte arrives (firstByte, at most once) and when
// it ends (done, with whether it failed).
func (e *Endpoint) Begin() (firstByte func(), done func(failed bool)) {
	start := time.Now()
	e.inflight.Add(1)
	e.requests.Add(1)
	var once sync.Once
	firstByte = func() {
		once.Do(func() {
			d := time.Since(start).Seconds()
			i, _ := slices.BinarySearch(TTFTBuckets, d)
			e.ttft[i].Add(1)
		})
	}
	done = func(failed bool) {
		e.inflight.Add(-1)
		if failed {
			e.errors.Add(1)
		}
	}
	return firstByte, done
}

// Stats returns the endpoint's counters and last metrics.
func (e *Endpoint) Stats() *aiv1.EndpointStats {
	m, healthy := e.snapshot()
	e.mu.Lock()
	last, msg := e.lastScrape, e.lastErr
	e.mu.Unlock()
	st := &aiv1.EndpointStats{
		Endpoint: e.addr, Healthy: healthy, Requests: e.requests.Load(), Errors: e.errors.Load(),
		RequestsWaiting: m.Waiting, RequestsRunning: m.Running, KvCacheUsage: m.KVCacheUsage,
		LoraAdapters: m.LoRAAdapters, Message: msg,
	}
	if !last.IsZero() {
		st.LastScrapeTime = timestamppb.New(last)
	}
	var cum uint64
	for i := range e.ttft {
		cum += e.ttft[i].Load()
		ub := inf
		if i < len(TTFTBuckets) {
			ub = TTFTBuckets[i]
		}
		st.Ttft = append(st.Ttft, &aiv1.HistogramBucket{UpperBoundSeconds: ub, Count: cum})
	}
	return st
}
