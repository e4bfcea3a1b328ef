// Package sysfs finds accelerators in Linux PCI sysfs
// (/sys/bus/pci/devices): display and 3D controllers and processing
// accelerators of NVIDIA, AMD, Intel and Habana, with their NUMA node,
// PCIe link, SR-IOV state and the network interfaces near them. It reads
// files only, so a fake tree under another root serves tests.
package sysfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	aiv1 "github.com/opi-suite/opi/opi-api/ai/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"

	"github.com/opi-suite/opi/opi-ai-bridge/accelerator"
)

// Vendors are the PCI vendor ids of accelerator makers.
var Vendors = map[uint32]string{
	0x10de: "NVIDIA",
	0x1002: "AMD",
	0x1022: "AMD",
	0x8086: "Intel",
	0x1da3: "Habana",
}

// classes maps the PCI base class and subclass (class >> 8) of
// accelerators to the API's class.
var classes = map[uint32]aiv1.AcceleratorClass{
	0x0300: aiv1.AcceleratorClass_ACCELERATOR_CLASS_VGA,
	0x0302: aiv1.AcceleratorClass_ACCELERATOR_CLASS_3D,
	0x0380: aiv1.AcceleratorClass_ACCELERATOR_CLASS_DISPLAY_OTHER,
	0x1200: aiv1.AcceleratorClass_ACCELERATOR_CLASS_PROCESSING,
}

// pciAddr matches a PCI address as sysfs names functions.
var pciAddr = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)

// Source reads PCI sysfs under a root ("/sys" on a real machine).
type Source struct {
	root string
}

// New returns a Source that reads root+"/bus/pci/devices"; root "" is
// "/sys".
func New(root string) *Source {
	if root == "" {
		root = "/sys"
	}
	return &Source{root: root}
}

// device is what Scan reads of one PCI function.
type device struct {
	addr   string
	dir    string   // the bus/pci/devices entry
	chain  []string // PCI addresses from the root port down to the function
	class  uint32
	vendor uint32
	numa   int32
}

func (s *Source) devices() ([]device, error) {
	base := filepath.Join(s.root, "bus", "pci", "devices")
	entries, err := os.ReadDir(base)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no PCI bus (a container without /sys, some VMs): nothing to find
	}
	if err != nil {
		return nil, errdefs.Wrap(errdefs.ErrInternal, fmt.Errorf("pci sysfs: %w", err))
	}
	var out []device
	for _, e := range entries {
		if !pciAddr.MatchString(e.Name()) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		d := device{addr: e.Name(), dir: dir, numa: -1}
		d.class = uint32(readHex(dir, "class"))
		d.vendor = uint32(readHex(dir, "vendor"))
		if n, ok := readInt(dir, "numa_node"); ok {
			d.numa = int32(n)
		}
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			for _, part := range strings.Split(real, string(filepath.Separator)) {
				if pciAddr.MatchString(part) {
					d.chain = append(d.chain, part)
				}
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// Scan implements accelerator.Source.
func (s *Source) Scan(ctx context.Context) ([]*aiv1.Accelerator, error) {
	devs, err := s.devices()
	if err != nil {
		return nil, err
	}
	var accs []*aiv1.Accelerator
	for _, d := range devs {
		cls, ok := classes[d.class>>8]
		vendor, known := Vendors[d.vendor]
		if !ok || !known {
			continue
		}
		a := &aiv1.Accelerator{
			Name:             accelerator.NameOf(d.addr),
			PciAddress:       d.addr,
			VendorId:         d.vendor,
			DeviceId:         uint32(readHex(d.dir, "device")),
			Vendor:           vendor,
			AcceleratorClass: cls,
			Driver:           linkBase(d.dir, "driver"),
			NumaNode:         d.numa,
			Link:             readLink(d.dir),
			Sriov:            readSriov(d.dir),
			AffineNics:       affineNics(d, devs),
			IommuGroup:       -1,
		}
		if g, err := strconv.Atoi(linkBase(d.dir, "iommu_group")); err == nil {
			a.IommuGroup = int32(g)
		}
		accs = append(accs, a)
	}
	return accs, nil
}

// Stats implements accelerator.Source.
func (s *Source) Stats(_ context.Context, acc *aiv1.Accelerator) (*aiv1.AcceleratorStats, error) {
	dir := filepath.Join(s.root, "bus", "pci", "devices", acc.GetPciAddress())
	if _, err := os.Stat(dir); err != nil {
		return nil, errdefs.NotFoundf("%s: PCI function %s is gone", acc.GetName(), acc.GetPciAddress())
	}
	st := &aiv1.AcceleratorStats{Name: acc.GetName(), Link: readLink(dir), PowerState: readString(dir, "power_state")}
	st.AerCorrectable = aerTotal(dir, "aer_dev_correctable", "TOTAL_ERR_COR")
	st.AerNonfatal = aerTotal(dir, "aer_dev_nonfatal", "TOTAL_ERR_NONFATAL")
	st.AerFatal = aerTotal(dir, "aer_dev_fatal", "TOTAL_ERR_FATAL")
	return st, nil
}

// affineNics lists the network functions behind the same PCIe switch as d,
// then those on its NUMA node. Two functions share a switch when their
// paths share the root port and the switch's upstream port below it.
func affineNics(d device, devs []device) []*aiv1.AffineNic {
	var out []*aiv1.AffineNic
	for _, n := range devs {
		if n.class>>16 != 0x02 || n.addr == d.addr {
			continue
		}
		ifaces, _ := os.ReadDir(filepath.Join(n.dir, "net"))
		if len(ifaces) == 0 {
			continue // no kernel interface: not usable for traffic here
		}
		rel := aiv1.NicRelation_NIC_RELATION_UNSPECIFIED
		switch {
		case sameSwitch(d.chain, n.chain):
			rel = aiv1.NicRelation_NIC_RELATION_PCIE_SWITCH
		case d.numa == n.numa:
			rel = aiv1.NicRelation_NIC_RELATION_NUMA_NODE
		default:
			continue
		}
		for _, i := range ifaces {
			out = append(out, &aiv1.AffineNic{Interface: i.Name(), PciAddress: n.addr, Relation: rel})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Relation != out[j].Relation {
			return out[i].Relation < out[j].Relation
		}
		return out[i].Interface < out[j].Interface
	})
	return out
}

func sameSwitch(a, b []string) bool {
	// chain[0] is the root port, chain[1] the switch's upstream port; a
	// function right below a root port (len 2) has no switch.
	return len(a) >= 3 && len(b) >= 3 && a[0] == b[0] && a[1] == b[1]
}

func readLink(dir string) *aiv1.PcieLink {
	l := &aiv1.PcieLink{}
	if v, ok := readInt(dir, "current_link_width"); ok {
		l.CurrentWidth = uint32(v)
	}
	if v, ok := readInt(dir, "max_link_width"); ok {
		l.MaxWidth = uint32(v)
	}
	l.CurrentSpeedGts = parseSpeed(readString(dir, "current_link_speed"))
	l.MaxSpeedGts = parseSpeed(readString(dir, "max_link_speed"))
	l.Degraded = (l.CurrentWidth > 0 && l.CurrentWidth < l.MaxWidth) ||
		(l.CurrentSpeedGts > 0 && l.CurrentSpeedGts < l.MaxSpeedGts)
	return l
}

// parseSpeed reads sysfs's "16.0 GT/s PCIe" (or "Unknown" / "8 GT/s").
func parseSpeed(s string) float64 {
	f, err := strconv.ParseFloat(strings.Fields(s + " x")[0], 64)
	if err != nil {
		return 0
	}
	return f
}

func readSriov(dir string) *aiv1.SriovState {
	st := &aiv1.SriovState{}
	if v, ok := readInt(dir, "sriov_totalvfs"); ok {
		st.TotalVfs = uint32(v)
	}
	if v, ok := readInt(dir, "sriov_numvfs"); ok {
		st.NumVfs = uint32(v)
	}
	if pf := linkBase(dir, "physfn"); pf != "" {
		st.VirtualFunction, st.PhysicalFunction = true, pf
	}
	return st
}

// aerTotal reads the total line of an AER counter file ("TOTAL_ERR_COR 3").
func aerTotal(dir, file, key string) uint64 {
	for _, line := range strings.Split(readString(dir, file), "\n") {
		f := strings.Fields(line)
		if len(f) == 2 && f[0] == key {
			v, _ := strconv.ParseUint(f[1], 10, 64)
			return v
		}
	}
	return 0
}

func readString(dir, file string) string {
	b, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func readHex(dir, file string) uint64 {
	v, _ := strconv.ParseUint(strings.TrimPrefix(readString(dir, file), "0x"), 16, 32)
	return v
}

func readInt(dir, file string) (int64, bool) {
	v, err := strconv.ParseInt(readString(dir, file), 10, 64)
	return v, err == nil
}

// linkBase returns the last element of the symlink dir/file's target.
func linkBase(dir, file string) string {
	t, err := os.Readlink(filepath.Join(dir, file))
	if err != nil {
		return ""
	}
	return filepath.Base(t)
}
