package kernel

import (
	"net"
	"net/netip"
	"os/exec"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// Two namespaces, each a VTEP made by the adapter, joined by an underlay
// veth; a host interface behind a port on each side. With the flood entry
// zebra would install from the peer's type-3 route (added here by hand),
// a ping crosses the VXLAN overlay.
func TestVxlanDataPathBetweenTwoAdapters(t *testing.T) {
	if _, err := exec.LookPath("ping"); err != nil {
		t.Skip("needs ping")
	}
	type side struct {
		ns          *testNS
		k           *Kernel
		underlay    netip.Prefix
		host        netip.Prefix
		underlayDev string
	}
	a := &side{ns: newTestNS(t), underlay: netip.MustParsePrefix("10.0.0.1/24"), host: netip.MustParsePrefix("192.168.100.1/24"), underlayDev: "u1"}
	b := &side{ns: newTestNS(t), underlay: netip.MustParsePrefix("10.0.0.2/24"), host: netip.MustParsePrefix("192.168.100.2/24"), underlayDev: "u2"}
	if err := a.ns.h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "u1"}, PeerName: "u2",
		PeerNamespace: netlink.NsFd(int(b.ns.ns))}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*side{a, b} {
		var err error
		if s.k, err = New(Config{NetNS: s.ns.ns, DefaultVtepIP: s.underlay.Addr(), Logger: quietLogger()}); err != nil {
			t.Fatal(err)
		}
		defer s.k.Close()
		s.ns.addr(t, s.underlayDev, s.underlay)
		if err := s.ns.h.LinkSetUp(s.ns.link(t, s.underlayDev)); err != nil {
			t.Fatal(err)
		}
		if err := s.k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
			t.Fatal(err)
		}
		host := s.ns.veth(t, "h1", "p1")
		s.ns.addr(t, "h1", s.host)
		if err := s.ns.h.LinkSetUp(host); err != nil {
			t.Fatal(err)
		}
		if err := s.k.EnsurePort(ctx, network.Port{Interface: "p1", MAC: host.Attrs().HardwareAddr,
			Type: network.PortAccess, Bridges: []network.LogicalBridge{lb(100, 100)}}); err != nil {
			t.Fatal(err)
		}
	}
	// zebra's part: the flood list entry for the remote VTEP.
	for _, s := range [][2]*side{{a, b}, {b, a}} {
		here, peer := s[0], s[1]
		if err := here.ns.h.NeighAppend(&netlink.Neigh{
			LinkIndex: here.ns.link(t, "vx100").Attrs().Index, Family: unix.AF_BRIDGE,
			State: unix.NUD_NOARP | unix.NUD_PERMANENT, Flags: netlink.NTF_SELF,
			HardwareAddr: net.HardwareAddr{0, 0, 0, 0, 0, 0}, IP: net.IP(peer.underlay.Addr().AsSlice()),
		}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("ip", "netns", "exec", a.ns.name, "ping", "-c", "2", "-W", "2", b.host.Addr().String()).CombinedOutput()
	if err != nil {
		t.Fatalf("ping across the overlay: %v\n%s", err, out)
	}
	// The frames really went through the VXLAN devices.
	for _, s := range []*side{a, b} {
		vx := s.ns.link(t, "vx100").Attrs().Statistics
		if vx == nil || vx.TxPackets == 0 || vx.RxPackets == 0 {
			t.Errorf("%s: vx100 counters %+v, want traffic both ways", s.ns.name, vx)
		}
	}
}

func (n *testNS) addr(t *testing.T, dev string, p netip.Prefix) {
	t.Helper()
	if err := n.h.AddrAdd(n.link(t, dev), &netlink.Addr{IPNet: ipNet(p)}); err != nil {
		t.Fatal(err)
	}
}
