package bridge

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// Updates validated what the stored resource with their mask applied
// would be, read before the resource's lock was taken, and then stored
// their mask onto whatever was stored by then: updates at once, each
// valid alone, stored a combination none was checked against. Each test
// runs such updates against one resource, round after round (the race
// shows only sometimes in one round), on the store on disk, whose synced
// writes are the window; the stored resource must always pass the checks.

// mask is an update mask of paths.
func mask(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

// wantOKOr fails the test for an error of a code other than want.
func wantOKOr(t *testing.T, what string, err error, want codes.Code) {
	t.Helper()
	if c := status.Code(err); c != codes.OK && c != want {
		t.Errorf("%s: %v; want OK or %v", what, err, want)
	}
}

// One update sets coalescing_delay_us, which needs an IOPS threshold;
// another clears coalescing_iops_threshold, fine while the delay is 0.
// Together they leave a delay without a threshold.
func TestConcurrentVirtioBlkUpdatesStoreOnlyCheckedCoalescing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("vb")
	const rounds, n = 10, 8
	for round := range rounds {
		name := fmt.Sprintf("virtioBlks/blk%d", round)
		if _, err := f.virtio.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: fmt.Sprintf("blk%d", round),
			VirtioBlk: &pb.VirtioBlk{Volume: "mallocVolumes/vb", Endpoint: &pb.VirtioBlk_VhostUser{VhostUser: &pb.VhostUserEndpoint{}},
				CoalescingIopsThreshold: 1000}}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := range n {
			req := &pb.UpdateVirtioBlkRequest{VirtioBlk: &pb.VirtioBlk{Name: name, CoalescingDelayUs: 50}, UpdateMask: mask("coalescing_delay_us")}
			if i%2 == 1 {
				req = &pb.UpdateVirtioBlkRequest{VirtioBlk: &pb.VirtioBlk{Name: name}, UpdateMask: mask("coalescing_iops_threshold")}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.virtio.UpdateVirtioBlk(ctx, req)
				wantOKOr(t, fmt.Sprintf("round %d: update %v", round, req.GetUpdateMask().GetPaths()), err, codes.InvalidArgument)
			}()
		}
		wg.Wait()
		got, err := f.virtio.GetVirtioBlk(ctx, &pb.GetVirtioBlkRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetCoalescingDelayUs() != 0 && got.GetCoalescingIopsThreshold() == 0 {
			t.Fatalf("round %d: stored coalescing_delay_us %d without coalescing_iops_threshold, a pair every update alone is refused",
				round, got.GetCoalescingDelayUs())
		}
	}
}

// Updates set the ANA state of a fabrics controller while it is deleted
// and created again, under its name, on a PCIe endpoint, which has no ANA
// state: an update checked against the first must not land on the
// second. The create is sent while the delete runs, so that it waits for
// the name with the updates that read the fabrics controller.
func TestConcurrentNvmeControllerUpdatesStoreOnlyCheckedAnaState(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "ana",
		NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("ana"), AnaReporting: true}}); err != nil {
		t.Fatal(err)
	}
	const name = "nvmeSubsystems/ana/nvmeControllers/c"
	create := func(c *pb.NvmeController) error {
		_, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/ana",
			NvmeControllerId: "c", NvmeController: c})
		return err
	}
	del := func() error {
		_, err := f.nvme.DeleteNvmeController(ctx, &pb.DeleteNvmeControllerRequest{Name: name})
		return err
	}
	fabrics := &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
		Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: 4420}}}
	pcie := &pb.NvmeController{Endpoint: &pb.NvmeController_Pcie{Pcie: &pb.PcieEndpoint{PortId: 0, PhysicalFunction: 0}}}
	const rounds, n = 10, 8
	for round := range rounds {
		if err := create(fabrics); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			state := []pb.NvmeAnaState{pb.NvmeAnaState_NVME_ANA_STATE_NON_OPTIMIZED, pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE}[i%2]
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, err := f.nvme.UpdateNvmeController(ctx, &pb.UpdateNvmeControllerRequest{
						NvmeController: &pb.NvmeController{Name: name, AnaState: state}, UpdateMask: mask("ana_state")})
					// Refused on the PCIe controller, or not found between
					// the delete and the create.
					if c := status.Code(err); c != codes.OK && c != codes.InvalidArgument && c != codes.NotFound {
						t.Errorf("round %d: update %d: %v; want OK, INVALID_ARGUMENT or NOT_FOUND", round, i, err)
						return
					}
				}
			}()
		}
		time.Sleep(5 * time.Millisecond)
		deleted := make(chan error, 1)
		go func() { deleted <- del() }()
		// ALREADY_EXISTS until the delete is through.
		for err := create(pcie); err != nil; err = create(pcie) {
			if status.Code(err) != codes.AlreadyExists {
				t.Fatal(err)
			}
		}
		if err := <-deleted; err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		close(stop)
		wg.Wait()
		got, err := f.nvme.GetNvmeController(ctx, &pb.GetNvmeControllerRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if got.GetPcie() == nil || got.GetAnaState() != pb.NvmeAnaState_NVME_ANA_STATE_UNSPECIFIED {
			t.Fatalf("round %d: stored %v; want the PCIe controller without an ANA state, which is for fabrics controllers only", round, got)
		}
		if err := del(); err != nil {
			t.Fatal(err)
		}
	}
}

// Updates allow any host on a subsystem while secure-channel controllers
// are created on it: each is valid alone (no secure channel yet; the
// subsystem lists its hosts), but a secure channel on a subsystem that
// allows any host is refused, so only one side may win.
func TestConcurrentNvmeSubsystemUpdatesStoreOnlyCheckedAllowAnyHost(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const rounds, n = 10, 8
	for round := range rounds {
		id := fmt.Sprintf("hosts%d", round)
		name := "nvmeSubsystems/" + id
		f.subsystem(id, &pb.NvmeSubsystemHost{HostNqn: nqn("host1")})
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if i%2 == 0 {
					_, err := f.nvme.UpdateNvmeSubsystem(ctx, &pb.UpdateNvmeSubsystemRequest{
						NvmeSubsystem: &pb.NvmeSubsystem{Name: name, AllowAnyHost: true}, UpdateMask: mask("allow_any_host")})
					wantOKOr(t, fmt.Sprintf("round %d: allow_any_host", round), err, codes.FailedPrecondition)
					return
				}
				_, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: name, NvmeControllerId: fmt.Sprintf("c%d", i),
					NvmeController: &pb.NvmeController{SecureChannel: true, Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
						Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: uint32(4420 + i)}}}})
				wantOKOr(t, fmt.Sprintf("round %d: secure-channel controller %d", round, i), err, codes.FailedPrecondition)
			}()
		}
		wg.Wait()
		sub, err := f.nvme.GetNvmeSubsystem(ctx, &pb.GetNvmeSubsystemRequest{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		ctrls, err := f.nvme.ListNvmeControllers(ctx, &pb.ListNvmeControllersRequest{Parent: name, PageSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		if sub.GetAllowAnyHost() && len(ctrls.GetNvmeControllers()) > 0 {
			t.Fatalf("round %d: stored %s allowing any host with %d secure-channel controllers, which each side alone refuses",
				round, name, len(ctrls.GetNvmeControllers()))
		}
	}
}
