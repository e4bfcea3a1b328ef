// Package standin is a model server stand-in for tests, benchmarks and the
// compose demo: it speaks the OpenAI-compatible API (chat completions and
// completions, streamed as server-sent events or not) and KServe's Open
// Inference Protocol over gRPC (on the same port), exports vLLM's load
// metrics, and behaves like a model server where routing matters: a queue
// in front of a few running slots, a KV cache of fixed capacity that
// running requests fill, and a prefix cache whose hits skip prefill, so
// that a request whose prompt prefix the server saw recently has a short
// time to first token. It does no inference: the answer is made up.
package standin

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/openai"
)

// BlockSize is the stand-in's prefix-cache block, in prompt bytes.
const BlockSize = 64

// Config shapes a stand-in. Zero fields take the defaults in brackets.
type Config struct {
	// Name identifies the server in the X-Standin-Name answer header.
	Name string
	// Models are the served model names ["model"].
	Models []string
	// LoRAAdapters are the adapters it has loaded (reported in
	// vllm:lora_requests_info and served as models).
	LoRAAdapters []string
	// MaxRunning is how many requests run at once [4]; more wait.
	MaxRunning int
	// KVCapacityBlocks is the KV cache's size in blocks [4096]; a running
	// request holds one block per BlockSize bytes of prompt plus one, and
	// a request waits while the cache has no room for it.
	KVCapacityBlocks int
	// PrefixCacheBlocks is how many prompt blocks the prefix cache keeps,
	// least recently used dropped first [1024].
	PrefixCacheBlocks int
	// BaseTTFT is the time to the first token of a fully cached prompt [1ms].
	BaseTTFT time.Duration
	// PrefillPerBlock is the prefill time of each prompt block not in the
	// prefix cache [1ms].
	PrefillPerBlock time.Duration
	// TokenInterval is the time between output tokens [1ms].
	TokenInterval time.Duration
	// OutputTokens is the answer's length without max_tokens [8].
	OutputTokens int
}

// Server is a running stand-in.
type Server struct {
	cfg     Config
	created int64

	mu      sync.Mutex
	cond    *sync.Cond
	waiting int
	running int
	kvUsed  int
	paused  bool
	cache   *lru
	queries uint64
	hits    uint64
	reqs    uint64
	done    uint64

	srv  *http.Server
	grpc *grpc.Server
	ln   net.Listener
}

// New returns a stand-in with cfg; serve it with Start or Handler.
func New(cfg Config) *Server {
	if len(cfg.Models) == 0 {
		cfg.Models = []string{"model"}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.MaxRunning, 4)
	def(&cfg.KVCapacityBlocks, 4096)
	def(&cfg.PrefixCacheBlocks, 1024)
	def(&cfg.OutputTokens, 8)
	defd := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	defd(&cfg.BaseTTFT, time.Millisecond)
	defd(&cfg.PrefillPerBlock, time.Millisecond)
	defd(&cfg.TokenInterval, time.Millisecond)
	s := &Server{cfg: cfg, created: time.Now().Unix(), cache: newLRU(cfg.PrefixCacheBlocks)}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// Start serves the stand-in on addr ("127.0.0.1:0" for any port).
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	// One port for both protocols, as the bridge scrapes metrics from the
	// endpoint's own port by default: HTTP/1.1 for the OpenAI API and the
	// metrics, HTTP/2 without TLS (prior knowledge) for OIP over gRPC.
	s.grpc = grpc.NewServer()
	inferencepb.RegisterGRPCInferenceServiceServer(s.grpc, &oipServer{s: s})
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s.srv = &http.Server{Handler: s.mux(), ReadHeaderTimeout: 10 * time.Second, Protocols: &protocols}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// Name returns the server's name.
func (s *Server) Name() string { return s.cfg.Name }

// Addr returns the address Start listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Kill stops the server as a crash would: the listener and every
// connection, in-flight answers included, are closed at once.
func (s *Server) Kill() {
	_ = s.srv.Close()
	s.Resume()
}

// Pause holds every request that has not started in the queue until
// Resume: a way for a test to build a queue.
func (s *Server) Pause() {
	s.mu.Lock()
	s.paused = true
	s.mu.Unlock()
}

// Resume lets queued requests run.
func (s *Server) Resume() {
	s.mu.Lock()
	s.paused = false
	s.mu.Unlock()
	s.cond.Broadcast()
}

// Stats are the stand-in's counters.
type Stats struct {
	Requests, Waiting, Running int
	// Succeeded counts the requests answered to the end.
	Succeeded int
	// PrefixQueries and PrefixHits count prompt blocks looked up in and
	// found in the prefix cache.
	PrefixQueries, PrefixHits uint64
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Requests: int(s.reqs), Succeeded: int(s.done), Waiting: s.waiting, Running: s.running, PrefixQueries: s.queries, PrefixHits: s.hits}
}

// mux sends gRPC requests to the OIP server and the rest to Handler.
func (s *Server) mux() http.Handler {
	h := s.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
			s.grpc.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Handler returns the stand-in's HTTP API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+openai.ChatCompletions, func(w http.ResponseWriter, r *http.Request) { s.complete(w, r, true) })
	mux.HandleFunc("POST "+openai.Completions, func(w http.ResponseWriter, r *http.Request) { s.complete(w, r, false) })
	mux.HandleFunc("GET "+openai.Models, s.models)
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return mux
}

func (s *Server) serves(model string) bool {
	return slices.Contains(s.cfg.Models, model) || slices.Contains(s.cfg.LoRAAdapters, model)
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	var data []map[string]any
	for _, m := range append(slices.Clone(s.cfg.Models), s.cfg.LoRAAdapters...) {
		data = append(data, map[string]any{"id": m, "object": "model", "created": s.created, "owned_by": "standin"})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
}

func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	waiting, running, kv, q, h, done := s.waiting, s.running, float64(s.kvUsed)/float64(s.cfg.KVCapacityBlocks), s.queries, s.hits, s.done
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	m := s.cfg.Models[0]
	fmt.Fprintf(w, "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n# TYPE vllm:num_requests_waiting gauge\n")
	fmt.Fprintf(w, "vllm:num_requests_waiting{model_name=%q} %d\n", m, waiting)
	fmt.Fprintf(w, "# HELP vllm:num_requests_running Number of requests in model execution batches.\n# TYPE vllm:num_requests_running gauge\n")
	fmt.Fprintf(w, "vllm:num_requests_running{model_name=%q} %d\n", m, running)
	fmt.Fprintf(w, "# HELP vllm:kv_cache_usage_perc KV-cache usage. 1 means 100 percent usage.\n# TYPE vllm:kv_cache_usage_perc gauge\n")
	fmt.Fprintf(w, "vllm:kv_cache_usage_perc{model_name=%q} %g\n", m, kv)
	fmt.Fprintf(w, "# HELP vllm:prefix_cache_queries_total Prefix cache queries, in blocks.\n# TYPE vllm:prefix_cache_queries_total counter\n")
	fmt.Fprintf(w, "vllm:prefix_cache_queries_total{model_name=%q} %d\n", m, q)
	fmt.Fprintf(w, "# HELP vllm:prefix_cache_hits_total Prefix cache hits, in blocks.\n# TYPE vllm:prefix_cache_hits_total counter\n")
	fmt.Fprintf(w, "vllm:prefix_cache_hits_total{model_name=%q} %d\n", m, h)
	fmt.Fprintf(w, "# HELP vllm:request_success_total Count of successfully processed requests.\n# TYPE vllm:request_success_total counter\n")
	fmt.Fprintf(w, "vllm:request_success_total{finished_reason=\"length\",model_name=%q} %d\n", m, done)
	fmt.Fprintf(w, "# HELP vllm:lora_requests_info Running stats on lora requests.\n# TYPE vllm:lora_requests_info gauge\n")
	fmt.Fprintf(w, "vllm:lora_requests_info{max_lora=\"%d\",running_lora_adapters=%q,waiting_lora_adapters=\"\"} %d\n",
		max(len(s.cfg.LoRAAdapters), 1), strings.Join(s.cfg.LoRAAdapters, ","), s.created)
}

// admit waits for a running slot and KV room for blocks, and returns the
// function that gives them back.
func (s *Server) admit(ctx context.Context, blocks int) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waiting++
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.cond.Broadcast()
	})
	defer stop()
	for s.paused || s.running >= s.cfg.MaxRunning || (s.kvUsed+blocks > s.cfg.KVCapacityBlocks && s.running > 0) {
		if ctx.Err() != nil {
			s.waiting--
			return nil, false
		}
		s.cond.Wait()
	}
	s.waiting--
	s.running++
	s.kvUsed += blocks
	return func() {
		s.mu.Lock()
		s.running--
		s.kvUsed -= blocks
		s.mu.Unlock()
		s.cond.Broadcast()
	}, true
}

// prefill looks the prompt's blocks up in the prefix cache and returns how
// many were not there; it caches them all.
func (s *Server) prefill(prompt string) (missed int) {
	h := fnv.New64a()
	var hashes []uint64
	for i := 0; (i+1)*BlockSize <= len(prompt); i++ {
		_, _ = h.Write([]byte(prompt[i*BlockSize : (i+1)*BlockSize]))
		hashes = append(hashes, h.Sum64()) // chained: fnv keeps its state
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	hit := true
	for _, k := range hashes {
		s.queries++
		if hit && s.cache.get(k) {
			s.hits++
			continue
		}
		hit = false
		missed++
	}
	for _, k := range hashes {
		s.cache.put(k)
	}
	return missed + 1 // the tail shorter than a block is never cached
}

func (s *Server) complete(w http.ResponseWriter, r *http.Request, chat bool) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		return
	}
	req, err := openai.Parse(body)
	if err != nil {
		openai.WriteError(w, http.StatusBadRequest, "invalid_request_error", "bad_request", err.Error())
		return
	}
	if !s.serves(req.Model) {
		openai.WriteError(w, http.StatusNotFound, "invalid_request_error", "model_not_found", fmt.Sprintf("the model %q does not exist", req.Model))
		return
	}
	prompt := req.PromptText()
	s.mu.Lock()
	s.reqs++
	s.mu.Unlock()
	release, ok := s.admit(r.Context(), len(prompt)/BlockSize+1)
	if !ok {
		return
	}
	defer release()
	missed := s.prefill(prompt)
	if !sleep(r.Context(), s.cfg.BaseTTFT+time.Duration(missed)*s.cfg.PrefillPerBlock) {
		return
	}
	n := req.MaxTokens
	if n <= 0 {
		n = s.cfg.OutputTokens
	}
	id := fmt.Sprintf("cmpl-%s-%x", s.cfg.Name, fnv64(body))
	w.Header().Set("X-Standin-Name", s.cfg.Name)
	tokens := make([]string, n)
	for i := range tokens {
		tokens[i] = fmt.Sprintf("tok%d ", i)
	}
	if !req.Stream {
		for range n - 1 {
			if !sleep(r.Context(), s.cfg.TokenInterval) {
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if json.NewEncoder(w).Encode(s.final(id, req.Model, chat, strings.Join(tokens, ""), len(prompt)/4, n)) == nil {
			s.succeeded()
		}
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	fl, _ := w.(http.Flusher)
	for i, t := range tokens {
		if i > 0 && !sleep(r.Context(), s.cfg.TokenInterval) {
			return
		}
		var finish any
		if i == n-1 {
			finish = "length"
		}
		b, _ := json.Marshal(s.chunk(id, req.Model, chat, t, finish))
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return
		}
		if fl != nil {
			fl.Flush()
		}
	}
	if _, err := io.WriteString(w, "data: [DONE]\n\n"); err == nil {
		s.succeeded()
	}
}

func (s *Server) succeeded() {
	s.mu.Lock()
	s.done++
	s.mu.Unlock()
}

func (s *Server) final(id, model string, chat bool, text string, promptTokens, n int) map[string]any {
	choice := map[string]any{"index": 0, "finish_reason": "length"}
	object := "text_completion"
	if chat {
		choice["message"] = map[string]any{"role": "assistant", "content": text}
		object = "chat.completion"
	} else {
		choice["text"] = text
	}
	return map[string]any{"id": id, "object": object, "created": s.created, "model": model, "choices": []any{choice},
		"usage": map[string]any{"prompt_tokens": promptTokens, "completion_tokens": n, "total_tokens": promptTokens + n}}
}

func (s *Server) chunk(id, model string, chat bool, text string, finish any) map[string]any {
	choice := map[string]any{"index": 0, "finish_reason": finish}
	object := "text_completion"
	if chat {
		choice["delta"] = map[string]any{"content": text}
		object = "chat.completion.chunk"
	} else {
		choice["text"] = text
	}
	return map[string]any{"id": id, "object": object, "created": s.created, "model": model, "choices": []any{choice}}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func fnv64(b []byte) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}

// lru is a set of block hashes of bounded size.
type lru struct {
	cap   int
	order *list.List
	items map[uint64]*list.Element
}

func newLRU(n int) *lru { return &lru{cap: n, order: list.New(), items: map[uint64]*list.Element{}} }

func (c *lru) get(k uint64) bool {
	if e, ok := c.items[k]; ok {
		c.order.MoveToFront(e)
		return true
	}
	return false
}

func (c *lru) put(k uint64) {
	if c.get(k) {
		return
	}
	c.items[k] = c.order.PushFront(k)
	for c.order.Len() > c.cap {
		e := c.order.Back()
		c.order.Remove(e)
		delete(c.items, e.Value.(uint64))
	}
}
