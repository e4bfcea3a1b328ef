package cli

import (
	"context"
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
)

func u32p(v uint32) *uint32 { return &v }

func TestNetworkCommandsSendWhatTheFlagsSay(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&networkv1.LogicalBridge{Name: "logicalBridges/green", VlanId: 200, Vni: u32p(200)})
	f.put(&networkv1.BridgePort{Name: "bridgePorts/t1", MacAddress: "02:00:00:00:00:09", Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_TRUNK,
		LogicalBridges: []string{"logicalBridges/green"}})
	f.put(&networkv1.Vrf{Name: "vrfs/red", Vni: u32p(1000), ImportRouteTargets: []string{"65000:1"}})
	f.put(&networkv1.Svi{Name: "svis/gw", Vrf: "vrfs/red", LogicalBridge: "logicalBridges/green", MacAddress: "02:00:00:00:01:00", GwIpPrefixes: []string{"10.0.1.1/24"}})
	f.put(&networkv1.NetInterface{Name: "netInterfaces/eth1", Kind: "veth", Mtu: 1500, AdminUp: true, OperUp: true})
	for _, tc := range []struct {
		name string
		args []string
		want proto.Message // the request the server gets
		out  []string      // in stdout
	}{
		{"a logical bridge is created with its VLAN, VNI and VTEP",
			[]string{"logical-bridge", "create", "blue", "--vlan-id", "100", "--vni", "100", "--vtep-ip", "10.0.0.1"},
			&networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "blue", LogicalBridge: &networkv1.LogicalBridge{VlanId: 100, Vni: u32p(100), VtepIp: "10.0.0.1"}},
			[]string{"logicalBridges/blue", "100", "10.0.0.1", "READY"}},
		{"a logical bridge without --vni leaves the VNI unset, not 0",
			[]string{"logical-bridge", "create", "lab", "--vlan-id", "300"},
			&networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "lab", LogicalBridge: &networkv1.LogicalBridge{VlanId: 300}},
			[]string{"logicalBridges/lab"}},
		{"--vni 0 is sent as a set 0, for the service to refuse",
			[]string{"logical-bridge", "create", "zero", "--vlan-id", "301", "--vni", "0"},
			&networkv1.CreateLogicalBridgeRequest{LogicalBridgeId: "zero", LogicalBridge: &networkv1.LogicalBridge{VlanId: 301, Vni: u32p(0)}},
			[]string{"logicalBridges/zero"}},
		{"an access port's logical bridge given by id is sent as its full name",
			[]string{"bridge-port", "create", "p1", "--mac", "02:00:00:00:00:01", "--type", "access", "--logical-bridge", "blue", "--interface", "eth1"},
			&networkv1.CreateBridgePortRequest{BridgePortId: "p1", BridgePort: &networkv1.BridgePort{MacAddress: "02:00:00:00:00:01",
				Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS, LogicalBridges: []string{"logicalBridges/blue"}, Interface: "eth1"}},
			[]string{"bridgePorts/p1", "02:00:00:00:00:01", "access", "blue", "eth1"}},
		{"a trunk port takes bridges repeated, comma-separated and by full name",
			[]string{"bridge-port", "create", "t2", "--mac", "02:00:00:00:00:02", "--type", "trunk", "--logical-bridge", "blue,logicalBridges/green", "--logical-bridge", "red"},
			&networkv1.CreateBridgePortRequest{BridgePortId: "t2", BridgePort: &networkv1.BridgePort{MacAddress: "02:00:00:00:00:02",
				Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_TRUNK, LogicalBridges: []string{"logicalBridges/blue", "logicalBridges/green", "logicalBridges/red"}}},
			[]string{"bridgePorts/t2", "trunk", "blue,green,red"}},
		{"an update of a port's bridges replaces the list by its mask",
			[]string{"bridge-port", "update", "t1", "--logical-bridge", "green,blue"},
			&networkv1.UpdateBridgePortRequest{BridgePort: &networkv1.BridgePort{Name: "bridgePorts/t1", LogicalBridges: []string{"logicalBridges/green", "logicalBridges/blue"}},
				UpdateMask: mask("logical_bridges")},
			[]string{"bridgePorts/t1", "green,blue"}},
		{"a VRF is created from every flag",
			[]string{"vrf", "create", "blue", "--vni", "1001", "--loopback", "10.255.0.1/32", "--vtep-ip", "10.0.0.1", "--rd", "65000:1001",
				"--import-rt", "65000:1001,65000:1", "--export-rt", "65000:1001"},
			&networkv1.CreateVrfRequest{VrfId: "blue", Vrf: &networkv1.Vrf{Vni: u32p(1001), LoopbackIpPrefix: "10.255.0.1/32", VtepIp: "10.0.0.1",
				RouteDistinguisher: "65000:1001", ImportRouteTargets: []string{"65000:1001", "65000:1"}, ExportRouteTargets: []string{"65000:1001"}}},
			[]string{"vrfs/blue", "1001", "10.255.0.1/32", "65000:1001,65000:1"}},
		{"a VRF's route targets are updated by their mask alone",
			[]string{"vrf", "update", "red", "--export-rt", "65000:7", "--rd", "65000:1000"},
			&networkv1.UpdateVrfRequest{Vrf: &networkv1.Vrf{Name: "vrfs/red", RouteDistinguisher: "65000:1000", ExportRouteTargets: []string{"65000:7"}},
				UpdateMask: mask("route_distinguisher", "export_route_targets")},
			[]string{"vrfs/red", "65000:1", "65000:7"}},
		{"an SVI's VRF and logical bridge given by id are sent as full names",
			[]string{"svi", "create", "blue-gw", "--vrf", "red", "--logical-bridge", "logicalBridges/blue", "--mac", "02:00:00:00:01:01",
				"--gateway", "10.0.2.1/24", "--gateway", "fd00:2::1/64", "--enable-bgp", "--remote-as", "65100"},
			&networkv1.CreateSviRequest{SviId: "blue-gw", Svi: &networkv1.Svi{Vrf: "vrfs/red", LogicalBridge: "logicalBridges/blue", MacAddress: "02:00:00:00:01:01",
				GwIpPrefixes: []string{"10.0.2.1/24", "fd00:2::1/64"}, EnableBgp: true, RemoteAs: 65100}},
			[]string{"svis/blue-gw", "red", "blue", "10.0.2.1/24,fd00:2::1/64", "AS 65100"}},
		{"turning BGP off on an SVI still names the field in the mask",
			[]string{"svi", "update", "gw", "--enable-bgp=false", "--gateway", "10.0.1.254/24"},
			&networkv1.UpdateSviRequest{Svi: &networkv1.Svi{Name: "svis/gw", GwIpPrefixes: []string{"10.0.1.254/24"}}, UpdateMask: mask("gw_ip_prefixes", "enable_bgp")},
			[]string{"svis/gw", "10.0.1.254/24"}},
		{"a logical bridge's VTEP is updated with allow_missing when asked",
			[]string{"logical-bridge", "update", "green", "--vtep-ip", "10.0.0.2", "--allow-missing"},
			&networkv1.UpdateLogicalBridgeRequest{LogicalBridge: &networkv1.LogicalBridge{Name: "logicalBridges/green", VtepIp: "10.0.0.2"},
				UpdateMask: mask("vtep_ip"), AllowMissing: true},
			[]string{"logicalBridges/green", "10.0.0.2"}},
		{"--down takes an interface down: admin_up false, in the mask",
			[]string{"interface", "update", "eth1", "--down"},
			&networkv1.UpdateNetInterfaceRequest{NetInterface: &networkv1.NetInterface{Name: "netInterfaces/eth1"}, UpdateMask: mask("admin_up")},
			[]string{"netInterfaces/eth1", "down/up"}},
		{"--up and --mtu send both fields",
			[]string{"interface", "update", "netInterfaces/eth1", "--up", "--mtu", "9000"},
			&networkv1.UpdateNetInterfaceRequest{NetInterface: &networkv1.NetInterface{Name: "netInterfaces/eth1", AdminUp: true, Mtu: 9000}, UpdateMask: mask("admin_up", "mtu")},
			[]string{"netInterfaces/eth1", "9000", "up/up"}},
		{"an interface is read by its kernel name",
			[]string{"interface", "get", "eth1"},
			&networkv1.GetNetInterfaceRequest{Name: "netInterfaces/eth1"},
			[]string{"netInterfaces/eth1", "veth"}},
		{"delete sends allow_missing and no force, which the network API has not",
			[]string{"svi", "delete", "nothing", "--allow-missing"},
			&networkv1.DeleteSviRequest{Name: "svis/nothing", AllowMissing: true},
			[]string{"deleted svis/nothing"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", true, append([]string{"--insecure", "--addr", addr, "network"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if got := lastRequest(f); !proto.Equal(got, tc.want) {
				t.Errorf("the server got\n%v\nwant\n%v", got, tc.want)
			}
			for _, w := range tc.out {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestNetworkTablesShowWhatAnOperatorChecks(t *testing.T) {
	f, addr := serveResources(t)
	pending := &commonv1.ResourceStatus{State: commonv1.ResourceState_RESOURCE_STATE_PENDING, Message: "frr: bgpd is not running"}
	components := []*networkv1.ComponentStatus{
		{Name: "kernel", State: networkv1.ComponentState_COMPONENT_STATE_APPLIED},
		{Name: "frr", State: networkv1.ComponentState_COMPONENT_STATE_PENDING, Message: "bgpd is not running"},
	}
	f.put(&networkv1.LogicalBridge{Name: "logicalBridges/blue", VlanId: 100, Vni: u32p(100), VtepIp: "10.0.0.1",
		RemoteVteps: []string{"10.0.0.2", "10.0.0.3"}, Status: pending, Components: components})
	f.put(&networkv1.LogicalBridge{Name: "logicalBridges/lab", VlanId: 200})
	f.put(&networkv1.BridgePort{Name: "bridgePorts/p1", MacAddress: "02:00:00:00:00:01", Ptype: networkv1.BridgePortType_BRIDGE_PORT_TYPE_ACCESS,
		LogicalBridges: []string{"logicalBridges/blue"}, Interface: "eth1", Status: pending, Components: components})
	f.put(&networkv1.Vrf{Name: "vrfs/red", Vni: u32p(1000), LoopbackIpPrefix: "10.255.0.1/32", RoutingTable: 1000,
		Status: &commonv1.ResourceStatus{State: commonv1.ResourceState_RESOURCE_STATE_READY}})
	f.put(&networkv1.Svi{Name: "svis/gw", Vrf: "vrfs/red", LogicalBridge: "logicalBridges/blue", MacAddress: "02:00:00:00:01:00",
		GwIpPrefixes: []string{"10.0.1.1/24"}, EnableBgp: true})
	f.put(&networkv1.NetInterface{Name: "netInterfaces/eth1", Kind: "veth", MacAddress: "02:00:00:00:00:01", Mtu: 1500, AdminUp: true,
		Master: "lb100", Addresses: []string{"10.0.1.5/24", "fe80::1/64"}, Counters: &networkv1.NetInterfaceCounters{InBytes: 1234, OutBytes: 5678}})
	for _, tc := range []struct {
		name     string
		terminal bool
		args     []string
		want     string // a regular expression the output matches
	}{
		{"logical bridges show VLAN, VNI, VTEP, remote VTEPs and each component", true, []string{"logical-bridge", "list"},
			`^NAME +VLAN +VNI +VTEP +REMOTE VTEPS +COMPONENTS +STATUS\n` +
				`logicalBridges/blue +100 +100 +10\.0\.0\.1 +10\.0\.0\.2,10\.0\.0\.3 +kernel=applied frr=pending +PENDING: frr: bgpd is not running\n` +
				`logicalBridges/lab +200 +- +- +- +- +-\n$`},
		{"ports show MAC, type, bridges by id, interface and components", true, []string{"bridge-port", "get", "p1"},
			`^NAME +MAC +TYPE +BRIDGES +INTERFACE +COMPONENTS +STATUS\n` +
				`bridgePorts/p1 +02:00:00:00:00:01 +access +blue +eth1 +kernel=applied frr=pending +PENDING: frr: bgpd is not running\n$`},
		{"VRFs show VNI, loopback and routing table", true, []string{"vrf", "get", "red"},
			`^NAME +VNI +LOOPBACK +VTEP +RD +IMPORT RT +EXPORT RT +TABLE +COMPONENTS +STATUS\n` +
				`vrfs/red +1000 +10\.255\.0\.1/32 +- +- +- +- +1000 +- +READY\n$`},
		{"SVIs show their VRF, bridge, gateways and BGP", true, []string{"svi", "get", "gw"},
			`^NAME +VRF +LOGICAL BRIDGE +MAC +GATEWAYS +BGP +COMPONENTS +STATUS\n` +
				`svis/gw +red +blue +02:00:00:00:01:00 +10\.0\.1\.1/24 +yes +- +-\n$`},
		{"interfaces show kind, MAC, MTU, states, master, addresses and bytes, and no STATUS", true, []string{"interface", "list"},
			`^NAME +KIND +MAC +MTU +UP/OPER +MASTER +ADDRESSES +RX BYTES +TX BYTES\n` +
				`netInterfaces/eth1 +veth +02:00:00:00:00:01 +1500 +up/down +lb100 +10\.0\.1\.5/24,fe80::1/64 +1234 +5678\n$`},
		{"piped, the row is tab-separated with the components in one cell", false, []string{"logical-bridge", "get", "blue"},
			"^logicalBridges/blue\t100\t100\t10\\.0\\.0\\.1\t10\\.0\\.0\\.2,10\\.0\\.0\\.3\tkernel=applied frr=pending\tPENDING: frr: bgpd is not running\n$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", tc.terminal, append([]string{"--insecure", "--addr", addr, "network"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !regexp.MustCompile(tc.want).MatchString(out) {
				t.Errorf("output does not match %q:\n%s", tc.want, out)
			}
		})
	}

	t.Run("json holds the components with their messages", func(t *testing.T) {
		code, out, errOut := runWith(t, "", false, "--insecure", "--addr", addr, "network", "logical-bridge", "get", "blue", "-o", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var v struct {
			Vni        uint32 `json:"vni"`
			Components []struct{ Name, State, Message string }
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if v.Vni != 100 || len(v.Components) != 2 || v.Components[1].State != "COMPONENT_STATE_PENDING" || v.Components[1].Message != "bgpd is not running" {
			t.Errorf("unexpected JSON:\n%s", out)
		}
	})
}

func TestNetworkErrorsSayWhatToDo(t *testing.T) {
	_, addr := serveResources(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"interfaces cannot be created", []string{"interface", "create", "eth9"}, []string{`unknown command "create" for "opi network interface"`}},
		{"interfaces cannot be deleted", []string{"interface", "delete", "eth1"}, []string{`unknown command "delete" for "opi network interface"`}},
		{"a misspelt kind is named", []string{"logical-brige", "list"}, []string{`unknown command "logical-brige" for "opi network"`, "logical-bridge"}},
		{"a misspelt verb is named", []string{"vrf", "lsit"}, []string{`unknown command "lsit" for "opi network vrf"`, "list"}},
		{"--up and --down together are refused", []string{"interface", "update", "eth1", "--up", "--down"}, []string{"--up and --down contradict"}},
		{"an interface update that changes nothing lists what can change", []string{"interface", "update", "eth1"}, []string{"nothing to update", "--up, --down, --mtu"}},
		{"an interface update cannot create one", []string{"interface", "update", "eth1", "--mtu", "1500", "--allow-missing"}, []string{"unknown flag: --allow-missing"}},
		{"a VLAN id cannot change", []string{"logical-bridge", "update", "blue", "--vlan-id", "7"}, []string{"--vlan-id cannot change", "delete and create it again"}},
		{"a VNI cannot change", []string{"vrf", "update", "red", "--vni", "7"}, []string{"--vni cannot change"}},
		{"an SVI's VRF cannot change", []string{"svi", "update", "gw", "--vrf", "blue"}, []string{"--vrf cannot change"}},
		{"a logical bridge needs its VLAN id", []string{"logical-bridge", "create", "blue"}, []string{`required flag(s) "vlan-id" not set`}},
		{"a port needs its MAC, type and bridges", []string{"bridge-port", "create", "p1"}, []string{`"logical-bridge"`, `"mac"`, `"type"`}},
		{"an SVI needs its VRF, bridge, MAC and gateways", []string{"svi", "create", "s1"}, []string{`"gateway"`, `"logical-bridge"`, `"mac"`, `"vrf"`}},
		{"a port type is access or trunk", []string{"bridge-port", "create", "p1", "--mac", "02:00:00:00:00:01", "--type", "hybrid", "--logical-bridge", "blue"}, []string{`"hybrid" is not one of access, trunk`}},
		{"a reference of another kind is refused with the pattern", []string{"svi", "create", "s1", "--vrf", "logicalBridges/blue", "--logical-bridge", "blue", "--mac", "02:00:00:00:01:00", "--gateway", "10.0.1.1/24"},
			[]string{`--vrf "logicalBridges/blue" is neither an id nor a name of the form vrfs/{vrf}`}},
		{"a port's bridge of another kind is refused", []string{"bridge-port", "create", "p1", "--mac", "02:00:00:00:00:01", "--type", "access", "--logical-bridge", "vrfs/red"},
			[]string{`--logical-bridge "vrfs/red" is neither an id nor a name of the form logicalBridges/{logical_bridge}`}},
		{"the network API's deletes have no --force", []string{"logical-bridge", "delete", "blue", "--force"}, []string{"unknown flag: --force"}},
		{"the server's NotFound message is shown as it is", []string{"vrf", "get", "nowhere"}, []string{"not found: vrfs/nowhere does not exist"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", false, append([]string{"--insecure", "--addr", addr, "network"}, tc.args...)...)
			if code == 0 {
				t.Fatalf("exit 0, want failure; stdout %s", out)
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestEveryNetworkCallIsAMethodOfTheAPI calls each method the commands
// derive from the descriptors against the generated services, which answer
// "not implemented" only for methods they declare.
func TestEveryNetworkCallIsAMethodOfTheAPI(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
	networkv1.RegisterLogicalBridgeServiceServer(s, networkv1.UnimplementedLogicalBridgeServiceServer{})
	networkv1.RegisterBridgePortServiceServer(s, networkv1.UnimplementedBridgePortServiceServer{})
	networkv1.RegisterVrfServiceServer(s, networkv1.UnimplementedVrfServiceServer{})
	networkv1.RegisterSviServiceServer(s, networkv1.UnimplementedSviServiceServer{})
	networkv1.RegisterNetInterfaceServiceServer(s, networkv1.UnimplementedNetInterfaceServiceServer{})
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, tc := range []struct {
		kind     proto.Message
		storedIn bool // created and deleted through the API, not only read and changed
	}{
		{&networkv1.LogicalBridge{}, true}, {&networkv1.BridgePort{}, true}, {&networkv1.Vrf{}, true}, {&networkv1.Svi{}, true},
		{&networkv1.NetInterface{}, false},
	} {
		t.Run(kindName(tc.kind), func(t *testing.T) {
			api := newResourceAPI(tc.kind.ProtoReflect().Descriptor())
			calls := map[string]proto.Message{
				"get":    nameRequest(api.get, "x", false),
				"list":   api.listRequest("", 1, ""),
				"update": api.updateRequest(tc.kind, []string{"name"}, api.updateCanCreate()),
			}
			if tc.storedIn != api.updateCanCreate() {
				t.Errorf("update can create: %v, want %v", api.updateCanCreate(), tc.storedIn)
			}
			if tc.storedIn {
				calls["create"] = api.createRequest("", "x", tc.kind)
				calls["delete"] = api.deleteRequest("x", true, false)
			} else if api.create != nil || api.del != nil {
				t.Error("interfaces have a Create or Delete the API does not declare")
			}
			if api.canForce() || api.stats != nil {
				t.Error("found a force or Stats the network API does not have")
			}
			methods := map[string]protoreflect.MethodDescriptor{"get": api.get, "list": api.list, "create": api.create, "update": api.update, "delete": api.del}
			for verb, req := range calls {
				if methods[verb] == nil {
					t.Errorf("%s: no method", verb)
					continue
				}
				_, err := invoke(context.Background(), conn, methods[verb], req)
				if err == nil || !strings.Contains(err.Error(), "not implemented") {
					t.Errorf("%s: %v, want the generated service's Unimplemented", verb, err)
				}
			}
		})
	}
}

func TestWithArticleFollowsSpeech(t *testing.T) {
	for noun, want := range map[string]string{
		"SVI": "an SVI", "VRF": "a VRF", "NVMe namespace": "an NVMe namespace", "interface": "an interface",
		"logical bridge": "a logical bridge", "QoS volume": "a QoS volume", "IKE connection": "an IKE connection",
	} {
		if got := withArticle(noun); got != want {
			t.Errorf("withArticle(%q) = %q, want %q", noun, got, want)
		}
	}
}

func TestNetworkCompletionOffersWhatExists(t *testing.T) {
	f, addr := serveResources(t)
	f.put(&networkv1.LogicalBridge{Name: "logicalBridges/blue", VlanId: 100})
	f.put(&networkv1.LogicalBridge{Name: "logicalBridges/green", VlanId: 200})
	f.put(&networkv1.Vrf{Name: "vrfs/red"})
	f.put(&networkv1.NetInterface{Name: "netInterfaces/eth1"})
	conn := []string{"__complete", "--insecure", "--addr", addr, "network"}
	for _, tc := range []struct {
		name string
		args []string
		want string // stdout starts with
	}{
		{"a reference flag offers the logical bridges", []string{"bridge-port", "create", "p1", "--logical-bridge", ""}, "logicalBridges/blue\nlogicalBridges/green\n:4\n"},
		{"an SVI's --vrf offers the VRFs", []string{"svi", "update", "gw", "--vrf", ""}, "vrfs/red\n:4\n"},
		{"interface names complete from the kernel's list", []string{"interface", "update", ""}, "netInterfaces/eth1\n:4\n"},
		{"the port type completes with its values", []string{"bridge-port", "create", "p1", "--type", ""}, "access\ntrunk\n:4\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runWith(t, "", false, append(conn, tc.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if !strings.HasPrefix(out, tc.want) {
				t.Errorf("completion %q, want %q first", out, tc.want)
			}
		})
	}
}
