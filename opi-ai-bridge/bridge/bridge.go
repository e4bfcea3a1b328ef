// Package bridge assembles the AI bridge: the accelerator inventory (PCI
// sysfs), the inference pools and fabric ports on one intent store with
// their metrics scraper and tc backend, the inference proxy (the data
// path) and the gRPC services.
//
// A bridge is also a library: a vendor's main replaces a piece and keeps
// the rest (validation, naming, stored intent, the picker, the API):
//
//	func main() {
//		server.Main(bridge.Program(bridge.WithAcceleratorSource(nvml.New())))
//	}
package bridge

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/grpc"

	"github.com/opi-suite/opi/opi-ai-bridge/accelerator"
	"github.com/opi-suite/opi/opi-ai-bridge/fabric"
	"github.com/opi-suite/opi/opi-ai-bridge/inference"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/api"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/fabrictc"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/nvml"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/oip/inferencepb"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/proxy"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/sysfs"
	"github.com/opi-suite/opi/opi-ai-bridge/internal/vllm"
)

// Config is what the bridge needs beside its pieces.
type Config struct {
	// StateDir holds the intent store, intent.db. Required unless
	// WithStore is given.
	StateDir string
	// SysfsRoot is where PCI sysfs is read; empty is /sys.
	SysfsRoot string
	// Logger, default slog.Default().
	Logger *slog.Logger
}

// An Option replaces a piece of the bridge.
type Option func(*options)

type options struct {
	fabric  fabric.Backend
	source  accelerator.Source
	scraper inference.Scraper
	store   store.Store
}

// WithAcceleratorSource finds accelerators with src instead of PCI sysfs.
func WithAcceleratorSource(src accelerator.Source) Option {
	return func(o *options) { o.source = src }
}

// WithFabric applies fabric ports with be instead of the kernel's ip, tc
// and dcb tools.
func WithFabric(be fabric.Backend) Option { return func(o *options) { o.fabric = be } }

// WithScraper reads the endpoints' load with s instead of their vLLM
// metrics over HTTP.
func WithScraper(s inference.Scraper) Option { return func(o *options) { o.scraper = s } }

// WithStore uses st (not closed by Close) instead of opening
// StateDir/intent.db.
func WithStore(st store.Store) Option { return func(o *options) { o.store = st } }

// Bridge is an assembled AI bridge.
type Bridge struct {
	st      store.Store
	ownedSt bool
	inv     *accelerator.Inventory
	pools   *inference.Pools
	ports   *fabric.Ports
	proxy   *proxy.Proxy
	oip     *oip.Proxy
	logger  *slog.Logger
}

// New opens the store and builds the domains. Start serves the stored
// pools.
func New(cfg Config, opts ...Option) (_ *Bridge, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if o.source == nil {
		// With the nvml build tag, NVML's details are added where NVIDIA's
		// driver is; otherwise this is sysfs alone.
		o.source = nvml.New(sysfs.New(cfg.SysfsRoot), cfg.Logger)
	}
	if o.fabric == nil {
		o.fabric = fabrictc.New()
	}
	if o.scraper == nil {
		o.scraper = vllm.NewScraper(2 * time.Second)
	}
	b := &Bridge{inv: accelerator.New(o.source), logger: cfg.Logger}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.Close())
		}
	}()
	switch {
	case o.store != nil:
		b.st = o.store
	case cfg.StateDir == "":
		return nil, errors.New("--state-dir (OPI_STATE_DIR) is required: the bridge keeps its intent there")
	default:
		if b.st, err = store.Open(filepath.Join(cfg.StateDir, "intent.db")); err != nil {
			return nil, err
		}
		b.ownedSt = true
	}
	if b.pools, err = inference.New(inference.Config{Store: b.st, Scraper: o.scraper, Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	if b.ports, err = fabric.New(b.st, o.fabric); err != nil {
		return nil, err
	}
	b.proxy = proxy.New(b.pools, cfg.Logger)
	b.oip = oip.New(b.pools, cfg.Logger)
	return b, nil
}

// Start finishes interrupted changes, applies the stored fabric ports
// again and starts scraping the stored pools' endpoints.
func (b *Bridge) Start(ctx context.Context) error {
	if err := b.ports.Start(ctx); err != nil {
		return err
	}
	return b.pools.Start(ctx)
}

// Pools returns the inference domain, for tests and embedders.
func (b *Bridge) Pools() *inference.Pools { return b.pools }

// Proxy returns the inference data path, an http.Handler that serves the
// OpenAI-compatible API.
func (b *Bridge) Proxy() http.Handler { return b.proxy }

// OIPServer returns a gRPC server with the Open Inference Protocol data
// path (inference.GRPCInferenceService) on it, for the pools whose model
// servers speak OIP; serve it on its own listener.
func (b *Bridge) OIPServer() *grpc.Server {
	s := grpc.NewServer(oip.ServerOptions(b.logger)...)
	inferencepb.RegisterGRPCInferenceServiceServer(s, b.oip)
	return s
}

// Services returns the gRPC services.
func (b *Bridge) Services() []server.Service {
	return []server.Service{
		{Desc: &aiv1.AcceleratorService_ServiceDesc, Impl: api.NewAccelerators(b.inv), Gateway: aiv1.RegisterAcceleratorServiceHandler},
		{Desc: &aiv1.InferencePoolService_ServiceDesc, Impl: api.NewInferencePools(b.pools), Gateway: aiv1.RegisterInferencePoolServiceHandler},
		{Desc: &aiv1.AiFabricService_ServiceDesc, Impl: api.NewFabricPorts(b.ports), Gateway: aiv1.RegisterAiFabricServiceHandler},
	}
}

// Close stops scraping and closes the store.
func (b *Bridge) Close() error {
	var err error
	if b.proxy != nil {
		err = errors.Join(err, b.proxy.Close())
	}
	if b.oip != nil {
		err = errors.Join(err, b.oip.Close())
	}
	if b.pools != nil {
		err = errors.Join(err, b.pools.Close())
	}
	if b.ownedSt && b.st != nil {
		err = errors.Join(err, b.st.Close())
	}
	return err
}

// ProxyReadTimeout bounds reading one whole request, body included, as the
// runtime's REST port does: a body that trickles in cannot hold a
// connection. Responses (streams included) have no deadline.
var ProxyReadTimeout = 30 * time.Second

// ServeProxy serves the inference proxy on ln until ctx ends; then it
// stops taking requests and lets those in flight finish for up to grace.
func ServeProxy(ctx context.Context, ln net.Listener, h http.Handler, grace time.Duration) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: ProxyReadTimeout, IdleTimeout: 2 * time.Minute}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	<-errc
	return err
}

// ServeOIP serves s (OIPServer) on ln until ctx ends; then it stops taking
// calls and lets those in flight finish for up to grace.
func ServeOIP(ctx context.Context, ln net.Listener, s *grpc.Server, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	stopped := make(chan struct{})
	go func() { s.GracefulStop(); close(stopped) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-stopped:
	case <-t.C:
		s.Stop()
	}
	return <-errc
}
