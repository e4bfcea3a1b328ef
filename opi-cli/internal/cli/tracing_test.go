package cli

import (
	"context"
	"net"
	"sync"
	"testing"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/telemetry/telemetrytest"
	"go.opentelemetry.io/otel/trace"
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
// the bridge's server span in the same trace, child of the CLI's call.
func TestTheCommandsTraceIsTheBridgesTrace(t *testing.T) {
	col, endpoint := startCollector(t)
	spans := telemetrytest.NewSpans()
	s, err := server.New(server.Config{Listen: "127.0.0.1:0", InsecurePlaintext: true},
		server.WithName("opi-test-bridge"), server.WithSpanExporter(spans))
	if err != nil {
		t.Fatal(err)
	}
	s.AddService(server.Service{Desc: &inventoryv1.InventoryService_ServiceDesc, Impl: &inventoryServer{}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	code, _, stderr := run(t, false, "inventory", "get", "--insecure", "--addr", s.Addr(), "--otlp-endpoint", endpoint)
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
	const method = "opi.inventory.v1.InventoryService/GetInventory"
	var id trace.TraceID
	copy(id[:], root.GetTraceId())
	srv := spans.One(t, id, method)
	if got := srv.Parent.SpanID(); string(got[:]) != string(call.GetSpanId()) {
		t.Errorf("the bridge's span has parent %s, want the CLI's call span %x", got, call.GetSpanId())
	}
	if string(call.GetParentSpanId()) != string(root.GetSpanId()) {
		t.Errorf("the CLI's call span is not under the command's span")
	}
}
