package bridge_test

import (
	"context"
	"regexp"
	"sync"
	"testing"
	"time"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	evpn "github.com/opi-suite/opi/opi-upstream/network/evpngw/v1alpha1"
	netcommon "github.com/opi-suite/opi/opi-upstream/network/opinetcommon/v1alpha1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-network-bridge/bridge"
	"github.com/opi-suite/opi/opi-network-bridge/internal/fake"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// upstreamClients drive a bridge on the in-memory components through
// upstream OPI's EVPN gateway API, as godpu and opi-cni do, with the native
// API beside it on the same connection.
type upstreamClients struct {
	lbs    evpn.LogicalBridgeServiceClient
	ports  evpn.BridgePortServiceClient
	vrfs   evpn.VrfServiceClient
	svis   evpn.SviServiceClient
	ifs    netcommon.NetInterfaceServiceClient
	native networkv1.LogicalBridgeServiceClient
}

func startUpstream(t testing.TB) *upstreamClients {
	t.Helper()
	k := fake.NewKernel(vtep,
		network.Interface{Name: "eth1", MAC: mac("02:00:00:00:00:01")},
		network.Interface{Name: "eth2", MAC: mac("02:00:00:00:00:02")})
	k.F.VRF = true // the SVI and VRF flows need VRF devices; the fake has them on request
	b, err := bridge.New(bridge.Config{StateDir: t.TempDir(), VtepIP: vtep, RoutingInterval: time.Hour},
		bridge.WithKernel(k), bridge.WithRouting(&fake.Routing{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Start(ctx)
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { cancel(); _ = b.Close() }) })
	s := servertest.Start(t, b.Services())
	return &upstreamClients{
		lbs: evpn.NewLogicalBridgeServiceClient(s.Conn), ports: evpn.NewBridgePortServiceClient(s.Conn),
		vrfs: evpn.NewVrfServiceClient(s.Conn), svis: evpn.NewSviServiceClient(s.Conn), ifs: netcommon.NewNetInterfaceServiceClient(s.Conn),
		native: networkv1.NewLogicalBridgeServiceClient(s.Conn),
	}
}

// v4 is an upstream IPPrefix for a.b.c.d/n.
func v4(a, b, c, d byte, n int32) *netcommon.IPPrefix {
	return &netcommon.IPPrefix{Len: n, Addr: &netcommon.IPAddress{Af: netcommon.IpAf_IP_AF_INET,
		V4OrV6: &netcommon.IPAddress_V4Addr{V4Addr: uint32(a)<<24 | uint32(b)<<16 | uint32(c)<<8 | uint32(d)}}}
}

var uuidName = regexp.MustCompile(`^logicalBridges/[a-f][0-9a-f]{7}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestUpstreamLogicalBridgeFlows(t *testing.T) {
	c := startUpstream(t)
	ctx := context.Background()

	lb, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{LogicalBridgeId: "blue",
		LogicalBridge: &evpn.LogicalBridge{Spec: &evpn.LogicalBridgeSpec{VlanId: 100, Vni: proto.Uint32(100), VtepIpPrefix: v4(10, 0, 0, 1, 32)}}})
	if err != nil {
		t.Fatal(err)
	}
	want := &evpn.LogicalBridgeSpec{VlanId: 100, Vni: proto.Uint32(100), VtepIpPrefix: v4(10, 0, 0, 1, 32)}
	if lb.GetName() != "logicalBridges/blue" || !proto.Equal(lb.GetSpec(), want) {
		t.Fatalf("created %v", lb)
	}

	t.Run("the native API sees the same logical bridge", func(t *testing.T) {
		n, err := c.native.GetLogicalBridge(ctx, &networkv1.GetLogicalBridgeRequest{Name: "logicalBridges/blue"})
		if err != nil || n.GetVlanId() != 100 || n.GetVni() != 100 || n.GetVtepIp() != "10.0.0.1" {
			t.Fatalf("native: %v, %v", n, err)
		}
	})

	t.Run("every name form upstream's clients send reads it", func(t *testing.T) {
		for _, name := range []string{"logicalBridges/blue", "blue", "//network.opiproject.org/bridges/blue", "//network.opiproject.org/logicalBridges/blue"} {
			got, err := c.lbs.GetLogicalBridge(ctx, &evpn.GetLogicalBridgeRequest{Name: name})
			if err != nil || got.GetName() != "logicalBridges/blue" {
				t.Errorf("get %q: %v, %v", name, got, err)
			}
		}
	})

	t.Run("it comes UP once every component applied it", func(t *testing.T) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, err := c.lbs.GetLogicalBridge(ctx, &evpn.GetLogicalBridgeRequest{Name: "blue"})
			if err != nil {
				t.Fatal(err)
			}
			if got.GetStatus().GetOperStatus() == evpn.LBOperStatus_LB_OPER_STATUS_UP {
				if len(got.GetStatus().GetComponents()) != 2 {
					t.Fatalf("components: %v", got.GetStatus().GetComponents())
				}
				for _, comp := range got.GetStatus().GetComponents() {
					if comp.GetStatus() != evpn.CompStatus_COMP_STATUS_SUCCESS {
						t.Fatalf("UP with %v", comp)
					}
				}
				return
			}
			if got.GetStatus().GetOperStatus() != evpn.LBOperStatus_LB_OPER_STATUS_DOWN || time.Now().After(deadline) {
				t.Fatalf("not UP: %v", got)
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("a create without an id gets a UUID", func(t *testing.T) {
		got, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{
			LogicalBridge: &evpn.LogicalBridge{Spec: &evpn.LogicalBridgeSpec{VlanId: 200}}})
		if err != nil || !uuidName.MatchString(got.GetName()) {
			t.Fatalf("got %v, %v", got, err)
		}
	})

	t.Run("a list pages through every logical bridge", func(t *testing.T) {
		if _, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{LogicalBridgeId: "green",
			LogicalBridge: &evpn.LogicalBridge{Spec: &evpn.LogicalBridgeSpec{VlanId: 300}}}); err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		token := ""
		for pages := 0; ; pages++ {
			page, err := c.lbs.ListLogicalBridges(ctx, &evpn.ListLogicalBridgesRequest{PageSize: 2, PageToken: token})
			if err != nil || len(page.GetLogicalBridges()) > 2 || pages > 3 {
				t.Fatalf("page %d: %v, %v", pages, page, err)
			}
			for _, lb := range page.GetLogicalBridges() {
				seen[lb.GetName()] = true
			}
			if token = page.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(seen) != 3 || !seen["logicalBridges/blue"] || !seen["logicalBridges/green"] {
			t.Fatalf("listed %v", seen)
		}
	})

	t.Run("an update names upstream's spec fields", func(t *testing.T) {
		got, err := c.lbs.UpdateLogicalBridge(ctx, &evpn.UpdateLogicalBridgeRequest{
			LogicalBridge: &evpn.LogicalBridge{Name: "//network.opiproject.org/bridges/green", Spec: &evpn.LogicalBridgeSpec{VtepIpPrefix: v4(10, 0, 0, 1, 32)}},
			UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"spec.vtep_ip_prefix"}}})
		if err != nil || !proto.Equal(got.GetSpec().GetVtepIpPrefix(), v4(10, 0, 0, 1, 32)) || got.GetSpec().GetVlanId() != 300 {
			t.Fatalf("got %v, %v", got, err)
		}
	})

	t.Run("bad requests are refused with upstream's codes", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			err  error
			want codes.Code
		}{
			{"an unknown mask path", func() error {
				_, err := c.lbs.UpdateLogicalBridge(ctx, &evpn.UpdateLogicalBridgeRequest{
					LogicalBridge: &evpn.LogicalBridge{Name: "green"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"spec.colour"}}})
				return err
			}(), codes.InvalidArgument},
			{"changing an immutable VLAN id", func() error {
				_, err := c.lbs.UpdateLogicalBridge(ctx, &evpn.UpdateLogicalBridgeRequest{
					LogicalBridge: &evpn.LogicalBridge{Name: "green", Spec: &evpn.LogicalBridgeSpec{VlanId: 301}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"spec.vlan_id"}}})
				return err
			}(), codes.InvalidArgument},
			{"a VLAN id used twice", func() error {
				_, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{LogicalBridgeId: "red",
					LogicalBridge: &evpn.LogicalBridge{Spec: &evpn.LogicalBridgeSpec{VlanId: 100}}})
				return err
			}(), codes.AlreadyExists},
			{"a missing spec", func() error {
				_, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{LogicalBridgeId: "red", LogicalBridge: &evpn.LogicalBridge{}})
				return err
			}(), codes.InvalidArgument},
			{"an id that is not a resource id", func() error {
				_, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{LogicalBridgeId: "Red_1",
					LogicalBridge: &evpn.LogicalBridge{Spec: &evpn.LogicalBridgeSpec{VlanId: 400}}})
				return err
			}(), codes.InvalidArgument},
			{"getting one that does not exist", func() error {
				_, err := c.lbs.GetLogicalBridge(ctx, &evpn.GetLogicalBridgeRequest{Name: "nothing"})
				return err
			}(), codes.NotFound},
		} {
			t.Run(tc.name, func(t *testing.T) { code(t, tc.err, tc.want) })
		}
	})

	t.Run("a delete takes every name form, and allow_missing", func(t *testing.T) {
		if _, err := c.lbs.DeleteLogicalBridge(ctx, &evpn.DeleteLogicalBridgeRequest{Name: "//network.opiproject.org/bridges/green"}); err != nil {
			t.Fatal(err)
		}
		_, err := c.lbs.GetLogicalBridge(ctx, &evpn.GetLogicalBridgeRequest{Name: "green"})
		code(t, err, codes.NotFound)
		_, err = c.lbs.DeleteLogicalBridge(ctx, &evpn.DeleteLogicalBridgeRequest{Name: "green"})
		code(t, err, codes.NotFound)
		_, err = c.lbs.DeleteLogicalBridge(ctx, &evpn.DeleteLogicalBridgeRequest{Name: "green", AllowMissing: true})
		code(t, err, codes.OK)
	})
}

func TestUpstreamPortVrfSviFlows(t *testing.T) {
	c := startUpstream(t)
	ctx := context.Background()
	if _, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{LogicalBridgeId: "blue",
		LogicalBridge: &evpn.LogicalBridge{Spec: &evpn.LogicalBridgeSpec{VlanId: 100, Vni: proto.Uint32(100)}}}); err != nil {
		t.Fatal(err)
	}
	access := evpn.BridgePortType_BRIDGE_PORT_TYPE_ACCESS

	t.Run("a port's MAC is read as six octets or as godpu's text", func(t *testing.T) {
		for _, tc := range []struct {
			id  string
			mac []byte
			lb  string
		}{
			{"p1", []byte{0x02, 0, 0, 0, 0, 0x01}, "logicalBridges/blue"},
			{"p2", []byte("02:00:00:00:00:02"), "//network.opiproject.org/bridges/blue"},
		} {
			p, err := c.ports.CreateBridgePort(ctx, &evpn.CreateBridgePortRequest{BridgePortId: tc.id, BridgePort: &evpn.BridgePort{
				Spec: &evpn.BridgePortSpec{MacAddress: tc.mac, Ptype: access, LogicalBridges: []string{tc.lb}}}})
			if err != nil {
				t.Fatal(err)
			}
			if p.GetName() != "bridgePorts/"+tc.id || len(p.GetSpec().GetMacAddress()) != 6 || p.GetSpec().GetPtype() != access ||
				len(p.GetSpec().GetLogicalBridges()) != 1 || p.GetSpec().GetLogicalBridges()[0] != "logicalBridges/blue" {
				t.Fatalf("created %v", p)
			}
		}
		got, err := c.ports.GetBridgePort(ctx, &evpn.GetBridgePortRequest{Name: "//network.opiproject.org/ports/p2"})
		if err != nil || got.GetName() != "bridgePorts/p2" {
			t.Fatalf("get: %v, %v", got, err)
		}
		_, err = c.ports.CreateBridgePort(ctx, &evpn.CreateBridgePortRequest{BridgePortId: "p3", BridgePort: &evpn.BridgePort{
			Spec: &evpn.BridgePortSpec{MacAddress: []byte{1, 2, 3}, Ptype: access, LogicalBridges: []string{"blue"}}}})
		code(t, err, codes.InvalidArgument)
	})

	t.Run("a logical bridge a port uses cannot be deleted", func(t *testing.T) {
		_, err := c.lbs.DeleteLogicalBridge(ctx, &evpn.DeleteLogicalBridgeRequest{Name: "blue"})
		code(t, err, codes.FailedPrecondition)
	})

	t.Run("a VRF and its SVI, referenced by bare ids", func(t *testing.T) {
		v, err := c.vrfs.CreateVrf(ctx, &evpn.CreateVrfRequest{VrfId: "red", Vrf: &evpn.Vrf{Spec: &evpn.VrfSpec{
			Vni: proto.Uint32(1000), LoopbackIpPrefix: v4(10, 255, 0, 1, 32), VtepIpPrefix: v4(10, 0, 0, 1, 32)}}})
		if err != nil {
			t.Fatal(err)
		}
		if v.GetName() != "vrfs/red" || !proto.Equal(v.GetSpec().GetLoopbackIpPrefix(), v4(10, 255, 0, 1, 32)) {
			t.Fatalf("created %v", v)
		}
		s, err := c.svis.CreateSvi(ctx, &evpn.CreateSviRequest{Svi: &evpn.Svi{Spec: &evpn.SviSpec{
			Vrf: "red", LogicalBridge: "//network.opiproject.org/bridges/blue", MacAddress: []byte{0x02, 0xaa, 0, 0, 0, 0x01},
			GwIpPrefix: []*netcommon.IPPrefix{v4(192, 168, 1, 1, 24)}}}})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^svis/[a-f][0-9a-f-]{35}$`).MatchString(s.GetName()) || s.GetSpec().GetVrf() != "vrfs/red" ||
			s.GetSpec().GetLogicalBridge() != "logicalBridges/blue" || !proto.Equal(s.GetSpec().GetGwIpPrefix()[0], v4(192, 168, 1, 1, 24)) {
			t.Fatalf("created %v", s)
		}
		// godpu's update: read the resource, send it back whole with a mask.
		s.Spec.EnableBgp, s.Spec.RemoteAs = true, 65001
		upd, err := c.svis.UpdateSvi(ctx, &evpn.UpdateSviRequest{Svi: s, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"spec.enable_bgp", "spec.remote_as"}}})
		if err != nil || !upd.GetSpec().GetEnableBgp() || upd.GetSpec().GetRemoteAs() != 65001 {
			t.Fatalf("update: %v, %v", upd, err)
		}
		_, err = c.vrfs.DeleteVrf(ctx, &evpn.DeleteVrfRequest{Name: "red"})
		code(t, err, codes.FailedPrecondition)
		page, err := c.svis.ListSvis(ctx, &evpn.ListSvisRequest{})
		if err != nil || len(page.GetSvis()) != 1 {
			t.Fatalf("list: %v, %v", page, err)
		}
		if _, err := c.svis.DeleteSvi(ctx, &evpn.DeleteSviRequest{Name: "//network.opiproject.org/" + s.GetName()}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.vrfs.DeleteVrf(ctx, &evpn.DeleteVrfRequest{Name: "//network.opiproject.org/vrfs/red"}); err != nil {
			t.Fatal(err)
		}
		vrfs, err := c.vrfs.ListVrfs(ctx, &evpn.ListVrfsRequest{})
		if err != nil || len(vrfs.GetVrfs()) != 0 {
			t.Fatalf("list: %v, %v", vrfs, err)
		}
	})

	t.Run("ports list and delete", func(t *testing.T) {
		page, err := c.ports.ListBridgePorts(ctx, &evpn.ListBridgePortsRequest{PageSize: 1})
		if err != nil || len(page.GetBridgePorts()) != 1 || page.GetNextPageToken() == "" {
			t.Fatalf("list: %v, %v", page, err)
		}
		for _, name := range []string{"p1", "//network.opiproject.org/ports/p2"} {
			if _, err := c.ports.DeleteBridgePort(ctx, &evpn.DeleteBridgePortRequest{Name: name}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := c.lbs.DeleteLogicalBridge(ctx, &evpn.DeleteLogicalBridgeRequest{Name: "blue"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpstreamNetInterfaceFlows(t *testing.T) {
	c := startUpstream(t)
	ctx := context.Background()

	t.Run("every name form reads the kernel's interface", func(t *testing.T) {
		for _, name := range []string{"eth1", "netInterface/eth1", "netInterfaces/eth1", "//network.opiproject.org/interfaces/eth1"} {
			got, err := c.ifs.GetNetInterface(ctx, &netcommon.GetNetInterfaceRequest{Name: name})
			if err != nil || got.GetName() != "netInterface/eth1" || got.GetConfig().GetName() != "eth1" ||
				got.GetState().GetType() != netcommon.InterfaceType_INTERFACE_TYPE_ETHERNET || got.GetState().GetIfindex() == 0 {
				t.Errorf("get %q: %v, %v", name, got, err)
			}
		}
		lo, err := c.ifs.GetNetInterface(ctx, &netcommon.GetNetInterfaceRequest{Name: "lo"})
		if err != nil || lo.GetState().GetType() != netcommon.InterfaceType_INTERFACE_TYPE_LOOPBACK ||
			lo.GetState().GetOperState() != netcommon.OperState_OPER_STATE_UP || lo.GetState().GetAdminState() != netcommon.AdminState_ADMIN_STATE_ENABLE {
			t.Errorf("lo: %v, %v", lo, err)
		}
		_, err = c.ifs.GetNetInterface(ctx, &netcommon.GetNetInterfaceRequest{Name: "eth9"})
		code(t, err, codes.NotFound)
	})

	t.Run("a list pages through every interface", func(t *testing.T) {
		seen := map[string]bool{}
		token := ""
		for pages := 0; ; pages++ {
			page, err := c.ifs.ListNetInterfaces(ctx, &netcommon.ListNetInterfacesRequest{Parent: "//network.opiproject.org/interfaces", PageSize: 2, PageToken: token})
			if err != nil || len(page.GetNetInterfaces()) > 2 || pages > 3 {
				t.Fatalf("page %d: %v, %v", pages, page, err)
			}
			for _, ni := range page.GetNetInterfaces() {
				seen[ni.GetName()] = true
			}
			if token = page.GetNextPageToken(); token == "" {
				break
			}
		}
		if len(seen) != 3 || !seen["netInterface/lo"] || !seen["netInterface/eth2"] {
			t.Fatalf("listed %v", seen)
		}
	})

	t.Run("an update sets the MTU and the administrative state", func(t *testing.T) {
		got, err := c.ifs.UpdateNetInterface(ctx, &netcommon.UpdateNetInterfaceRequest{
			NetInterface: &netcommon.NetInterface{Name: "netInterface/eth2", Config: &netcommon.NetInterfaceConfig{Mtu: 9000, Enabled: true}},
			UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"config.mtu", "config.enabled"}}})
		if err != nil || got.GetState().GetMtu() != 9000 || !got.GetState().GetEnabled() ||
			got.GetState().GetAdminState() != netcommon.AdminState_ADMIN_STATE_ENABLE {
			t.Fatalf("got %v, %v", got, err)
		}
		_, err = c.ifs.UpdateNetInterface(ctx, &netcommon.UpdateNetInterfaceRequest{
			NetInterface: &netcommon.NetInterface{Name: "eth2", Config: &netcommon.NetInterfaceConfig{Description: "uplink"}},
			UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"config.description"}}})
		code(t, err, codes.InvalidArgument)
		_, err = c.ifs.UpdateNetInterface(ctx, &netcommon.UpdateNetInterfaceRequest{
			NetInterface: &netcommon.NetInterface{Name: "eth2", Config: &netcommon.NetInterfaceConfig{Mtu: 20}},
			UpdateMask:   &fieldmaskpb.FieldMask{Paths: []string{"config.mtu"}}})
		code(t, err, codes.InvalidArgument)
	})
}

// BenchmarkUpstreamOverhead compares the upstream facade with the native
// API on the same bridge (in-memory components, the runtime's real chain):
// a create (with the delete that makes room for the next one) and a get.
func BenchmarkUpstreamOverhead(b *testing.B) {
	c := startUpstream(b)
	ctx := context.Background()
	vlan := func(i int) uint32 { return uint32(i%4000 + 1) }
	b.Run("create+delete/native", func(b *testing.B) {
		for i := range b.N {
			if _, err := c.native.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "bench",
				LogicalBridge: &networkv1.LogicalBridge{VlanId: vlan(i), Vni: proto.Uint32(vlan(i))}}); err != nil {
				b.Fatal(err)
			}
			if _, err := c.native.DeleteLogicalBridge(ctx, &networkv1.DeleteLogicalBridgeRequest{Name: "logicalBridges/bench"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("create+delete/upstream", func(b *testing.B) {
		for i := range b.N {
			if _, err := c.lbs.CreateLogicalBridge(ctx, &evpn.CreateLogicalBridgeRequest{LogicalBridgeId: "bench",
				LogicalBridge: &evpn.LogicalBridge{Spec: &evpn.LogicalBridgeSpec{VlanId: vlan(i), Vni: proto.Uint32(vlan(i))}}}); err != nil {
				b.Fatal(err)
			}
			if _, err := c.lbs.DeleteLogicalBridge(ctx, &evpn.DeleteLogicalBridgeRequest{Name: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	if _, err := c.native.CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "blue",
		LogicalBridge: &networkv1.LogicalBridge{VlanId: 100, Vni: proto.Uint32(100), VtepIp: "10.0.0.1"}}); err != nil {
		b.Fatal(err)
	}
	b.Run("get/native", func(b *testing.B) {
		for range b.N {
			if _, err := c.native.GetLogicalBridge(ctx, &networkv1.GetLogicalBridgeRequest{Name: "logicalBridges/blue"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get/upstream", func(b *testing.B) {
		for range b.N {
			if _, err := c.lbs.GetLogicalBridge(ctx, &evpn.GetLogicalBridgeRequest{Name: "//network.opiproject.org/bridges/blue"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
