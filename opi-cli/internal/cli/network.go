package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
)

// newNetworkCmd returns `opi network`: the EVPN gateway's resource kinds and
// the kernel's interfaces, through the same verbs as the storage kinds.
func newNetworkCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network",
		Short: "Build an EVPN gateway: logical bridges, ports, VRFs, SVIs, interfaces (network bridge)",
		Long: `opi network manages the resources of the OPI network API: logical bridges
(VLANs stretched over VXLAN), the bridge ports that attach interfaces to
them, VRFs and the SVIs that route between them, and the kernel's network
interfaces.

Each EVPN kind has the verbs create ID, get NAME, list, update NAME and
delete NAME; interfaces have get, list and update. NAME is an id or a full
name. A flag that refers to another resource (--logical-bridge, --vrf)
takes its id or its full name. update sends only the fields whose flags are
given; create, update and delete take --dry-run to print the request.

Two components realise each resource, the kernel and FRR; the COMPONENTS
column says how far each has come ("kernel=applied frr=pending"), and
STATUS is READY once both have applied it.`,
		Example: `  opi network logical-bridge create blue --vlan-id 100 --vni 100 --vtep-ip 10.0.0.1
  opi network bridge-port create p1 --mac 02:00:00:00:00:01 --type access --logical-bridge blue --interface eth1
  opi network vrf create red --vni 1000 --loopback 10.255.0.1/32 --vtep-ip 10.0.0.1
  opi network svi create blue-gw --vrf red --logical-bridge blue --mac 02:00:00:00:01:00 --gateway 10.0.1.1/24
  opi network interface update eth1 --up --mtu 9000`,
	}
	cmd.AddGroup(
		&cobra.Group{ID: "evpn", Title: "EVPN gateway:"},
		&cobra.Group{ID: "kernel", Title: "Kernel:"},
	)
	cmd.AddCommand(
		resourceCommand(g, logicalBridgeKind()),
		resourceCommand(g, bridgePortKind()),
		resourceCommand(g, vrfKind()),
		resourceCommand(g, sviKind()),
		resourceCommand(g, netInterfaceKind()),
	)
	return cmd
}

func logicalBridgeKind() resourceKind[*networkv1.LogicalBridge] {
	return resourceKind[*networkv1.LogicalBridge]{
		use: "logical-bridge", noun: "logical bridge", group: "evpn",
		example: `  opi network logical-bridge create blue --vlan-id 100 --vni 100
  opi network logical-bridge create lab --vlan-id 200            # no VNI: local to this gateway
  opi network logical-bridge update blue --vtep-ip 10.0.0.2`,
		columns: []string{"VLAN", "VNI", "VTEP", "REMOTE VTEPS", "COMPONENTS"},
		row: func(v *networkv1.LogicalBridge) []string {
			return []string{nonZero(v.GetVlanId()), optional(v.Vni), v.GetVtepIp(), strings.Join(v.GetRemoteVteps(), ","), componentsText(v.GetComponents())}
		},
		spec: func(s *specFlags, v *networkv1.LogicalBridge) {
			s.u32(&v.VlanId, "vlan-id", "vlan_id", "VLAN id on the gateway, 1 to 4094")
			s.optU32(&v.Vni, "vni", "vni", "VXLAN network identifier, 1 to 16777215 (default: none, a bridge local to this gateway)")
			s.str(&v.VtepIp, "vtep-ip", "vtep_ip", "local VTEP address the VXLAN device sends from (default: the bridge's)")
		},
	}
}

func bridgePortKind() resourceKind[*networkv1.BridgePort] {
	return resourceKind[*networkv1.BridgePort]{
		use: "bridge-port", noun: "bridge port", group: "evpn",
		example: `  opi network bridge-port create p1 --mac 02:00:00:00:00:01 --type access --logical-bridge blue --interface eth1
  opi network bridge-port create t1 --mac 02:00:00:00:00:02 --type trunk --logical-bridge blue,green
  opi network bridge-port update t1 --logical-bridge blue --logical-bridge green --logical-bridge red`,
		columns: []string{"MAC", "TYPE", "BRIDGES", "INTERFACE", "COMPONENTS"},
		row: func(v *networkv1.BridgePort) []string {
			return []string{v.GetMacAddress(), enumWord(v.GetPtype()), strings.Join(ids(v.GetLogicalBridges()), ","), v.GetInterface(), componentsText(v.GetComponents())}
		},
		spec: func(s *specFlags, v *networkv1.BridgePort) {
			s.str(&v.MacAddress, "mac", "mac_address", `MAC address of the port, "aa:bb:cc:dd:ee:ff"`)
			enumFlag(s, &v.Ptype, "type", "ptype", "access: untagged, in one logical bridge; trunk: tagged with each bridge's VLAN id")
			s.refs(&v.LogicalBridges, "logical-bridge", "logical_bridges", "the logical bridges, one for an access port (update replaces the list)")
			s.str(&v.Interface, "interface", "interface", "kernel interface, such as eth1 (default: the one with --mac)")
		},
	}
}

func vrfKind() resourceKind[*networkv1.Vrf] {
	return resourceKind[*networkv1.Vrf]{
		use: "vrf", noun: "VRF", group: "evpn",
		example: `  opi network vrf create red --vni 1000 --loopback 10.255.0.1/32
  opi network vrf create blue --vni 1001 --rd 65000:1001 --import-rt 65000:1001,65000:1 --export-rt 65000:1001
  opi network vrf update red --export-rt 65000:1000 --export-rt 65000:1`,
		columns: []string{"VNI", "LOOPBACK", "VTEP", "RD", "IMPORT RT", "EXPORT RT", "TABLE", "COMPONENTS"},
		row: func(v *networkv1.Vrf) []string {
			return []string{optional(v.Vni), v.GetLoopbackIpPrefix(), v.GetVtepIp(), v.GetRouteDistinguisher(),
				strings.Join(v.GetImportRouteTargets(), ","), strings.Join(v.GetExportRouteTargets(), ","), nonZero(v.GetRoutingTable()), componentsText(v.GetComponents())}
		},
		spec: func(s *specFlags, v *networkv1.Vrf) {
			s.optU32(&v.Vni, "vni", "vni", "L3 VNI, 1 to 16777215 (default: none, a VRF local to this gateway)")
			s.str(&v.LoopbackIpPrefix, "loopback", "loopback_ip_prefix", "loopback address with its prefix length, such as 10.255.0.1/32")
			s.str(&v.VtepIp, "vtep-ip", "vtep_ip", "local VTEP address for the L3 VNI (default: the bridge's)")
			s.str(&v.RouteDistinguisher, "rd", "route_distinguisher", `route distinguisher, "ASN:NN" or "IP:NN" (default: FRR's)`)
			s.strs(&v.ImportRouteTargets, "import-rt", "import_route_targets", `route targets to import, "ASN:NN" or "IP:NN" (default: automatic; update replaces the list)`)
			s.strs(&v.ExportRouteTargets, "export-rt", "export_route_targets", `route targets to export, "ASN:NN" or "IP:NN" (default: automatic; update replaces the list)`)
		},
	}
}

func sviKind() resourceKind[*networkv1.Svi] {
	return resourceKind[*networkv1.Svi]{
		use: "svi", noun: "SVI", group: "evpn",
		example: `  opi network svi create blue-gw --vrf red --logical-bridge blue --mac 02:00:00:00:01:00 --gateway 10.0.1.1/24
  opi network svi update blue-gw --gateway 10.0.1.1/24 --gateway fd00:1::1/64
  opi network svi update blue-gw --enable-bgp --remote-as 65100`,
		columns: []string{"VRF", "LOGICAL BRIDGE", "MAC", "GATEWAYS", "BGP", "COMPONENTS"},
		row: func(v *networkv1.Svi) []string {
			bgp := ""
			if v.GetEnableBgp() {
				bgp = "yes"
				if v.GetRemoteAs() != 0 {
					bgp = fmt.Sprintf("AS %d", v.GetRemoteAs())
				}
			}
			return []string{id(v.GetVrf()), id(v.GetLogicalBridge()), v.GetMacAddress(), strings.Join(v.GetGwIpPrefixes(), ","), bgp, componentsText(v.GetComponents())}
		},
		spec: func(s *specFlags, v *networkv1.Svi) {
			s.ref(&v.Vrf, "vrf", "vrf", "the VRF")
			s.ref(&v.LogicalBridge, "logical-bridge", "logical_bridge", "the logical bridge it routes for")
			s.str(&v.MacAddress, "mac", "mac_address", `gateway MAC address, "aa:bb:cc:dd:ee:ff"`)
			s.strs(&v.GwIpPrefixes, "gateway", "gw_ip_prefixes", "gateway address with its prefix length, such as 10.0.1.1/24 (update replaces the list)")
			s.boolean(&v.EnableBgp, "enable-bgp", "enable_bgp", "run BGP with the hosts behind the SVI")
			s.u32(&v.RemoteAs, "remote-as", "remote_as", "the hosts' AS number, with --enable-bgp")
		},
	}
}

func netInterfaceKind() resourceKind[*networkv1.NetInterface] {
	return resourceKind[*networkv1.NetInterface]{
		use: "interface", noun: "interface", group: "kernel",
		example: `  opi network interface list
  opi network interface update eth1 --up --mtu 9000
  opi network interface update eth2 --down`,
		columns: []string{"KIND", "MAC", "MTU", "UP/OPER", "MASTER", "ADDRESSES", "RX BYTES", "TX BYTES"},
		row: func(v *networkv1.NetInterface) []string {
			return []string{v.GetKind(), v.GetMacAddress(), nonZero(v.GetMtu()), upDown(v.GetAdminUp()) + "/" + upDown(v.GetOperUp()),
				v.GetMaster(), strings.Join(v.GetAddresses(), ","), u64(v.GetCounters().GetInBytes()), u64(v.GetCounters().GetOutBytes())}
		},
		spec: func(s *specFlags, v *networkv1.NetInterface) {
			// --up and --down set one field, admin_up, so both are in the
			// mask as that field once; --down is there so that nobody has
			// to write --up=false.
			var up, down bool
			s.flags().BoolVar(&up, "up", false, "bring the interface up (administratively)")
			s.bind("up", "admin_up")
			s.flags().BoolVar(&down, "down", false, "take the interface down (administratively)")
			s.bind("down", "admin_up")
			s.then(func(*stdin) error {
				switch {
				case s.changed("up") && s.changed("down"):
					return fmt.Errorf("--up and --down contradict each other: give one")
				case s.changed("up"):
					v.AdminUp = up
				case s.changed("down"):
					v.AdminUp = !down
				}
				return nil
			})
			s.i32(&v.Mtu, "mtu", "mtu", "MTU in bytes")
		},
	}
}

// componentsText is each component's state in the order the service
// gives them: "kernel=applied frr=pending".
func componentsText(cs []*networkv1.ComponentStatus) string {
	out := make([]string, 0, len(cs))
	for _, c := range cs {
		state := enumWord(c.GetState())
		if state == "" {
			state = "unknown"
		}
		out = append(out, c.GetName()+"="+state)
	}
	return strings.Join(out, " ")
}

// optional formats a proto3 optional number; unset shows as missing.
func optional(p *uint32) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}

// id is the last segment of a resource name: a reference to a kind the
// column names already is clear by its id.
func id(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}

// ids is id of each name.
func ids(full []string) []string {
	out := make([]string, len(full))
	for i, n := range full {
		out[i] = id(n)
	}
	return out
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}
