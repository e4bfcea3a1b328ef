// Package telemetry is the OpenTelemetry plumbing every OPI program
// shares: child spans that cost nothing while tracing is off, the OTLP
// exporters and the resource that names a bridge, and a slog handler that
// stamps log lines with the trace they belong to.
//
// A bridge's code never holds a tracer provider. Start takes the provider
// from the span already in the context (the runtime's gRPC server span, or
// the CLI's): with tracing off there is none, and Start returns at once
// with a span that records nothing.
package telemetry

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// Start starts a span named name as a child of the span in ctx, from the
// tracer of the instrumentation scope (the Go package path of the caller),
// with the given kind. When ctx holds no recording span (tracing is off,
// or this trace was not sampled) it returns ctx itself and a span that
// records nothing, allocating nothing: set attributes only when
// span.IsRecording() says they will be kept.
func Start(ctx context.Context, scope, name string, kind trace.SpanKind) (context.Context, trace.Span) {
	parent := trace.SpanFromContext(ctx)
	if !parent.IsRecording() {
		return ctx, parent
	}
	return parent.TracerProvider().Tracer(scope).Start(ctx, name, trace.WithSpanKind(kind))
}

// Enabled reports whether ctx carries a recording span, that is whether a
// span started from it would be kept.
func Enabled(ctx context.Context) bool { return trace.SpanFromContext(ctx).IsRecording() }

// End ends span, marking it failed with err's message when err is not nil.
// A context cancellation is recorded too: the caller gave up, and the span
// says so.
func End(span trace.Span, err error) {
	if !span.IsRecording() {
		return
	}
	if err != nil {
		span.RecordError(err)
		msg := err.Error()
		if errors.Is(err, context.Canceled) {
			msg = "canceled: " + msg
		}
		span.SetStatus(codes.Error, msg)
	}
	span.End()
}
