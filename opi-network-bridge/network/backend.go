package network

import (
	"context"
	"net"
	"net/netip"
)

// The network domain reaches its backends through the interfaces below,
// one per component: the kernel (netlink) and the routing suite (FRR).
// A resource is READY only when every component has applied it; each
// component's state is reported in the resource's status.
//
// Kernel realisation (one Linux bridge per logical bridge, because this
// suite must also run on kernels without bridge VLAN filtering):
//
//	logical bridge (VLAN v, VNI n)  ->  bridge "lb<v>" + VXLAN device "vx<n>"
//	                                    (local VTEP IP, dstport 4789, nolearning)
//	                                    enslaved to it, both up
//	bridge port (access)            ->  its kernel interface enslaved to the
//	                                    bridge of its one logical bridge, up,
//	                                    and a static FDB entry for its MAC
//	bridge port (trunk)             ->  needs bridge VLAN filtering
//	vrf (VNI n)                     ->  VRF device "vrf<n>" (table n), bridge
//	                                    "l3br<n>" + VXLAN "l3vx<n>" for the L3 VNI
//	svi                             ->  the logical bridge's bridge device
//	                                    enslaved to the VRF, its MAC and
//	                                    gateway addresses
//
// Names are derived from VLAN ids and VNIs, never from resource ids, so a
// restart finds the same devices.

// LogicalBridge is what the kernel and FRR need of a logical bridge.
type LogicalBridge struct {
	VlanID uint32
	VNI    uint32     // 0: no VXLAN (a local bridge only)
	VtepIP netip.Addr // local VTEP address; invalid: the bridge's default
}

// PortType says how a port carries its logical bridges.
type PortType int

// Port types, as in the API.
const (
	PortAccess PortType = iota + 1
	PortTrunk
)

// Port is what the kernel needs of a bridge port.
type Port struct {
	// Interface is the kernel interface; empty: the one whose MAC is MAC.
	Interface string
	MAC       net.HardwareAddr
	Type      PortType
	Bridges   []LogicalBridge
}

// Vrf is what the kernel and FRR need of a VRF.
type Vrf struct {
	VNI        uint32 // L3 VNI; 0: a local VRF only
	Loopback   netip.Prefix
	VtepIP     netip.Addr
	RD         string   // route distinguisher; empty: FRR's automatic one
	ImportRTs  []string // route targets; empty: automatic
	ExportRTs  []string
	TableID    uint32 // routing table; the bridge derives it from the VNI
	DeviceName string // "vrf<vni>" unless set
}

// Svi is what the kernel and FRR need of a switched virtual interface.
type Svi struct {
	Vrf       Vrf
	Bridge    LogicalBridge
	MAC       net.HardwareAddr
	Gateways  []netip.Prefix
	EnableBGP bool
	RemoteAS  uint32
}

// Features are the kernel features the bridge detected at start. A request
// that needs a missing one fails with FailedPrecondition naming the option.
type Features struct {
	Bridge, VXLAN, VRF, VLAN, VlanFiltering bool
}

// Kernel realises the data plane with netlink, in-process. Every method is
// idempotent (applying what is there already changes nothing), and an
// Ensure that fails half way undoes what it did before returning. Errors
// are classified with opi-kit/errdefs (a missing kernel feature is
// FailedPrecondition naming the CONFIG_ option; an interface that does not
// exist yet is NotFound).
type Kernel interface {
	Features() Features
	EnsureLogicalBridge(ctx context.Context, lb LogicalBridge) error
	RemoveLogicalBridge(ctx context.Context, lb LogicalBridge) error
	EnsurePort(ctx context.Context, p Port) error
	RemovePort(ctx context.Context, p Port) error
	EnsureVrf(ctx context.Context, v Vrf) error
	RemoveVrf(ctx context.Context, v Vrf) error
	EnsureSvi(ctx context.Context, s Svi) error
	RemoveSvi(ctx context.Context, s Svi) error
	// Interfaces lists the kernel's interfaces with their counters.
	Interfaces(ctx context.Context) ([]Interface, error)
	// SetInterface changes an interface's administrative state and MTU
	// (0: unchanged).
	SetInterface(ctx context.Context, name string, up bool, mtu int) error
	// Watch calls drift for every change behind the bridge's back to a
	// device or FDB entry it manages (deleted, set down, moved), until ctx
	// ends.
	Watch(ctx context.Context, drift func(Drift)) error
}

// Interface is a kernel network interface as NetInterface reports it.
type Interface struct {
	Name      string
	Index     int
	Kind      string // "veth", "bridge", "vxlan", "" for a physical one
	MAC       net.HardwareAddr
	MTU       int
	AdminUp   bool
	OperUp    bool
	Master    string
	Addresses []netip.Prefix
	Counters  Counters
}

// Counters are an interface's statistics.
type Counters struct {
	InBytes, InPackets, InErrors, InDrops     uint64
	OutBytes, OutPackets, OutErrors, OutDrops uint64
}

// Drift is a change to a managed kernel object that the bridge did not make.
type Drift struct {
	Object string // "link vx100", "fdb 02:00:00:00:00:01 dev veth1"
	Change string // "deleted", "down", "released"
}

// RoutingConfig is the managed part of the routing suite's configuration,
// rendered whole from intent on every change.
type RoutingConfig struct {
	LogicalBridges []LogicalBridge
	Vrfs           []Vrf
	Svis           []Svi
}

// Routing applies the managed configuration to the routing suite (FRR)
// transactionally: validated first, then applied; a failed apply leaves
// the running configuration as it was and says why (InvalidArgument for a
// configuration FRR refuses, Unavailable when FRR cannot be reached).
type Routing interface {
	Apply(ctx context.Context, cfg RoutingConfig) error
	// State reads the routing suite's operational EVPN state.
	State(ctx context.Context) (RoutingState, error)
}

// RoutingState is the EVPN state the routing suite reports.
type RoutingState struct {
	// VNIs zebra knows, with their kind ("L2", "L3") and remote VTEPs.
	VNIs map[uint32]VNIState
	// Routes are the EVPN routes in BGP's table.
	Routes []EVPNRoute
}

// VNIState is one VNI as zebra reports it.
type VNIState struct {
	Type        string // "L2" or "L3"
	VxlanIf     string
	RemoteVteps []netip.Addr
	MACs        int
}

// EVPNRoute is one EVPN route in BGP's table.
type EVPNRoute struct {
	Type    int // 2: MAC/IP, 3: inclusive multicast, 5: IP prefix
	RD      string
	VNI     uint32 // when the route carries it
	MAC     net.HardwareAddr
	IP      netip.Addr // type-2 IP, type-3 originator, type-5 prefix address
	Prefix  netip.Prefix
	NextHop netip.Addr
	Local   bool // originated here
}
