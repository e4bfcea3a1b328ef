package kernel

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

var (
	testVrf = network.Vrf{VNI: 1000, Loopback: netip.MustParsePrefix("10.255.0.1/32")}
	testSvi = network.Svi{
		Vrf:      testVrf,
		Bridge:   lb(100, 100),
		MAC:      net.HardwareAddr{0x02, 0xaa, 0, 0, 0, 0x64},
		Gateways: []netip.Prefix{netip.MustParsePrefix("192.168.100.1/24")},
	}
)

// On a kernel without a feature the requests that need it fail with
// FailedPrecondition naming the kernel option, and change nothing.
func TestRequestsNeedingAMissingFeatureNameTheKernelOption(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	ns.veth(t, "p1", "p1peer")
	f := k.Features()
	cases := []struct {
		name    string
		have    bool
		option  string
		request func() error
	}{
		{"a trunk port", f.VlanFiltering, "CONFIG_BRIDGE_VLAN_FILTERING", func() error {
			return k.EnsurePort(ctx, network.Port{Interface: "p1", Type: network.PortTrunk, Bridges: []network.LogicalBridge{lb(100, 100)}})
		}},
		{"a trunk port with several logical bridges", f.VlanFiltering, "CONFIG_BRIDGE_VLAN_FILTERING", func() error {
			return k.EnsurePort(ctx, network.Port{Interface: "p1", Type: network.PortTrunk, Bridges: []network.LogicalBridge{lb(100, 100), lb(200, 200)}})
		}},
		{"a VRF", f.VRF, "CONFIG_NET_VRF", func() error { return k.EnsureVrf(ctx, testVrf) }},
		{"an SVI", f.VRF, "CONFIG_NET_VRF", func() error { return k.EnsureSvi(ctx, testSvi) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.have {
				t.Skipf("this kernel has %s", c.option)
			}
			before := ns.linkNames(t)
			err := c.request()
			if !errors.Is(err, errdefs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "("+c.option+")") {
				t.Fatalf("err = %v (class %v), want FailedPrecondition naming %s", err, errdefs.Class(err), c.option)
			}
			if after := ns.linkNames(t); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("devices before %v, after %v", before, after)
			}
			if p := ns.link(t, "p1"); p.Attrs().MasterIndex != 0 {
				t.Error("a refused request enslaved p1")
			}
		})
	}
}

// The real VRF path, where the kernel has VRF devices.
func TestEnsureVrfAndSvi(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	if !k.Features().VRF {
		t.Skip("this kernel lacks VRF devices (CONFIG_NET_VRF)")
	}
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := k.EnsureVrf(ctx, testVrf); err != nil {
			t.Fatalf("EnsureVrf #%d: %v", i+1, err)
		}
	}
	vrf, ok := ns.link(t, "vrf1000").(*netlink.Vrf)
	if !ok || vrf.Table != 1000 || !isUp(vrf) {
		t.Fatalf("vrf1000 = %+v, want a VRF device with table 1000, up", ns.link(t, "vrf1000"))
	}
	br := ns.link(t, "l3br1000")
	vx, _ := ns.link(t, "l3vx1000").(*netlink.Vxlan)
	if br == nil || br.Attrs().MasterIndex != vrf.Index || vx == nil || vx.VxlanId != 1000 || vx.MasterIndex != br.Attrs().Index {
		t.Fatalf("L3 VNI devices: l3br1000 %v, l3vx1000 %v", br, vx)
	}

	for i := range 2 {
		if err := k.EnsureSvi(ctx, testSvi); err != nil {
			t.Fatalf("EnsureSvi #%d: %v", i+1, err)
		}
	}
	svi := ns.link(t, "lb100")
	if svi.Attrs().MasterIndex != vrf.Index || svi.Attrs().HardwareAddr.String() != testSvi.MAC.String() || !isUp(svi) {
		t.Fatalf("lb100 as SVI: master %d MAC %s up %v", svi.Attrs().MasterIndex, svi.Attrs().HardwareAddr, isUp(svi))
	}
	addrs, _ := ns.h.AddrList(svi, netlink.FAMILY_V4)
	if len(addrs) != 1 || addrs[0].IPNet.String() != "192.168.100.1/24" {
		t.Errorf("lb100 addresses %v", addrs)
	}

	if err := k.RemoveSvi(ctx, testSvi); err != nil {
		t.Fatal(err)
	}
	if ns.link(t, "lb100").Attrs().MasterIndex != 0 {
		t.Error("RemoveSvi left lb100 in the VRF")
	}
	for i := range 2 {
		if err := k.RemoveVrf(ctx, testVrf); err != nil {
			t.Fatalf("RemoveVrf #%d: %v", i+1, err)
		}
	}
	for _, name := range []string{"vrf1000", "l3br1000", "l3vx1000"} {
		if ns.link(t, name) != nil {
			t.Errorf("%s still there", name)
		}
	}
}
