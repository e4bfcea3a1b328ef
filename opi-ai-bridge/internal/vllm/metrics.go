// Package vllm reads a model server's load from its Prometheus metrics, in
// the names vLLM exports (and llm-d, the Gateway API Inference Extension's
// endpoint picker and this module's stand-in read): requests waiting and
// running, KV-cache use and the LoRA adapters loaded.
package vllm

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"

	"github.com/opi-suite/opi/opi-ai-bridge/inference"
)

// The metric names read.
const (
	MetricWaiting = "vllm:num_requests_waiting"
	MetricRunning = "vllm:num_requests_running"
	// MetricKVCache is the KV-cache use, 0 to 1, as vLLM v1 names it;
	// MetricGPUCache is its older name, read when the new one is absent.
	MetricKVCache  = "vllm:kv_cache_usage_perc"
	MetricGPUCache = "vllm:gpu_cache_usage_perc"
	// MetricLoRA is an info gauge whose labels name the adapters loaded.
	MetricLoRA = "vllm:lora_requests_info"
)

// Scraper implements inference.Scraper over HTTP.
type Scraper struct {
	client *http.Client
}

// NewScraper returns a scraper whose requests time out after timeout.
func NewScraper(timeout time.Duration) *Scraper {
	return &Scraper{client: &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}}}
}

// Scrape implements inference.Scraper.
func (s *Scraper) Scrape(ctx context.Context, endpoint, path string) (inference.Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+endpoint+path, nil)
	if err != nil {
		return inference.Metrics{}, errdefs.Wrap(errdefs.ErrInvalidArgument, err)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return inference.Metrics{}, errdefs.Wrap(errdefs.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return inference.Metrics{}, errdefs.Unavailablef("%s%s answered %s", endpoint, path, resp.Status)
	}
	return Parse(io.LimitReader(resp.Body, 8<<20))
}

// Parse reads the Prometheus text format and sums the load metrics over
// their label sets (one per model).
func Parse(r io.Reader) (inference.Metrics, error) {
	var m inference.Metrics
	var kv, gpu float64
	var haveKV, haveGPU bool
	loraTS := -1.0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, labels, value, ok := parseLine(line)
		if !ok {
			continue
		}
		switch name {
		case MetricWaiting:
			m.Waiting += value
		case MetricRunning:
			m.Running += value
		case MetricKVCache:
			kv, haveKV = max(kv, value), true
		case MetricGPUCache:
			gpu, haveGPU = max(gpu, value), true
		case MetricLoRA:
			// One series per change; its value is the time of the change,
			// so the newest says what is loaded now.
			if value >= loraTS {
				loraTS = value
				m.LoRAAdapters = nil
				for _, key := range []string{"running_lora_adapters", "waiting_lora_adapters"} {
					for _, a := range strings.Split(labels[key], ",") {
						if a = strings.TrimSpace(a); a != "" {
							m.LoRAAdapters = append(m.LoRAAdapters, a)
						}
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return inference.Metrics{}, errdefs.Wrap(errdefs.ErrUnavailable, fmt.Errorf("reading metrics: %w", err))
	}
	switch {
	case haveKV:
		m.KVCacheUsage = kv
	case haveGPU:
		m.KVCacheUsage = gpu
	}
	return m, nil
}

// parseLine splits `name{a="b",c="d"} value [timestamp]`.
func parseLine(line string) (name string, labels map[string]string, value float64, ok bool) {
	i := strings.IndexAny(line, "{ \t")
	if i < 0 {
		return "", nil, 0, false
	}
	name, rest := line[:i], line[i:]
	if rest[0] == '{' {
		labels = map[string]string{}
		j := 1
		for {
			for j < len(rest) && (rest[j] == ',' || rest[j] == ' ') {
				j++
			}
			if j >= len(rest) {
				return "", nil, 0, false
			}
			if rest[j] == '}' {
				j++
				break
			}
			eq := strings.IndexByte(rest[j:], '=')
			if eq < 0 || j+eq+1 >= len(rest) || rest[j+eq+1] != '"' {
				return "", nil, 0, false
			}
			key := strings.TrimSpace(rest[j : j+eq])
			k := j + eq + 2
			var val strings.Builder
			for ; k < len(rest) && rest[k] != '"'; k++ {
				if rest[k] == '\\' && k+1 < len(rest) {
					k++
					switch rest[k] {
					case 'n':
						val.WriteByte('\n')
						continue
					}
				}
				val.WriteByte(rest[k])
			}
			if k >= len(rest) {
				return "", nil, 0, false
			}
			labels[key] = val.String()
			j = k + 1
		}
		rest = rest[j:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", nil, 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return "", nil, 0, false
	}
	return name, labels, v, true
}
