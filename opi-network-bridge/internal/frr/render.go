package frr

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// managedMarker opens the managed part of a rendered configuration. FRR
// drops comments, so it is only for a reader of the candidate file.
const managedMarker = "! managed by opi-network-bridge: rendered from intent on every apply, do not edit"

// Render returns the complete configuration for FRR: the operator's base
// configuration, unchanged, followed by the managed part rendered from cfg.
// The output depends only on its inputs (lists are sorted, duplicates
// dropped), so rendering the same intent twice gives the same bytes.
//
// The managed part re-opens "router bgp ASN" and its "address-family l2vpn
// evpn" after the base's own blocks; FRR (and frr-reload.py, which merges
// contexts of the same name) treats the two blocks as one.
func Render(base string, asn uint32, routerID netip.Addr, cfg network.RoutingConfig) string {
	var b strings.Builder
	base = strings.TrimRight(base, "\n \t")
	if base != "" {
		b.WriteString(base)
		b.WriteString("\n!\n")
	}
	b.WriteString(managedMarker + "\n!\n")

	vrfs := vrfsOf(cfg)
	// zebra's half of an L3 VNI: the VRF and its VNI.
	for _, v := range vrfs {
		if v.VNI == 0 {
			continue
		}
		fmt.Fprintf(&b, "vrf %s\n vni %d\nexit-vrf\n!\n", v.name, v.VNI)
	}

	fmt.Fprintf(&b, "router bgp %d\n", asn)
	if routerID.IsValid() {
		fmt.Fprintf(&b, " bgp router-id %s\n", routerID)
	}
	b.WriteString(" !\n address-family l2vpn evpn\n  advertise-all-vni\n")
	for _, vni := range l2VNIs(cfg) {
		fmt.Fprintf(&b, "  vni %d\n  exit-vni\n", vni)
	}
	b.WriteString(" exit-address-family\nexit\n!\n")

	for _, v := range vrfs {
		if v.VNI == 0 && len(v.svis) == 0 {
			continue
		}
		fmt.Fprintf(&b, "router bgp %d vrf %s\n", asn, v.name)
		if routerID.IsValid() {
			fmt.Fprintf(&b, " bgp router-id %s\n", routerID)
		}
		for _, s := range v.svis {
			fmt.Fprintf(&b, " neighbor %s interface remote-as %s\n", sviInterface(s), remoteAS(s.RemoteAS))
		}
		if v.VNI != 0 {
			// The VRF's connected routes (its SVIs' gateway subnets) go
			// into its BGP table, and from there into EVPN as type-5.
			b.WriteString(" !\n address-family ipv4 unicast\n  redistribute connected\n exit-address-family\n")
			b.WriteString(" !\n address-family l2vpn evpn\n  advertise ipv4 unicast\n")
			if v.RD != "" {
				fmt.Fprintf(&b, "  rd %s\n", v.RD)
			}
			for _, rt := range sortedUnique(v.ImportRTs) {
				fmt.Fprintf(&b, "  route-target import %s\n", rt)
			}
			for _, rt := range sortedUnique(v.ExportRTs) {
				fmt.Fprintf(&b, "  route-target export %s\n", rt)
			}
			b.WriteString(" exit-address-family\n")
		}
		b.WriteString("exit\n!\n")
	}
	return b.String()
}

// VrfName is the name FRR and the kernel know a VRF by: its device name,
// "vrf<vni>" unless set.
func VrfName(v network.Vrf) string {
	if v.DeviceName != "" {
		return v.DeviceName
	}
	return fmt.Sprintf("vrf%d", v.VNI)
}

// sviInterface is the kernel interface of an SVI: the bridge of its
// logical bridge ("lb<vlan>", see network's kernel realisation).
func sviInterface(s network.Svi) string { return fmt.Sprintf("lb%d", s.Bridge.VlanID) }

func remoteAS(as uint32) string {
	if as == 0 {
		return "external"
	}
	return fmt.Sprint(as)
}

type renderedVrf struct {
	network.Vrf
	name string
	svis []network.Svi // with EnableBGP, sorted by VLAN
}

// vrfsOf merges the VRFs of cfg with those the SVIs name, by name, sorted.
func vrfsOf(cfg network.RoutingConfig) []renderedVrf {
	byName := map[string]*renderedVrf{}
	add := func(v network.Vrf) *renderedVrf {
		n := VrfName(v)
		if r, ok := byName[n]; ok {
			return r
		}
		r := &renderedVrf{Vrf: v, name: n}
		byName[n] = r
		return r
	}
	for _, v := range cfg.Vrfs {
		add(v)
	}
	for _, s := range cfg.Svis {
		if !s.EnableBGP {
			continue
		}
		r := add(s.Vrf)
		if !slices.ContainsFunc(r.svis, func(o network.Svi) bool { return o.Bridge.VlanID == s.Bridge.VlanID }) {
			r.svis = append(r.svis, s)
		}
	}
	out := make([]renderedVrf, 0, len(byName))
	for _, r := range byName {
		slices.SortFunc(r.svis, func(a, b network.Svi) int { return cmp.Compare(a.Bridge.VlanID, b.Bridge.VlanID) })
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b renderedVrf) int { return strings.Compare(a.name, b.name) })
	return out
}

// l2VNIs are the VNIs of the logical bridges, sorted, without 0 (a local
// bridge) and without the L3 VNIs of VRFs.
func l2VNIs(cfg network.RoutingConfig) []uint32 {
	l3 := map[uint32]bool{}
	for _, v := range cfg.Vrfs {
		l3[v.VNI] = true
	}
	var out []uint32
	for _, lb := range cfg.LogicalBridges {
		if lb.VNI != 0 && !l3[lb.VNI] {
			out = append(out, lb.VNI)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
