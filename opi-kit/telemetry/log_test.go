package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/opi-suite/opi/opi-kit/telemetry"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestLogLinesCarryTheirTrace: a line logged with a traced context
// carries trace_id and span_id (also through a logger With attributes);
// a line without one carries neither.
func TestLogLinesCarryTheirTrace(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(telemetry.LogHandler(slog.NewJSONHandler(&buf, nil))).With("service", "test")
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("t").Start(context.Background(), "call")
	logger.InfoContext(ctx, "traced")
	span.End()
	logger.InfoContext(context.Background(), "untraced")
	dec := json.NewDecoder(&buf)
	var traced, untraced map[string]any
	if err := dec.Decode(&traced); err != nil {
		t.Fatal(err)
	}
	if err := dec.Decode(&untraced); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if traced["trace_id"] != sc.TraceID().String() || traced["span_id"] != sc.SpanID().String() || traced["service"] != "test" {
		t.Errorf("traced line: %v, want trace %s span %s", traced, sc.TraceID(), sc.SpanID())
	}
	if _, ok := untraced["trace_id"]; ok {
		t.Errorf("untraced line carries a trace: %v", untraced)
	}
}
