package server

import (
	"log/slog"
	"time"

	"github.com/opi-suite/opi/opi-kit/authz"
	"github.com/opi-suite/opi/opi-kit/telemetry"
	"github.com/prometheus/client_golang/prometheus"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Option tunes a Server beyond what Config holds.
type Option interface{ apply(*options) }

type options struct {
	name            string
	logger          *slog.Logger
	registry        *prometheus.Registry
	probeInterval   time.Duration
	probeTimeout    time.Duration
	shutdownTimeout time.Duration
	authorizer      authz.Authorizer
	httpReadTimeout time.Duration
	version         string
	spanExporter    sdktrace.SpanExporter
	metricInterval  time.Duration
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

func defaultOptions() options {
	return options{
		name:            "opi-bridge",
		probeInterval:   5 * time.Second,
		probeTimeout:    2 * time.Second,
		shutdownTimeout: 10 * time.Second,
		authorizer:      authz.Authorize,
		httpReadTimeout: httpReadTimeout,
		version:         telemetry.Version(),
	}
}

// WithName names the bridge in logs and traces (the OpenTelemetry
// service.name). Main sets it.
func WithName(name string) Option { return optionFunc(func(o *options) { o.name = name }) }

// WithLogger sets the logger. The default is NewLogger(os.Stderr, cfg.LogLevel).
func WithLogger(l *slog.Logger) Option { return optionFunc(func(o *options) { o.logger = l }) }

// WithRegistry sets the Prometheus registry the gRPC metrics are registered
// on and /metrics serves. The default is a fresh registry per Server (not
// the global one), so that several servers can live in one process; pass
// one to add the bridge's own metrics to /metrics.
func WithRegistry(r *prometheus.Registry) Option {
	return optionFunc(func(o *options) { o.registry = r })
}

// WithProbeInterval sets how often each Service's Probe runs (default 5s).
func WithProbeInterval(d time.Duration) Option {
	return optionFunc(func(o *options) { o.probeInterval = d })
}

// WithShutdownTimeout sets how long Run waits for calls in flight to finish
// after its context ends before it cuts them off (default 10s).
func WithShutdownTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) { o.shutdownTimeout = d })
}

// WithAuthorizer replaces authz.Authorize as the per-method policy under
// mutual TLS, for bridges whose roles go beyond admin and reader.
func WithAuthorizer(a authz.Authorizer) Option {
	return optionFunc(func(o *options) { o.authorizer = a })
}

// WithHTTPReadTimeout bounds the time to read one whole HTTP request, body
// included (default 30s), so that a body that trickles in cannot hold a
// connection.
func WithHTTPReadTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) { o.httpReadTimeout = d })
}

// WithVersion sets the service.version the bridge's spans and metrics
// carry (default: the program's module version, or "devel").
func WithVersion(v string) Option { return optionFunc(func(o *options) { o.version = v }) }

// WithSpanExporter turns tracing on with exp receiving each span as it
// ends (synchronously), beside or instead of --otlp-endpoint's exporter:
// tests pass an in-memory exporter (go.opentelemetry.io/otel/sdk/trace/
// tracetest) to read the spans back.
func WithSpanExporter(exp sdktrace.SpanExporter) Option {
	return optionFunc(func(o *options) { o.spanExporter = exp })
}

// WithMetricExportInterval sets how often the metrics are pushed over OTLP
// when --otlp-endpoint is set (default: OTEL_METRIC_EXPORT_INTERVAL, else
// 60 s).
func WithMetricExportInterval(d time.Duration) Option {
	return optionFunc(func(o *options) { o.metricInterval = d })
}
