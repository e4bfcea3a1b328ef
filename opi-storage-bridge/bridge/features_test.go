package bridge

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A feature the SPDK build lacks is the user's FAILED_PRECONDITION naming
// the feature, on both targets: spdk-sim made to lack vfio-user (the
// reference spdk_tgt has it), and the real spdk_tgt, where the same check
// lets the present method through.

// pcieBlk asks for a virtio-blk PCIe function over volume.
func pcieBlk(volume string) *pb.CreateVirtioBlkRequest {
	return &pb.CreateVirtioBlkRequest{VirtioBlkId: "pf0", VirtioBlk: &pb.VirtioBlk{Volume: volume,
		Endpoint: &pb.VirtioBlk_Pcie{Pcie: &pb.PcieEndpoint{PortId: 0, PhysicalFunction: 0}}}}
}

// bridgeOnSimWithout serves a bridge on an spdk-sim that lacks methods
// (as an spdk_tgt built without their module) and returns its client
// connection and a context that lasts the test.
func bridgeOnSimWithout(t *testing.T, methods ...string) (*grpc.ClientConn, context.Context) {
	t.Helper()
	dir, err := os.MkdirTemp("", "sbf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "spdk.sock")
	s := sim.New(sim.WithPollInterval(0), sim.WithoutMethods(methods...))
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { s.Close() })
	b, err := New(Config{StateDir: t.TempDir(), SPDKSocket: sock, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; b.Close() })
	<-b.Synced()
	return servertest.Start(t, b.Services()).Conn, ctx
}

func TestAFeatureMissingFromTheSimIsFailedPreconditionThroughTheBridge(t *testing.T) {
	conn, ctx := bridgeOnSimWithout(t, "vfu_virtio_create_blk_endpoint", "vfu_virtio_delete_endpoint")
	vols, blks := pb.NewVolumeServiceClient(conn), pb.NewFrontendVirtioBlkServiceClient(conn)
	if _, err := vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "v",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}}); err != nil {
		t.Fatal(err)
	}
	_, err := blks.CreateVirtioBlk(ctx, pcieBlk("mallocVolumes/v"))
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "vfio-user") ||
		!strings.Contains(status.Convert(err).Message(), "vfu_virtio_create_blk_endpoint") {
		t.Fatalf("a virtio-blk PCIe function on an SPDK without vfio-user: %v, want FailedPrecondition naming vfio-user and the method", err)
	}
	if _, err := blks.GetVirtioBlk(ctx, &pb.GetVirtioBlkRequest{Name: "virtioBlks/pf0"}); status.Code(err) != codes.NotFound {
		t.Errorf("the refused device is stored: Get = %v, want NotFound", err)
	}
}

func TestAVirtioScsiPCIeTargetWithoutVfioUserIsFailedPrecondition(t *testing.T) {
	conn, ctx := bridgeOnSimWithout(t, "vfu_virtio_create_scsi_endpoint", "vfu_virtio_delete_endpoint",
		"vfu_virtio_scsi_add_target", "vfu_virtio_scsi_remove_target")
	scsi := pb.NewFrontendVirtioScsiServiceClient(conn)
	_, err := scsi.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "st",
		VirtioScsiTarget: &pb.VirtioScsiTarget{Endpoint: &pb.VirtioScsiTarget_Pcie{Pcie: &pb.PcieEndpoint{PhysicalFunction: 1}}}})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "vfu_virtio_create_scsi_endpoint") {
		t.Fatalf("a virtio-scsi PCIe target on an SPDK without vfio-user: %v, want FailedPrecondition naming the method", err)
	}
	if _, err := scsi.GetVirtioScsiTarget(ctx, &pb.GetVirtioScsiTargetRequest{Name: "virtioScsiTargets/st"}); status.Code(err) != codes.NotFound {
		t.Errorf("the refused target is stored: Get = %v, want NotFound", err)
	}
}

func TestAPresentFeaturePassesTheCheckOnTheRealTarget(t *testing.T) {
	r := newRealBridge(t)
	ctx := realCtx(t)
	if _, err := r.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "v",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}}); err != nil {
		t.Fatal(err)
	}
	blks := pb.NewFrontendVirtioBlkServiceClient(r.conn)
	blk, err := blks.CreateVirtioBlk(ctx, pcieBlk("mallocVolumes/v"))
	if err != nil {
		t.Fatalf("a virtio-blk PCIe function on spdk_tgt, which has vfio-user: %v", err)
	}
	t.Logf("created %s: %v", blk.GetName(), blk.GetStatus())
	if _, err := blks.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: "virtioBlks/pf0"}); err != nil {
		t.Fatal(err)
	}
}

// An SPDK built without vhost: a virtio-scsi target is FAILED_PRECONDITION
// naming vhost and the method, and nothing is stored.
func TestVirtioScsiOnAnSPDKWithoutVhostIsFailedPrecondition(t *testing.T) {
	conn, ctx := bridgeOnSimWithout(t, "vhost_create_blk_controller", "vhost_controller_set_coalescing",
		"vhost_delete_controller", "vhost_get_controllers", "vhost_create_scsi_controller", "vhost_scsi_controller_add_target",
		"vhost_scsi_controller_remove_target")
	scsi := pb.NewFrontendVirtioScsiServiceClient(conn)
	_, err := scsi.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "t1",
		VirtioScsiTarget: &pb.VirtioScsiTarget{Endpoint: &pb.VirtioScsiTarget_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}}})
	if msg := status.Convert(err).Message(); status.Code(err) != codes.FailedPrecondition || !strings.Contains(msg, "vhost") ||
		!strings.Contains(msg, "vhost_create_scsi_controller") {
		t.Fatalf("a virtio-scsi target on an SPDK without vhost: %v, want FailedPrecondition naming vhost and the method", err)
	}
	if _, err := scsi.GetVirtioScsiTarget(ctx, &pb.GetVirtioScsiTargetRequest{Name: "virtioScsiTargets/t1"}); status.Code(err) != codes.NotFound {
		t.Errorf("the refused target is stored: Get = %v, want NotFound", err)
	}
}
