package bridge_test

import (
	"context"
	"testing"
	"time"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-kit/telemetry/telemetrytest"
	"github.com/opi-suite/opi/opi-network-bridge/bridge"
	"github.com/opi-suite/opi/opi-network-bridge/internal/fake"
	"github.com/opi-suite/opi/opi-network-bridge/network"
	"google.golang.org/protobuf/proto"
)

// TestALogicalBridgeIsOneTraceDownToTheKernel: a logical bridge created
// by a traced client is one trace: the server span, the intent store's
// update, and the kernel component's change under the server span.
func TestALogicalBridgeIsOneTraceDownToTheKernel(t *testing.T) {
	k := fake.NewKernel(vtep, network.Interface{Name: "eth1", MAC: mac("02:00:00:00:00:01")})
	b, err := bridge.New(bridge.Config{StateDir: t.TempDir(), VtepIP: vtep, RoutingInterval: time.Hour},
		bridge.WithKernel(k), bridge.WithRouting(&fake.Routing{}))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Start(ctx)
	t.Cleanup(func() { cancel(); _ = b.Close() })
	spans := telemetrytest.NewSpans()
	s := servertest.Start(t, b.Services(), server.WithSpanExporter(spans))
	client := telemetrytest.Dial(t, s.Server.Addr())
	id, err := client.Traced(context.Background(), "opi network logical-bridge create", func(ctx context.Context) error {
		_, err := networkv1.NewLogicalBridgeServiceClient(client.Conn).CreateLogicalBridge(ctx, &networkv1.CreateLogicalBridgeRequest{
			LogicalBridgeId: "lb10", LogicalBridge: &networkv1.LogicalBridge{VlanId: 10, Vni: proto.Uint32(1010)}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := spans.One(t, id, "opi.network.v1.LogicalBridgeService/CreateLogicalBridge")
	kernel := spans.One(t, id, "netlink EnsureLogicalBridge")
	if !spans.Under(kernel, srv) {
		t.Errorf("the kernel change is not under the server span:\n%s", spans.Tree())
	}
	if got := telemetrytest.Attr(kernel, "opi.backend.target"); got != "vlan 10 vni 1010" {
		t.Errorf("kernel span: opi.backend.target = %q", got)
	}
	if len(spans.Named("bbolt update")) == 0 {
		t.Errorf("no store update in the trace:\n%s", spans.Tree())
	}
}
