package bridge

import (
	"context"
	"sync"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/grpc/codes"
)

// countingControllers is a vendor's NVMe controller backend for one
// transport: it counts the calls and hands them to the SPDK adapter's.
type countingControllers struct {
	next storage.ChildBackend[*pb.NvmeSubsystem, *pb.NvmeController]
	mu   sync.Mutex
	seen map[string]int // "create", "delete" -> calls
}

func (c *countingControllers) count(op string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[op]++
}

func (c *countingControllers) calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen[op]
}

func (c *countingControllers) Create(ctx context.Context, s *pb.NvmeSubsystem, m *pb.NvmeController) error {
	c.count("create")
	return c.next.Create(ctx, s, m)
}

func (c *countingControllers) Update(ctx context.Context, s *pb.NvmeSubsystem, old, m *pb.NvmeController) error {
	c.count("update")
	return c.next.Update(ctx, s, old, m)
}

func (c *countingControllers) Delete(ctx context.Context, s *pb.NvmeSubsystem, m *pb.NvmeController) error {
	c.count("delete")
	return c.next.Delete(ctx, s, m)
}

func TestATransportOptionReplacesOneTransportAndKeepsTheRest(t *testing.T) {
	vendor := &countingControllers{seen: map[string]int{}}
	f := newFixture(t, fixtureConfig{opts: []Option{
		WithNvmeTransport(storage.TransportTCP, func(e Env) storage.ChildBackend[*pb.NvmeSubsystem, *pb.NvmeController] {
			vendor.next = e.Adapter.Backends().NvmeControllers[storage.TransportTCP]
			return vendor
		}),
		WithNvmeTransport(storage.TransportRDMA, func(Env) storage.ChildBackend[*pb.NvmeSubsystem, *pb.NvmeController] { return nil }),
	}})
	ctx := context.Background()
	f.subsystem("sub1")
	fabrics := func(tr pb.NvmeTransportType) *pb.NvmeController {
		return &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{Trtype: tr, Traddr: "127.0.0.1"}}}
	}
	mustOK(t)(f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1", NvmeControllerId: "tcp1",
		NvmeController: fabrics(pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP)}))
	if n := vendor.calls("create"); n != 1 {
		t.Errorf("the vendor's TCP backend saw %d creates, want 1", n)
	}
	if got := f.subsystems()[nqn("sub1")].ListenAddresses; len(got) != 1 {
		t.Errorf("SPDK listeners = %+v, want the one the vendor's backend added through the adapter", got)
	}
	wantCode(t, "a controller on a transport taken away", codes.Unimplemented)(f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{
		Parent: "nvmeSubsystems/sub1", NvmeControllerId: "rdma1", NvmeController: fabrics(pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA)}))
	wantCode(t, "the refused controller", codes.NotFound)(f.nvme.GetNvmeController(ctx, &pb.GetNvmeControllerRequest{Name: "nvmeSubsystems/sub1/nvmeControllers/rdma1"}))
	mustOK(t)(f.nvme.DeleteNvmeController(ctx, &pb.DeleteNvmeControllerRequest{Name: "nvmeSubsystems/sub1/nvmeControllers/tcp1"}))
	if n := vendor.calls("delete"); n != 1 {
		t.Errorf("the vendor's TCP backend saw %d deletes, want 1", n)
	}
}
