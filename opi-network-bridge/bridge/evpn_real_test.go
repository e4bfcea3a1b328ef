package bridge_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netns"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"

	"github.com/opi-suite/opi/opi-network-bridge/bridge"
	"github.com/opi-suite/opi/opi-network-bridge/internal/frr"
	"github.com/opi-suite/opi/opi-network-bridge/internal/frr/frrtest"
	"github.com/opi-suite/opi/opi-network-bridge/internal/kernel"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// dpu is one side of the fabric: a namespace with FRR and a network bridge
// serving the API, and a host namespace behind one of its ports.
type dpu struct {
	t                      *testing.T
	ns, host, port, hostIf string
	vtep, peer             netip.Addr
	asn, peerAS            int
	hostMAC                net.HardwareAddr
	hostIP                 string
	frr                    *frrtest.Instance
	dir                    string

	mu    sync.Mutex
	b     *bridge.Bridge
	stop  func()
	lbs   networkv1.LogicalBridgeServiceClient
	ports networkv1.BridgePortServiceClient
}

func underlay(asn, peerAS int, peer netip.Addr) string {
	return fmt.Sprintf(`router bgp %d
 no bgp ebgp-requires-policy
 timers bgp 1 3
 neighbor %s remote-as %d
 neighbor %s timers connect 1
 !
 address-family l2vpn evpn
  neighbor %s activate
 exit-address-family
exit
`, asn, peer, peerAS, peer, peer)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	return frrtest.Run(t, name, args...)
}

// serve starts (or restarts) the side's bridge on its state directory.
func (d *dpu) serve() {
	t := d.t
	t.Helper()
	if d.stop != nil {
		d.stop()
	}
	h, err := netns.GetFromName(d.ns)
	if err != nil {
		t.Fatal(err)
	}
	k, err := kernel.New(kernel.Config{NetNS: h, DefaultVtepIP: d.vtep})
	if err != nil {
		t.Fatal(err)
	}
	r, err := frr.New(uint32(d.asn), frr.WithVtySocketDir(d.frr.Dir), frr.WithConfDir(d.frr.Dir), frr.WithRunDir(d.frr.Dir),
		frr.WithRouterID(d.vtep), frr.WithBaseFile(d.frr.Base))
	if err != nil {
		t.Fatal(err)
	}
	b, err := bridge.New(bridge.Config{StateDir: d.dir, VtepIP: d.vtep, RoutingInterval: time.Second},
		bridge.WithKernel(k), bridge.WithRouting(r))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Start(ctx)
	var once sync.Once
	stopped := make(chan struct{})
	s := servertest.Start(t, b.Services())
	d.mu.Lock()
	d.b, d.stop = b, func() { once.Do(func() { cancel(); _ = b.Close(); _ = h.Close(); close(stopped) }) }
	d.lbs = networkv1.NewLogicalBridgeServiceClient(s.Conn)
	d.ports = networkv1.NewBridgePortServiceClient(s.Conn)
	d.mu.Unlock()
	t.Cleanup(d.stop)
}

// newDPU makes the namespaces, the host's veth into the DPU, FRR with the
// underlay base configuration, and the bridge.
func newDPU(t *testing.T, vtep, peer string, asn, peerAS int, hostMAC, hostIP string) *dpu {
	d := &dpu{t: t, ns: frrtest.NewNS(t), host: frrtest.NewNS(t), port: frrtest.Unique("port"), hostIf: frrtest.Unique("eth"),
		vtep: netip.MustParseAddr(vtep), peer: netip.MustParseAddr(peer), asn: asn, peerAS: peerAS, hostIP: hostIP, dir: t.TempDir()}
	d.hostMAC, _ = net.ParseMAC(hostMAC)
	run(t, "ip", "link", "add", d.hostIf, "netns", d.host, "address", hostMAC, "type", "veth", "peer", "name", d.port, "netns", d.ns)
	run(t, "ip", "-n", d.host, "addr", "add", hostIP+"/24", "dev", d.hostIf)
	run(t, "ip", "-n", d.host, "link", "set", d.hostIf, "up")
	return d
}

func (d *dpu) startFRR() {
	d.frr = frrtest.Start(d.t, d.ns, underlay(d.asn, d.peerAS, d.peer))
	d.serve()
}

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
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *dpu) clients() (networkv1.LogicalBridgeServiceClient, networkv1.BridgePortServiceClient, *bridge.Bridge) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lbs, d.ports, d.b
}

// evpnUp waits until the logical bridge is READY with the other side as
// its remote VTEP (EVPN type-3 routes) and the other host's MAC is a
// remote type-2 route.
func (d *dpu) evpnUp(other *dpu) {
	t := d.t
	t.Helper()
	eventually(t, 30*time.Second, func() string {
		lbs, _, b := d.clients()
		lb, err := lbs.GetLogicalBridge(context.Background(), &networkv1.GetLogicalBridgeRequest{Name: "logicalBridges/blue"})
		if err != nil {
			return err.Error()
		}
		if lb.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY || !slices.Contains(lb.GetRemoteVteps(), other.vtep.String()) {
			return fmt.Sprintf("%s: logical bridge %v", d.ns, lb)
		}
		st := b.Gateway().RoutingState()
		if !slices.ContainsFunc(st.Routes, func(r network.EVPNRoute) bool {
			return r.Type == 2 && !r.Local && r.MAC.String() == other.hostMAC.String() && r.NextHop == other.vtep
		}) {
			return fmt.Sprintf("%s: no type-2 route for %s from %s: %+v", d.ns, other.hostMAC, other.vtep, st.Routes)
		}
		return ""
	})
}

// ping checks the hosts reach each other across the VXLAN overlay.
func ping(t *testing.T, from, to *dpu) {
	t.Helper()
	eventually(t, 20*time.Second, func() string {
		out, err := exec.Command("ip", "netns", "exec", from.host, "ping", "-c", "1", "-W", "1", to.hostIP).CombinedOutput()
		if err != nil {
			return fmt.Sprintf("ping %s from %s: %v\n%s", to.hostIP, from.host, err, out)
		}
		return ""
	})
}

// links returns "name:index" of the namespace's bridge and VXLAN devices,
// to tell a change from none.
func links(t *testing.T, ns string) string {
	out := run(t, "ip", "-n", ns, "-o", "link", "show")
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 1 && (strings.HasPrefix(f[1], "lb") || strings.HasPrefix(f[1], "vx")) {
			keep = append(keep, strings.TrimSuffix(f[1], ":")+"#"+strings.TrimSuffix(f[0], ":"))
		}
	}
	slices.Sort(keep)
	return strings.Join(keep, " ")
}

// TestEVPNAcrossNamespaces is the gateway end to end: two DPU namespaces,
// each with zebra and bgpd and a network bridge, joined by a veth
// underlay; a logical bridge with VNI 100 and a bridge port on each side
// made through the API; EVPN type-3 and type-2 routes in both FRRs; the
// hosts behind the ports ping each other across VXLAN. Then bad input, a
// bridge restart, an FRR restart and drift, and the delete that tears it
// all down.
func TestEVPNAcrossNamespaces(t *testing.T) {
	frrtest.Require(t)
	if f := probeFeatures(t); !f.Bridge || !f.VXLAN {
		t.Skip("this kernel lacks Linux bridges or VXLAN (CONFIG_BRIDGE, CONFIG_VXLAN)")
	}
	a := newDPU(t, "10.0.0.1", "10.0.0.2", 65001, 65002, "02:aa:00:00:00:01", "192.168.100.1")
	b := newDPU(t, "10.0.0.2", "10.0.0.1", 65002, 65001, "02:bb:00:00:00:02", "192.168.100.2")
	ua, ub := frrtest.Unique("ul"), frrtest.Unique("ul")
	run(t, "ip", "link", "add", ua, "netns", a.ns, "type", "veth", "peer", "name", ub, "netns", b.ns)
	for _, s := range []struct {
		d   *dpu
		dev string
	}{{a, ua}, {b, ub}} {
		run(t, "ip", "-n", s.d.ns, "addr", "add", s.d.vtep.String()+"/30", "dev", s.dev)
		run(t, "ip", "-n", s.d.ns, "link", "set", s.dev, "up")
		s.d.startFRR()
	}
	ctx := context.Background()
	for _, d := range []*dpu{a, b} {
		lbs, ports, _ := d.clients()
		if _, err := lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "blue",
			LogicalBridge: &networkv1.LogicalBridge{VlanId: 100, Vni: proto.Uint32(100)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: "host", BridgePort: &networkv1.BridgePort{
			MacAddress: d.hostMAC.String(), Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS,
			LogicalBridges: []string{"logicalBridges/blue"}, Interface: d.port}}); err != nil {
			t.Fatal(err)
		}
	}
	a.evpnUp(b)
	b.evpnUp(a)
	ping(t, a, b)

	t.Run("bad input changes nothing", func(t *testing.T) {
		beforeLinks, beforeFRR := links(t, a.ns), a.frr.Running()
		lbs, ports, _ := a.clients()
		lb := func(vlan uint32, vni uint32, vtep string) error {
			_, err := lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "bad",
				LogicalBridge: &networkv1.LogicalBridge{VlanId: vlan, Vni: proto.Uint32(vni), VtepIp: vtep}})
			return err
		}
		port := func(mac, lb string) error {
			_, err := ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: "bad", BridgePort: &networkv1.BridgePort{
				MacAddress: mac, Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS, LogicalBridges: []string{lb}}})
			return err
		}
		code(t, lb(200, 1<<24, ""), codes.InvalidArgument)       // VNI out of range
		code(t, lb(200, 200, "10.9.9.9"), codes.InvalidArgument) // VTEP not local
		code(t, lb(200, 100, ""), codes.AlreadyExists)           // duplicate VNI
		code(t, port("02:aa:00:00:01", "logicalBridges/blue"), codes.InvalidArgument)
		code(t, port("02:aa:00:00:00:09", "logicalBridges/none"), codes.NotFound)
		time.Sleep(1500 * time.Millisecond) // a routing sync would have run
		if got := links(t, a.ns); got != beforeLinks {
			t.Errorf("the kernel changed: %s -> %s", beforeLinks, got)
		}
		if got := a.frr.Running(); got != beforeFRR {
			t.Errorf("FRR's configuration changed:\n%s\n->\n%s", beforeFRR, got)
		}
	})

	t.Run("bridge restart changes nothing", func(t *testing.T) {
		beforeLinks, beforeFRR := links(t, a.ns), a.frr.Running()
		a.serve()
		a.evpnUp(b)
		if got := links(t, a.ns); got != beforeLinks {
			t.Errorf("the restart changed the kernel: %s -> %s", beforeLinks, got)
		}
		if got := a.frr.Running(); got != beforeFRR {
			t.Errorf("the restart changed FRR:\n%s\n->\n%s", beforeFRR, got)
		}
		ping(t, a, b)
	})

	t.Run("FRR restart is repaired", func(t *testing.T) {
		a.frr.Restart() // the daemons come back with the base configuration only
		a.evpnUp(b)
		b.evpnUp(a)
		ping(t, b, a)
	})

	t.Run("drift is repaired", func(t *testing.T) {
		_, _, br := a.clients()
		before := br.Gateway().Drifts()
		run(t, "ip", "-n", a.ns, "link", "del", "vx100")
		eventually(t, 20*time.Second, func() string {
			if !strings.Contains(links(t, a.ns), "vx100#") {
				return "vx100 is not back"
			}
			return ""
		})
		run(t, "ip", "netns", "exec", a.ns, "bridge", "fdb", "del", a.hostMAC.String(), "dev", a.port, "master")
		eventually(t, 20*time.Second, func() string {
			fdb := run(t, "ip", "netns", "exec", a.ns, "bridge", "fdb", "show", "dev", a.port)
			if !strings.Contains(fdb, a.hostMAC.String()+" master lb100 static") {
				return "the port's FDB entry is not back:\n" + fdb
			}
			return ""
		})
		if n := br.Gateway().Drifts(); n < before+2 {
			t.Errorf("drift counted %d times, want at least 2", n-before)
		}
		a.evpnUp(b)
		ping(t, a, b)
	})

	t.Run("delete tears it down", func(t *testing.T) {
		for _, d := range []*dpu{a, b} {
			lbs, ports, br := d.clients()
			if _, err := ports.DeleteBridgePort(ctx, &networkv1.DeleteBridgePortRequest{Name: "bridgePorts/host"}); err != nil {
				t.Fatal(err)
			}
			if _, err := lbs.DeleteLogicalBridge(ctx, &networkv1.DeleteLogicalBridgeRequest{Name: "logicalBridges/blue"}); err != nil {
				t.Fatal(err)
			}
			if got := links(t, d.ns); got != "" {
				t.Errorf("%s still has %s", d.ns, got)
			}
			if master := run(t, "ip", "-n", d.ns, "-o", "link", "show", d.port); strings.Contains(master, "master") {
				t.Errorf("the port is still enslaved: %s", master)
			}
			eventually(t, 20*time.Second, func() string {
				if _, err := br.Gateway().SyncRouting(ctx); err != nil {
					return err.Error()
				}
				if st := br.Gateway().RoutingState(); len(st.VNIs) != 0 {
					return fmt.Sprintf("%s: zebra still has VNIs %v", d.ns, st.VNIs)
				}
				return ""
			})
		}
		if out, err := exec.Command("ip", "netns", "exec", a.host, "ping", "-c", "1", "-W", "1", b.hostIP).CombinedOutput(); err == nil {
			t.Errorf("the hosts still reach each other after the delete:\n%s", out)
		}
	})
}

// probeFeatures reads the kernel's features in a scratch namespace.
func probeFeatures(t *testing.T) network.Features {
	ns := frrtest.NewNS(t)
	h, err := netns.GetFromName(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	k, err := kernel.New(kernel.Config{NetNS: h})
	if err != nil {
		t.Fatal(err)
	}
	return k.Features()
}
