package bridge

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Backend refusals used to be INTERNAL ("a bug"), which tells a client
// nothing to do. Each case gets the code a client can act on, a message
// that says what to fix, and no gRPC status nested in it.
func TestBackendRefusalsGetActionableCodes(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	f.subsystem("sub1")
	dir := filepath.Join(t.TempDir(), "dir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tcp := pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP
	for _, c := range []struct {
		name string
		call func() error
		code codes.Code
		hint string
	}{
		{"a remote target nobody listens on", func() error {
			_, err := f.remote.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r",
				NvmeRemoteController: &pb.NvmeRemoteController{Subnqn: nqn("far"),
					Address: &pb.NvmeFabricsAddress{Trtype: tcp, Traddr: "127.0.0.1", Trsvcid: 1}}})
			return err
		}, codes.FailedPrecondition, "could not connect to the remote target tcp 127.0.0.1 port 1"},
		{"a transport the host lacks", func() error {
			_, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1", NvmeControllerId: "c",
				NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
					Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA, Traddr: "127.0.0.1", Trsvcid: 4420}}}})
			return err
		}, codes.FailedPrecondition, "cannot serve NVMe-oF over RDMA on this host"},
		{"an AIO volume on a directory", func() error {
			_, err := f.vols.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "a", AioVolume: &pb.AioVolume{Filename: dir}})
			return err
		}, codes.InvalidArgument, "is a directory"},
		{"namespaces under a missing subsystem", func() error {
			_, err := f.nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/nope"})
			return err
		}, codes.NotFound, "nvmeSubsystems/nope"},
		{"controllers under a missing subsystem", func() error {
			_, err := f.nvme.ListNvmeControllers(ctx, &pb.ListNvmeControllersRequest{Parent: "nvmeSubsystems/nope"})
			return err
		}, codes.NotFound, "nvmeSubsystems/nope"},
		{"logical volumes under a missing store", func() error {
			_, err := f.lvols.ListLogicalVolumes(ctx, &pb.ListLogicalVolumesRequest{Parent: "logicalVolumeStores/nope"})
			return err
		}, codes.NotFound, "logicalVolumeStores/nope"},
		{"paths under a missing remote controller", func() error {
			_, err := f.remote.ListNvmePaths(ctx, &pb.ListNvmePathsRequest{Parent: "nvmeRemoteControllers/nope"})
			return err
		}, codes.NotFound, "nvmeRemoteControllers/nope"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			msg := status.Convert(err).Message()
			if status.Code(err) != c.code || !strings.Contains(msg, c.hint) {
				t.Errorf("got %v; want %v with %q", err, c.code, c.hint)
			}
			if strings.Contains(msg, "rpc error") {
				t.Errorf("a gRPC status nested in the message: %q", msg)
			}
		})
	}
}

// A namespace on a volume a store or a QoS volume claims used to reach
// SPDK, whose refusal (-32602) came back as INVALID_ARGUMENT without
// saying who holds the volume.
func TestNamespaceOnAClaimedVolumeNamesTheClaimant(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	f.subsystem("sub1")
	f.subsystem("sub2")
	mustOK(t)(f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "vs",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 16 << 11}}))
	f.malloc("vq")
	f.malloc("vn")
	mustOK(t)(f.lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "st",
		LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "mallocVolumes/vs", ClusterSizeBytes: 1 << 20}}))
	mustOK(t)(f.mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q",
		QosVolume: &pb.QosVolume{Volume: "mallocVolumes/vq", Limits: &pb.QosLimits{RwIosPerSec: 2000}}}))
	mustCreateNS(t, f, "sub2", "n", "mallocVolumes/vn")
	for vol, claimant := range map[string]string{
		"mallocVolumes/vs": "logicalVolumeStores/st",
		"mallocVolumes/vq": "qosVolumes/q",
		"mallocVolumes/vn": "nvmeSubsystems/sub2/nvmeNamespaces/n",
	} {
		_, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1",
			NvmeNamespaceId: "x", NvmeNamespace: &pb.NvmeNamespace{Volume: vol}})
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), claimant) {
			t.Errorf("a namespace on %s: %v; want FAILED_PRECONDITION naming %s", vol, err, claimant)
		}
	}
}

// Under concurrency the check and the claim must be one step: of a QoS
// volume and a namespace created together on one volume, exactly one
// wins and the other names it. The store is on disk (its synced writes
// are the window a race needs).
func TestConcurrentClaimsOfOneVolumeLeaveOne(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.subsystem("sub1")
	f.malloc("v")
	var wg sync.WaitGroup
	var ok atomic.Int32
	var errs [2]error // the QoS volume's, the namespace's
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, errs[0] = f.mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q",
			QosVolume: &pb.QosVolume{Volume: "mallocVolumes/v", Limits: &pb.QosLimits{RwIosPerSec: 2000}}})
	}()
	go func() {
		defer wg.Done()
		_, errs[1] = f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1",
			NvmeNamespaceId: "n", NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/v"}})
	}()
	wg.Wait()
	other := [2]string{"nvmeSubsystems/sub1/nvmeNamespaces/n", "qosVolumes/q"}
	for i, err := range errs {
		switch {
		case err == nil:
			ok.Add(1)
		case status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "claimed by "+other[i]):
			t.Errorf("create %d: %v; want OK or FAILED_PRECONDITION naming %s", i, err, other[i])
		}
	}
	if ok.Load() != 1 {
		t.Errorf("%d of the two claims succeeded (%v); want exactly one", ok.Load(), errs)
	}
}

// A full state disk is the host's state, not a bug: RESOURCE_EXHAUSTED,
// saying so, and nothing created.
func TestFullStateDiskIsResourceExhausted(t *testing.T) {
	st := &fullStore{Store: store.NewMemory()}
	f := newFixture(t, fixtureConfig{store: st})
	ctx := context.Background()
	st.full.Store(true)
	_, err := f.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "v",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}})
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("create on a full state disk: %v; want RESOURCE_EXHAUSTED saying no space is left", err)
	}
	if f.bdevs()["malloc-v"] {
		t.Error("SPDK got the volume although its intent could not be stored")
	}
}

// fullStore fails every write as the bbolt store does on a full disk
// (opi-kit/store classifies the error; its own test fills a real tmpfs),
// once full is set.
type fullStore struct {
	store.Store
	full atomic.Bool
}

func (s *fullStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.full.Load() {
		return store.Classify(&os.PathError{Op: "write", Path: "intent.db", Err: syscall.ENOSPC})
	}
	return s.Store.Update(ctx, fn)
}
