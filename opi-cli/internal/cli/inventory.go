package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
)

func newInventoryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "inventory",
		Short: "Read the hardware inventory of the machine a service runs on",
	}
	cmd.AddCommand(newInventoryGetCmd(g))
	return cmd
}

func newInventoryGetCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "get",
		Short: "Show firmware, system, CPU, memory and PCI devices",
		Example: `  opi --addr dpu1:50051 --tls-ca ca.pem inventory get
  opi --insecure inventory get -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.printer()
			if err != nil {
				return err
			}
			var inv *inventoryv1.Inventory
			err = g.call(cmd.Context(), func(ctx context.Context, conn *grpc.ClientConn) error {
				inv, err = inventoryv1.NewInventoryServiceClient(conn).GetInventory(ctx, &inventoryv1.GetInventoryRequest{Name: "inventory"})
				return err
			})
			if err != nil {
				return err
			}
			return p.print(inv, func(t *table) { inventoryTable(t, inv) })
		},
	}
}

func inventoryTable(t *table, inv *inventoryv1.Inventory) {
	t.section("")
	t.row("HOSTNAME", inv.GetHostname())
	sys := inv.GetSystem()
	t.row("SYSTEM", join(sys.GetVendor(), sys.GetProductName(), sys.GetVersion()))
	t.row("SERIAL", sys.GetSerialNumber())
	bios := inv.GetBios()
	t.row("BIOS", join(bios.GetVendor(), bios.GetVersion(), bios.GetDate()))
	board := inv.GetBaseboard()
	t.row("BASEBOARD", join(board.GetVendor(), board.GetProduct(), board.GetVersion()))
	cpu := inv.GetCpu()
	model := ""
	if ps := cpu.GetProcessors(); len(ps) > 0 {
		model = ps[0].GetModel()
	}
	t.row("CPU", fmt.Sprintf("%d sockets, %d cores, %d threads", cpu.GetTotalSockets(), cpu.GetTotalCores(), cpu.GetTotalThreads()), model)
	mem := inv.GetMemory()
	t.row("MEMORY", fmt.Sprintf("%s usable", byteSize(mem.GetUsableBytes())), fmt.Sprintf("%s physical", byteSize(mem.GetTotalPhysicalBytes())))

	t.section("PCI DEVICES", "ADDRESS", "CLASS", "VENDOR", "DEVICE", "DRIVER")
	for _, d := range inv.GetPciDevices() {
		t.row(d.GetAddress(), orID(d.GetClassName(), d.GetClassId()), orID(d.GetVendorName(), d.GetVendorId()), orID(d.GetDeviceName(), d.GetDeviceId()), d.GetDriver())
	}
}

// join joins the non-empty parts with spaces.
func join(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, " ")
}

// orID prefers a name from the PCI database and falls back to the raw id.
func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// byteSize formats a byte count in binary units.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
