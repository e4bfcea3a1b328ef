package driver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/driver"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// benchBridge is the storage bridge as deployed (bbolt store, SPDK client),
// served through opi-kit's interceptors, over target: a real spdk_tgt, or
// spdk-sim with SPDK's 4 ms RPC poller, so that each SPDK call costs what
// it costs against spdk_tgt.
func benchBridge(b *testing.B, target string) *grpc.ClientConn {
	var tg *storagetest.Target
	if target == "spdk_tgt" {
		if _, err := spdktest.Dir(); err != nil || os.Geteuid() != 0 {
			b.Skipf("no spdk_tgt here (root: %v): %v", os.Geteuid() == 0, err)
		}
		tg = storagetest.SPDK(b)
	} else {
		tg = storagetest.Sim(b, sim.WithPollInterval(4*time.Millisecond))
	}
	br, err := bridge.New(bridge.Config{StateDir: b.TempDir(), SPDKSocket: tg.Socket, Interval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = br.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done; br.Close() })
	<-br.Synced()
	return servertest.Start(b, br.Services()).Conn
}

// benchDriver serves the driver on conn's storage API and returns a CSI
// client of it.
func benchDriver(b *testing.B, conn *grpc.ClientConn, backing dpu.Backing) (csi.ControllerClient, csi.NodeClient) {
	dir := b.TempDir()
	d, err := driver.New(driver.Config{Controller: true, Node: true, Client: dpu.New(conn, backing),
		Target: dpu.Target{Transport: dpu.NvmeTCP, Addr: "127.0.0.1", Port: 4420}, NodeID: "node-1",
		StateDir: filepath.Join(dir, "state"), Attacher: driver.LoopAttacher{}})
	if err != nil {
		b.Fatal(err)
	}
	sockDir, _ := os.MkdirTemp("", "csib")
	b.Cleanup(func() { os.RemoveAll(sockDir) })
	l, err := driver.Listen("unix://" + filepath.Join(sockDir, "csi.sock"))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _ = d.Serve(ctx, l) }()
	b.Cleanup(cancel)
	cc, err := grpc.NewClient("unix://"+filepath.Join(sockDir, "csi.sock"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cc.Close() })
	return csi.NewControllerClient(cc), csi.NewNodeClient(cc)
}

var mountRW = &csi.VolumeCapability{
	AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: "ext4"}},
	AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER},
}

// BenchmarkCreateVolume times a CSI CreateVolume of a new 64 MiB volume
// (deleted untimed), through the driver and the bridge over spdk-sim.
func BenchmarkCreateVolume(b *testing.B) {
	for _, c := range []struct{ kind, target string }{{"aio", "spdk-sim"}, {"lvol", "spdk-sim"}, {"aio", "spdk_tgt"}, {"lvol", "spdk_tgt"}} {
		b.Run(c.kind+"/"+c.target, func(b *testing.B) {
			kind := c.kind
			conn := benchBridge(b, c.target)
			backing := dpu.AioFiles(b.TempDir())
			if kind == "lvol" {
				ctx := b.Context()
				vols, lvols := pb.NewVolumeServiceClient(conn), pb.NewLogicalVolumeServiceClient(conn)
				base := filepath.Join(b.TempDir(), "store.img")
				if err := os.WriteFile(base, nil, 0o600); err != nil {
					b.Fatal(err)
				}
				if err := os.Truncate(base, 4<<30); err != nil {
					b.Fatal(err)
				}
				if _, err := vols.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "base",
					AioVolume: &pb.AioVolume{Filename: base}}); err != nil {
					b.Fatal(err)
				}
				if _, err := lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "csi",
					LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "aioVolumes/base"}}); err != nil {
					b.Fatal(err)
				}
				backing = dpu.LogicalVolumes("csi", true)
			}
			ctrl, _ := benchDriver(b, conn, backing)
			ctx := b.Context()
			i := 0
			for b.Loop() {
				i++
				v, err := ctrl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: fmt.Sprintf("pvc-%d", i),
					CapacityRange: &csi.CapacityRange{RequiredBytes: 64 * dpu.MiB}, VolumeCapabilities: []*csi.VolumeCapability{mountRW}})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if _, err := ctrl.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: v.GetVolume().GetVolumeId()}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// BenchmarkNodeStage times a NodeStageVolume of a new, published 64 MiB
// AIO volume with the loop attacher: losetup, mkfs.ext4 (the volume is
// empty) and mount; unstage and delete are untimed. Root only.
func BenchmarkNodeStage(b *testing.B) {
	for _, target := range []string{"spdk-sim", "spdk_tgt"} {
		b.Run(target, func(b *testing.B) { benchNodeStage(b, target) })
	}
}

func benchNodeStage(b *testing.B, target string) {
	if why := nodeMissing(); why != "" {
		b.Skipf("needs %s", why)
	}
	ctrl, node := benchDriver(b, benchBridge(b, target), dpu.AioFiles(b.TempDir()))
	ctx := b.Context()
	staging := b.TempDir()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		v, err := ctrl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: fmt.Sprintf("pvc-%d", i),
			CapacityRange: &csi.CapacityRange{RequiredBytes: 64 * dpu.MiB}, VolumeCapabilities: []*csi.VolumeCapability{mountRW}})
		if err != nil {
			b.Fatal(err)
		}
		id := v.GetVolume().GetVolumeId()
		pub, err := ctrl.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: id, NodeId: "node-1", VolumeCapability: mountRW})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := node.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: id, StagingTargetPath: staging,
			VolumeCapability: mountRW, PublishContext: pub.GetPublishContext()}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := node.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: id, StagingTargetPath: staging}); err != nil {
			b.Fatal(err)
		}
		if _, err := ctrl.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: id}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
