package bridge_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"google.golang.org/protobuf/proto"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"

	"github.com/opi-suite/opi/opi-network-bridge/bridge"
	"github.com/opi-suite/opi/opi-network-bridge/internal/frr"
	"github.com/opi-suite/opi/opi-network-bridge/internal/frr/frrtest"
	"github.com/opi-suite/opi/opi-network-bridge/internal/kernel"
)

// benchNS is a namespace with n veth pairs whose "p<i>" ends are the ports
// to attach, made outside the timer.
type benchNS struct {
	name string
	h    netns.NsHandle
	nl   *netlink.Handle
}

func newBenchNS(b *testing.B, vtep netip.Addr) *benchNS {
	b.Helper()
	ns := frrtest.NewNS(b)
	run := func(args ...string) {
		if out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput(); err != nil {
			b.Fatalf("ip %v: %v %s", args, err, out)
		}
	}
	run("addr", "add", vtep.String()+"/32", "dev", "lo")
	h, err := netns.GetFromName(ns)
	if err != nil {
		b.Fatal(err)
	}
	nl, err := netlink.NewHandleAt(h)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { nl.Close(); h.Close() })
	return &benchNS{name: ns, h: h, nl: nl}
}

// ports makes veth pairs p<i>/h<i> for i in [from, from+n).
func (s *benchNS) ports(b *testing.B, from, n int) {
	b.Helper()
	for i := from; i < from+n; i++ {
		mac := net.HardwareAddr{2, 0x10, 0, byte(i >> 16), byte(i >> 8), byte(i)}
		v := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("h%d", i)}, PeerName: fmt.Sprintf("p%d", i), PeerHardwareAddr: mac}
		if err := s.nl.LinkAdd(v); err != nil {
			b.Fatalf("veth %d: %v", i, err)
		}
	}
}

func portMAC(i int) string {
	return net.HardwareAddr{2, 0x10, 0, byte(i >> 16), byte(i >> 8), byte(i)}.String()
}

// serveIn serves a bridge whose kernel is namespace ns (no routing unless
// r is given) and returns its clients.
func serveIn(b *testing.B, ns *benchNS, vtep netip.Addr, dir string, r *frr.FRR) (*bridge.Bridge, networkv1.LogicalBridgeServiceClient, networkv1.BridgePortServiceClient, func()) {
	b.Helper()
	k, err := kernel.New(kernel.Config{NetNS: ns.h, DefaultVtepIP: vtep})
	if err != nil {
		b.Fatal(err)
	}
	opts := []bridge.Option{bridge.WithKernel(k), bridge.WithoutRouting()}
	if r != nil {
		opts = []bridge.Option{bridge.WithKernel(k), bridge.WithRouting(r)}
	}
	br, err := bridge.New(bridge.Config{StateDir: dir, VtepIP: vtep, RoutingInterval: time.Hour}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	br.Start(ctx)
	s := servertest.Start(b, br.Services(), serverQuiet()...)
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); _ = br.Close() }) }
	b.Cleanup(stop)
	return br, networkv1.NewLogicalBridgeServiceClient(s.Conn), networkv1.NewBridgePortServiceClient(s.Conn), stop
}

// BenchmarkLogicalBridgesWithPortsAPI: one op is one logical bridge (VLAN
// and VNI i) with one access port, made through the API of a bridge
// serving on the real kernel (gRPC, validation, intent store with its
// fsyncs, netlink), by 1 client and by 16 concurrent clients, against the
// same kernel objects made by running ip and bridge (four processes per
// object). ns/op is the time per object; the ratio ip/API is the figure:
//
//	go test -run '^$' -bench LogicalBridgesWithPortsAPI -benchtime 1000x ./bridge
func BenchmarkLogicalBridgesWithPortsAPI(b *testing.B) {
	frrtest.Require(b)
	vtep := netip.MustParseAddr("10.255.0.1")
	for _, side := range []struct {
		name    string
		clients int
	}{{"api-1-client", 1}, {"api-16-clients", 16}, {"ip-processes", 0}} {
		b.Run(side.name, func(b *testing.B) {
			if b.N > 4094 {
				b.Fatalf("at most 4094 objects (VLAN ids); use -benchtime 1000x")
			}
			ns := newBenchNS(b, vtep)
			ns.ports(b, 1, b.N)
			if side.clients == 0 {
				b.ResetTimer()
				for i := 1; i <= b.N; i++ {
					id := fmt.Sprint(i)
					for _, cmd := range [][]string{
						{"ip", "-n", ns.name, "link", "add", "name", "lb" + id, "up", "type", "bridge"},
						{"ip", "-n", ns.name, "link", "add", "name", "vx" + id, "up", "master", "lb" + id,
							"type", "vxlan", "id", id, "local", vtep.String(), "dstport", "4789", "nolearning"},
						{"ip", "-n", ns.name, "link", "set", "p" + id, "master", "lb" + id, "up"},
						{"bridge", "-n", ns.name, "fdb", "replace", portMAC(i), "dev", "p" + id, "master", "static"},
					} {
						if out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput(); err != nil {
							b.Fatalf("%s: %v %s", strings.Join(cmd, " "), err, out)
						}
					}
				}
				return
			}
			_, lbs, ports, _ := serveIn(b, ns, vtep, b.TempDir(), nil)
			ctx := context.Background()
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for range side.clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1))
						if i > b.N {
							return
						}
						id := fmt.Sprintf("lb%d", i)
						if _, err := lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: id,
							LogicalBridge: &networkv1.LogicalBridge{VlanId: uint32(i), Vni: proto.Uint32(uint32(i))}}); err != nil {
							b.Error(err)
							return
						}
						p, err := ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: fmt.Sprintf("p%d", i),
							BridgePort: &networkv1.BridgePort{MacAddress: portMAC(i), Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS,
								LogicalBridges: []string{"logicalBridges/" + id}, Interface: fmt.Sprintf("p%d", i)}})
						if err != nil || p.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
							b.Errorf("port %d: %v %v", i, p.GetStatus(), err)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	}
}

// BenchmarkRestartReconcile: the time from a bridge's start to every
// resource READY, with 1,000 logical bridges with ports (and FRR holding
// their 1,000 VNIs) that the kernel and FRR still hold: nothing drifted,
// so nothing may change. The link indexes of the devices are compared
// before and after (a change fails the benchmark), and the FRR adapter
// must not reload. One op is one restart:
//
//	go test -run '^$' -bench RestartReconcile -benchtime 3x ./bridge
func BenchmarkRestartReconcile(b *testing.B) {
	frrtest.Require(b)
	const n = 1000
	vtep := netip.MustParseAddr("10.255.0.1")
	ns := newBenchNS(b, vtep)
	ns.ports(b, 1, n)
	in := frrtest.Start(b, ns.name, "router bgp 65001\n no bgp ebgp-requires-policy\nexit\n")
	newFRR := func() *frr.FRR {
		r, err := frr.New(65001, frr.WithVtySocketDir(in.Dir), frr.WithConfDir(in.Dir), frr.WithRunDir(in.Dir),
			frr.WithRouterID(vtep), frr.WithBaseFile(in.Base))
		if err != nil {
			b.Fatal(err)
		}
		return r
	}
	dir := b.TempDir()
	br, lbs, ports, stop := serveIn(b, ns, vtep, dir, newFRR())
	ctx := context.Background()
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("lb%d", i)
		if _, err := lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: id,
			LogicalBridge: &networkv1.LogicalBridge{VlanId: uint32(i), Vni: proto.Uint32(uint32(i))}}); err != nil {
			b.Fatal(err)
		}
		if _, err := ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: fmt.Sprintf("p%d", i),
			BridgePort: &networkv1.BridgePort{MacAddress: portMAC(i), Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS,
				LogicalBridges: []string{"logicalBridges/" + id}, Interface: fmt.Sprintf("p%d", i)}}); err != nil {
			b.Fatal(err)
		}
	}
	allReady(b, lbs, n, 5*time.Minute)
	_ = br
	before := indexes(b, ns)
	beforeFRR := in.Running()
	stop()
	b.ResetTimer()
	for range b.N {
		r := newFRR()
		_, lbs, _, stop := serveIn(b, ns, vtep, dir, r)
		allReady(b, lbs, n, 5*time.Minute)
		b.StopTimer()
		stop()
		if got := indexes(b, ns); got != before {
			b.Fatal("the restart changed the kernel's devices")
		}
		if in.Running() != beforeFRR || r.Reloads() != 0 {
			b.Fatalf("the restart changed FRR (%d reloads)", r.Reloads())
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(n), "objects")
}

func allReady(b *testing.B, lbs networkv1.LogicalBridgeServiceClient, n int, timeout time.Duration) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ready, token := 0, ""
		for {
			resp, err := lbs.ListLogicalBridges(context.Background(), &networkv1.ListLogicalBridgesRequest{PageSize: 1000, PageToken: token})
			if err != nil {
				b.Fatal(err)
			}
			for _, lb := range resp.GetLogicalBridges() {
				if lb.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_READY {
					ready++
				}
			}
			if token = resp.GetNextPageToken(); token == "" {
				break
			}
		}
		if ready == n {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d READY after %v", ready, n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// indexes returns the names and indexes of the namespace's links.
func indexes(b *testing.B, ns *benchNS) string {
	links, err := ns.nl.LinkList()
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	for _, l := range links {
		fmt.Fprintf(&sb, "%s#%d#%d ", l.Attrs().Name, l.Attrs().Index, l.Attrs().MasterIndex)
	}
	return sb.String()
}

// serverQuiet keeps a benchmark's server from logging every call.
func serverQuiet() []server.Option {
	l, _ := server.NewLogger(io.Discard, "error")
	return []server.Option{server.WithLogger(l)}
}
