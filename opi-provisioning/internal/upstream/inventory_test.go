package upstream_test

import (
	"context"
	"testing"
	"time"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	upinv "github.com/opi-suite/opi/opi-upstream/inventory/v1"

	"github.com/opi-suite/opi/opi-provisioning/bridge"
)

// TestUpstreamInventoryIsTheNativeOneInUpstreamsShape drives the bridge
// with a client generated from upstream's protos, through the runtime's
// real chain, and compares its answer with the native API's.
func TestUpstreamInventoryIsTheNativeOneInUpstreamsShape(t *testing.T) {
	srv := servertest.Start(t, bridge.New().Services())
	up := upinv.NewInventoryServiceClient(srv.Conn)
	native := inventoryv1.NewInventoryServiceClient(srv.Conn)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	want, err := native.GetInventory(ctx, &inventoryv1.GetInventoryRequest{Name: "inventory"})
	if err != nil {
		t.Fatal(err)
	}
	// godpu sends no name at all, though upstream's proto marks it
	// REQUIRED: the facade is served Unvalidated and answers it as
	// upstream's servers do.
	for _, name := range []string{"inventory", "//inventory.opiproject.org/inventory", "anything", ""} {
		t.Run("the name "+name+" is answered, as upstream's servers do", func(t *testing.T) {
			got, err := up.GetInventory(ctx, &upinv.GetInventoryRequest{Name: name})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				field     string
				got, want any
			}{
				{"bios.vendor", got.GetBios().GetVendor(), want.GetBios().GetVendor()},
				{"bios.version", got.GetBios().GetVersion(), want.GetBios().GetVersion()},
				{"system.name", got.GetSystem().GetName(), want.GetSystem().GetProductName()},
				{"system.uuid", got.GetSystem().GetUuid(), want.GetSystem().GetUuid()},
				{"baseboard.product", got.GetBaseboard().GetProduct(), want.GetBaseboard().GetProduct()},
				{"chassis.type", got.GetChassis().GetType(), want.GetChassis().GetType()},
				{"processor.total_cores", got.GetProcessor().GetTotalCores(), int32(want.GetCpu().GetTotalCores())},
				{"processor.total_threads", got.GetProcessor().GetTotalThreads(), int32(want.GetCpu().GetTotalThreads())},
				{"memory.total_physical_bytes", got.GetMemory().GetTotalPhysicalBytes(), want.GetMemory().GetTotalPhysicalBytes()},
				{"memory.total_usable_bytes", got.GetMemory().GetTotalUsableBytes(), want.GetMemory().GetUsableBytes()},
				{"len(pci)", len(got.GetPci()), len(want.GetPciDevices())},
			} {
				if c.got != c.want {
					t.Errorf("%s: %v, native %v", c.field, c.got, c.want)
				}
			}
			if got.GetProcessor().GetTotalThreads() <= 0 || got.GetMemory().GetTotalPhysicalBytes() <= 0 {
				t.Errorf("no CPU or memory read: %v", got)
			}
			for i, d := range got.GetPci() {
				n := want.GetPciDevices()[i]
				if d.GetAddress() != n.GetAddress() || d.GetVendor() != n.GetVendorName() || d.GetProduct() != n.GetDeviceName() ||
					d.GetClass() != n.GetClassName() || d.GetDriver() != n.GetDriver() {
					t.Errorf("pci[%d]: %v, native %v", i, d, n)
				}
			}
		})
	}

}
