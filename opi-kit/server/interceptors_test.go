package server

import (
	"context"
	"io"
	"net"
	"testing"

	grpcprom "github.com/grpc-ecosystem/go-grpc-middleware/providers/prometheus"
	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// BenchmarkInterceptorChain measures the CPU cost the chain adds to one
// successful unary call, without the network: what BenchmarkUnary's
// difference is made of.
func BenchmarkInterceptorChain(b *testing.B) {
	logger, _ := NewLogger(io.Discard, "info")
	unary, _ := interceptors(grpcprom.NewServerMetrics(grpcprom.WithServerHandlingTimeHistogram()), logger, nil)
	info := &grpc.UnaryServerInfo{FullMethod: "/opi.inventory.v1.InventoryService/GetInventory"}
	var handler grpc.UnaryHandler = func(context.Context, any) (any, error) { return &inventoryv1.Inventory{Name: "inventory"}, nil }
	for i := len(unary) - 1; i >= 0; i-- {
		next, ic := handler, unary[i]
		handler = func(ctx context.Context, req any) (any, error) { return ic(ctx, req, info, next) }
	}
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}, AuthInfo: credentials.TLSInfo{}})
	req := &inventoryv1.GetInventoryRequest{Name: "inventory"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := handler(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
