// Package telemetrytest reads spans back in tests: an in-memory exporter
// to hand to server.WithSpanExporter, a traced client that starts the
// trace the way opi-cli does, and queries over the recorded span tree.
package telemetrytest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Spans records the spans that end, in order; safe for concurrent use.
type Spans struct {
	*tracetest.InMemoryExporter
}

// NewSpans returns an empty recorder; pass it to server.WithSpanExporter.
func NewSpans() *Spans { return &Spans{tracetest.NewInMemoryExporter()} }

// Named returns the recorded spans called name.
func (s *Spans) Named(name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, sp := range s.GetSpans() {
		if sp.Name == name {
			out = append(out, sp)
		}
	}
	return out
}

// One returns the one recorded span called name in trace id, failing the
// test (with the recorded tree) when there is not exactly one. A span is
// recorded when it ends, and a server span ends after its response is
// sent, so the client may see the answer first: One waits up to five
// seconds for the span to be recorded.
func (s *Spans) One(t testing.TB, id trace.TraceID, name string) tracetest.SpanStub {
	t.Helper()
	var out []tracetest.SpanStub
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		out = out[:0]
		for _, sp := range s.Named(name) {
			if sp.SpanContext.TraceID() == id {
				out = append(out, sp)
			}
		}
		if len(out) != 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(out) != 1 {
		t.Fatalf("%d spans %q in trace %s, want 1; recorded:\n%s", len(out), name, id, s.Tree())
	}
	return out[0]
}

// Under reports whether span descends from ancestor (through any number
// of recorded spans).
func (s *Spans) Under(span, ancestor tracetest.SpanStub) bool {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, sp := range s.GetSpans() {
		byID[sp.SpanContext.SpanID()] = sp
	}
	for cur := span; cur.Parent.IsValid(); {
		if cur.Parent.SpanID() == ancestor.SpanContext.SpanID() {
			return cur.Parent.TraceID() == ancestor.SpanContext.TraceID()
		}
		next, ok := byID[cur.Parent.SpanID()]
		if !ok {
			return false
		}
		cur = next
	}
	return false
}

// Tree renders the recorded spans as an indented tree, for failure
// messages.
func (s *Spans) Tree() string {
	spans := s.GetSpans()
	children := map[trace.SpanID][]tracetest.SpanStub{}
	known := map[trace.SpanID]bool{}
	for _, sp := range spans {
		known[sp.SpanContext.SpanID()] = true
	}
	var roots []tracetest.SpanStub
	for _, sp := range spans {
		if p := sp.Parent.SpanID(); sp.Parent.IsValid() && known[p] {
			children[p] = append(children[p], sp)
		} else {
			roots = append(roots, sp)
		}
	}
	var b strings.Builder
	var walk func(sp tracetest.SpanStub, depth int)
	walk = func(sp tracetest.SpanStub, depth int) {
		fmt.Fprintf(&b, "%s%s [%s %s]\n", strings.Repeat("  ", depth), sp.Name, sp.SpanContext.TraceID(), sp.SpanContext.SpanID())
		for _, c := range children[sp.SpanContext.SpanID()] {
			walk(c, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}

// Attr returns the value of the attribute key on span ("" when absent).
func Attr(span tracetest.SpanStub, key string) string {
	for _, kv := range span.Attributes {
		if string(kv.Key) == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

// ResourceAttr returns the value of key in the span's resource.
func ResourceAttr(span tracetest.SpanStub, key string) string {
	if span.Resource == nil {
		return ""
	}
	v, _ := span.Resource.Set().Value(attribute.Key(key))
	return v.Emit()
}

// Client is a traced gRPC client, as opi-cli is one with tracing on: it
// starts a root span per call and propagates it in W3C trace context.
type Client struct {
	Conn   *grpc.ClientConn
	Spans  *Spans
	tracer trace.Tracer
}

// Dial connects a traced plaintext client to addr; the connection closes
// when the test ends.
func Dial(t testing.TB, addr string) *Client {
	t.Helper()
	spans := NewSpans()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler(otelgrpc.WithTracerProvider(tp),
			otelgrpc.WithPropagators(propagation.TraceContext{}))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &Client{Conn: conn, Spans: spans, tracer: tp.Tracer("telemetrytest")}
}

// Traced runs fn inside a new root span named name and returns that
// span's trace id.
func (c *Client) Traced(ctx context.Context, name string, fn func(context.Context) error) (trace.TraceID, error) {
	ctx, span := c.tracer.Start(ctx, name)
	defer span.End()
	return span.SpanContext().TraceID(), fn(ctx)
}

// ClientSpan returns the client's span of the gRPC method (for example
// "opi.storage.v1.VolumeService/CreateMallocVolume") in trace id.
func (c *Client) ClientSpan(t testing.TB, id trace.TraceID, method string) tracetest.SpanStub {
	t.Helper()
	return c.Spans.One(t, id, method)
}
