package bridge

import (
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
)

// TestRemoteControllerLifecycle attaches, through spdk-sim's loopback, to
// an NVMe-oF subsystem the same sim exports.
func TestRemoteControllerLifecycle(t *testing.T) {
	h := newFixture(t)
	ctx := ctxT(t)
	nqn := "nqn.2016-06.io.spdk:remote1"
	for _, call := range []struct {
		method string
		params any
	}{
		{"bdev_malloc_create", map[string]any{"name": "exported", "block_size": 512, "num_blocks": 2048}},
		{"nvmf_create_transport", map[string]any{"trtype": "TCP"}},
		{"nvmf_create_subsystem", map[string]any{"nqn": nqn, "allow_any_host": true}},
		{"nvmf_subsystem_add_ns", map[string]any{"nqn": nqn, "namespace": map[string]any{"bdev_name": "exported"}}},
		{"nvmf_subsystem_add_listener", map[string]any{"nqn": nqn, "listen_address": map[string]any{"trtype": "tcp", "adrfam": "ipv4", "traddr": "127.0.0.1", "trsvcid": "4420"}}},
	} {
		if err := h.direct.Call(ctx, call.method, call.params, nil); err != nil {
			t.Fatalf("exporting a subsystem for loopback: %s: %v", call.method, err)
		}
	}
	c := pb.NewBackendNvmeServiceClient(h.conn)
	addr := &pb.NvmeFabricsAddress{Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: 4420}
	if _, err := c.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r1", NvmeRemoteController: &pb.NvmeRemoteController{Address: addr, Subnqn: nqn}}); err != nil {
		t.Fatal(err)
	}
	t.Run("a retried create succeeds", func(t *testing.T) {
		if _, err := c.CreateNvmeRemoteController(ctx, &pb.CreateNvmeRemoteControllerRequest{NvmeRemoteControllerId: "r1", NvmeRemoteController: &pb.NvmeRemoteController{Address: addr, Subnqn: nqn}}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the remote namespace is listed and usable as a volume", func(t *testing.T) {
		l, err := c.ListNvmeRemoteNamespaces(ctx, &pb.ListNvmeRemoteNamespacesRequest{Parent: "nvmeRemoteControllers/r1"})
		if err != nil || len(l.GetNvmeRemoteNamespaces()) != 1 {
			t.Fatalf("list = %v, %v", l, err)
		}
		ns := l.GetNvmeRemoteNamespaces()[0]
		if ns.GetName() != "nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1" || ns.GetBlockCount() != 2048 {
			t.Fatalf("namespace %v", ns)
		}
		if _, err := c.StatsNvmeRemoteNamespace(ctx, &pb.StatsNvmeRemoteNamespaceRequest{Name: ns.GetName()}); err != nil {
			t.Fatal(err)
		}
		mid := pb.NewMiddleendServiceClient(h.conn)
		if _, err := mid.CreateQosVolume(ctx, &pb.CreateQosVolumeRequest{QosVolumeId: "q", QosVolume: &pb.QosVolume{Volume: ns.GetName(), Limits: &pb.QosLimits{}}}); err != nil {
			t.Fatal(err)
		}
		_, err = c.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/r1"})
		requireCode(t, err, codes.FailedPrecondition)
		if _, err := mid.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: "qosVolumes/q"}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stats report the first path", func(t *testing.T) {
		st, err := c.StatsNvmeRemoteController(ctx, &pb.StatsNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/r1"})
		if err != nil || len(st.GetPaths()) != 1 || !st.GetPaths()[0].GetConnected() {
			t.Fatalf("stats = %v, %v", st, err)
		}
	})
	t.Run("a path to the same address is AlreadyExists", func(t *testing.T) {
		_, err := c.CreateNvmePath(ctx, &pb.CreateNvmePathRequest{Parent: "nvmeRemoteControllers/r1", NvmePathId: "p1", NvmePath: &pb.NvmePath{Address: addr}})
		requireCode(t, err, codes.AlreadyExists)
	})
	t.Run("delete detaches it", func(t *testing.T) {
		if _, err := c.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: "nvmeRemoteControllers/r1", Force: true}); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetNvmeRemoteNamespace(ctx, &pb.GetNvmeRemoteNamespaceRequest{Name: "nvmeRemoteControllers/r1/nvmeRemoteNamespaces/1"})
		requireCode(t, err, codes.NotFound)
	})
}
