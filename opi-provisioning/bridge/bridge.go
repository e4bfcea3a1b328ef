// Package bridge assembles the provisioning bridge: its domains, their gRPC
// services and its command. A distribution's main.go is one call,
// server.Main(bridge.Program()); one that reads the inventory elsewhere
// (a container with the host's /sys mounted) passes inventory options.
package bridge

import (
	"context"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	upinv "github.com/opi-suite/opi/opi-upstream/inventory/v1"

	"github.com/opi-suite/opi/opi-provisioning/internal/api"
	"github.com/opi-suite/opi/opi-provisioning/internal/upstream"
	"github.com/opi-suite/opi/opi-provisioning/inventory"
	"github.com/opi-suite/opi/opi-provisioning/sztp/registry"
)

// Bridge is the assembled provisioning bridge.
type Bridge struct {
	inventory *inventory.Inventory
	devices   *registry.Registry
}

// New assembles the bridge; opts configure the inventory domain. The SZTP
// device registry is added by EnableSZTP.
func New(opts ...inventory.Option) *Bridge {
	return &Bridge{inventory: inventory.New(opts...)}
}

// EnableSZTP opens the SZTP device registry on st and serves its API.
func (b *Bridge) EnableSZTP(ctx context.Context, st store.Store) error {
	reg, err := registry.New(ctx, st)
	if err != nil {
		return err
	}
	b.devices = reg
	return nil
}

// Devices is the SZTP device registry (nil until EnableSZTP), the device
// source of the bootstrap server.
func (b *Bridge) Devices() *registry.Registry { return b.devices }

// Services lists the gRPC services the bridge serves.
func (b *Bridge) Services() []server.Service {
	svcs := []server.Service{{
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
	if b.devices != nil {
		svcs = append(svcs, server.Service{
			Desc:    &provisioningv1.SztpDeviceService_ServiceDesc,
			Impl:    api.NewSztpDevices(b.devices),
			Gateway: provisioningv1.RegisterSztpDeviceServiceHandler,
		})
	}
	return svcs
}
