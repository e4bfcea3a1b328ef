package kernel

import (
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

func TestFeaturesAreProbedInTheNamespace(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	f := k.Features()
	if !f.Bridge || !f.VXLAN {
		t.Fatalf("features %+v: this suite needs Linux bridges and VXLAN", f)
	}
	// The probes' throwaway devices are gone again.
	links, err := ns.h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if strings.HasPrefix(l.Attrs().Name, "opip") {
			t.Errorf("probe device %s left behind", l.Attrs().Name)
		}
	}
	// Where the kernel publishes its config, the probes agree with it.
	if config := kernelConfig(); config != nil {
		for _, c := range []struct {
			option string
			probed bool
		}{
			{"CONFIG_NET_VRF", f.VRF},
			{"CONFIG_VLAN_8021Q", f.VLAN},
			{"CONFIG_BRIDGE_VLAN_FILTERING", f.VlanFiltering},
		} {
			if c.probed != config[c.option] {
				t.Errorf("%s: probe says %v, /proc/config.gz says %v", c.option, c.probed, config[c.option])
			}
		}
	}
}

func TestEnsureLogicalBridgeMakesBridgeAndVxlanOnceAndRemoveDeletesThem(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)

	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	br, vx := ns.link(t, "lb100"), ns.link(t, "vx100")
	if br == nil || br.Type() != "bridge" || !isUp(br) {
		t.Fatalf("lb100 = %v, want a bridge, up", br)
	}
	v, ok := vx.(*netlink.Vxlan)
	if !ok {
		t.Fatalf("vx100 = %v, want a VXLAN device", vx)
	}
	if v.VxlanId != 100 || !v.SrcAddr.Equal(net.ParseIP("10.0.0.1")) || v.Port != 4789 || v.Learning ||
		v.Group != nil || v.MasterIndex != br.Attrs().Index || !isUp(v) {
		t.Fatalf("vx100: vni %d local %v port %d learning %v group %v master %d up %v; want 100 10.0.0.1 4789 false <nil> %d true",
			v.VxlanId, v.SrcAddr, v.Port, v.Learning, v.Group, v.MasterIndex, isUp(v), br.Attrs().Index)
	}

	// Applying it again changes nothing: no device is re-made, and the
	// kernel reports no change to either device.
	changed := ns.linkEventsDuring(t, func() {
		if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
			t.Fatal(err)
		}
	})
	if br2, vx2 := ns.link(t, "lb100"), ns.link(t, "vx100"); br2.Attrs().Index != br.Attrs().Index || vx2.Attrs().Index != vx.Attrs().Index {
		t.Errorf("a second Ensure re-made the devices: indexes %d,%d -> %d,%d",
			br.Attrs().Index, vx.Attrs().Index, br2.Attrs().Index, vx2.Attrs().Index)
	}
	if len(changed) != 0 {
		t.Errorf("a second Ensure changed %v", changed)
	}

	for i := range 2 { // the second Remove finds nothing, and that is fine
		if err := k.RemoveLogicalBridge(ctx, lb(100, 100)); err != nil {
			t.Fatalf("Remove #%d: %v", i+1, err)
		}
		if ns.link(t, "lb100") != nil || ns.link(t, "vx100") != nil {
			t.Fatalf("Remove #%d left lb100 or vx100", i+1)
		}
	}
}

func TestEnsureLogicalBridgeWithoutVNIMakesOnlyTheBridge(t *testing.T) {
	ns := newTestNS(t)
	k, err := New(Config{NetNS: ns.ns, Logger: quietLogger()}) // no default VTEP: not needed
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	if err := k.EnsureLogicalBridge(ctx, lb(7, 0)); err != nil {
		t.Fatal(err)
	}
	if ns.link(t, "lb7") == nil {
		t.Fatal("lb7 missing")
	}
	links, _ := ns.h.LinkList()
	for _, l := range links {
		if l.Type() == "vxlan" {
			t.Errorf("unexpected VXLAN device %s", l.Attrs().Name)
		}
	}
}

func TestEnsureLogicalBridgeCorrectsItsOwnDevices(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	// Behind the adapter's back: vx100 down and out of the bridge.
	vx := ns.link(t, "vx100")
	if err := ns.h.LinkSetNoMaster(vx); err != nil {
		t.Fatal(err)
	}
	if err := ns.h.LinkSetDown(vx); err != nil {
		t.Fatal(err)
	}
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	vx2 := ns.link(t, "vx100")
	if vx2.Attrs().Index != vx.Attrs().Index || vx2.Attrs().MasterIndex != ns.link(t, "lb100").Attrs().Index || !isUp(vx2) {
		t.Errorf("vx100 not repaired in place: index %d->%d, master %d, up %v", vx.Attrs().Index, vx2.Attrs().Index, vx2.Attrs().MasterIndex, isUp(vx2))
	}

	// Another VTEP address: the kernel cannot change it in place, so the
	// device is made again with it.
	moved := network.LogicalBridge{VlanID: 100, VNI: 100, VtepIP: netip.MustParseAddr("10.0.0.2")}
	if err := k.EnsureLogicalBridge(ctx, moved); err != nil {
		t.Fatal(err)
	}
	v := ns.link(t, "vx100").(*netlink.Vxlan)
	if !v.SrcAddr.Equal(net.ParseIP("10.0.0.2")) || v.MasterIndex != ns.link(t, "lb100").Attrs().Index || !isUp(v) {
		t.Errorf("vx100 after a VTEP change: local %v master %d up %v", v.SrcAddr, v.MasterIndex, isUp(v))
	}
}

func TestEnsureLogicalBridgeThatFailsHalfWayUndoesWhatItMade(t *testing.T) {
	cases := []struct {
		name    string
		foreign func(t *testing.T, ns *testNS) // what makes the VXLAN step fail
		class   error
		message string
	}{
		{
			name: "a foreign device of another kind holds the VXLAN device's name",
			foreign: func(t *testing.T, ns *testNS) {
				ns.veth(t, "vx300", "vx300peer")
			},
			class: errdefs.ErrAlreadyExists, message: `vx300 exists and is a "veth" device`,
		},
		{
			name: "a foreign VXLAN device uses the VNI",
			foreign: func(t *testing.T, ns *testNS) {
				if err := ns.h.LinkAdd(&netlink.Vxlan{LinkAttrs: netlink.LinkAttrs{Name: "theirs"}, VxlanId: 300, Port: 4789}); err != nil {
					t.Fatal(err)
				}
			},
			class: errdefs.ErrAlreadyExists, message: "VNI 300 (port 4789) is in use by VXLAN device theirs",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ns := newTestNS(t)
			k := newKernel(t, ns)
			c.foreign(t, ns)
			before := ns.linkNames(t)

			err := k.EnsureLogicalBridge(ctx, lb(300, 300))
			if !errors.Is(err, c.class) || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("err = %v (class %v), want %v containing %q", err, errdefs.Class(err), c.class, c.message)
			}
			if ns.link(t, "lb300") != nil {
				t.Error("the bridge made in the failed call is still there")
			}
			if after := ns.linkNames(t); strings.Join(after, ",") != strings.Join(before, ",") {
				t.Errorf("devices before %v, after %v", before, after)
			}
		})
	}

	t.Run("the VNI is another logical bridge's", func(t *testing.T) {
		ns := newTestNS(t)
		k := newKernel(t, ns)
		if err := k.EnsureLogicalBridge(ctx, lb(100, 300)); err != nil {
			t.Fatal(err)
		}
		err := k.EnsureLogicalBridge(ctx, lb(300, 300))
		if !errors.Is(err, errdefs.ErrAlreadyExists) || !strings.Contains(err.Error(), "VNI 300 is logical bridge (VLAN 100)'s") {
			t.Fatalf("err = %v, want AlreadyExists naming VLAN 100", err)
		}
		if ns.link(t, "lb300") != nil {
			t.Error("the bridge made in the failed call is still there")
		}
		if vx := ns.link(t, "vx300"); vx == nil || vx.Attrs().MasterIndex != ns.link(t, "lb100").Attrs().Index {
			t.Error("vx300 was taken from lb100")
		}
	})

	t.Run("a bridge that was there before the failed call stays", func(t *testing.T) {
		ns := newTestNS(t)
		k := newKernel(t, ns)
		if err := k.EnsureLogicalBridge(ctx, lb(300, 0)); err != nil {
			t.Fatal(err)
		}
		ns.veth(t, "vx300", "vx300peer")
		if err := k.EnsureLogicalBridge(ctx, lb(300, 300)); !errors.Is(err, errdefs.ErrAlreadyExists) {
			t.Fatalf("err = %v, want AlreadyExists", err)
		}
		if ns.link(t, "lb300") == nil {
			t.Error("the failed call deleted a bridge it had not made")
		}
		if ns.link(t, "vx300") == nil {
			t.Error("the failed call deleted the foreign device")
		}
	})
}

func TestLogicalBridgeRequestsTheKernelCannotTake(t *testing.T) {
	ns := newTestNS(t)
	noVtep, err := New(Config{NetNS: ns.ns, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer noVtep.Close()
	k := newKernel(t, ns)
	cases := []struct {
		name string
		k    *Kernel
		lb   network.LogicalBridge
	}{
		{"VLAN 0", k, lb(0, 10)},
		{"VLAN 4095", k, lb(4095, 10)},
		{"a VNI over 24 bits", k, lb(10, 1<<24)},
		{"a VNI and no VTEP address anywhere", noVtep, lb(10, 10)},
		{"a multicast VTEP address", k, network.LogicalBridge{VlanID: 10, VNI: 10, VtepIP: netip.MustParseAddr("239.1.1.1")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.k.EnsureLogicalBridge(ctx, c.lb); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("err = %v, want InvalidArgument", err)
			}
			if ns.link(t, "lb10") != nil {
				t.Error("a refused request made lb10")
			}
		})
	}
}

func TestRemoveLogicalBridgeLeavesForeignDevicesWithItsNames(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	ns.veth(t, "vx5", "vx5peer")
	if err := k.RemoveLogicalBridge(ctx, lb(5, 5)); err != nil {
		t.Fatal(err)
	}
	if ns.link(t, "vx5") == nil {
		t.Error("Remove deleted a veth that only had the VXLAN device's name")
	}
}

// linkNames lists the namespace's devices, sorted by index.
func (n *testNS) linkNames(t *testing.T) []string {
	t.Helper()
	links, err := n.h.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range links {
		names = append(names, l.Attrs().Name)
	}
	return names
}

// linkEventsDuring runs f and returns the devices the kernel reported a
// change of meanwhile (the loopback device, which the helper toggles as a
// marker to know it has seen every event, excluded).
func (n *testNS) linkEventsDuring(t *testing.T, f func()) []string {
	t.Helper()
	updates := make(chan netlink.LinkUpdate, 256)
	done := make(chan struct{})
	defer close(done)
	nsh := n.ns
	if err := netlink.LinkSubscribeWithOptions(updates, done, netlink.LinkSubscribeOptions{Namespace: &nsh}); err != nil {
		t.Fatal(err)
	}
	f()
	n.toggleLoopback(t)
	var changed []string
	timeout := time.After(5 * time.Second)
	for {
		select {
		case u := <-updates:
			if u.Attrs().Name == "lo" {
				return changed
			}
			changed = append(changed, u.Attrs().Name)
		case <-timeout:
			t.Fatal("no marker event within 5s")
		}
	}
}

// toggleLoopback sets lo up if it is down and down if it is up: a change
// the kernel always reports, to mark a point in the event stream.
func (n *testNS) toggleLoopback(t *testing.T) {
	t.Helper()
	lo := n.link(t, "lo")
	set := n.h.LinkSetUp
	if isUp(lo) {
		set = n.h.LinkSetDown
	}
	if err := set(lo); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentIdenticalEnsuresMakeOneSetOfDevices(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	errs := make(chan error, 20)
	for range 20 {
		go func() { errs <- k.EnsureLogicalBridge(ctx, lb(100, 100)) }()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	var bridges, vxlans int
	links, _ := ns.h.LinkList()
	for _, l := range links {
		switch l.Type() {
		case "bridge":
			bridges++
		case "vxlan":
			vxlans++
		}
	}
	if bridges != 1 || vxlans != 1 {
		t.Errorf("%d bridges and %d VXLAN devices, want one of each", bridges, vxlans)
	}
}
