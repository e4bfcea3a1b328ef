// Package server is the runtime every OPI bridge runs in: one gRPC server
// with health, reflection, panic recovery, logging, metrics, tracing,
// request validation, secret redaction and (under mutual TLS) per-method
// authorization, plus an HTTP port with /metrics, /healthz and the REST
// gateway. A bridge's main is one call to Main; tests use New and Run.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/opi-suite/opi/opi-kit/authz"
	"github.com/opi-suite/opi/opi-kit/validate"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/reflection"
	"google.golang.org/grpc/test/bufconn"
)

// Service is one gRPC service a bridge serves.
type Service struct {
	// Desc is the generated grpc.ServiceDesc, for example
	// &inventoryv1.InventoryService_ServiceDesc.
	Desc *grpc.ServiceDesc
	// Impl implements Desc.HandlerType.
	Impl any
	// Gateway registers the service's REST handlers, for example
	// inventoryv1.RegisterInventoryServiceHandler. Optional.
	Gateway func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error
	// Probe reports whether the service's backend is usable. While it fails
	// the service's health is NOT_SERVING. Optional: without it the service
	// is SERVING while the server runs.
	Probe func(context.Context) error
	// Unvalidated turns off the runtime's check of the requests'
	// field_behavior annotations for this service: for the facade of
	// another project's API whose own clients break them. The service then
	// checks what it needs itself.
	Unvalidated bool
}

// Server is a configured bridge server. Create it with New, add services
// with AddService, then call Run once.
type Server struct {
	cfg     Config
	opts    options
	logger  *slog.Logger
	tls     *tls.Config
	grpc    *grpc.Server
	health  *healthState
	metrics *grpcprom.ServerMetrics
	tel     telemetryState
	// unvalidated holds "/<service>/" of the services added Unvalidated.
	unvalidated sync.Map

	mu       sync.Mutex
	services []Service
	extra    []RenderedGatherer
	started  bool
	cleanups []func() error

	ready          chan struct{} // closed once Run listens, fails to, or will never run
	readyOnce      sync.Once
	addr, httpAddr string
}

// New validates cfg and builds the server; nothing listens until Run.
func New(cfg Config, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	o := defaultOptions()
	for _, opt := range opts {
		opt.apply(&o)
	}
	if o.logger == nil {
		l, err := NewLogger(os.Stderr, cfg.LogLevel)
		if err != nil {
			return nil, err
		}
		o.logger = l
	}
	if o.registry == nil {
		o.registry = prometheus.NewRegistry()
		o.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	if o.probeInterval <= 0 || o.probeTimeout <= 0 || o.shutdownTimeout <= 0 {
		// A zero interval would panic in time.NewTicker once Run starts.
		return nil, fmt.Errorf("server: probe interval (%s), probe timeout (%s) and shutdown timeout (%s) must be positive",
			o.probeInterval, o.probeTimeout, o.shutdownTimeout)
	}
	if cfg.StateDir != "" {
		if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
			return nil, fmt.Errorf("--state-dir: %w", err)
		}
	}
	tc, err := loadTLS(&cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, opts: o, logger: o.logger, tls: tc, ready: make(chan struct{})}

	s.metrics = grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram())
	if err := o.registry.Register(s.metrics); err != nil {
		return nil, fmt.Errorf("registering gRPC metrics: %w", err)
	}
	var authorize = o.authorizer
	if !cfg.mutualTLS() {
		authorize = nil // no verified identity to authorize
	}
	unary, stream := interceptors(s.metrics, s.logger, authorize, validate.Except(s.isUnvalidated))
	serverOpts := []grpc.ServerOption{
		grpc.Creds(newServerCreds(tc)),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
	}
	if err := s.initTelemetry(context.Background()); err != nil {
		return nil, err
	}
	if s.tracing() {
		// Outermost, so that every interceptor and the handler see the
		// call's span in their context (and log lines its trace id).
		serverOpts = append(serverOpts, grpc.StatsHandler(&s.tel.handler))
	}
	// Stop (after the graceful-stop timeout) then also waits for handlers
	// still running, so that when Run returns no handler can touch what a
	// bridge closes next (its store, its backend connections).
	serverOpts = append(serverOpts, grpc.WaitForHandlers(true))
	s.grpc = grpc.NewServer(serverOpts...)
	s.health = newHealthState(s.logger)
	healthpb.RegisterHealthServer(s.grpc, s.health.grpc)
	reflection.Register(s.grpc)
	return s, nil
}

// AddService registers svc. Call it before Run; like grpc.Server it panics
// on misuse, which is a programming error found by the first test run.
func (s *Server) AddService(svc Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.started:
		panic("server: AddService called after Run")
	case svc.Desc == nil || svc.Impl == nil:
		panic("server: AddService needs a Service with Desc and Impl")
	}
	s.grpc.RegisterService(svc.Desc, svc.Impl)
	s.services = append(s.services, svc)
	if svc.Unvalidated {
		s.unvalidated.Store("/"+svc.Desc.ServiceName+"/", true)
	}
}

// isUnvalidated says whether fullMethod belongs to a service added
// Unvalidated.
func (s *Server) isUnvalidated(fullMethod string) bool {
	if i := strings.LastIndexByte(fullMethod, '/'); i > 0 {
		_, ok := s.unvalidated.Load(fullMethod[:i+1])
		return ok
	}
	return false
}

// Logger returns the server's logger, for the bridge's own log lines, so
// that they share the server's format and level.
func (s *Server) Logger() *slog.Logger { return s.logger }

// Registerer is where a bridge registers its own metrics (served on
// /metrics beside the runtime's gRPC metrics). Names follow Prometheus'
// conventions: opi_<domain>_<what>_<unit>.
func (s *Server) Registerer() prometheus.Registerer { return s.opts.registry }

// Addr returns the gRPC listen address once Run listens; "" if Run failed
// before, or if Main's setup failed so that Run never starts. It waits for
// Run, so call it after starting Run.
func (s *Server) Addr() string {
	<-s.ready
	return s.addr
}

// HTTPAddr returns the HTTP listen address once Run listens; "" when HTTP
// is disabled or Run failed. It waits for Run, like Addr.
func (s *Server) HTTPAddr() string {
	<-s.ready
	return s.httpAddr
}

// Run serves until ctx ends, then shuts down gracefully: health turns
// NOT_SERVING, HTTP and gRPC calls in flight get the shutdown timeout to
// finish before they are cut off, and traces are flushed. It returns nil
// after a shutdown that ctx asked for.
func (s *Server) Run(ctx context.Context) error {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("server: Run called twice")
	}
	s.started = true
	services := append([]Service(nil), s.services...)
	s.mu.Unlock()

	if err := s.startTelemetry(ctx); err != nil {
		s.markReady("", "")
		s.flushTelemetry()
		return errors.Join(err, s.runCleanups())
	}
	lis, httpSrv, httpLis, gw, err := s.listen(ctx, services)
	if err != nil {
		s.markReady("", "")
		s.flushTelemetry()
		return errors.Join(err, s.runCleanups())
	}
	s.metrics.InitializeMetrics(s.grpc)
	httpAddr := ""
	if httpLis != nil {
		httpAddr = httpLis.Addr().String()
	}
	s.markReady(lis.Addr().String(), httpAddr)
	s.logger.Info("serving", "name", s.opts.name, "grpc", s.addr, "http", s.httpAddr,
		"tls", s.tls != nil, "authorization", s.cfg.mutualTLS())

	errc := make(chan error, 3)
	go func() { errc <- s.grpc.Serve(lis) }()
	if httpSrv != nil {
		go func() { errc <- s.grpc.Serve(gw.lis) }()
		go func() {
			if s.tls != nil {
				errc <- httpSrv.ServeTLS(httpLis, "", "")
			} else {
				errc <- httpSrv.Serve(httpLis)
			}
		}()
	}
	probeCtx, stopProbes := context.WithCancel(ctx)
	probesDone := make(chan struct{})
	go func() {
		defer close(probesDone)
		s.health.watch(probeCtx, services, s.opts.probeInterval, s.opts.probeTimeout)
	}()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serving: %w", serveErr)
	}
	stopProbes()
	<-probesDone
	s.shutdown(httpSrv, gw)
	return errors.Join(serveErr, s.runCleanups())
}

// Cleanup registers fn to run once the server has stopped serving: after
// every call in flight has finished (or was cut off), so that nothing a
// handler uses is closed under it. Cleanups run in the reverse order of
// registration (a backend before the store it writes to) at the end of
// Run, or when Main's setup fails; their errors are joined into Run's.
func (s *Server) Cleanup(fn func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, fn)
}

func (s *Server) runCleanups() error {
	s.mu.Lock()
	fns := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	var errs []error
	for i := len(fns) - 1; i >= 0; i-- {
		errs = append(errs, fns[i]())
	}
	return errors.Join(errs...)
}

// markReady publishes the listen addresses and releases Addr and HTTPAddr.
// Only the first call counts: the addresses never change once published,
// so Addr cannot report a listener that a failing Run already closed.
func (s *Server) markReady(addr, httpAddr string) {
	s.readyOnce.Do(func() {
		s.addr, s.httpAddr = addr, httpAddr
		close(s.ready)
	})
}

// abandon releases Addr and HTTPAddr (with "") when Run will never be
// called, so that a goroutine waiting on them does not leak.
func (s *Server) abandon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		s.started = true
		s.markReady("", "")
	}
}

// httpAuthorizer is the authorizer the HTTP port applies before reading a
// request: the server's, under mutual TLS only.
func (s *Server) httpAuthorizer() authz.Authorizer {
	if !s.cfg.mutualTLS() {
		return nil
	}
	return s.opts.authorizer
}

// gateway is the HTTP side's in-process connection to the gRPC server.
type gateway struct {
	lis  inProcessListener
	conn *grpc.ClientConn
}

func (s *Server) listen(ctx context.Context, services []Service) (net.Listener, *http.Server, net.Listener, *gateway, error) {
	lis, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("--listen %s: %w", s.cfg.Listen, err)
	}
	if s.cfg.HTTPListen == "" {
		return lis, nil, nil, nil, nil
	}
	httpLis, err := net.Listen("tcp", s.cfg.HTTPListen)
	if err != nil {
		lis.Close()
		return nil, nil, nil, nil, fmt.Errorf("--http-listen %s: %w", s.cfg.HTTPListen, err)
	}
	gw := &gateway{lis: inProcessListener{bufconn.Listen(inProcessBuffer)}}
	if gw.conn, err = dialInProcess(gw.lis); err != nil {
		lis.Close()
		httpLis.Close()
		return nil, nil, nil, nil, fmt.Errorf("connecting the REST gateway: %w", err)
	}
	mux := newGatewayMux()
	guard := func(h http.Handler) http.Handler { return guardHTTP(s.httpAuthorizer(), h) }
	for _, svc := range services {
		if svc.Gateway == nil {
			continue
		}
		if err := svc.Gateway(ctx, mux, gw.conn); err != nil {
			lis.Close()
			httpLis.Close()
			gw.conn.Close()
			return nil, nil, nil, nil, fmt.Errorf("registering the REST gateway of %s: %w", svc.Desc.ServiceName, err)
		}
	}
	root := http.NewServeMux()
	// OpenMetrics when the scraper asks for it (Prometheus does): the
	// exposition that carries exemplars, the trace ids on histograms.
	// Gatherers a bridge added serve pre-rendered families (metrics.go).
	root.Handle("/metrics", guard(s.metricsHandler()))
	root.Handle("/healthz", guard(s.health))
	root.Handle("/", guard(limitBody(mux)))
	httpSrv := &http.Server{
		Handler:           root,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.opts.httpReadTimeout,
		IdleTimeout:       httpIdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
	}
	if s.tls != nil {
		// The same certificates and client-certificate policy as gRPC.
		httpSrv.TLSConfig = s.tls.Clone()
	}
	return lis, httpSrv, httpLis, gw, nil
}

func (s *Server) shutdown(httpSrv *http.Server, gw *gateway) {
	s.logger.Info("shutting down", "timeout", s.opts.shutdownTimeout)
	s.health.stop()
	deadline := time.Now().Add(s.opts.shutdownTimeout)
	if httpSrv != nil {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		if err := httpSrv.Shutdown(ctx); err != nil {
			s.logger.Warn("HTTP requests cut off at shutdown", "error", err)
			httpSrv.Close()
		}
		cancel()
		gw.conn.Close()
	}
	stopped := make(chan struct{})
	go func() {
		s.grpc.GracefulStop()
		close(stopped)
	}()
	select {
	case <-stopped:
	case <-time.After(time.Until(deadline)):
		s.logger.Warn("gRPC calls cut off at shutdown: they outlived the shutdown timeout")
		s.grpc.Stop()
		<-stopped
	}
	s.flushTelemetry()
}
