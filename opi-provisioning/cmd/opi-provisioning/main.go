// Command opi-provisioning serves the provisioning and lifecycle APIs of a
// machine. Today that is the host inventory (opi.inventory.v1); secure
// zero-touch provisioning and telemetry come later.
package main

import (
	"context"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-provisioning/inventory"
)

func main() {
	server.Main(server.Program{
		Name:        "opi-provisioning",
		Description: "Serves this machine's hardware inventory (SMBIOS/DMI, CPU, memory, PCI).",
		Setup: func(_ context.Context, s *server.Server, _ server.Config) error {
			s.AddService(server.Service{
				Desc:    &inventoryv1.InventoryService_ServiceDesc,
				Impl:    inventory.NewService(inventory.WithLogger(s.Logger())),
				Gateway: inventoryv1.RegisterInventoryServiceHandler,
			})
			return nil
		},
	})
}
