package bridge_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/standin"
)

// The prefix-heavy workload: groups of requests that share a long system
// prompt (a RAG or agent template) and differ in a short question, sent by
// concurrent clients to four model servers whose prefix caches hold about
// two templates each. A router that keeps each template on one server
// turns prefill into cache hits; round-robin makes every server see every
// template and evict them.
const (
	benchServers     = 4
	benchGroups      = 8
	benchPerGroup    = 60
	benchClients     = 32
	benchPromptBlks  = 100
	benchCacheBlocks = 400
)

func benchStandins(b *testing.B) []*standin.Server {
	return standins(b, benchServers, standin.Config{
		MaxRunning: 4, PrefixCacheBlocks: benchCacheBlocks, BaseTTFT: 2 * time.Millisecond,
		PrefillPerBlock: 2 * time.Millisecond, TokenInterval: time.Millisecond, OutputTokens: 8,
	})
}

// roundRobin is the baseline: a reverse proxy that sends request i to
// server i mod n, streaming flushed at once as the bridge's proxy does.
func roundRobin(ss []*standin.Server) http.Handler {
	var next atomic.Uint64
	return &httputil.ReverseProxy{
		FlushInterval: -1,
		Rewrite: func(r *httputil.ProxyRequest) {
			s := ss[int(next.Add(1)-1)%len(ss)]
			r.SetURL(&url.URL{Scheme: "http", Host: s.Addr()})
		},
	}
}

type result struct {
	p50, p90 time.Duration
	rps      float64
	hitRate  float64
}

// runWorkload sends the workload to base and measures each request's time
// to first byte of its streamed answer. With rate > 0 requests arrive at
// that many per second whatever the answers (open loop, as users do);
// with rate 0, benchClients clients each send their next request when the
// last is answered (closed loop: the most the servers can take).
func runWorkload(b *testing.B, base string, ss []*standin.Server, rate float64) result {
	var mu sync.Mutex
	var ttfts []time.Duration
	one := func(group, i int) {
		body := chat("model", longPrompt(fmt.Sprintf("tenant %d", group), benchPromptBlks), fmt.Sprintf("question %d", i), true)
		t0 := time.Now()
		resp := post(b, context.Background(), base, body)
		rd := bufio.NewReader(resp.Body)
		if _, err := rd.ReadByte(); err != nil {
			b.Errorf("no answer: %v", err)
		}
		d := time.Since(t0)
		_, _ = io.Copy(io.Discard, rd)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Errorf("HTTP %d", resp.StatusCode)
		}
		mu.Lock()
		ttfts = append(ttfts, d)
		mu.Unlock()
	}
	type job struct{ group, i int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	start := time.Now()
	if rate == 0 {
		for range benchClients {
			wg.Go(func() {
				for j := range jobs {
					one(j.group, j.i)
				}
			})
		}
	}
	tick := time.Duration(float64(time.Second) / max(rate, 1))
	n := 0
	// The groups in a random order (the same for every run), as users of
	// different templates come: a fixed rotation would line up with
	// round-robin's and hand it stickiness by chance.
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range benchPerGroup {
		for range benchGroups {
			g := rnd.IntN(benchGroups)
			if rate == 0 {
				jobs <- job{g, i}
				continue
			}
			time.Sleep(time.Until(start.Add(time.Duration(n) * tick)))
			n++
			wg.Go(func() { one(g, i) })
		}
	}
	close(jobs)
	wg.Wait()
	wall := time.Since(start)
	slices.Sort(ttfts)
	var q, h uint64
	for _, s := range ss {
		st := s.Stats()
		q, h = q+st.PrefixQueries, h+st.PrefixHits
	}
	return result{
		p50: ttfts[len(ttfts)/2], p90: ttfts[len(ttfts)*9/10],
		rps: float64(len(ttfts)) / wall.Seconds(), hitRate: float64(h) / float64(max(q, 1)),
	}
}

func report(b *testing.B, r result) {
	b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50-ttft-ms")
	b.ReportMetric(float64(r.p90.Microseconds())/1000, "p90-ttft-ms")
	b.ReportMetric(r.rps, "req/s")
	b.ReportMetric(r.hitRate*100, "prefix-hit-%")
}

// BenchmarkPrefixHeavy runs the same workload through the bridge's picker
// and through round-robin, each on fresh stand-ins (cold caches), side by
// side: at a fixed arrival rate (TTFT under load) and closed loop (the
// throughput each reaches).
func BenchmarkPrefixHeavy(b *testing.B) {
	for _, load := range []struct {
		name string
		rate float64
	}{{"open-100rps", 100}, {"closed-32clients", 0}} {
		b.Run(load.name+"/picker", func(b *testing.B) {
			for range b.N {
				f := start(b)
				ss := benchStandins(b)
				f.createPool(b, "bench", ss, func(p *aiv1.InferencePool) { p.ScrapeIntervalMs = 100 })
				report(b, runWorkload(b, f.proxy, ss, load.rate))
			}
		})
		b.Run(load.name+"/round-robin", func(b *testing.B) {
			for range b.N {
				ss := benchStandins(b)
				rr := httptest.NewServer(roundRobin(ss))
				report(b, runWorkload(b, rr.URL, ss, load.rate))
				rr.Close()
			}
		})
	}
}

// BenchmarkProxyOverhead is the cost of one request through the bridge's
// proxy (parse, pick, forward, stream back) against a direct call, on a
// stand-in that answers at once.
func BenchmarkProxyOverhead(b *testing.B) {
	ss := standins(b, 1, standin.Config{BaseTTFT: time.Microsecond, PrefillPerBlock: time.Nanosecond, TokenInterval: time.Nanosecond, OutputTokens: 1})
	f := start(b)
	f.createPool(b, "bench", ss, nil)
	body := chat("model", longPrompt("overhead", 4), "q", false)
	for _, tc := range []struct{ name, base string }{{"direct", "http://" + ss[0].Addr()}, {"proxy", f.proxy}} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if st, _, _ := do(b, tc.base, body); st != http.StatusOK {
					b.Fatalf("HTTP %d", st)
				}
			}
		})
	}
}
