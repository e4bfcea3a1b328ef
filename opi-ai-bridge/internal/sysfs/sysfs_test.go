package sysfs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	"github.com/google/go-cmp/cmp"
)

// fakeFn is one PCI function of a fake sysfs tree.
type fakeFn struct {
	path  string            // below devices/, e.g. "pci0000:00/0000:00:01.0/0000:01:00.0"
	files map[string]string // attribute files
	links map[string]string // symlinks (driver, iommu_group, physfn)
	net   []string          // interface names under net/
}

// fakeTree writes fns under a temporary root the way the kernel lays PCI
// sysfs out: functions nested under their bridges in devices/, and
// bus/pci/devices/<addr> symlinks to them.
func fakeTree(t *testing.T, fns []fakeFn) string {
	t.Helper()
	root := t.TempDir()
	bus := filepath.Join(root, "bus", "pci", "devices")
	if err := os.MkdirAll(bus, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range fns {
		dir := filepath.Join(root, "devices", f.path)
		must(t, os.MkdirAll(dir, 0o755))
		for k, v := range f.files {
			must(t, os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o644))
		}
		for k, v := range f.links {
			must(t, os.Symlink(v, filepath.Join(dir, k)))
		}
		for _, n := range f.net {
			must(t, os.MkdirAll(filepath.Join(dir, "net", n), 0o755))
		}
		must(t, os.Symlink(filepath.Join("..", "..", "..", "devices", f.path), filepath.Join(bus, filepath.Base(f.path))))
	}
	return root
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func bridgeFn(path string) fakeFn {
	return fakeFn{path: path, files: map[string]string{"class": "0x060400", "vendor": "0x8086", "numa_node": "0"}}
}

func TestScanFindsAcceleratorsWithLinkSriovAndNicAffinity(t *testing.T) {
	sw := "pci0000:00/0000:00:01.0/0000:01:00.0"
	root := fakeTree(t, []fakeFn{
		bridgeFn("pci0000:00/0000:00:01.0"),
		bridgeFn(sw),
		bridgeFn(sw + "/0000:02:00.0"),
		bridgeFn(sw + "/0000:02:01.0"),
		{ // an H100 behind a switch, its link trained at x8 of x16
			path: sw + "/0000:02:00.0/0000:03:00.0",
			files: map[string]string{"class": "0x030200", "vendor": "0x10de", "device": "0x2330", "numa_node": "0",
				"current_link_width": "8", "max_link_width": "16", "current_link_speed": "32.0 GT/s PCIe", "max_link_speed": "32.0 GT/s PCIe",
				"sriov_totalvfs": "0", "power_state": "D0",
				"aer_dev_correctable": "RxErr 2\nBadTLP 1\nTOTAL_ERR_COR 3", "aer_dev_fatal": "TOTAL_ERR_FATAL 0", "aer_dev_nonfatal": "TOTAL_ERR_NONFATAL 1"},
			links: map[string]string{"driver": "../../../../../../bus/pci/drivers/nvidia", "iommu_group": "../../../../../../kernel/iommu_groups/17"},
		},
		{ // a NIC behind the same switch
			path:  sw + "/0000:02:01.0/0000:04:00.0",
			files: map[string]string{"class": "0x020000", "vendor": "0x15b3", "numa_node": "0"},
			net:   []string{"ens1f0np0"},
		},
		bridgeFn("pci0000:00/0000:00:02.0"),
		{ // a NIC on the same NUMA node, behind another root port
			path:  "pci0000:00/0000:00:02.0/0000:05:00.0",
			files: map[string]string{"class": "0x020000", "vendor": "0x8086", "numa_node": "0"},
			net:   []string{"ens2"},
		},
		bridgeFn("pci0000:00/0000:00:03.0"),
		{ // a Gaudi with a full link and SR-IOV
			path: "pci0000:00/0000:00:03.0/0000:06:00.0",
			files: map[string]string{"class": "0x120000", "vendor": "0x1da3", "device": "0x1020", "numa_node": "0",
				"current_link_width": "16", "max_link_width": "16", "current_link_speed": "32.0 GT/s PCIe", "max_link_speed": "32.0 GT/s PCIe",
				"sriov_totalvfs": "8", "sriov_numvfs": "2"},
		},
		{ // a NIC on the other socket: near neither
			path:  "pci0000:80/0000:80:01.0/0000:81:00.0",
			files: map[string]string{"class": "0x020000", "vendor": "0x15b3", "numa_node": "1"},
			net:   []string{"ens3"},
		},
		{ // a virtio GPU: a display controller of no accelerator vendor
			path:  "pci0000:00/0000:00:04.0",
			files: map[string]string{"class": "0x030000", "vendor": "0x1af4", "numa_node": "0"},
		},
		{ // an AMD virtual function on the other socket
			path:  "pci0000:80/0000:80:02.0/0000:82:00.1",
			files: map[string]string{"class": "0x038000", "vendor": "0x1002", "device": "0x74a1", "numa_node": "1"},
			links: map[string]string{"physfn": "../0000:82:00.0"},
		},
	})
	src := New(root)
	got, err := src.Scan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []*aiv1.Accelerator{
		{
			Name: "accelerators/pci-0000-03-00-0", PciAddress: "0000:03:00.0", VendorId: 0x10de, DeviceId: 0x2330, Vendor: "NVIDIA",
			AcceleratorClass: aiv1.AcceleratorClass_ACCELERATOR_CLASS_3D, Driver: "nvidia", NumaNode: 0, IommuGroup: 17,
			Link:  &aiv1.PcieLink{CurrentWidth: 8, MaxWidth: 16, CurrentSpeedGts: 32, MaxSpeedGts: 32, Degraded: true},
			Sriov: &aiv1.SriovState{},
			AffineNics: []*aiv1.AffineNic{
				{Interface: "ens1f0np0", PciAddress: "0000:04:00.0", Relation: aiv1.NicRelation_NIC_RELATION_PCIE_SWITCH},
				{Interface: "ens2", PciAddress: "0000:05:00.0", Relation: aiv1.NicRelation_NIC_RELATION_NUMA_NODE},
			},
		},
		{
			Name: "accelerators/pci-0000-06-00-0", PciAddress: "0000:06:00.0", VendorId: 0x1da3, DeviceId: 0x1020, Vendor: "Habana",
			AcceleratorClass: aiv1.AcceleratorClass_ACCELERATOR_CLASS_PROCESSING, NumaNode: 0, IommuGroup: -1,
			Link:  &aiv1.PcieLink{CurrentWidth: 16, MaxWidth: 16, CurrentSpeedGts: 32, MaxSpeedGts: 32},
			Sriov: &aiv1.SriovState{TotalVfs: 8, NumVfs: 2},
			AffineNics: []*aiv1.AffineNic{
				{Interface: "ens1f0np0", PciAddress: "0000:04:00.0", Relation: aiv1.NicRelation_NIC_RELATION_NUMA_NODE},
				{Interface: "ens2", PciAddress: "0000:05:00.0", Relation: aiv1.NicRelation_NIC_RELATION_NUMA_NODE},
			},
		},
		{
			Name: "accelerators/pci-0000-82-00-1", PciAddress: "0000:82:00.1", VendorId: 0x1002, DeviceId: 0x74a1, Vendor: "AMD",
			AcceleratorClass: aiv1.AcceleratorClass_ACCELERATOR_CLASS_DISPLAY_OTHER, NumaNode: 1, IommuGroup: -1,
			Link:       &aiv1.PcieLink{},
			Sriov:      &aiv1.SriovState{VirtualFunction: true, PhysicalFunction: "0000:82:00.0"},
			AffineNics: []*aiv1.AffineNic{{Interface: "ens3", PciAddress: "0000:81:00.0", Relation: aiv1.NicRelation_NIC_RELATION_NUMA_NODE}},
		},
	}
	if d := cmp.Diff(want, got, protocmp.Transform()); d != "" {
		t.Fatalf("Scan (-want +got):\n%s", d)
	}

	st, err := src.Stats(context.Background(), got[0])
	if err != nil {
		t.Fatal(err)
	}
	wantSt := &aiv1.AcceleratorStats{Name: got[0].Name, Link: got[0].Link, PowerState: "D0", AerCorrectable: 3, AerNonfatal: 1}
	if !proto.Equal(st, wantSt) {
		t.Fatalf("Stats = %v, want %v", st, wantSt)
	}
	must(t, os.Remove(filepath.Join(root, "bus", "pci", "devices", "0000:03:00.0")))
	if _, err := src.Stats(context.Background(), got[0]); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Stats of a removed function = %v, want NotFound", err)
	}
}

func TestScanOfATreeWithoutPCIIsEmpty(t *testing.T) {
	got, err := New(t.TempDir()).Scan(context.Background())
	if err != nil || len(got) != 0 {
		t.Fatalf("Scan = %v, %v; want nothing and no error", got, err)
	}
}

// TestScanOfThisMachine reads the real /sys: this machine has no
// accelerator, which is an empty list, not an error; on one that has some,
// each is described.
func TestScanOfThisMachine(t *testing.T) {
	got, err := New("").Scan(context.Background())
	if err != nil {
		t.Fatalf("Scan of /sys: %v", err)
	}
	for _, a := range got {
		if a.GetVendor() == "" || a.GetPciAddress() == "" || a.GetLink() == nil {
			t.Errorf("incomplete accelerator %v", a)
		}
	}
	t.Logf("%d accelerators on this machine", len(got))
}
