package inventory

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jaypipes/ghw"
	"github.com/jaypipes/pcidb"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
)

// hardware reads the machine's description. DMI, CPU and memory come from
// ghw; PCI devices are read from sysfs directly so that a machine without a
// PCI id database still lists its devices (names are then left empty).
type hardware struct {
	root   string
	logger *slog.Logger

	// The PCI id database is 1.3 MB of text: parse it once, on first use.
	pciOnce sync.Once
	pciDB   *pcidb.PCIDB
}

func newHardware(root string, logger *slog.Logger) *hardware {
	return &hardware{root: root, logger: logger}
}

func (h *hardware) ghwOpts() []any {
	return []any{ghw.WithChroot(h.root), ghw.WithDisableWarnings()}
}

// read collects every part. A part that cannot be read is logged and left
// empty; the call fails only when nothing at all could be read.
func (h *hardware) read(ctx context.Context) (*inventoryv1.Inventory, error) {
	inv := &inventoryv1.Inventory{}
	var errs []error
	note := func(part string, err error) {
		if err != nil {
			h.logger.DebugContext(ctx, "inventory part unavailable", "part", part, "error", err)
			errs = append(errs, err)
		}
	}
	if host, err := os.ReadFile(filepath.Join(h.root, "proc/sys/kernel/hostname")); err == nil {
		inv.Hostname = strings.TrimSpace(string(host))
	} else {
		note("hostname", err)
	}
	if b, err := ghw.BIOS(h.ghwOpts()...); err == nil {
		inv.Bios = &inventoryv1.BiosInfo{Vendor: known(b.Vendor), Version: known(b.Version), Date: known(b.Date)}
	} else {
		note("bios", err)
	}
	if p, err := ghw.Product(h.ghwOpts()...); err == nil {
		inv.System = &inventoryv1.SystemInfo{
			Family: known(p.Family), Vendor: known(p.Vendor), ProductName: known(p.Name),
			SerialNumber: known(p.SerialNumber), Uuid: known(p.UUID), Sku: known(p.SKU), Version: known(p.Version),
		}
	} else {
		note("system", err)
	}
	if b, err := ghw.Baseboard(h.ghwOpts()...); err == nil {
		inv.Baseboard = &inventoryv1.BaseboardInfo{
			Vendor: known(b.Vendor), Product: known(b.Product), Version: known(b.Version),
			SerialNumber: known(b.SerialNumber), AssetTag: known(b.AssetTag),
		}
	} else {
		note("baseboard", err)
	}
	if c, err := ghw.Chassis(h.ghwOpts()...); err == nil {
		inv.Chassis = &inventoryv1.ChassisInfo{
			Vendor: known(c.Vendor), Type: known(c.Type), TypeDescription: known(c.TypeDescription),
			Version: known(c.Version), SerialNumber: known(c.SerialNumber), AssetTag: known(c.AssetTag),
		}
	} else {
		note("chassis", err)
	}
	if c, err := ghw.CPU(h.ghwOpts()...); err == nil {
		inv.Cpu = &inventoryv1.CpuInfo{
			TotalSockets: uint32(len(c.Processors)), TotalCores: c.TotalCores, TotalThreads: c.TotalHardwareThreads,
		}
		for _, p := range c.Processors {
			inv.Cpu.Processors = append(inv.Cpu.Processors, &inventoryv1.Processor{
				Id: uint32(p.ID), Vendor: p.Vendor, Model: p.Model,
				Cores: p.TotalCores, Threads: p.TotalHardwareThreads, Capabilities: p.Capabilities,
			})
		}
	} else {
		note("cpu", err)
	}
	if m, err := ghw.Memory(h.ghwOpts()...); err == nil {
		inv.Memory = &inventoryv1.MemoryInfo{TotalPhysicalBytes: m.TotalPhysicalBytes, UsableBytes: m.TotalUsableBytes}
	} else {
		note("memory", err)
	}
	if devs, err := h.pciDevices(); err == nil {
		inv.PciDevices = devs
	} else {
		note("pci", err)
	}
	if inv.Cpu == nil && inv.Memory == nil && inv.PciDevices == nil {
		return nil, errors.Join(errs...)
	}
	return inv, nil
}

// known maps ghw's "unknown" placeholder to the empty string the API uses.
func known(s string) string {
	if s == "unknown" {
		return ""
	}
	return s
}

// pciDevices lists /sys/bus/pci/devices, ordered by address.
func (h *hardware) pciDevices() ([]*inventoryv1.PciDevice, error) {
	dir := filepath.Join(h.root, "sys/bus/pci/devices")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	db := h.pciNames()
	devs := make([]*inventoryv1.PciDevice, 0, len(entries))
	for _, e := range entries {
		d := readPCIDevice(filepath.Join(dir, e.Name()), e.Name())
		if db != nil {
			if v := db.Vendors[d.VendorId]; v != nil {
				d.VendorName = v.Name
			}
			if p := db.Products[d.VendorId+d.DeviceId]; p != nil {
				d.DeviceName = p.Name
			}
			if c := db.Classes[d.ClassId]; c != nil {
				d.ClassName = c.Name
			}
		}
		devs = append(devs, d)
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].Address < devs[j].Address })
	return devs, nil
}

// readPCIDevice reads one device's sysfs attributes. Missing attributes are
// left empty: sysfs differs between kernels and architectures.
func readPCIDevice(path, address string) *inventoryv1.PciDevice {
	attr := func(name string) string {
		b, err := os.ReadFile(filepath.Join(path, name))
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	hex4 := func(s string) string { return strings.ToLower(strings.TrimPrefix(s, "0x")) }
	d := &inventoryv1.PciDevice{
		Address:  address,
		VendorId: hex4(attr("vendor")),
		DeviceId: hex4(attr("device")),
		NumaNode: -1,
	}
	// The class attribute is 0xCCSSPP (class, subclass, programming interface).
	if class := hex4(attr("class")); len(class) == 6 {
		d.ClassId = class[:2]
	}
	if target, err := os.Readlink(filepath.Join(path, "driver")); err == nil {
		d.Driver = filepath.Base(target)
	}
	if n, err := strconv.Atoi(attr("numa_node")); err == nil {
		d.NumaNode = int32(n)
	}
	return d
}

// pciNames returns the PCI id database, or nil when the machine has none
// (Debian's pci.ids package provides it).
func (h *hardware) pciNames() *pcidb.PCIDB {
	h.pciOnce.Do(func() {
		db, err := pcidb.New(pcidb.WithChroot(h.root))
		if err != nil {
			h.logger.Warn("no PCI id database: PCI devices are listed without names", "error", err)
			return
		}
		h.pciDB = db
	})
	return h.pciDB
}
