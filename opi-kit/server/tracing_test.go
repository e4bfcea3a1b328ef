package server_test

import (
	"context"
	"net"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/prometheus/client_golang/prometheus"
	colmetricpb "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc"
)

// collector is a minimal OTLP trace receiver that records span names.
type collector struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []string
}

func (c *collector) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.spans = append(c.spans, sp.GetName())
			}
		}
	}
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

func TestTracesAreExportedOverOTLPAndFlushedAtShutdown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := &collector{}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, col)
	go gs.Serve(lis)
	defer gs.Stop()

	cfg := plaintextConfig()
	cfg.OTLPEndpoint = lis.Addr().String()
	inv, _ := inventoryService(nil)
	logger, _ := server.NewLogger(t.Output(), "info")
	s, err := server.New(cfg, server.WithLogger(logger), server.WithName("opi-test"))
	if err != nil {
		t.Fatal(err)
	}
	s.AddService(inv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	client := inventoryv1.NewInventoryServiceClient(dial(t, s.Addr(), nil))
	if _, err := client.GetInventory(callCtx(t), &inventoryv1.GetInventoryRequest{Name: "inventory"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	// The batcher holds spans for seconds; only the flush at shutdown can
	// have delivered this one so soon.
	if !slices.Contains(col.spans, "opi.inventory.v1.InventoryService/GetInventory") {
		t.Errorf("collector received spans %v after a %v shutdown, want the GetInventory span", col.spans, time.Since(start))
	}
}

// metricsCollector is a minimal OTLP metrics receiver that records metric
// names and the resource attributes they came with.
type metricsCollector struct {
	colmetricpb.UnimplementedMetricsServiceServer
	mu       sync.Mutex
	names    map[string]bool
	resource map[string]string
}

func (c *metricsCollector) Export(_ context.Context, req *colmetricpb.ExportMetricsServiceRequest) (*colmetricpb.ExportMetricsServiceResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		for _, kv := range rm.GetResource().GetAttributes() {
			c.resource[kv.GetKey()] = kv.GetValue().GetStringValue()
		}
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				c.names[m.GetName()] = true
			}
		}
	}
	return &colmetricpb.ExportMetricsServiceResponse{}, nil
}

// TestMetricsArePushedOverOTLPWithTheBackendInTheResource: with an OTLP
// endpoint the registry /metrics serves is pushed there too (the
// runtime's gRPC metrics and a bridge's own), under a resource naming the
// service, its version, the host and the backend's version as
// DescribeBackend reports it.
func TestMetricsArePushedOverOTLPWithTheBackendInTheResource(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	col := &metricsCollector{names: map[string]bool{}, resource: map[string]string{}}
	gs := grpc.NewServer()
	colmetricpb.RegisterMetricsServiceServer(gs, col)
	coltracepb.RegisterTraceServiceServer(gs, &collector{})
	go gs.Serve(lis)
	defer gs.Stop()

	cfg := plaintextConfig()
	cfg.OTLPEndpoint = lis.Addr().String()
	inv, _ := inventoryService(nil)
	logger, _ := server.NewLogger(t.Output(), "info")
	reg := prometheus.NewRegistry()
	own := prometheus.NewCounter(prometheus.CounterOpts{Name: "opi_test_things_total", Help: "Things."})
	own.Add(3)
	reg.MustRegister(own)
	s, err := server.New(cfg, server.WithLogger(logger), server.WithName("opi-test"), server.WithVersion("v1.2.3"),
		server.WithRegistry(reg), server.WithMetricExportInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	s.DescribeBackend("testd", func(context.Context) (string, error) { return "testd 4.5", nil })
	s.AddService(inv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	client := inventoryv1.NewInventoryServiceClient(dial(t, s.Addr(), nil))
	if _, err := client.GetInventory(callCtx(t), &inventoryv1.GetInventoryRequest{Name: "inventory"}); err != nil {
		t.Fatal(err)
	}
	cancel() // the shutdown pushes what the last interval has not
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	for _, name := range []string{"opi_test_things_total", "grpc_server_handled_total", "grpc_server_handling_seconds"} {
		if !col.names[name] {
			t.Errorf("the collector lacks %s; got %v", name, col.names)
		}
	}
	host, _ := os.Hostname()
	for k, want := range map[string]string{"service.name": "opi-test", "service.version": "v1.2.3", "host.name": host,
		"opi.backend": "testd", "opi.backend.version": "testd 4.5"} {
		if got := col.resource[k]; got != want {
			t.Errorf("resource %s = %q, want %q", k, got, want)
		}
	}
}
