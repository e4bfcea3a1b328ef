// Package bridge assembles the provisioning bridge: its domains, their gRPC
// services and its command. A distribution's main.go is one call,
// server.Main(bridge.Program()); one that reads the inventory elsewhere
// (a container with the host's /sys mounted) passes inventory options.
package bridge

import (
	"context"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/telemetry"
	upinv "github.com/opi-suite/opi/opi-upstream/inventory/v1"

	"github.com/opi-suite/opi/opi-provisioning/internal/api"
	"github.com/opi-suite/opi/opi-provisioning/internal/upstream"
	"github.com/opi-suite/opi/opi-provisioning/inventory"
)

// Bridge is the assembled provisioning bridge.
type Bridge struct {
	inventory *inventory.Inventory
}

// New assembles the bridge; opts configure the inventory domain.
func New(opts ...inventory.Option) *Bridge {
	return &Bridge{inventory: inventory.New(opts...)}
}

// Services lists the gRPC services the bridge serves.
func (b *Bridge) Services() []server.Service {
	return []server.Service{{
		Desc:    &inventoryv1.InventoryService_ServiceDesc,
		Impl:    api.NewInventoryService(b.inventory),
		Gateway: inventoryv1.RegisterInventoryServiceHandler,
	}, {
		// Upstream OPI's inventory API over the same domain, gRPC only:
		// its REST path is the native one. Unvalidated: upstream's proto
		// marks the name REQUIRED, and godpu, upstream's own CLI, sends
		// none; upstream's servers answer any name, so does the facade.
		Desc:        &upinv.InventoryService_ServiceDesc,
		Impl:        upstream.NewInventoryService(b.inventory),
		Unvalidated: true,
	}}
}

// Program is the opi-provisioning command for server.Main.
func Program(opts ...inventory.Option) server.Program {
	return server.Program{
		Name:        "opi-provisioning",
		Description: "Serves this machine's hardware inventory (SMBIOS/DMI, CPU, memory, PCI).",
		Setup: func(_ context.Context, s *server.Server, _ server.Config) error {
			// The inventory is read from the kernel's sysfs and SMBIOS.
			s.DescribeBackend("linux", telemetry.KernelRelease)
			for _, svc := range New(append([]inventory.Option{inventory.WithLogger(s.Logger())}, opts...)...).Services() {
				s.AddService(svc)
			}
			return nil
		},
	}
}
