package bridge_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-network-bridge/bridge"
	"github.com/opi-suite/opi/opi-network-bridge/internal/fake"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

var vtep = netip.MustParseAddr("10.0.0.1")

type fixture struct {
	b       *bridge.Bridge
	kernel  *fake.Kernel
	routing *fake.Routing
	lbs     networkv1.LogicalBridgeServiceClient
	ports   networkv1.BridgePortServiceClient
	vrfs    networkv1.VrfServiceClient
	svis    networkv1.SviServiceClient
	ifs     networkv1.NetInterfaceServiceClient
	dir     string
	stop    func()
}

func mac(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }

// start serves a bridge on fake components over the runtime's real chain.
func start(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		kernel: fake.NewKernel(vtep,
			network.Interface{Name: "eth1", MAC: mac("02:00:00:00:00:01")},
			network.Interface{Name: "eth2", MAC: mac("02:00:00:00:00:02")}),
		routing: &fake.Routing{},
		dir:     t.TempDir(),
	}
	f.restart(t)
	return f
}

// restart builds a new bridge on the same state directory and components.
func (f *fixture) restart(t *testing.T) {
	t.Helper()
	if f.stop != nil {
		f.stop()
	}
	b, err := bridge.New(bridge.Config{StateDir: f.dir, VtepIP: vtep, RoutingInterval: time.Hour},
		bridge.WithKernel(f.kernel), bridge.WithRouting(f.routing))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Start(ctx)
	var once sync.Once
	f.stop = func() { once.Do(func() { cancel(); _ = b.Close() }) }
	t.Cleanup(f.stop)
	s := servertest.Start(t, b.Services())
	f.b = b
	f.lbs = networkv1.NewLogicalBridgeServiceClient(s.Conn)
	f.ports = networkv1.NewBridgePortServiceClient(s.Conn)
	f.vrfs = networkv1.NewVrfServiceClient(s.Conn)
	f.svis = networkv1.NewSviServiceClient(s.Conn)
	f.ifs = networkv1.NewNetInterfaceServiceClient(s.Conn)
}

func code(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if status.Code(err) != want {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func (f *fixture) lb(t *testing.T, id string, vlan, vni uint32) *networkv1.LogicalBridge {
	t.Helper()
	lb, err := f.lbs.CreateLogicalBridge(context.Background(), &networkv1.CreateLogicalBridgeRequest{
		LogicalBridgeId: id, LogicalBridge: &networkv1.LogicalBridge{VlanId: vlan, Vni: proto.Uint32(vni)}})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
	return lb
}

// ready waits until name reads READY with every component APPLIED.
func (f *fixture) ready(t *testing.T, get func() (interface {
	GetStatus() *commonv1.ResourceStatus
	GetComponents() []*networkv1.ComponentStatus
}, error)) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := get()
		if err != nil {
			t.Fatal(err)
		}
		if m.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_READY {
			for _, c := range m.GetComponents() {
				if c.GetState() != networkv1.ComponentState_COMPONENT_STATE_APPLIED {
					t.Fatalf("READY with component %v", c)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not READY: %v", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogicalBridgeLifecycle(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	lb := f.lb(t, "blue", 100, 100)
	if lb.GetName() != "logicalBridges/blue" || lb.GetVlanId() != 100 || lb.GetVni() != 100 {
		t.Fatalf("created %v", lb)
	}
	bridges, _, _ := f.kernel.Snapshot()
	if got := bridges["lb100"]; got.VNI != 100 || got.VtepIP != vtep {
		t.Fatalf("kernel holds %+v, want VNI 100 from the default VTEP %s", got, vtep)
	}
	f.ready(t, func() (interface {
		GetStatus() *commonv1.ResourceStatus
		GetComponents() []*networkv1.ComponentStatus
	}, error) {
		return f.lbs.GetLogicalBridge(ctx, &networkv1.GetLogicalBridgeRequest{Name: "logicalBridges/blue"})
	})
	cfg, _ := f.routing.Last()
	if len(cfg.LogicalBridges) != 1 || cfg.LogicalBridges[0].VNI != 100 {
		t.Fatalf("FRR got %+v", cfg)
	}
	// A port on it, found by MAC.
	p, err := f.ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: "p1", BridgePort: &networkv1.BridgePort{
		MacAddress: "02:00:00:00:00:01", Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS, LogicalBridges: []string{"logicalBridges/blue"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, ports, _ := f.kernel.Snapshot()
	if p.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY || ports["eth1"].Bridges[0].VlanID != 100 {
		t.Fatalf("port %v, kernel %+v", p, ports)
	}
	// The bridge is in use.
	_, err = f.lbs.DeleteLogicalBridge(ctx, &networkv1.DeleteLogicalBridgeRequest{Name: "logicalBridges/blue"})
	code(t, err, codes.FailedPrecondition)
	if _, err := f.ports.DeleteBridgePort(ctx, &networkv1.DeleteBridgePortRequest{Name: p.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.lbs.DeleteLogicalBridge(ctx, &networkv1.DeleteLogicalBridgeRequest{Name: "logicalBridges/blue"}); err != nil {
		t.Fatal(err)
	}
	if bridges, ports, _ := f.kernel.Snapshot(); len(bridges) != 0 || len(ports) != 0 {
		t.Fatalf("kernel still holds %+v %+v", bridges, ports)
	}
	// The VLAN and VNI are free again.
	f.lb(t, "green", 100, 100)
}

func TestBadInputChangesNothing(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.lb(t, "blue", 100, 100)
	_, _, calls := f.kernel.Snapshot()
	lbReq := func(id string, lb *networkv1.LogicalBridge) error {
		_, err := f.lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: id, LogicalBridge: lb})
		return err
	}
	portReq := func(id string, p *networkv1.BridgePort) error {
		_, err := f.ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: id, BridgePort: p})
		return err
	}
	access := networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS
	for _, c := range []struct {
		name string
		err  error
		want codes.Code
	}{
		{"VLAN 0", lbReq("x", &networkv1.LogicalBridge{VlanId: 0, Vni: proto.Uint32(5)}), codes.InvalidArgument},
		{"VLAN 4095", lbReq("x", &networkv1.LogicalBridge{VlanId: 4095}), codes.InvalidArgument},
		{"VNI 0", lbReq("x", &networkv1.LogicalBridge{VlanId: 5, Vni: proto.Uint32(0)}), codes.InvalidArgument},
		{"VNI 2^24", lbReq("x", &networkv1.LogicalBridge{VlanId: 5, Vni: proto.Uint32(1 << 24)}), codes.InvalidArgument},
		{"VTEP not local", lbReq("x", &networkv1.LogicalBridge{VlanId: 5, Vni: proto.Uint32(5), VtepIp: "192.0.2.7"}), codes.InvalidArgument},
		{"VTEP not an address", lbReq("x", &networkv1.LogicalBridge{VlanId: 5, Vni: proto.Uint32(5), VtepIp: "10.0.0.300"}), codes.InvalidArgument},
		{"duplicate VNI", lbReq("x", &networkv1.LogicalBridge{VlanId: 5, Vni: proto.Uint32(100)}), codes.AlreadyExists},
		{"duplicate VLAN", lbReq("x", &networkv1.LogicalBridge{VlanId: 100, Vni: proto.Uint32(7)}), codes.AlreadyExists},
		{"MAC malformed", portReq("p", &networkv1.BridgePort{MacAddress: "02:00:00:00:00", Ptype: access, LogicalBridges: []string{"logicalBridges/blue"}}), codes.InvalidArgument},
		{"MAC multicast", portReq("p", &networkv1.BridgePort{MacAddress: "01:00:5e:00:00:01", Ptype: access, LogicalBridges: []string{"logicalBridges/blue"}}), codes.InvalidArgument},
		{"port on a missing bridge", portReq("p", &networkv1.BridgePort{MacAddress: "02:00:00:00:00:01", Ptype: access, LogicalBridges: []string{"logicalBridges/nope"}}), codes.NotFound},
		{"access port in two bridges", portReq("p", &networkv1.BridgePort{MacAddress: "02:00:00:00:00:01", Ptype: access, LogicalBridges: []string{"logicalBridges/blue", "logicalBridges/red"}}), codes.InvalidArgument},
		{"trunk without VLAN filtering", portReq("p", &networkv1.BridgePort{MacAddress: "02:00:00:00:00:01", Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_TRUNK, LogicalBridges: []string{"logicalBridges/blue"}}), codes.FailedPrecondition},
		{"VRF without CONFIG_NET_VRF", func() error {
			_, err := f.vrfs.CreateVrf(ctx, &networkv1.CreateVrfRequest{VrfId: "v", Vrf: &networkv1.Vrf{Vni: proto.Uint32(1000)}})
			return err
		}(), codes.FailedPrecondition},
		{"bad route target", func() error {
			_, err := f.vrfs.CreateVrf(ctx, &networkv1.CreateVrfRequest{VrfId: "v", Vrf: &networkv1.Vrf{Vni: proto.Uint32(1000), ImportRouteTargets: []string{"65000:99999999999"}}})
			return err
		}(), codes.InvalidArgument},
	} {
		t.Run(c.name, func(t *testing.T) { code(t, c.err, c.want) })
	}
	if bridges, ports, n := f.kernel.Snapshot(); n != calls || len(bridges) != 1 || len(ports) != 0 {
		t.Fatalf("bad input reached the kernel: %d calls, %+v", n-calls, bridges)
	}
	list, err := f.lbs.ListLogicalBridges(ctx, &networkv1.ListLogicalBridgesRequest{})
	if err != nil || len(list.GetLogicalBridges()) != 1 {
		t.Fatalf("stored %v, %v", list, err)
	}
	st, err := f.vrfs.GetVrf(ctx, &networkv1.GetVrfRequest{Name: "vrfs/v"})
	code(t, err, codes.NotFound)
	_ = st
}

func TestKernelFailureStoresNothing(t *testing.T) {
	f := start(t)
	f.kernel.SetFail(errdefs.FailedPreconditionf("device or resource busy"))
	_, err := f.lbs.CreateLogicalBridge(context.Background(), &networkv1.CreateLogicalBridgeRequest{
		LogicalBridgeId: "blue", LogicalBridge: &networkv1.LogicalBridge{VlanId: 100, Vni: proto.Uint32(100)}})
	code(t, err, codes.FailedPrecondition)
	_, err = f.lbs.GetLogicalBridge(context.Background(), &networkv1.GetLogicalBridgeRequest{Name: "logicalBridges/blue"})
	code(t, err, codes.NotFound)
	// Its VLAN and VNI were given back.
	f.lb(t, "green", 100, 100)
}

func TestRoutingFailureIsAComponentError(t *testing.T) {
	f := start(t)
	f.routing.SetFail(errdefs.InvalidArgumentf("line 12: %% Unknown command: vni 100 foo"))
	lb := f.lb(t, "blue", 100, 100)
	if lb.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Fatalf("READY while FRR refuses: %v", lb.GetStatus())
	}
	if _, err := f.b.Gateway().SyncRouting(context.Background()); err == nil {
		t.Fatal("the sync succeeded with FRR refusing")
	}
	got, err := f.lbs.GetLogicalBridge(context.Background(), &networkv1.GetLogicalBridgeRequest{Name: lb.GetName()})
	if err != nil {
		t.Fatal(err)
	}
	frr := got.GetComponents()[1]
	if got.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_ERROR || frr.GetName() != "frr" ||
		frr.GetState() != networkv1.ComponentState_COMPONENT_STATE_ERROR || got.GetComponents()[0].GetState() != networkv1.ComponentState_COMPONENT_STATE_APPLIED {
		t.Fatalf("got %v", got)
	}
	f.routing.SetFail(nil)
	if _, err := f.b.Gateway().SyncRouting(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, _ = f.lbs.GetLogicalBridge(context.Background(), &networkv1.GetLogicalBridgeRequest{Name: lb.GetName()})
	if got.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Fatalf("after FRR accepted: %v", got)
	}
}

func TestPortWaitsForItsInterface(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.lb(t, "blue", 100, 100)
	p, err := f.ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: "late", BridgePort: &networkv1.BridgePort{
		MacAddress: "02:00:00:00:00:09", Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS, LogicalBridges: []string{"logicalBridges/blue"}}})
	if err != nil {
		t.Fatal(err)
	}
	if p.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_PENDING {
		t.Fatalf("a port without its interface is %v", p.GetStatus())
	}
	f.kernel.AddInterface("eth9", mac("02:00:00:00:00:09"))
	f.b.Kick()
	deadline := time.Now().Add(5 * time.Second)
	for {
		p, err = f.ports.GetBridgePort(ctx, &networkv1.GetBridgePortRequest{Name: p.GetName()})
		if err == nil && p.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_READY {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the port did not attach once its interface appeared: %v %v", p, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConcurrentCreates(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	// 20 identical creates: all OK with the same object.
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{
				LogicalBridgeId: "same", LogicalBridge: &networkv1.LogicalBridge{VlanId: 10, Vni: proto.Uint32(10)}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("identical create: %v", err)
		}
	}
	// 20 different ids on one VNI: exactly one wins.
	ok := 0
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{
				LogicalBridgeId: "race-" + string(rune('a'+i)), LogicalBridge: &networkv1.LogicalBridge{VlanId: uint32(100 + i), Vni: proto.Uint32(77)}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		switch status.Code(err) {
		case codes.OK:
			ok++
		case codes.AlreadyExists:
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	if bridges, _, _ := f.kernel.Snapshot(); ok != 1 || len(bridges) != 2 {
		t.Fatalf("%d creates of VNI 77 succeeded; kernel holds %d bridges", ok, len(bridges))
	}
}

func TestRestartChangesNoIDAndReplays(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.lb(t, "blue", 100, 100)
	f.lb(t, "red", 200, 200)
	// The kernel loses everything (a reboot); the bridge restarts.
	f.kernel.Reboot()
	f.restart(t)
	got, err := f.lbs.GetLogicalBridge(ctx, &networkv1.GetLogicalBridgeRequest{Name: "logicalBridges/blue"})
	if err != nil || got.GetVni() != 100 {
		t.Fatalf("after restart: %v %v", got, err)
	}
	<-f.b.Synced()
	if bridges, _, _ := f.kernel.Snapshot(); len(bridges) != 2 {
		t.Fatalf("the replay made %d bridges, want 2", len(bridges))
	}
	// The claims survive the restart.
	_, err = f.lbs.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{
		LogicalBridgeId: "x", LogicalBridge: &networkv1.LogicalBridge{VlanId: 300, Vni: proto.Uint32(200)}})
	code(t, err, codes.AlreadyExists)
}

func TestDriftIsRepaired(t *testing.T) {
	f := start(t)
	f.lb(t, "blue", 100, 100)
	<-f.b.Synced()
	f.kernel.Drift(100)
	deadline := time.Now().Add(5 * time.Second)
	for f.b.Gateway().Drifts() == 0 || !f.kernelHas("lb100") {
		if time.Now().After(deadline) {
			t.Fatalf("the deleted bridge did not come back (drifts %d)", f.b.Gateway().Drifts())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (f *fixture) kernelHas(dev string) bool { return f.kernel.Has(dev) }

func TestUpdates(t *testing.T) {
	f := start(t)
	ctx := context.Background()
	f.lb(t, "blue", 100, 100)
	_, err := f.lbs.UpdateLogicalBridge(ctx, &networkv1.UpdateLogicalBridgeRequest{
		LogicalBridge: &networkv1.LogicalBridge{Name: "logicalBridges/blue", Vni: proto.Uint32(101)},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"vni"}}})
	code(t, err, codes.InvalidArgument)
	// The VTEP address can change, to a local one only.
	_, err = f.lbs.UpdateLogicalBridge(ctx, &networkv1.UpdateLogicalBridgeRequest{
		LogicalBridge: &networkv1.LogicalBridge{Name: "logicalBridges/blue", VtepIp: "192.0.2.1"},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"vtep_ip"}}})
	code(t, err, codes.InvalidArgument)
	got, err := f.lbs.UpdateLogicalBridge(ctx, &networkv1.UpdateLogicalBridgeRequest{
		LogicalBridge: &networkv1.LogicalBridge{Name: "logicalBridges/blue", VtepIp: vtep.String()},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"vtep_ip"}}})
	if err != nil || got.GetVtepIp() != vtep.String() {
		t.Fatalf("update vtep_ip: %v %v", got, err)
	}
	// A port moves to another logical bridge.
	f.lb(t, "red", 200, 200)
	if _, err := f.ports.CreateBridgePort(ctx, &networkv1.CreateBridgePortRequest{BridgePortId: "p", BridgePort: &networkv1.BridgePort{
		MacAddress: "02:00:00:00:00:02", Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS, LogicalBridges: []string{"logicalBridges/blue"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ports.UpdateBridgePort(ctx, &networkv1.UpdateBridgePortRequest{
		BridgePort: &networkv1.BridgePort{Name: "bridgePorts/p", LogicalBridges: []string{"logicalBridges/red"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"logical_bridges"}}}); err != nil {
		t.Fatal(err)
	}
	if _, ports, _ := f.kernel.Snapshot(); ports["eth2"].Bridges[0].VlanID != 200 {
		t.Fatalf("the port is on %+v, want VLAN 200", ports["eth2"].Bridges)
	}
	ni, err := f.ifs.UpdateNetInterface(ctx, &networkv1.UpdateNetInterfaceRequest{
		NetInterface: &networkv1.NetInterface{Name: "netInterfaces/eth1", AdminUp: true, Mtu: 9000},
		UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"admin_up", "mtu"}}})
	if err != nil || !ni.GetAdminUp() || ni.GetMtu() != 9000 {
		t.Fatalf("update interface: %v %v", ni, err)
	}
	_, err = f.ifs.GetNetInterface(ctx, &networkv1.GetNetInterfaceRequest{Name: "netInterfaces/nope0"})
	code(t, err, codes.NotFound)
	list, err := f.ifs.ListNetInterfaces(ctx, &networkv1.ListNetInterfacesRequest{PageSize: 2})
	if err != nil || len(list.GetNetInterfaces()) != 2 || list.GetNextPageToken() == "" {
		t.Fatalf("list: %v %v", list, err)
	}
	rest, err := f.ifs.ListNetInterfaces(ctx, &networkv1.ListNetInterfacesRequest{PageSize: 2, PageToken: list.GetNextPageToken()})
	if err != nil || len(rest.GetNetInterfaces()) != 1 || rest.GetNetInterfaces()[0].GetName() != "netInterfaces/lo" {
		t.Fatalf("page 2: %v %v", rest, err)
	}
	if !errors.Is(errdefs.NotFoundf("x"), errdefs.ErrNotFound) {
		t.Fatal("errdefs")
	}
}
