package server_test

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server"
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
