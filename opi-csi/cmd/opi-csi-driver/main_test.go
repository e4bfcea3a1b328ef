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
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
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

func TestTheCommandRefusesBadFlagsSayingWhy(t *testing.T) {
	bin := build(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "both"}, `--mode "both"`},
		{[]string{"--mode", "controller", "--backing", "nfs:/x"}, "--backing: want lvol:"},
		{[]string{"--mode", "node"}, "the node needs a node id"},
		{[]string{"--mode", "controller", "--backing", "lvol:csi"}, "needs the storage API: give --storage-addr"},
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
	sockDir, err := os.MkdirTemp("", "csic")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(sockDir)
	sock := filepath.Join(sockDir, "csi.sock")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--endpoint", "unix://"+sock, "--mode", "all", "--storage-addr", h.Conn.Target(),
		"--insecure-plaintext", "--backing", "aio:"+dir, "--node-id", "node-1", "--state-dir", filepath.Join(dir, "state"),
		"--attacher", "loop")
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
	conn, err := grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
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
