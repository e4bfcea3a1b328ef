// Package inference is the AI bridge's inference domain: inference pools
// (stored intent, on opi-kit/resource), the scraping of their endpoints'
// metrics, and the endpoint picker that the API's PickEndpoint and the
// inference proxy ask where each request goes.
package inference

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/names"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

var poolKind = names.MustForMessage(&aiv1.InferencePool{})

// PoolPattern is the pools' resource name pattern, from the API.
var PoolPattern = aip.FromNames(poolKind.Pattern)

// Defaults of a pool's optional fields.
const (
	DefaultTargetPort      = 8000
	DefaultScrapeInterval  = time.Second
	DefaultMetricsPath     = "/metrics"
	DefaultSaturationQueue = 8
	DefaultSaturationKV    = 0.95
	prefixCapacity         = 1 << 16
)

// Config is what Pools needs.
type Config struct {
	// Store keeps the intent. Required.
	Store store.Store
	// Scraper reads the endpoints' metrics. Required.
	Scraper Scraper
	// Scorers, default DefaultScorers.
	Scorers func(saturationQueue float64) []WeightedScorer
	// Logger, default slog.Default().
	Logger *slog.Logger
}

// Pools is the inference domain: the stored pools and, for each, the
// running state the picker reads (endpoints, their metrics, the prefix
// index), kept while the pool exists.
type Pools struct {
	cfg  Config
	coll *resource.Collection[*aiv1.InferencePool]

	// writes serialises creates and updates from their model-name check
	// to their store write, so two of them cannot claim one model.
	writes  sync.Mutex
	mu      sync.Mutex // guards live (the collection's hooks take it too)
	live    map[string]*pool
	ctx     context.Context
	cancel  context.CancelFunc
	started bool
}

// New builds the domain on cfg.Store. Start begins serving the stored
// pools.
func New(cfg Config) (*Pools, error) {
	if cfg.Store == nil || cfg.Scraper == nil {
		return nil, fmt.Errorf("inference: a store and a scraper are required")
	}
	if cfg.Scorers == nil {
		cfg.Scorers = DefaultScorers
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	p := &Pools{cfg: cfg, live: map[string]*pool{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	var err error
	p.coll, err = resource.New[*aiv1.InferencePool](cfg.Store, poolKind.Collection(), PoolPattern,
		resource.WithBackend[*aiv1.InferencePool](hooks{p}))
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Start finishes interrupted changes and starts scraping every stored
// pool's endpoints.
func (p *Pools) Start(ctx context.Context) error {
	if err := p.coll.Recover(ctx); err != nil {
		return err
	}
	p.mu.Lock()
	p.started = true
	p.mu.Unlock()
	return p.coll.Walk(ctx, func(m *aiv1.InferencePool) error {
		p.apply(m)
		return nil
	})
}

// Close stops every pool's scraping.
func (p *Pools) Close() error {
	p.cancel()
	p.mu.Lock()
	live := p.live
	p.live = map[string]*pool{}
	p.mu.Unlock()
	for _, pl := range live {
		pl.stop()
	}
	return nil
}

// hooks is the collection's backend: the running state of each pool.
type hooks struct{ p *Pools }

func (h hooks) Create(_ context.Context, m *aiv1.InferencePool) error { h.p.apply(m); return nil }
func (h hooks) Update(_ context.Context, _, m *aiv1.InferencePool) error {
	h.p.apply(m)
	return nil
}
func (h hooks) Delete(_ context.Context, m *aiv1.InferencePool) error {
	h.p.mu.Lock()
	pl := h.p.live[m.GetName()]
	delete(h.p.live, m.GetName())
	h.p.mu.Unlock()
	if pl != nil {
		pl.stop()
	}
	return nil
}

// apply starts or reconfigures the running pool for m.
func (p *Pools) apply(m *aiv1.InferencePool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ctx.Err() != nil {
		return
	}
	if pl, ok := p.live[m.GetName()]; ok {
		pl.configure(m)
		return
	}
	pl := newPool(m, p.cfg)
	p.live[m.GetName()] = pl
	pl.start(p.ctx)
}

// Create validates and stores a pool and starts scraping its endpoints.
func (p *Pools) Create(ctx context.Context, id string, m *aiv1.InferencePool) (*aiv1.InferencePool, error) {
	name, err := PoolPattern.Format(id)
	if err != nil {
		return nil, err
	}
	if err := validate(m); err != nil {
		return nil, err
	}
	p.writes.Lock()
	defer p.writes.Unlock()
	if err := p.claimable(name, m); err != nil {
		return nil, err
	}
	return p.coll.Create(ctx, "", id, m)
}

// Get returns one pool.
func (p *Pools) Get(ctx context.Context, name string) (*aiv1.InferencePool, error) {
	return p.coll.Get(ctx, name)
}

// List returns one page of pools.
func (p *Pools) List(ctx context.Context, size int32, token string) ([]*aiv1.InferencePool, string, error) {
	return p.coll.List(ctx, "", size, token)
}

// Update changes a pool per mask.
func (p *Pools) Update(ctx context.Context, m *aiv1.InferencePool, mask *fieldmaskpb.FieldMask, allowMissing bool) (*aiv1.InferencePool, error) {
	// The merged pool is checked and written under one lock, so what is
	// stored is what was validated and claimed.
	p.writes.Lock()
	defer p.writes.Unlock()
	next := m
	old, err := p.coll.Get(ctx, m.GetName())
	switch {
	case err == nil:
		next = proto.Clone(old).(*aiv1.InferencePool)
		if err := aip.ApplyFieldMask(next, m, mask); err != nil {
			return nil, err
		}
	case !allowMissing || !errors.Is(err, errdefs.ErrNotFound):
		return nil, err
	}
	if err := validate(next); err != nil {
		return nil, err
	}
	if err := p.claimable(m.GetName(), next); err != nil {
		return nil, err
	}
	return p.coll.Update(ctx, m, mask, allowMissing)
}

// Delete removes a pool; its model names are routed no more.
func (p *Pools) Delete(ctx context.Context, name string, allowMissing bool) error {
	return p.coll.Delete(ctx, name, allowMissing)
}

// claimable checks that no other pool serves one of m's model names.
// Caller holds p.writes.
func (p *Pools) claimable(name string, m *aiv1.InferencePool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for other, pl := range p.live {
		if other == name {
			continue
		}
		for _, model := range m.GetServedModelNames() {
			if pl.serves(model) {
				return errdefs.AlreadyExistsf("model %q is served by %s already", model, other)
			}
		}
	}
	return nil
}

// ForModel returns the name of the pool that serves model (a served model
// name or an objective's LoRA adapter), or a NotFound error.
func (p *Pools) ForModel(model string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	names := make([]string, 0, len(p.live))
	for n := range p.live {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if p.live[n].serves(model) {
			return n, nil
		}
	}
	return "", errdefs.NotFoundf("no inference pool serves model %q", model)
}

// Protocol returns the protocol the model servers of pool name speak
// (OpenAI when the pool does not say).
func (p *Pools) Protocol(name string) (aiv1.InferenceProtocol, error) {
	pl, err := p.running(name)
	if err != nil {
		return 0, err
	}
	if pr := pl.specCopy().GetProtocol(); pr != aiv1.InferenceProtocol_INFERENCE_PROTOCOL_UNSPECIFIED {
		return pr, nil
	}
	return aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OPENAI, nil
}

// Serving returns the names of the pools whose model servers speak
// protocol (OpenAI covers the pools that do not say), sorted.
func (p *Pools) Serving(protocol aiv1.InferenceProtocol) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for n, pl := range p.live {
		pr := pl.specCopy().GetProtocol()
		if pr == aiv1.InferenceProtocol_INFERENCE_PROTOCOL_UNSPECIFIED {
			pr = aiv1.InferenceProtocol_INFERENCE_PROTOCOL_OPENAI
		}
		if pr == protocol {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Models returns every model name the pools serve, sorted.
func (p *Pools) Models() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, pl := range p.live {
		out = append(out, pl.models()...)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func (p *Pools) running(name string) (*pool, error) {
	if err := PoolPattern.Validate(name); err != nil {
		return nil, err
	}
	p.mu.Lock()
	pl := p.live[name]
	p.mu.Unlock()
	if pl == nil {
		return nil, errdefs.NotFoundf("%s not found", name)
	}
	return pl, nil
}

// Pick asks the picker of pool where a request for model with prompt
// would go. With record, the request is taken as sent: its prefix blocks
// are remembered for the first candidate (the proxy records; the API's
// PickEndpoint does not).
func (p *Pools) Pick(name, model, prompt string, record bool) (*Pick, error) {
	pl, err := p.running(name)
	if err != nil {
		return nil, err
	}
	pk := pl.pick(model, prompt)
	if !record {
		return pk, nil
	}
	switch pk.Decision {
	case aiv1.PickDecision_PICK_DECISION_PICKED:
		pl.prefix.record(pk.Candidates[0].Endpoint.Addr(), pk.hashes)
	case aiv1.PickDecision_PICK_DECISION_SHED:
		pl.shed.Add(1)
	case aiv1.PickDecision_PICK_DECISION_NO_ENDPOINT:
		pl.noEndpoint.Add(1)
	}
	return pk, nil
}

// Record remembers that the request of pk went to ep (a fallback
// candidate after the first refused).
func (p *Pools) Record(pk *Pick, ep *Endpoint) {
	if pl, err := p.running(pk.Pool); err == nil {
		pl.prefix.record(ep.Addr(), pk.hashes)
	}
}

// MarkDown takes ep out of picks until its next good scrape, and forgets
// which prefixes it holds: a connection to it was refused.
func (p *Pools) MarkDown(pk *Pick, ep *Endpoint, err error) {
	ep.markDown(err)
	if pl, e := p.running(pk.Pool); e == nil {
		pl.prefix.forget(ep.Addr())
	}
}

// Stats returns a pool's per-endpoint counters.
func (p *Pools) Stats(name string) (*aiv1.InferencePoolStats, error) {
	pl, err := p.running(name)
	if err != nil {
		return nil, err
	}
	st := &aiv1.InferencePoolStats{Name: name, Shed: pl.shed.Load(), NoEndpoint: pl.noEndpoint.Load()}
	for _, e := range pl.endpointList() {
		st.Endpoints = append(st.Endpoints, e.Stats())
	}
	return st, nil
}

// pool is a pool's running state.
type pool struct {
	name    string
	cfg     Config
	prefix  *prefixIndex
	rotate  atomic.Uint64
	scrapes atomic.Uint64

	mu        sync.Mutex
	spec      *aiv1.InferencePool
	endpoints map[string]*Endpoint
	kick      chan struct{}

	shed, noEndpoint atomic.Uint64
	cancel           context.CancelFunc
	done             chan struct{}
}

func newPool(m *aiv1.InferencePool, cfg Config) *pool {
	pl := &pool{name: m.GetName(), cfg: cfg, prefix: newPrefixIndex(prefixCapacity), endpoints: map[string]*Endpoint{}, kick: make(chan struct{}, 1)}
	pl.configure(m)
	return pl
}

func (pl *pool) configure(m *aiv1.InferencePool) {
	pl.mu.Lock()
	pl.spec = proto.Clone(m).(*aiv1.InferencePool)
	pl.mu.Unlock()
	select {
	case pl.kick <- struct{}{}:
	default:
	}
}

func (pl *pool) specCopy() *aiv1.InferencePool {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	return pl.spec
}

func (pl *pool) serves(model string) bool {
	return slices.Contains(pl.models(), model)
}

func (pl *pool) models() []string {
	s := pl.specCopy()
	out := slices.Clone(s.GetServedModelNames())
	for _, o := range s.GetObjectives() {
		out = append(out, o.GetModel())
	}
	return out
}

func (pl *pool) start(ctx context.Context) {
	ctx, pl.cancel = context.WithCancel(ctx)
	pl.done = make(chan struct{})
	go pl.run(ctx)
}

func (pl *pool) stop() {
	if pl.cancel != nil {
		pl.cancel()
		<-pl.done
	}
}

// run scrapes every endpoint each interval, and at once after a change.
func (pl *pool) run(ctx context.Context) {
	defer close(pl.done)
	for {
		spec := pl.specCopy()
		pl.scrapeAll(ctx, spec)
		interval := time.Duration(spec.GetScrapeIntervalMs()) * time.Millisecond
		if interval == 0 {
			interval = DefaultScrapeInterval
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-pl.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// scrapeAll brings the endpoint set in line with the spec (and its file)
// and scrapes each endpoint, all at once, within one interval.
func (pl *pool) scrapeAll(ctx context.Context, spec *aiv1.InferencePool) {
	addrs := endpointAddrs(spec, pl.cfg.Logger)
	pl.mu.Lock()
	next := make(map[string]*Endpoint, len(addrs))
	for _, a := range addrs {
		if e, ok := pl.endpoints[a]; ok {
			next[a] = e
		} else {
			next[a] = newEndpoint(a)
		}
	}
	var gone []string
	for a := range pl.endpoints {
		if _, ok := next[a]; !ok {
			gone = append(gone, a)
		}
	}
	pl.endpoints = next
	pl.mu.Unlock()
	for _, a := range gone {
		pl.prefix.forget(a)
	}
	path := spec.GetMetricsPath()
	if path == "" {
		path = DefaultMetricsPath
	}
	timeout := time.Duration(spec.GetScrapeIntervalMs()) * time.Millisecond
	if timeout == 0 {
		timeout = DefaultScrapeInterval
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var wg sync.WaitGroup
	for _, e := range next {
		wg.Go(func() {
			m, err := pl.cfg.Scraper.Scrape(sctx, metricsAddr(e.Addr(), spec.GetMetricsPort()), path)
			if ctx.Err() != nil {
				return
			}
			wasHealthy := e.Healthy()
			e.scraped(m, err)
			if err != nil && wasHealthy {
				pl.prefix.forget(e.Addr())
				pl.cfg.Logger.Warn("inference endpoint is down: not picked until a scrape succeeds", "pool", pl.name, "endpoint", e.Addr(), "error", err)
			}
		})
	}
	wg.Wait()
	pl.scrapes.Add(1)
}

func (pl *pool) endpointList() []*Endpoint {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	out := make([]*Endpoint, 0, len(pl.endpoints))
	for _, e := range pl.endpoints {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr() < out[j].Addr() })
	return out
}

// pick ranks the pool's healthy endpoints for one request.
func (pl *pool) pick(model, prompt string) *Pick {
	spec := pl.specCopy()
	req := &Request{Model: model, Prompt: prompt, hashes: blockHashes(pl.prefix.seed, prompt)}
	for _, o := range spec.GetObjectives() {
		if o.GetModel() == model {
			req.Priority = o.GetPriority()
		}
	}
	satQ := float64(spec.GetSaturationQueueDepth())
	if satQ == 0 {
		satQ = DefaultSaturationQueue
	}
	satKV := spec.GetSaturationKvCacheUsage()
	if satKV == 0 {
		satKV = DefaultSaturationKV
	}
	base := slices.Contains(spec.GetServedModelNames(), model)
	all := pl.endpointList()
	// Rotate the order so that endpoints that tie are taken in turn.
	if n := len(all); n > 0 {
		r := int(pl.rotate.Add(1) % uint64(n))
		all = append(all[r:], all[:r]...)
	}
	held := pl.prefix.matches(req.hashes)
	var eps []*Endpoint
	var views []View
	for _, e := range all {
		m, healthy := e.snapshot()
		if !healthy {
			continue
		}
		v := View{Addr: e.Addr(), Metrics: m, InFlight: e.inflight.Load(), PrefixBlocks: held[e.Addr()], PromptBlocks: len(req.hashes), Base: base}
		v.Saturated = m.Waiting > satQ || m.KVCacheUsage > satKV
		eps, views = append(eps, e), append(views, v)
	}
	pk := &Pick{Pool: pl.name, Priority: req.Priority, hashes: req.hashes}
	if len(eps) == 0 {
		pk.Decision = aiv1.PickDecision_PICK_DECISION_NO_ENDPOINT
		return pk
	}
	pk.Candidates = rank(req, eps, views, pl.cfg.Scorers(satQ))
	pk.Decision = aiv1.PickDecision_PICK_DECISION_PICKED
	if req.Priority < 0 && pk.Candidates[0].Saturated {
		// Every endpoint is saturated (unsaturated ones rank first).
		pk.Decision = aiv1.PickDecision_PICK_DECISION_SHED
	}
	return pk
}

// metricsAddr is where the metrics of the endpoint addr are read: its own
// address, or its host with port when one is given.
func metricsAddr(addr string, port int32) string {
	if port == 0 {
		return addr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// endpointAddrs returns the spec's endpoints and those of its file, as
// "host:port", sorted and without duplicates.
func endpointAddrs(spec *aiv1.InferencePool, logger *slog.Logger) []string {
	raw := slices.Clone(spec.GetEndpoints())
	if f := spec.GetEndpointsFile(); f != "" {
		lines, err := readEndpointsFile(f)
		if err != nil {
			logger.Warn("inference pool: cannot read its endpoints file; using the listed endpoints", "pool", spec.GetName(), "error", err)
		}
		raw = append(raw, lines...)
	}
	port := int(spec.GetTargetPort())
	if port == 0 {
		port = DefaultTargetPort
	}
	var out []string
	for _, r := range raw {
		a, err := normalizeEndpoint(r, port)
		if err != nil {
			logger.Warn("inference pool: skipping an endpoint", "pool", spec.GetName(), "error", err)
			continue
		}
		out = append(out, a)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func readEndpointsFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out, sc.Err()
}

// normalizeEndpoint turns "host" or "host:port" into "host:port".
func normalizeEndpoint(s string, port int) (string, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		// No port (or an IPv6 address without brackets).
		host, p = strings.Trim(s, "[]"), strconv.Itoa(port)
	}
	n, err := strconv.Atoi(p)
	if host == "" || strings.ContainsAny(host, " /") || err != nil || n < 1 || n > 65535 {
		return "", errdefs.InvalidArgumentf("endpoint %q is not host or host:port", s)
	}
	return net.JoinHostPort(host, p), nil
}

// validate checks a pool's value rules.
func validate(m *aiv1.InferencePool) error {
	if _, ok := aiv1.InferenceProtocol_name[int32(m.GetProtocol())]; !ok {
		return errdefs.InvalidArgumentf("protocol %d is not known", m.GetProtocol())
	}
	seen := map[string]bool{}
	for _, n := range m.GetServedModelNames() {
		if strings.TrimSpace(n) == "" || seen[n] {
			return errdefs.InvalidArgumentf("served_model_names: %q is empty or listed twice", n)
		}
		seen[n] = true
	}
	if len(m.GetEndpoints()) == 0 && m.GetEndpointsFile() == "" {
		return errdefs.InvalidArgumentf("a pool needs endpoints or an endpoints_file")
	}
	if tp := m.GetTargetPort(); tp < 0 || tp > 65535 {
		return errdefs.InvalidArgumentf("target_port %d is out of range", tp)
	}
	if mp := m.GetMetricsPort(); mp < 0 || mp > 65535 {
		return errdefs.InvalidArgumentf("metrics_port %d is out of range", mp)
	}
	for _, e := range m.GetEndpoints() {
		if _, err := normalizeEndpoint(e, DefaultTargetPort); err != nil {
			return err
		}
	}
	objective := map[string]bool{}
	for _, o := range m.GetObjectives() {
		if o.GetModel() == "" || objective[o.GetModel()] {
			return errdefs.InvalidArgumentf("objectives: model %q is empty or has two objectives", o.GetModel())
		}
		objective[o.GetModel()] = true
	}
	if ms := m.GetScrapeIntervalMs(); ms != 0 && (ms < 10 || ms > 60000) {
		return errdefs.InvalidArgumentf("scrape_interval_ms %d is out of range (10 to 60000)", ms)
	}
	if p := m.GetMetricsPath(); p != "" && !strings.HasPrefix(p, "/") {
		return errdefs.InvalidArgumentf("metrics_path %q does not start with /", p)
	}
	if kv := m.GetSaturationKvCacheUsage(); kv < 0 || kv > 1 {
		return errdefs.InvalidArgumentf("saturation_kv_cache_usage %v is not within 0 to 1", kv)
	}
	return nil
}
