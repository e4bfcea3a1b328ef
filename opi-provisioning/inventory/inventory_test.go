package inventory

import (
	"bufio"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"errors"

	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

func TestGetRefusesOtherNames(t *testing.T) {
	inv := New()
	for _, tc := range []struct {
		name string
		want error
	}{
		{"", errdefs.ErrInvalidArgument},
		{"inventories/host", errdefs.ErrNotFound},
		{"Inventory", errdefs.ErrNotFound},
	} {
		t.Run("name "+strconv.Quote(tc.name)+" is "+tc.want.Error(), func(t *testing.T) {
			_, err := inv.Get(context.Background(), tc.name)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestGetReadsThisMachine compares the answer with what the kernel
// says through /proc and /sys directly.
func TestGetReadsThisMachine(t *testing.T) {
	inv, err := New().Get(context.Background(), ResourceName)
	if err != nil {
		t.Fatal(err)
	}
	if inv.GetName() != ResourceName {
		t.Errorf("name = %q, want %q", inv.GetName(), ResourceName)
	}
	host, _ := os.Hostname()
	if inv.GetHostname() != host {
		t.Errorf("hostname = %q, want %q", inv.GetHostname(), host)
	}
	if got, want := int(inv.GetCpu().GetTotalThreads()), onlineCPUs(t); got != want {
		t.Errorf("cpu threads = %d, /sys/devices/system/cpu/online says %d", got, want)
	}
	if len(inv.GetCpu().GetProcessors()) == 0 || inv.GetCpu().GetProcessors()[0].GetModel() == "" {
		t.Errorf("no processor model in %v", inv.GetCpu())
	}
	if got, want := inv.GetMemory().GetUsableBytes(), memTotal(t); got != want {
		t.Errorf("usable memory = %d, /proc/meminfo MemTotal = %d", got, want)
	}
	entries, _ := os.ReadDir("/sys/bus/pci/devices")
	if len(inv.GetPciDevices()) != len(entries) {
		t.Errorf("%d PCI devices, /sys/bus/pci/devices has %d", len(inv.GetPciDevices()), len(entries))
	}
}

func TestPCIDevicesAreReadFromSysfs(t *testing.T) {
	root := t.TempDir()
	dev := filepath.Join(root, "sys/bus/pci/devices/0000:03:00.1")
	drv := filepath.Join(root, "sys/bus/pci/drivers/mlx5_core")
	for _, d := range []string{dev, drv} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, v := range map[string]string{"vendor": "0x15b3\n", "device": "0x101D\n", "class": "0x020000\n", "numa_node": "1\n"} {
		if err := os.WriteFile(filepath.Join(dev, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../../../bus/pci/drivers/mlx5_core", filepath.Join(dev, "driver")); err != nil {
		t.Fatal(err)
	}
	// No pci.ids below root: devices are still listed, without names.
	devs, err := newHardware(root, testLogger(t)).pciDevices()
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 1 {
		t.Fatalf("got %d devices, want 1", len(devs))
	}
	d := devs[0]
	want := &inventoryv1.PciDevice{Address: "0000:03:00.1", VendorId: "15b3", DeviceId: "101d", ClassId: "02", Driver: "mlx5_core", NumaNode: 1}
	if !proto.Equal(d, want) {
		t.Errorf("device = %v, want %v", d, want)
	}
}

func onlineCPUs(t *testing.T) int {
	b, err := os.ReadFile("/sys/devices/system/cpu/online")
	if err != nil {
		t.Skipf("no /sys/devices/system/cpu/online: %v", err)
	}
	n := 0
	for _, r := range strings.Split(strings.TrimSpace(string(b)), ",") {
		lo, hi, found := strings.Cut(r, "-")
		a, _ := strconv.Atoi(lo)
		z := a
		if found {
			z, _ = strconv.Atoi(hi)
		}
		n += z - a + 1
	}
	return n
}

func memTotal(t *testing.T) int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		t.Skipf("no /proc/meminfo: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	t.Fatal("MemTotal not in /proc/meminfo")
	return 0
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, nil))
}

type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
