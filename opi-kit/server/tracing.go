package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/opi-suite/opi/opi-kit/telemetry"
	"github.com/prometheus/client_golang/prometheus"
	prombridge "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// backendWait bounds how long Run waits for the backend to report its
// version for the telemetry resource; a backend still down then is
// described as "unknown" and the bridge serves anyway.
const backendWait = 2 * time.Second

// telemetryState is the server's OpenTelemetry side, on when
// --otlp-endpoint (or WithSpanExporter) asks for it. The exporters are
// made in New (they connect lazily); the providers in Run, once Setup has
// said what backend the bridge drives, because the resource that names
// the bridge and its backend's version cannot change after.
type telemetryState struct {
	traceExp  sdktrace.SpanExporter
	syncSpans bool // export each span as it ends (tests)
	metricExp sdkmetric.Exporter
	backend   func(context.Context) (name, version string, err error)
	tracer    *sdktrace.TracerProvider
	meter     *sdkmetric.MeterProvider
	handler   lateStats
}

// DescribeBackend tells the server which backend the bridge drives and how
// to ask it its version (SPDK's spdk_get_version, charon's VICI version,
// ...): with tracing on, Run asks it once (waiting at most two seconds)
// and names both in the resource of every span and metric it exports, as
// opi.backend and opi.backend.version. Call it from Setup.
func (s *Server) DescribeBackend(name string, version func(context.Context) (string, error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tel.backend = func(ctx context.Context) (string, string, error) {
		v, err := version(ctx)
		return name, v, err
	}
}

// initTelemetry makes the exporters New needs for cfg and o.
func (s *Server) initTelemetry(ctx context.Context) error {
	switch {
	case s.opts.spanExporter != nil:
		s.tel.traceExp, s.tel.syncSpans = s.opts.spanExporter, true
	case s.cfg.OTLPEndpoint != "":
		exp, err := telemetry.TraceExporter(ctx, s.cfg.OTLPEndpoint)
		if err != nil {
			return fmt.Errorf("--otlp-endpoint: %w", err)
		}
		s.tel.traceExp = exp
	}
	if s.cfg.OTLPEndpoint != "" {
		exp, err := metricExporter(ctx, s.cfg.OTLPEndpoint)
		if err != nil {
			return fmt.Errorf("--otlp-endpoint: %w", err)
		}
		s.tel.metricExp = exp
	}
	return nil
}

// tracing reports whether the server makes spans.
func (s *Server) tracing() bool { return s.tel.traceExp != nil }

// startTelemetry builds the providers once the backend is known and
// turns the gRPC server spans on.
func (s *Server) startTelemetry(ctx context.Context) error {
	if s.tel.traceExp == nil && s.tel.metricExp == nil {
		return nil
	}
	var extra []attribute.KeyValue
	s.mu.Lock()
	backend := s.tel.backend
	s.mu.Unlock()
	if backend != nil {
		bctx, cancel := context.WithTimeout(ctx, backendWait)
		name, version, err := backend(bctx)
		cancel()
		if err != nil {
			s.logger.Warn("telemetry: the backend did not say its version; exporting it as unknown", "backend", name, "error", err)
			version = "unknown"
		}
		extra = append(extra, telemetry.BackendKey.String(name), telemetry.BackendVersionKey.String(version))
	}
	res, err := telemetry.Resource(ctx, s.opts.name, s.opts.version, extra...)
	if err != nil {
		return err
	}
	if s.tel.traceExp != nil {
		export := sdktrace.WithBatcher(s.tel.traceExp)
		if s.tel.syncSpans {
			export = sdktrace.WithSyncer(s.tel.traceExp)
		}
		s.tel.tracer = sdktrace.NewTracerProvider(export, sdktrace.WithResource(res))
		s.tel.handler.set(otelgrpc.NewServerHandler(
			otelgrpc.WithTracerProvider(s.tel.tracer),
			otelgrpc.WithPropagators(propagation.TraceContext{}),
			// The runtime's Prometheus metrics already count and time
			// every call; otelgrpc's own would be a second copy.
			otelgrpc.WithMeterProvider(noop.NewMeterProvider()),
		))
	}
	if s.tel.metricExp != nil {
		s.tel.meter = meterProvider(s.tel.metricExp, s.gatherer(), res, s.opts.metricInterval)
	}
	return nil
}

// flushTelemetry exports what is buffered and stops the providers (or
// the exporters, when Run never built the providers).
func (s *Server) flushTelemetry() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var errs []error
	switch {
	case s.tel.tracer != nil:
		errs = append(errs, s.tel.tracer.Shutdown(ctx))
	case s.tel.traceExp != nil:
		errs = append(errs, s.tel.traceExp.Shutdown(ctx))
	}
	switch {
	case s.tel.meter != nil:
		errs = append(errs, s.tel.meter.Shutdown(ctx))
	case s.tel.metricExp != nil:
		errs = append(errs, s.tel.metricExp.Shutdown(ctx))
	}
	if err := errors.Join(errs...); err != nil {
		s.logger.Warn("flushing telemetry", "error", err)
	}
}

// lateStats is the gRPC stats handler New installs when tracing is on; it
// forwards to otelgrpc's once Run has built the tracer provider (nothing
// is served before).
type lateStats struct{ h atomic.Pointer[stats.Handler] }

func (l *lateStats) set(h stats.Handler) { l.h.Store(&h) }

func (l *lateStats) TagRPC(ctx context.Context, i *stats.RPCTagInfo) context.Context {
	if h := l.h.Load(); h != nil {
		return (*h).TagRPC(ctx, i)
	}
	return ctx
}

func (l *lateStats) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if h := l.h.Load(); h != nil {
		(*h).HandleRPC(ctx, s)
	}
}

func (l *lateStats) TagConn(ctx context.Context, i *stats.ConnTagInfo) context.Context {
	if h := l.h.Load(); h != nil {
		return (*h).TagConn(ctx, i)
	}
	return ctx
}

func (l *lateStats) HandleConn(ctx context.Context, s stats.ConnStats) {
	if h := l.h.Load(); h != nil {
		(*h).HandleConn(ctx, s)
	}
}

// metricExporter exports metrics over OTLP gRPC to endpoint, read as
// telemetry.TraceExporter reads it.
func metricExporter(ctx context.Context, endpoint string) (sdkmetric.Exporter, error) {
	opts := []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpoint(endpoint), otlpmetricgrpc.WithInsecure()}
	if strings.Contains(endpoint, "://") {
		opts = []otlpmetricgrpc.Option{otlpmetricgrpc.WithEndpointURL(endpoint)}
	}
	opts = append(opts, otlpmetricgrpc.WithDialOption(grpc.WithDisableServiceConfig())) // as TraceExporter
	exp, err := otlpmetricgrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("OTLP endpoint %s: %w", endpoint, err)
	}
	return exp, nil
}

// meterProvider pushes what gatherer serves on /metrics (the runtime's
// gRPC metrics and the bridge's own) to exp every interval (0: the SDK's
// default, 60 s, or OTEL_METRIC_EXPORT_INTERVAL), so an OTLP pipeline
// sees the same series a Prometheus scrape does. Each push gathers once,
// which reads the bridge's backend-derived series through the same
// bounded-age caches a scrape uses.
func meterProvider(exp sdkmetric.Exporter, gatherer prometheus.Gatherer, res *resource.Resource, interval time.Duration) *sdkmetric.MeterProvider {
	opts := []sdkmetric.PeriodicReaderOption{sdkmetric.WithProducer(prombridge.NewMetricProducer(prombridge.WithGatherer(otlpExemplars{gatherer})))}
	if interval > 0 {
		opts = append(opts, sdkmetric.WithInterval(interval))
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp, opts...)), sdkmetric.WithResource(res))
}
