package telemetry_test

import (
	"context"
	"testing"

	"github.com/opi-suite/opi/opi-kit/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// TestStartWithoutATraceCostsNothing: with tracing off (no span in the
// context) Start hands back the caller's context and a span that records
// nothing, without allocating; under a recording span it makes a child.
func TestStartWithoutATraceCostsNothing(t *testing.T) {
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		c, sp := telemetry.Start(ctx, "scope", "op", trace.SpanKindClient)
		if sp.IsRecording() {
			sp.SetAttributes()
		}
		telemetry.End(sp, nil)
		_ = c
	})
	if allocs != 0 {
		t.Errorf("Start without a trace allocates %v times", allocs)
	}
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	pctx, parent := tp.Tracer("t").Start(ctx, "parent")
	_, child := telemetry.Start(pctx, "scope", "child", trace.SpanKindClient)
	telemetry.End(child, context.Canceled)
	parent.End()
	spans := exp.GetSpans()
	if len(spans) != 2 || spans[0].Name != "child" || spans[0].Parent.SpanID() != parent.SpanContext().SpanID() ||
		spans[0].Status.Description == "" {
		t.Errorf("recorded %v, want the child (failed) under the parent", spans)
	}
}

// BenchmarkStart is the cost Start adds to a backend call: "off" with no
// span in the context (tracing off), "on" under a recording span.
//
//	go test -run '^$' -bench Start -benchmem ./telemetry/
func BenchmarkStart(b *testing.B) {
	b.Run("off", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, sp := telemetry.Start(ctx, "scope", "op", trace.SpanKindClient)
			telemetry.End(sp, nil)
		}
	})
	b.Run("on", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider() // spans recorded, exported nowhere
		ctx, parent := tp.Tracer("t").Start(context.Background(), "parent")
		defer parent.End()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			_, sp := telemetry.Start(ctx, "scope", "op", trace.SpanKindClient)
			telemetry.End(sp, nil)
		}
	})
}
