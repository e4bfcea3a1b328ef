package frr_test

import (
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-network-bridge/internal/frr"
	"github.com/opi-suite/opi/opi-network-bridge/internal/frr/frrtest"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// vtep is one side of the two-namespace fabric.
type vtep struct {
	ns   string
	ip   netip.Addr
	in   *frrtest.Instance
	frr  *frr.FRR
	host net.HardwareAddr
}

// eventually polls check until it returns "" (success) or timeout passes,
// then fails with check's last complaint.
func eventually(t *testing.T, timeout time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// requireLinkKind skips the test, naming the kernel option, unless a link
// of the kind can be created in namespace ns.
func requireLinkKind(t *testing.T, ns, option string, kind ...string) {
	t.Helper()
	args := append([]string{"-n", ns, "link", "add", "probe0"}, kind...)
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Skipf("the kernel cannot create a %s link (%s): %v: %s", kind[1], option, err, out)
	}
	_ = exec.Command("ip", "-n", ns, "link", "del", "probe0").Run()
}

func hasRoute(st network.RoutingState, match func(network.EVPNRoute) bool) bool {
	return slices.ContainsFunc(st.Routes, match)
}

// TestTwoVTEPsExchangeEVPNRoutes builds two namespaces joined by a veth
// underlay (10.0.0.1/30, 10.0.0.2/30, also the VTEP addresses), each with
// a Linux bridge and a VXLAN device for VNI 100 and its own FRR peering
// over eBGP, applies the logical bridge through the adapter on both sides
// and follows the EVPN control plane: type-3 routes and remote VTEPs, then
// a host MAC on one side as a type-2 route, and in the kernel's VXLAN FDB,
// on the other.
func TestTwoVTEPsExchangeEVPNRoutes(t *testing.T) {
	frrtest.Require(t)
	a := &vtep{ns: frrtest.NewNS(t), ip: netip.MustParseAddr("10.0.0.1"), host: net.HardwareAddr{2, 0xaa, 0, 0, 0, 1}}
	b := &vtep{ns: frrtest.NewNS(t), ip: netip.MustParseAddr("10.0.0.2"), host: net.HardwareAddr{2, 0xbb, 0, 0, 0, 2}}
	requireLinkKind(t, a.ns, "CONFIG_BRIDGE", "type", "bridge")
	requireLinkKind(t, a.ns, "CONFIG_VXLAN", "type", "vxlan", "id", "1", "dstport", "4789")
	ua, ub := frrtest.Unique("ul"), frrtest.Unique("ul")
	frrtest.Run(t, "ip", "link", "add", ua, "netns", a.ns, "type", "veth", "peer", "name", ub, "netns", b.ns)
	lb := network.LogicalBridge{VlanID: 10, VNI: 100}
	for i, side := range []struct {
		v   *vtep
		dev string
		asn int
	}{{a, ua, 65001}, {b, ub, 65002}} {
		v := side.v
		ip := func(args ...string) { frrtest.Run(t, "ip", append([]string{"-n", v.ns}, args...)...) }
		ip("addr", "add", v.ip.String()+"/30", "dev", side.dev)
		ip("link", "set", side.dev, "up")
		// The kernel realisation of the logical bridge (network's doc).
		ip("link", "add", "lb10", "type", "bridge")
		ip("link", "add", "vx100", "type", "vxlan", "id", "100", "local", v.ip.String(), "dstport", "4789", "nolearning")
		ip("link", "set", "vx100", "master", "lb10")
		ip("link", "set", "vx100", "up")
		ip("link", "set", "lb10", "up")

		peer, peerAS := a.ip, 65001
		if i == 0 {
			peer, peerAS = b.ip, 65002
		}
		v.in, v.frr = start2(t, v.ns, side.asn, v.ip.String(), underlay(side.asn, peerAS, peer.String()))
		if err := v.frr.Apply(ctxT(t), network.RoutingConfig{LogicalBridges: []network.LogicalBridge{lb}}); err != nil {
			t.Fatal(err)
		}
	}

	// zebra knows VNI 100 with the other side as remote VTEP, and BGP has
	// the type-3 routes of both sides.
	for _, side := range []struct{ v, o *vtep }{{a, b}, {b, a}} {
		eventually(t, 30*time.Second, func() string {
			st, err := side.v.frr.State(ctxT(t))
			if err != nil {
				return err.Error()
			}
			vni, ok := st.VNIs[100]
			if !ok || vni.Type != "L2" || vni.VxlanIf != "vx100" || !slices.Contains(vni.RemoteVteps, side.o.ip) {
				return fmt.Sprintf("%s: VNI 100 is %+v (present %v), want L2 on vx100 with remote VTEP %s", side.v.ns, vni, ok, side.o.ip)
			}
			local := hasRoute(st, func(r network.EVPNRoute) bool { return r.Type == 3 && r.Local && r.IP == side.v.ip && r.VNI == 100 })
			remote := hasRoute(st, func(r network.EVPNRoute) bool {
				return r.Type == 3 && !r.Local && r.IP == side.o.ip && r.NextHop == side.o.ip
			})
			if !local || !remote {
				return fmt.Sprintf("%s: type-3 routes local %v remote %v: %+v", side.v.ns, local, remote, st.Routes)
			}
			return ""
		})
	}

	// A host on each side: a veth whose bridge end is in lb10, with a
	// static FDB entry for the host's MAC, as the kernel adapter makes it.
	for _, v := range []*vtep{a, b} {
		h, hp := frrtest.Unique("h"), frrtest.Unique("hp")
		ip := func(args ...string) { frrtest.Run(t, "ip", append([]string{"-n", v.ns}, args...)...) }
		ip("link", "add", h, "type", "veth", "peer", "name", hp)
		ip("link", "set", h, "address", v.host.String())
		ip("link", "set", hp, "master", "lb10")
		ip("link", "set", hp, "up")
		ip("link", "set", h, "up")
		frrtest.Run(t, "ip", "netns", "exec", v.ns, "bridge", "fdb", "replace", v.host.String(), "dev", hp, "master", "static")
	}
	for _, side := range []struct{ v, o *vtep }{{a, b}, {b, a}} {
		eventually(t, 30*time.Second, func() string {
			st, err := side.v.frr.State(ctxT(t))
			if err != nil {
				return err.Error()
			}
			if !hasRoute(st, func(r network.EVPNRoute) bool {
				return r.Type == 2 && r.Local && r.MAC.String() == side.v.host.String() && r.VNI == 100
			}) {
				return fmt.Sprintf("%s: no local type-2 route for %s: %+v", side.v.ns, side.v.host, st.Routes)
			}
			if !hasRoute(st, func(r network.EVPNRoute) bool {
				return r.Type == 2 && !r.Local && r.MAC.String() == side.o.host.String() && r.NextHop == side.o.ip
			}) {
				return fmt.Sprintf("%s: no remote type-2 route for %s: %+v", side.v.ns, side.o.host, st.Routes)
			}
			// zebra installed the remote MAC in the kernel, towards the
			// other VTEP.
			fdb := frrtest.Run(t, "ip", "netns", "exec", side.v.ns, "bridge", "fdb", "show", "dev", "vx100")
			if !strings.Contains(fdb, side.o.host.String()+" dst "+side.o.ip.String()) {
				return fmt.Sprintf("%s: vx100's FDB lacks %s dst %s:\n%s", side.v.ns, side.o.host, side.o.ip, fdb)
			}
			return ""
		})
	}
}
