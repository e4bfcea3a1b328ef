package api_test

import (
	"context"
	"testing"
	"time"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-provisioning/bridge"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestInventoryThroughTheRuntime checks what a client sees: the domain's
// error classes arrive as gRPC codes, and a valid call answers this machine.
func TestInventoryThroughTheRuntime(t *testing.T) {
	srv := servertest.Start(t, bridge.New().Services())
	client := inventoryv1.NewInventoryServiceClient(srv.Conn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name string
		want codes.Code
	}{
		{"inventory", codes.OK},
		{"", codes.InvalidArgument},
		{"inventories/host", codes.NotFound},
	} {
		t.Run(tc.name+" is "+tc.want.String(), func(t *testing.T) {
			inv, err := client.GetInventory(ctx, &inventoryv1.GetInventoryRequest{Name: tc.name})
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code = %v (%v), want %v", got, err, tc.want)
			}
			if err == nil && inv.GetHostname() == "" {
				t.Errorf("no hostname in %v", inv)
			}
		})
	}
}
