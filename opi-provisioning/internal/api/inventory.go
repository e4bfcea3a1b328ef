// Package api is the provisioning bridge's API layer: the generated gRPC
// services implemented thinly over the domain packages. Handlers return
// domain errors unchanged; the runtime maps their classes to gRPC codes.
package api

import (
	"context"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-provisioning/inventory"
)

// InventoryService implements inventoryv1.InventoryServiceServer.
type InventoryService struct {
	inventoryv1.UnimplementedInventoryServiceServer
	inv *inventory.Inventory
}

// NewInventoryService serves inv.
func NewInventoryService(inv *inventory.Inventory) *InventoryService {
	return &InventoryService{inv: inv}
}

// GetInventory returns the inventory of this machine.
func (s *InventoryService) GetInventory(ctx context.Context, req *inventoryv1.GetInventoryRequest) (*inventoryv1.Inventory, error) {
	return s.inv.Get(ctx, req.GetName())
}
