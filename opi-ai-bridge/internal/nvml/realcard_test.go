//go:build nvml

package nvml

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/NVIDIA/go-nvml/pkg/nvml"

	"github.com/opi-suite/opi/opi-ai-bridge/internal/sysfs"
)

// TestNVMLAgreesWithSysfsOnTheRealCards needs a host with an NVIDIA GPU and
// its driver (libnvidia-ml.so.1); elsewhere it skips, naming what is
// missing (OPI_REQUIRE_NVML=1 turns the skip into a failure, for a GPU
// runner). Every GPU NVML counts must be an accelerator sysfs finds, with
// the same PCI vendor and device ids and the same maximum PCIe link width,
// and the bridge's source must add NVML's details (UUID, memory) to it.
func TestNVMLAgreesWithSysfsOnTheRealCards(t *testing.T) {
	if ret := nvml.Init(); ret != nvml.SUCCESS {
		msg := fmt.Sprintf("no NVIDIA driver here: NVML cannot start (%s); this check needs an NVIDIA GPU with its driver (libnvidia-ml.so.1)", nvml.ErrorString(ret))
		if os.Getenv("OPI_REQUIRE_NVML") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	defer nvml.Shutdown()
	ctx := context.Background()
	fromSysfs, err := sysfs.New("/sys").Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	nvidia := map[string]bool{}
	for _, a := range fromSysfs {
		if a.GetVendorId() == 0x10de {
			nvidia[a.GetPciAddress()] = true
		}
	}
	n, ret := nvml.DeviceGetCount()
	if ret != nvml.SUCCESS {
		t.Fatalf("DeviceGetCount: %s", nvml.ErrorString(ret))
	}
	if n != len(nvidia) {
		t.Errorf("NVML counts %d GPUs, sysfs finds %d NVIDIA accelerators %v", n, len(nvidia), nvidia)
	}
	byAddr := map[string]nvml.Device{}
	for i := range n {
		dev, ret := nvml.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			t.Fatalf("DeviceGetHandleByIndex(%d): %s", i, nvml.ErrorString(ret))
		}
		pci, ret := dev.GetPciInfo()
		if ret != nvml.SUCCESS {
			t.Fatalf("GetPciInfo(%d): %s", i, nvml.ErrorString(ret))
		}
		addr := busID(pci.BusId)
		if !nvidia[addr] {
			t.Errorf("NVML's GPU %d at %s is not among sysfs's accelerators %v", i, addr, nvidia)
		}
		byAddr[addr] = dev
	}
	scanned, err := New(sysfs.New("/sys"), slog.Default()).Scan(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range scanned {
		dev, ok := byAddr[a.GetPciAddress()]
		if !ok {
			continue
		}
		pci, _ := dev.GetPciInfo()
		if got, want := pci.PciDeviceId, a.GetDeviceId()<<16|a.GetVendorId(); got != want {
			t.Errorf("%s: NVML's PCI id %08x, sysfs's %08x", a.GetPciAddress(), got, want)
		}
		if w, ret := dev.GetMaxPcieLinkWidth(); ret == nvml.SUCCESS && uint32(w) != a.GetLink().GetMaxWidth() {
			t.Errorf("%s: NVML's maximum link width x%d, sysfs's x%d", a.GetPciAddress(), w, a.GetLink().GetMaxWidth())
		}
		info := a.GetNvml()
		if info.GetUuid() == "" || info.GetMemoryTotalBytes() == 0 || info.GetProductName() == "" || info.GetDriverVersion() == "" {
			t.Errorf("%s: NVML's details missing or empty: %v", a.GetPciAddress(), info)
		}
		t.Logf("%s: %s, %s, %d MiB, driver %s, x%d", a.GetPciAddress(), info.GetProductName(), info.GetUuid(), info.GetMemoryTotalBytes()>>20, info.GetDriverVersion(), a.GetLink().GetMaxWidth())
	}
}

// busID turns NVML's bus id ("00000000:3B:00.0") into sysfs's form
// ("0000:3b:00.0").
func busID(raw [32]int8) string {
	var b strings.Builder
	for _, c := range raw {
		if c == 0 {
			break
		}
		b.WriteByte(byte(c))
	}
	s := strings.ToLower(b.String())
	if dom, rest, ok := strings.Cut(s, ":"); ok && len(dom) > 4 {
		s = dom[len(dom)-4:] + ":" + rest
	}
	return s
}
