package network_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-network-bridge/internal/fake"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

var local = netip.MustParseAddr("10.0.0.1")

func newGateway(t *testing.T) (*network.Gateway, *fake.Kernel, *fake.Routing) {
	t.Helper()
	mac, _ := net.ParseMAC("02:00:00:00:00:01")
	k := fake.NewKernel(local, network.Interface{Name: "eth1", MAC: mac, AdminUp: true, MTU: 1500})
	r := &fake.Routing{}
	g, err := network.New(network.Config{Store: store.NewMemory(), Kernel: k, Routing: r, DefaultVtepIP: local})
	if err != nil {
		t.Fatal(err)
	}
	return g, k, r
}

// Creates the kernel refuses leave nothing behind, not even their
// components' states in memory.
func TestRefusedCreatesLeaveNoComponentState(t *testing.T) {
	g, k, _ := newGateway(t)
	for i := range 20 {
		k.SetFail(errdefs.FailedPreconditionf("busy"))
		_, err := g.CreateLogicalBridge(context.Background(), "lb", &networkv1.LogicalBridge{VlanId: uint32(10 + i), Vni: proto.Uint32(uint32(10 + i))})
		if !errors.Is(err, errdefs.ErrFailedPrecondition) {
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if n := g.ComponentEntries(); n != 0 {
		t.Fatalf("%d resources' component states kept after 20 refused creates", n)
	}
}

// A replay pass over unchanged intent does not flip a READY resource's FRR
// component back to PENDING (it would, every 30 s, until the next sync).
func TestReplayKeepsAnAppliedFRRComponent(t *testing.T) {
	g, _, _ := newGateway(t)
	ctx := context.Background()
	if _, err := g.CreateLogicalBridge(ctx, "blue", &networkv1.LogicalBridge{VlanId: 100, Vni: proto.Uint32(100)}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.SyncRouting(ctx); err != nil {
		t.Fatal(err)
	}
	frr := func() networkv1.ComponentState {
		lb, err := g.GetLogicalBridge(ctx, "logicalBridges/blue")
		if err != nil {
			t.Fatal(err)
		}
		return lb.GetComponents()[1].GetState()
	}
	if got := frr(); got != networkv1.ComponentState_COMPONENT_STATE_APPLIED {
		t.Fatalf("after the sync: %v", got)
	}
	if _, err := g.Replay(nil)(ctx); err != nil {
		t.Fatal(err)
	}
	if got := frr(); got != networkv1.ComponentState_COMPONENT_STATE_APPLIED {
		t.Fatalf("after a replay of unchanged intent: %v, want APPLIED", got)
	}
}

// An update with an empty mask changes only the fields set in the request:
// {mtu} must not take the interface down (admin_up false is "unset").
func TestInterfaceUpdateWithAnEmptyMaskKeepsItUp(t *testing.T) {
	g, _, _ := newGateway(t)
	ctx := context.Background()
	ni, err := g.UpdateNetInterface(ctx, &networkv1.NetInterface{Name: "netInterfaces/eth1", Mtu: 9000}, nil)
	if err != nil || ni.GetMtu() != 9000 || !ni.GetAdminUp() {
		t.Fatalf("update {mtu: 9000}: %v %v, want MTU 9000 and still up", ni, err)
	}
	ni, err = g.UpdateNetInterface(ctx, &networkv1.NetInterface{Name: "netInterfaces/eth1"}, &fieldmaskpb.FieldMask{Paths: []string{"admin_up"}})
	if err != nil || ni.GetAdminUp() {
		t.Fatalf("update admin_up with the path in the mask: %v %v, want down", ni, err)
	}
}
