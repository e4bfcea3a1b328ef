package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// build compiles the command once per test.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "opi-csi-driver")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// socket returns a socket path short enough for a unix address (a test's
// temporary directory can be too long).
func socket(t *testing.T) string {
	d, err := os.MkdirTemp("", "csi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "csi.sock")
}

// dial connects to the command's socket, closed when the test ends.
func dial(t *testing.T, sock string) *grpc.ClientConn {
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func TestTheCommandRefusesBadFlagsSayingWhy(t *testing.T) {
	bin := build(t)
	ctrl := []string{"--mode", "controller", "--backing", "lvol:csi", "--storage-addr", "127.0.0.1:1", "--insecure-plaintext"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "both"}, `--mode "both"`},
		{[]string{"--mode", "controller", "--backing", "nfs:/x"}, "--backing: want lvol:"},
		{[]string{"--mode", "node"}, "the node needs a node id"},
		{[]string{"--mode", "controller", "--backing", "lvol:csi"}, "needs the storage API: give --storage-addr"},
		{append(ctrl, "--export", "nvme-rdma"), `--export "nvme-rdma": want nvme-tcp, nvme-pcie or virtio-blk`},
		{ctrl, "--export nvme-tcp needs --nvme-addr"},
		{append(ctrl, "--nvme-addr", "dpu.example"), "--export nvme-tcp needs --nvme-addr, the IP address"},
		{append(ctrl, "--nvme-addr", "192.0.2.1", "--nvme-port", "70000"), "--nvme-port 70000"},
		{append(ctrl, "--export", "nvme-pcie"), "--export nvme-pcie needs --pcie-vfs first-last"},
		{append(ctrl, "--export", "virtio-blk", "--pcie-vfs", "9-2"), `--export virtio-blk needs --pcie-vfs first-last, the virtual functions volumes may take (e.g. 1-64; 0 is the physical function), have "9-2"`},
		{[]string{"--mode", "node", "--node-id", "n", "--attacher", "nvme-rdma"}, `--attacher "nvme-rdma": want nvme-tcp or loop`},
		{[]string{"--mode", "all", "--storage-addr", "127.0.0.1:1", "--insecure-plaintext", "--backing", "lvol:csi", "--node-id", "n",
			"--export", "virtio-blk", "--pcie-vfs", "1-4", "--attacher", "nvme-tcp"}, "--export virtio-blk needs --attacher loop"},
		{[]string{"--mode", "all", "--storage-addr", "127.0.0.1:1", "--insecure-plaintext", "--backing", "lvol:csi", "--node-id", "n",
			"--nvme-addr", "127.0.0.1", "--attacher", "loop"}, "--attacher loop maps AIO volumes' files: it needs --backing aio:<dir>"},
	} {
		out, err := exec.Command(bin, c.args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%v: %v, %q; want a failure saying %q", c.args, err, out, c.want)
		}
	}
}

// TestTheCommandServesCSIUntilSIGTERM runs the command as a process, the
// controller and node in one, on a storage bridge over spdk-sim.
func TestTheCommandServesCSIUntilSIGTERM(t *testing.T) {
	bin := build(t)
	h := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	dir := t.TempDir()
	sock := socket(t)
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--endpoint", "unix://"+sock, "--mode", "all", "--storage-addr", h.Conn.Target(),
		"--insecure-plaintext", "--backing", "aio:"+dir, "--node-id", "node-1", "--state-dir", filepath.Join(dir, "state"),
		"--attacher", "loop", "--nvme-addr", "127.0.0.1")
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	conn := dial(t, sock)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	info, err := csi.NewIdentityClient(conn).GetPluginInfo(ctx, &csi.GetPluginInfoRequest{}, grpc.WaitForReady(true))
	if err != nil || info.GetName() != "csi.opi.dev" {
		t.Fatalf("GetPluginInfo: %v %v (stderr: %s)", info, err, stderr.String())
	}
	ctrl := csi.NewControllerClient(conn)
	capab := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
	v, err := ctrl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: "pvc", VolumeCapabilities: []*csi.VolumeCapability{capab},
		CapacityRange: &csi.CapacityRange{RequiredBytes: 4 << 20}})
	if err != nil || v.GetVolume().GetCapacityBytes() != 4<<20 {
		t.Fatalf("CreateVolume: %v %v", v, err)
	}
	if _, err := ctrl.DeleteVolume(ctx, &csi.DeleteVolumeRequest{VolumeId: v.GetVolume().GetVolumeId()}); err != nil {
		t.Fatal(err)
	}
	// The probe subcommand (the image's HEALTHCHECK) asks the same socket.
	if out, err := exec.Command(bin, "probe", "--endpoint", "unix://"+sock).CombinedOutput(); err != nil || string(out) != "csi.opi.dev v0.1.0 ready\n" {
		t.Fatalf("probe: %v, %q", err, out)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v (stderr: %s)", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGTERM")
	}
}

// TestTheNodeRefusesToStartWithoutItsPrograms runs the node plugin with
// an empty PATH: it names every program it lacks, the attacher's too.
func TestTheNodeRefusesToStartWithoutItsPrograms(t *testing.T) {
	bin := build(t)
	for attacher, want := range map[string]string{
		"nvme-tcp": "the node plugin needs blkid, mkfs.ext4, mount, nvme on PATH",
		"loop":     "the node plugin needs blkid, mkfs.ext4, mount, losetup on PATH",
	} {
		cmd := exec.Command(bin, "--mode", "node", "--node-id", "n", "--attacher", attacher, "--endpoint", "unix://"+filepath.Join(t.TempDir(), "s"))
		cmd.Env = append(os.Environ(), "PATH="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("%s: %v, %q; want a failure saying %q", attacher, err, out, want)
		}
	}
}

// TestProbeFailsWithoutADriver: nothing listens, the probe says so.
func TestProbeFailsWithoutADriver(t *testing.T) {
	bin := build(t)
	out, err := exec.Command(bin, "probe", "--endpoint", "unix://"+filepath.Join(t.TempDir(), "none.sock"), "--timeout", "500ms").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "GetPluginInfo on unix://") {
		t.Fatalf("probe without a driver: %v, %q", err, out)
	}
}

// TestTheCommandExportsOnEmulatedFunctions runs the controller with
// --export virtio-blk on a pool of one function, on a bridge over
// spdk-sim: the first volume published gets it, the second finds the
// pool taken (RESOURCE_EXHAUSTED).
func TestTheCommandExportsOnEmulatedFunctions(t *testing.T) {
	bin := build(t)
	h := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	sock := socket(t)
	cmd := exec.Command(bin, "--endpoint", "unix://"+sock, "--mode", "controller", "--storage-addr", h.Conn.Target(),
		"--insecure-plaintext", "--backing", "aio:"+t.TempDir(), "--export", "virtio-blk", "--pcie-pf", "1", "--pcie-vfs", "3-3")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	conn := dial(t, sock)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctrl := csi.NewControllerClient(conn)
	capab := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
	var ids []string
	for _, name := range []string{"a", "b"} {
		v, err := ctrl.CreateVolume(ctx, &csi.CreateVolumeRequest{Name: name, VolumeCapabilities: []*csi.VolumeCapability{capab},
			CapacityRange: &csi.CapacityRange{RequiredBytes: 1 << 20}}, grpc.WaitForReady(true))
		if err != nil {
			t.Fatalf("CreateVolume: %v (stderr: %s)", err, stderr.String())
		}
		ids = append(ids, v.GetVolume().GetVolumeId())
	}
	pub, err := ctrl.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: ids[0], NodeId: "n", VolumeCapability: capab})
	if err != nil || pub.GetPublishContext()["transport"] != "virtio-blk-pcie" {
		t.Fatalf("ControllerPublishVolume: %v, %v", pub, err)
	}
	d, err := h.VirtioBlks.GetVirtioBlk(ctx, &pb.GetVirtioBlkRequest{Name: "virtioBlks/" + ids[0]})
	if err != nil || d.GetPcie().GetPhysicalFunction() != 1 || d.GetPcie().GetVirtualFunction() != 3 {
		t.Fatalf("the device: %v, %v; want physical function 1, virtual function 3", d, err)
	}
	_, err = ctrl.ControllerPublishVolume(ctx, &csi.ControllerPublishVolumeRequest{VolumeId: ids[1], NodeId: "n", VolumeCapability: capab})
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a second volume on a pool of one function: %v; want RESOURCE_EXHAUSTED", err)
	}
}
