package bridge

import (
	"context"
	"fmt"
	"sync"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Concurrent controllers on one address used to pass the domain's check
// together: several READY controllers over one SPDK listener, and deleting
// one took the listener from the others. The intent store is the one on
// disk: its synced writes are the window in which the race showed.
func TestConcurrentControllersOnOneAddressLeaveOne(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.subsystem("sub1")
	// The race shows only sometimes in one round; a few rounds, each on
	// its own port, make a pass mean something.
	const n = 20
	for port := uint32(4420); port < 4425; port++ {
		codesSeen := make([]codes.Code, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1",
					NvmeControllerId: fmt.Sprintf("c%d-%d", port, i), NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{
						Fabrics: &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: port}}}})
				codesSeen[i] = status.Code(err)
			}()
		}
		wg.Wait()
		count := map[codes.Code]int{}
		for _, c := range codesSeen {
			count[c]++
		}
		if count[codes.OK] != 1 || count[codes.AlreadyExists] != n-1 {
			t.Errorf("codes of %d concurrent creates on port %d: %v; want one OK, the rest ALREADY_EXISTS", n, port, count)
		}
	}
	res, err := f.nvme.ListNvmeControllers(ctx, &pb.ListNvmeControllersRequest{Parent: "nvmeSubsystems/sub1", PageSize: 100})
	if err != nil || len(res.GetNvmeControllers()) != 5 {
		t.Errorf("stored controllers: %d, %v; want one per port, 5", len(res.GetNvmeControllers()), err)
	}
	if l := f.subsystems()[nqn("sub1")].ListenAddresses; len(l) != 5 {
		t.Errorf("SPDK's listeners = %+v; want one per port, 5", l)
	}
}

// Identical creates of a new volume without uuid each picked a random UUID
// before the first was stored, so the others were "already exists with a
// different spec". On the store on disk, as above.
func TestIdenticalConcurrentVolumeCreatesAllSucceed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 20
	got := make([]*pb.MallocVolume, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{
				MallocVolumeId: "same", MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("create %d: %v", i, errs[i])
		} else if got[i].GetUuid() == "" || !proto.Equal(got[i], got[0]) {
			t.Errorf("create %d = %v; want the same object as create 0 (%v)", i, got[i], got[0])
		}
	}
	if !f.bdevs()["malloc-same"] {
		t.Error("SPDK has no malloc-same")
	}
}
