// Package kernel is the network bridge's kernel adapter: it realises
// logical bridges, bridge ports, VRFs and SVIs as Linux devices through
// netlink, in-process (vishvananda/netlink), in one network namespace.
//
// Devices are named from VLAN ids and VNIs (BridgeName, VxlanName,
// VrfName, L3BridgeName, L3VxlanName), never from resource ids, so a
// restarted bridge finds the devices it made before.
//
// Ownership: a device that carries one of these names and the kind the
// adapter would make (a bridge named lb<vlan>, a VXLAN device named
// vx<vni>) is the adapter's: Ensure corrects it in place, or deletes and
// re-creates it where the kernel cannot change an attribute (a VXLAN
// device's VNI or port). A device with one of these names and another
// kind is someone else's: Ensure refuses with AlreadyExists and never
// touches it. Interfaces the adapter did not make (bridge ports) are
// enslaved, set up and released, never deleted.
//
// Every change runs under one lock, and an Ensure that fails half way
// deletes the devices it created before returning, so no call leaves a
// half-made object behind.
package kernel

import (
	"fmt"
	"log/slog"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// DefaultVxlanPort is the IANA VXLAN port, the VXLAN devices' destination
// port unless Config says otherwise.
const DefaultVxlanPort = 4789

// Config says where and how the adapter makes its devices.
type Config struct {
	// NetNS is the network namespace to work in; 0 or netns.None(): the
	// calling process's namespace. The adapter keeps its own netlink
	// sockets in that namespace and never moves a thread into it after
	// New, so tests can drive a namespace from an ordinary goroutine.
	NetNS netns.NsHandle
	// DefaultVtepIP is the local VTEP address of a logical bridge or VRF
	// whose request names none.
	DefaultVtepIP netip.Addr
	// VxlanPort is the VXLAN devices' UDP destination port; 0: 4789.
	VxlanPort int
	// MTU of the devices the adapter makes (bridges, VXLAN devices, VRFs);
	// 0: the kernel's default.
	MTU int
	// Logger receives what the adapter does and what it could not undo;
	// nil: slog.Default().
	Logger *slog.Logger
}

// Kernel is the netlink realisation of network.Kernel.
type Kernel struct {
	cfg      Config
	ns       *netns.NsHandle // nil: the current namespace
	h        *netlink.Handle
	log      *slog.Logger
	features network.Features

	// mu serialises every change, and the watcher judges each event while
	// holding it, so it only ever compares the kernel with the desired
	// state between two changes, never in the middle of one (see watch.go).
	mu   sync.Mutex
	want desired
	fdb  fdbReader
}

var _ network.Kernel = (*Kernel)(nil)

// New opens netlink sockets in the configured namespace and detects the
// kernel's features by probing (see features.go).
func New(cfg Config) (*Kernel, error) {
	if cfg.VxlanPort == 0 {
		cfg.VxlanPort = DefaultVxlanPort
	}
	if cfg.VxlanPort < 0 || cfg.VxlanPort > 65535 {
		return nil, fmt.Errorf("kernel: VXLAN port %d out of range", cfg.VxlanPort)
	}
	if cfg.MTU < 0 {
		return nil, fmt.Errorf("kernel: MTU %d is negative", cfg.MTU)
	}
	if cfg.DefaultVtepIP.IsValid() && !usableVtep(cfg.DefaultVtepIP) {
		return nil, fmt.Errorf("kernel: default VTEP address %s is not a unicast address", cfg.DefaultVtepIP)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	k := &Kernel{cfg: cfg, log: log.With("component", "kernel"), want: newDesired()}
	var err error
	if cfg.NetNS == 0 || cfg.NetNS == netns.None() {
		k.h, err = netlink.NewHandle()
	} else {
		ns := cfg.NetNS
		k.ns = &ns
		k.h, err = netlink.NewHandleAt(ns)
	}
	if err != nil {
		return nil, fmt.Errorf("kernel: opening netlink: %w", err)
	}
	k.fdb.ns = k.ns
	k.features = detectFeatures(k.h, k.log)
	k.log.Info("kernel features", "bridge", k.features.Bridge, "vxlan", k.features.VXLAN,
		"vrf", k.features.VRF, "vlan", k.features.VLAN, "vlan_filtering", k.features.VlanFiltering)
	return k, nil
}

// Close releases the netlink sockets. The devices stay.
func (k *Kernel) Close() error {
	k.h.Close()
	k.fdb.close()
	return nil
}

// Features returns what New detected.
func (k *Kernel) Features() network.Features { return k.features }

// The device names. Each fits IFNAMSIZ (15 characters) for every VLAN id
// (up to 4094) and VNI (up to 16777215).

// BridgeName is the bridge device of a logical bridge.
func BridgeName(vlan uint32) string { return fmt.Sprintf("lb%d", vlan) }

// VxlanName is the VXLAN device of a logical bridge's VNI.
func VxlanName(vni uint32) string { return fmt.Sprintf("vx%d", vni) }

// VrfName is the VRF device of a VRF, unless the request names one.
func VrfName(v network.Vrf) string {
	if v.DeviceName != "" {
		return v.DeviceName
	}
	return fmt.Sprintf("vrf%d", v.VNI)
}

// L3BridgeName is the bridge of a VRF's L3 VNI.
func L3BridgeName(vni uint32) string { return fmt.Sprintf("l3br%d", vni) }

// L3VxlanName is the VXLAN device of a VRF's L3 VNI.
func L3VxlanName(vni uint32) string { return fmt.Sprintf("l3vx%d", vni) }

func usableVtep(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast()
}
