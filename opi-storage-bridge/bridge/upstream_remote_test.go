package bridge_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
)

// Upstream's remote controller is connected by its first path. Eight
// concurrent first paths (other ids, the same address) connect it once:
// one is the first path, the others are refused as that address; and
// after a restart of the bridge the controller, its first path and its
// namespace are as they were, under the same names.
func TestUpstreamRemoteControllerFirstPathIsOneAndSurvivesARestart(t *testing.T) {
	h := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	ctx := context.Background()
	nvme := up.NewFrontendNvmeServiceClient(h.Conn)
	malloc := up.NewMallocVolumeServiceClient(h.Conn)
	if _, err := malloc.CreateMallocVolume(ctx, &up.CreateMallocVolumeRequest{MallocVolumeId: "v", MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 2048}}); err != nil {
		t.Fatal(err)
	}
	if _, err := nvme.CreateNvmeSubsystem(ctx, &up.CreateNvmeSubsystemRequest{NvmeSubsystemId: "s", NvmeSubsystem: &up.NvmeSubsystem{Spec: &up.NvmeSubsystemSpec{Nqn: "nqn.2022-09.io.opi:s"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := nvme.CreateNvmeNamespace(ctx, &up.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/s", NvmeNamespaceId: "n", NvmeNamespace: &up.NvmeNamespace{Spec: &up.NvmeNamespaceSpec{
		VolumeNameRef: "v", HostNsid: 1, Uuid: "6f1b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", Nguid: "6F1B1A2C3D4E4F508A6B7C8D9E0F1A2B"}}}); err != nil {
		t.Fatal(err)
	}
	port := storagetest.FreePort(t)
	if _, err := nvme.CreateNvmeController(ctx, &up.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/s", NvmeControllerId: "c", NvmeController: &up.NvmeController{Spec: &up.NvmeControllerSpec{
		Trtype: up.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Endpoint: &up.NvmeControllerSpec_FabricsId{FabricsId: &up.FabricsEndpoint{
			Traddr: "127.0.0.1", Trsvcid: strconv.Itoa(int(port)), Adrfam: up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4}}}}}); err != nil {
		t.Fatal(err)
	}
	remote := up.NewNvmeRemoteControllerServiceClient(h.Conn)
	rc, err := remote.CreateNvmeRemoteController(ctx, &up.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r",
		NvmeRemoteController: &up.NvmeRemoteController{Multipath: up.NvmeMultipath_NVME_MULTIPATH_FAILOVER}})
	if err != nil {
		t.Fatal(err)
	}
	path := &up.NvmePath{Trtype: up.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1",
		Fabrics: &up.FabricsPath{Trsvcid: int64(port), Subnqn: "nqn.2022-09.io.opi:s", Adrfam: up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var made []*up.NvmePath
	refused := 0
	for i := range 8 {
		wg.Go(func() {
			p, err := remote.CreateNvmePath(ctx, &up.CreateNvmePathRequest{Parent: rc.GetName(), NvmePathId: "p" + strconv.Itoa(i), NvmePath: path})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				made = append(made, p)
			case status.Code(err) == codes.AlreadyExists:
				refused++
			default:
				t.Errorf("path p%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if len(made) != 1 || refused != 7 {
		t.Fatalf("8 concurrent first paths to one address: %d made, %d refused as existing; want 1 and 7", len(made), refused)
	}
	list, err := remote.ListNvmePaths(ctx, &up.ListNvmePathsRequest{Parent: rc.GetName()})
	if err != nil || len(list.GetNvmePaths()) != 1 {
		t.Fatalf("paths %v, %v; want the one made", list, err)
	}

	h.RestartBridge(t)
	remote = up.NewNvmeRemoteControllerServiceClient(h.Conn)
	got, err := remote.GetNvmeRemoteController(ctx, &up.GetNvmeRemoteControllerRequest{Name: rc.GetName()})
	if err != nil || !proto.Equal(got, rc) {
		t.Errorf("after a restart the controller is %v, %v; want %v", got, err, rc)
	}
	p, err := remote.GetNvmePath(ctx, &up.GetNvmePathRequest{Name: made[0].GetName()})
	if err != nil || !proto.Equal(p, made[0]) {
		t.Errorf("after a restart the first path is %v, %v; want %v", p, err, made[0])
	}
	ns, err := remote.ListNvmeRemoteNamespaces(ctx, &up.ListNvmeRemoteNamespacesRequest{Parent: rc.GetName()})
	if err != nil || len(ns.GetNvmeRemoteNamespaces()) != 1 {
		t.Errorf("after a restart the remote namespaces are %v, %v; want the one exported", ns, err)
	}

	// A path create interrupted between connecting and recording its path
	// leaves a connected controller with no first path: deleting the
	// upstream controller disconnects it too.
	if _, err := remote.CreateNvmeRemoteController(ctx, &up.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r2",
		NvmeRemoteController: &up.NvmeRemoteController{Multipath: up.NvmeMultipath_NVME_MULTIPATH_DISABLE}}); err != nil {
		t.Fatal(err)
	}
	native := pb.NewBackendNvmeServiceClient(h.Conn)
	if _, err := native.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r2", NvmeRemoteController: &pb.NvmeRemoteController{
		Address: &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: port}, Subnqn: "nqn.2022-09.io.opi:s"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.DeleteNvmeRemoteController(ctx, &up.DeleteNvmeRemoteControllerRequest{Name: "r2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := native.GetNvmeRemoteController(ctx, &pb.GetNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/r2"}); status.Code(err) != codes.NotFound {
		t.Errorf("after the upstream delete the native controller r2 answers %v, want NotFound", err)
	}
}
