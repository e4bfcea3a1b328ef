package kernel

import (
	"errors"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

func TestEnsurePortEnslavesTheInterfaceAndAddsAStaticFDBEntry(t *testing.T) {
	for _, byMAC := range []bool{false, true} {
		name := "found by name"
		if byMAC {
			name = "found by MAC"
		}
		t.Run(name, func(t *testing.T) {
			ns := newTestNS(t)
			k := newKernel(t, ns)
			if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
				t.Fatal(err)
			}
			mac := ns.veth(t, "p1", "p1peer").Attrs().HardwareAddr
			p := network.Port{Interface: "p1", MAC: mac, Type: network.PortAccess, Bridges: []network.LogicalBridge{lb(100, 100)}}
			if byMAC {
				p.Interface = ""
			}

			for i := range 2 { // the second Ensure finds it done
				if err := k.EnsurePort(ctx, p); err != nil {
					t.Fatalf("EnsurePort #%d: %v", i+1, err)
				}
			}
			port := ns.link(t, "p1")
			if port.Attrs().MasterIndex != ns.link(t, "lb100").Attrs().Index || !isUp(port) {
				t.Fatalf("p1: master %d up %v, want lb100 and up", port.Attrs().MasterIndex, isUp(port))
			}
			if !ns.staticFDBOn(t, "p1", mac) {
				t.Fatalf("no static FDB entry for %s on p1", mac)
			}
			// What an operator (and zebra) sees: the entry as `bridge` prints it.
			if out, err := exec.Command("ip", "netns", "exec", ns.name, "bridge", "fdb", "show", "dev", "p1").CombinedOutput(); err == nil {
				if want := mac.String() + " master lb100 static"; !strings.Contains(string(out), want) {
					t.Errorf("bridge fdb show dev p1:\n%s\nwant a line with %q", out, want)
				}
			}

			for i := range 2 { // the second Remove finds nothing to do
				if err := k.RemovePort(ctx, p); err != nil {
					t.Fatalf("RemovePort #%d: %v", i+1, err)
				}
			}
			port = ns.link(t, "p1")
			if port == nil {
				t.Fatal("RemovePort deleted the interface; it is not the bridge's")
			}
			if port.Attrs().MasterIndex != 0 {
				t.Errorf("p1 still has master %d", port.Attrs().MasterIndex)
			}
			if ns.staticFDBOn(t, "p1", mac) {
				t.Error("the FDB entry is still there")
			}
		})
	}
}

func TestEnsurePortRefusals(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	ns.veth(t, "p1", "p1peer")
	unknown := net.HardwareAddr{0x02, 0, 0, 0, 0xde, 0xad}
	access := func(p network.Port) network.Port {
		p.Type = network.PortAccess
		if p.Bridges == nil {
			p.Bridges = []network.LogicalBridge{lb(100, 100)}
		}
		return p
	}
	cases := []struct {
		name    string
		port    network.Port
		class   error
		message string
	}{
		{"no interface has the MAC", access(network.Port{MAC: unknown}), errdefs.ErrNotFound, "no interface with MAC 02:00:00:00:de:ad"},
		{"no interface has the name", access(network.Port{Interface: "nope"}), errdefs.ErrNotFound, "no interface named nope"},
		{"the logical bridge is not realised", access(network.Port{Interface: "p1", Bridges: []network.LogicalBridge{lb(200, 200)}}), errdefs.ErrNotFound, "no bridge lb200"},
		{"an access port in two logical bridges", access(network.Port{Interface: "p1", Bridges: []network.LogicalBridge{lb(100, 100), lb(200, 200)}}), errdefs.ErrInvalidArgument, "exactly one"},
		{"neither name nor MAC", access(network.Port{}), errdefs.ErrInvalidArgument, "neither"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := k.EnsurePort(ctx, c.port)
			if !errors.Is(err, c.class) || !strings.Contains(err.Error(), c.message) {
				t.Fatalf("err = %v (class %v), want %v containing %q", err, errdefs.Class(err), c.class, c.message)
			}
			if p := ns.link(t, "p1"); p.Attrs().MasterIndex != 0 || isUp(p) {
				t.Error("a refused request changed p1")
			}
		})
	}
}

// A bridge whose MAC followed its ports would drop the static entry of the
// port whose MAC it had whenever another port left (a VXLAN device re-made,
// say); the adapter's bridges keep the MAC they were made with.
func TestPortFDBEntrySurvivesTheVxlanDeviceBeingRemade(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	brMAC := ns.link(t, "lb100").Attrs().HardwareAddr.String()
	p1 := ns.veth(t, "p1", "p1peer")
	p := network.Port{Interface: "p1", MAC: p1.Attrs().HardwareAddr, Type: network.PortAccess, Bridges: []network.LogicalBridge{lb(100, 100)}}
	if err := k.EnsurePort(ctx, p); err != nil {
		t.Fatal(err)
	}
	remade := network.LogicalBridge{VlanID: 100, VNI: 100, VtepIP: netip.MustParseAddr("10.0.0.2")}
	if err := k.EnsureLogicalBridge(ctx, remade); err != nil {
		t.Fatal(err)
	}
	if !ns.staticFDBOn(t, "p1", p.MAC) {
		t.Error("the static FDB entry went when vx100 was re-made")
	}
	if got := ns.link(t, "lb100").Attrs().HardwareAddr.String(); got != brMAC {
		t.Errorf("lb100's MAC changed from %s to %s", brMAC, got)
	}
}
