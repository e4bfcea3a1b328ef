package kernel

import (
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

func TestInterfacesListsKindMasterAddressesAndCounters(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	if err := k.EnsureLogicalBridge(ctx, lb(100, 100)); err != nil {
		t.Fatal(err)
	}
	p1 := ns.veth(t, "p1", "p1peer")
	if err := k.EnsurePort(ctx, network.Port{Interface: "p1", Type: network.PortAccess, Bridges: []network.LogicalBridge{lb(100, 100)}}); err != nil {
		t.Fatal(err)
	}
	if err := ns.h.AddrAdd(ns.link(t, "p1peer"), &netlink.Addr{IPNet: ipNet(netip.MustParsePrefix("192.0.2.1/24"))}); err != nil {
		t.Fatal(err)
	}
	// Traffic for the counters: lo up, and a datagram to its address.
	if err := ns.h.LinkSetUp(ns.link(t, "lo")); err != nil {
		t.Fatal(err)
	}
	ns.sendUDP(t, "127.0.0.1:9")

	list, err := k.Interfaces(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]network.Interface{}
	for _, i := range list {
		byName[i.Name] = i
	}
	check := func(name, kind, master string, adminUp bool) network.Interface {
		t.Helper()
		i, ok := byName[name]
		if !ok {
			t.Fatalf("%s not listed (got %v)", name, list)
		}
		if i.Kind != kind || i.Master != master || i.AdminUp != adminUp || i.MTU == 0 {
			t.Errorf("%s: kind %q master %q up %v mtu %d; want %q %q %v", name, i.Kind, i.Master, i.AdminUp, i.MTU, kind, master, adminUp)
		}
		return i
	}
	check("lb100", "bridge", "", true)
	check("vx100", "vxlan", "lb100", true)
	if i := check("p1", "veth", "lb100", true); i.MAC.String() != p1.Attrs().HardwareAddr.String() || i.Index != p1.Attrs().Index {
		t.Errorf("p1: MAC %s index %d, want %s %d", i.MAC, i.Index, p1.Attrs().HardwareAddr, p1.Attrs().Index)
	}
	if i := check("p1peer", "veth", "", false); len(i.Addresses) != 1 || i.Addresses[0] != netip.MustParsePrefix("192.0.2.1/24") {
		t.Errorf("p1peer addresses %v", i.Addresses)
	}
	lo := check("lo", "", "", true)
	if !lo.OperUp || lo.Counters.OutPackets == 0 || lo.Counters.InPackets == 0 || lo.Counters.OutBytes == 0 {
		t.Errorf("lo: oper up %v, counters %+v; want up and traffic counted", lo.OperUp, lo.Counters)
	}
}

func TestSetInterfaceChangesAdminStateAndMTU(t *testing.T) {
	ns := newTestNS(t)
	k := newKernel(t, ns)
	ns.veth(t, "p1", "p1peer")
	if err := k.SetInterface(ctx, "p1", true, 1400); err != nil {
		t.Fatal(err)
	}
	if l := ns.link(t, "p1"); !isUp(l) || l.Attrs().MTU != 1400 {
		t.Fatalf("p1: up %v mtu %d, want up and 1400", isUp(l), l.Attrs().MTU)
	}
	if err := k.SetInterface(ctx, "p1", false, 0); err != nil {
		t.Fatal(err)
	}
	if l := ns.link(t, "p1"); isUp(l) || l.Attrs().MTU != 1400 {
		t.Fatalf("p1: up %v mtu %d, want down and still 1400", isUp(l), l.Attrs().MTU)
	}
	if err := k.SetInterface(ctx, "nope", true, 0); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing interface: err = %v, want NotFound", err)
	}
	if err := k.SetInterface(ctx, "p1", true, 70000); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("MTU 70000: err = %v, want InvalidArgument", err)
	}
}

func TestClassifyMapsErrnosToClasses(t *testing.T) {
	cases := []struct {
		err   error
		class error
	}{
		{unix.ENODEV, errdefs.ErrNotFound},
		{unix.ENOENT, errdefs.ErrNotFound},
		{netlink.LinkNotFoundError{}, errdefs.ErrNotFound},
		{unix.EOPNOTSUPP, errdefs.ErrFailedPrecondition},
		{unix.EPERM, errdefs.ErrFailedPrecondition},
		{unix.EEXIST, errdefs.ErrAlreadyExists},
		{unix.EINVAL, errdefs.ErrInvalidArgument},
		{unix.ENOBUFS, errdefs.ErrResourceExhausted},
		{unix.EIO, nil},
		{errdefs.Unavailablef("x"), errdefs.ErrUnavailable},
	}
	for _, c := range cases {
		err := classify(c.err, "doing %s", "something")
		if errdefs.Class(err) != c.class || !errors.Is(err, c.err) {
			t.Errorf("classify(%v) = %v (class %v), want class %v wrapping the cause", c.err, err, errdefs.Class(err), c.class)
		}
	}
	if err := classify(nil, "x"); err != nil {
		t.Errorf("classify(nil) = %v", err)
	}
}

// sendUDP sends one datagram from inside the namespace.
func (n *testNS) sendUDP(t *testing.T, addr string) {
	t.Helper()
	err := netnsDo(n, func() error {
		c, err := net.Dial("udp", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("x"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
