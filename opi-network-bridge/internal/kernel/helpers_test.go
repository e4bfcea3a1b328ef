package kernel

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime"
	"testing"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// testNS is a fresh named network namespace (so `ip -n NAME` reaches it
// too) with a netlink handle in it for the test's own, behind-the-back
// changes. Both go when the test ends.
type testNS struct {
	name string
	ns   netns.NsHandle
	h    *netlink.Handle
}

func newTestNS(tb testing.TB) *testNS {
	tb.Helper()
	if os.Geteuid() != 0 {
		tb.Skip("needs root (CAP_NET_ADMIN) to create network namespaces")
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "opik-" + hex.EncodeToString(b)

	// netns.NewNamed moves the calling thread into the new namespace:
	// do it on a locked thread and move back.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		tb.Fatal(err)
	}
	defer orig.Close()
	ns, err := netns.NewNamed(name)
	if err != nil {
		tb.Fatalf("creating namespace %s: %v", name, err)
	}
	if err := netns.Set(orig); err != nil {
		tb.Fatalf("returning to the original namespace: %v", err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		h.Close()
		ns.Close()
		_ = netns.DeleteNamed(name)
	})
	return &testNS{name: name, ns: ns, h: h}
}

var vtep = netip.MustParseAddr("10.0.0.1")

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newKernel is the adapter in ns, with 10.0.0.1 as its default VTEP.
func newKernel(tb testing.TB, ns *testNS) *Kernel {
	tb.Helper()
	k, err := New(Config{NetNS: ns.ns, DefaultVtepIP: vtep, Logger: quietLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = k.Close() })
	return k
}

// link reads a device in the namespace; nil when it is absent.
func (n *testNS) link(tb testing.TB, name string) netlink.Link {
	tb.Helper()
	l, err := n.h.LinkByName(name)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		tb.Fatalf("reading %s: %v", name, err)
	}
	return l
}

// veth makes a veth pair, both ends down, and returns the first end.
func (n *testNS) veth(tb testing.TB, name, peer string) netlink.Link {
	tb.Helper()
	if err := n.h.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: peer}); err != nil {
		tb.Fatalf("creating veth %s: %v", name, err)
	}
	return n.link(tb, name)
}

// staticFDBOn reports whether the bridge has a static entry for mac on port.
func (n *testNS) staticFDBOn(tb testing.TB, port string, mac net.HardwareAddr) bool {
	tb.Helper()
	l := n.link(tb, port)
	if l == nil {
		return false
	}
	entries, err := n.h.NeighList(l.Attrs().Index, unix.AF_BRIDGE)
	if err != nil && !errors.Is(err, netlink.ErrDumpInterrupted) {
		tb.Fatal(err)
	}
	for _, e := range entries {
		if e.HardwareAddr.String() == mac.String() && e.State&unix.NUD_NOARP != 0 && e.MasterIndex != 0 {
			return true
		}
	}
	return false
}

func isUp(l netlink.Link) bool { return l.Attrs().Flags&net.FlagUp != 0 }

var ctx = context.Background()

func lb(vlan, vni uint32) network.LogicalBridge { return network.LogicalBridge{VlanID: vlan, VNI: vni} }

// netnsDo runs f on a thread moved into the namespace, and moves it back.
func netnsDo(n *testNS, f func() error) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	if err := netns.Set(n.ns); err != nil {
		return err
	}
	defer func() { _ = netns.Set(orig) }()
	return f()
}
