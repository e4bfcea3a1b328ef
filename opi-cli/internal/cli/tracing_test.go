package cli

import (
	"context"
	"net"
	"sync"
	"testing"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
)

// otlpCollector is a minimal OTLP trace receiver keeping every span with
// its resource's service.name.
type otlpCollector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans map[string][]*tracepb.Span // by service.name
}

func (c *otlpCollector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			c.spans[service] = append(c.spans[service], ss.GetSpans()...)
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func startCollector(t *testing.T) (*otlpCollector, string) {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := &otlpCollector{spans: map[string][]*tracepb.Span{}}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, col)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	return col, lis.Addr().String()
}

// TestTheCommandsTraceIsTheBridgesTrace: with --otlp-endpoint, one
// command is one trace exported (before the command returns) to the
// collector: the command's span with its gRPC client span under it, and
// the server's span (otelgrpc with W3C trace context, as the bridges'
// runtime serves) in the same trace, child of the CLI's call.
func TestTheCommandsTraceIsTheBridgesTrace(t *testing.T) {
	col, endpoint := startCollector(t)
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer(grpc.StatsHandler(otelgrpc.NewServerHandler(otelgrpc.WithTracerProvider(tp),
		otelgrpc.WithPropagators(propagation.TraceContext{}))))
	inventoryv1.RegisterInventoryServiceServer(gs, &inventoryServer{})
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)

	code, _, stderr := run(t, false, "inventory", "get", "--insecure", "--addr", lis.Addr().String(), "--otlp-endpoint", endpoint)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	col.mu.Lock()
	cli := col.spans["opi-cli"]
	col.mu.Unlock()
	var root, call *tracepb.Span
	for _, sp := range cli {
		switch sp.GetName() {
		case "opi inventory get":
			root = sp
		case "opi.inventory.v1.InventoryService/GetInventory":
			call = sp
		}
	}
	if root == nil || call == nil {
		t.Fatalf("the collector got the CLI spans %v, want the command's and its call's", cli)
	}
	var srv []tracetest.SpanStub
	for _, sp := range spans.GetSpans() {
		if sp.Name == "opi.inventory.v1.InventoryService/GetInventory" {
			srv = append(srv, sp)
		}
	}
	if len(srv) != 1 {
		t.Fatalf("the server recorded %d spans of the call, want 1", len(srv))
	}
	if got := srv[0].SpanContext.TraceID(); string(got[:]) != string(root.GetTraceId()) {
		t.Errorf("the server's trace is %s, want the command's %x", got, root.GetTraceId())
	}
	if got := srv[0].Parent.SpanID(); string(got[:]) != string(call.GetSpanId()) {
		t.Errorf("the server's span has parent %s, want the CLI's call span %x", got, call.GetSpanId())
	}
	if string(call.GetParentSpanId()) != string(root.GetSpanId()) {
		t.Errorf("the CLI's call span is not under the command's span")
	}
}
