// Package upstream serves upstream OPI's inventory API
// (opi_api.inventory.v1, vendored in opi-upstream) beside the bridge's own,
// over the same inventory domain: each call is the native call, its answer
// rewritten in upstream's shape. Errors are the domain's, unchanged.
package upstream

import (
	"context"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	upinv "github.com/opi-suite/opi/opi-upstream/inventory/v1"

	"github.com/opi-suite/opi/opi-provisioning/inventory"
)

// InventoryService implements upstream's InventoryService.
type InventoryService struct {
	upinv.UnimplementedInventoryServiceServer
	inv *inventory.Inventory
}

// NewInventoryService serves inv in upstream's shape.
func NewInventoryService(inv *inventory.Inventory) *InventoryService {
	return &InventoryService{inv: inv}
}

// GetInventory implements upstream's InventoryService. Upstream's servers
// do not read the request's name (a machine has one inventory, and
// upstream's Inventory has no name), so it is not checked here either.
func (s *InventoryService) GetInventory(ctx context.Context, _ *upinv.GetInventoryRequest) (*upinv.Inventory, error) {
	in, err := s.inv.Get(ctx, inventory.ResourceName)
	if err != nil {
		return nil, err
	}
	return fromNative(in), nil
}

// fromNative rewrites the native inventory in upstream's shape. Upstream
// has fewer fields (no processors, no PCI ids, no NUMA node, no hostname)
// and three PCI fields the native API lacks (revision, subsystem,
// subclass), left empty.
func fromNative(in *inventoryv1.Inventory) *upinv.Inventory {
	out := &upinv.Inventory{
		Bios: &upinv.BIOSInfo{Vendor: in.GetBios().GetVendor(), Version: in.GetBios().GetVersion(), Date: in.GetBios().GetDate()},
		System: &upinv.SystemInfo{
			Family: in.GetSystem().GetFamily(), Name: in.GetSystem().GetProductName(), Vendor: in.GetSystem().GetVendor(),
			SerialNumber: in.GetSystem().GetSerialNumber(), Uuid: in.GetSystem().GetUuid(), Sku: in.GetSystem().GetSku(),
			Version: in.GetSystem().GetVersion(),
		},
		Baseboard: &upinv.BaseboardInfo{
			AssetTag: in.GetBaseboard().GetAssetTag(), SerialNumber: in.GetBaseboard().GetSerialNumber(),
			Vendor: in.GetBaseboard().GetVendor(), Version: in.GetBaseboard().GetVersion(), Product: in.GetBaseboard().GetProduct(),
		},
		Chassis: &upinv.ChassisInfo{
			AssetTag: in.GetChassis().GetAssetTag(), SerialNumber: in.GetChassis().GetSerialNumber(), Type: in.GetChassis().GetType(),
			TypeDescription: in.GetChassis().GetTypeDescription(), Vendor: in.GetChassis().GetVendor(), Version: in.GetChassis().GetVersion(),
		},
		Processor: &upinv.CPUInfo{TotalCores: int32(in.GetCpu().GetTotalCores()), TotalThreads: int32(in.GetCpu().GetTotalThreads())},
		Memory:    &upinv.MemoryInfo{TotalPhysicalBytes: in.GetMemory().GetTotalPhysicalBytes(), TotalUsableBytes: in.GetMemory().GetUsableBytes()},
	}
	for _, d := range in.GetPciDevices() {
		out.Pci = append(out.Pci, &upinv.PCIeDeviceInfo{
			Driver: d.GetDriver(), Address: d.GetAddress(), Vendor: d.GetVendorName(), Product: d.GetDeviceName(), Class: d.GetClassName(),
		})
	}
	return out
}
