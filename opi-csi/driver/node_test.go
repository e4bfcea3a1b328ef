package driver_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/driver"
	"golang.org/x/sys/unix"
)

// TestNodeExpandGrowsTheFileSystem stages a file system on a loop device
// over a file, grows the file (as the storage API grows a volume), and
// checks that NodeExpandVolume makes the mounted file system larger.
// (csi-sanity's node tests run on AIO files, which the storage API cannot
// grow, so they do not reach this.) XFS grows online here; ext4 needs
// CAP_SYS_RESOURCE, which this VM's capability bounding set lacks even
// for root: there the test checks that the device grew and that the call
// fails naming the capability.
func TestNodeExpandGrowsTheFileSystem(t *testing.T) {
	// mkfs.xfs (xfsprogs 6.1) refuses file systems under 300 MB; the
	// files are sparse.
	for _, c := range []struct {
		fs         string
		from, to   int64
		needsSysRc bool
	}{
		{"ext4", 32 * dpu.MiB, 64 * dpu.MiB, true},
		{"xfs", 320 * dpu.MiB, 640 * dpu.MiB, false},
	} {
		t.Run(c.fs, func(t *testing.T) {
			if why := nodeMissing(); why != "" {
				if os.Getenv("CI") != "" {
					t.Fatalf("needs %s, which CI must have", why)
				}
				t.Skipf("needs %s", why)
			}
			if _, err := exec.LookPath("mkfs." + c.fs); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("needs mkfs.%s, which CI must have", c.fs)
				}
				t.Skipf("needs mkfs.%s (Debian: xfsprogs)", c.fs)
			}
			expand(t, c.fs, c.from, c.to, c.needsSysRc && !hasSysResource())
		})
	}
}

func expand(t *testing.T, fsType string, from, to int64, refused bool) {
	dir := t.TempDir()
	file := filepath.Join(dir, "vol.img")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(file, from); err != nil {
		t.Fatal(err)
	}
	d, err := driver.New(driver.Config{Node: true, NodeID: "n", StateDir: filepath.Join(dir, "state"), Attacher: driver.LoopAttacher{}, Expandable: true})
	if err != nil {
		t.Fatal(err)
	}
	staging, target := filepath.Join(dir, "staging"), filepath.Join(dir, "target")
	exp := &dpu.Export{Transport: dpu.NvmeTCP, File: file}
	capab := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Mount{Mount: &csi.VolumeCapability_MountVolume{FsType: fsType}},
		AccessMode: mountRW.GetAccessMode()}
	ctx := t.Context()
	if _, err := d.NodeStageVolume(ctx, &csi.NodeStageVolumeRequest{VolumeId: "v", StagingTargetPath: staging,
		VolumeCapability: capab, PublishContext: exp.Context()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release(t, dir, dir) })
	if _, err := d.NodePublishVolume(ctx, &csi.NodePublishVolumeRequest{VolumeId: "v", StagingTargetPath: staging,
		TargetPath: target, VolumeCapability: capab}); err != nil {
		t.Fatal(err)
	}
	before := fsSize(t, target)
	if err := os.Truncate(file, to); err != nil {
		t.Fatal(err)
	}
	resp, err := d.NodeExpandVolume(ctx, &csi.NodeExpandVolumeRequest{VolumeId: "v", VolumePath: target})
	if refused {
		dev, _ := loopsOf(file)
		if err == nil || !strings.Contains(err.Error(), "needs CAP_SYS_RESOURCE") || deviceBytes(t, dev) != to {
			t.Fatalf("without CAP_SYS_RESOURCE: %v, device %s of %d bytes; want the loop device grown and the call refused naming CAP_SYS_RESOURCE", err, dev, deviceBytes(t, dev))
		}
		t.Logf("the %s file system's growth is not checked: this machine lacks CAP_SYS_RESOURCE (online ext4 resize); the call says: %v", fsType, err)
	} else {
		if err != nil {
			t.Fatal(err)
		}
		if after := fsSize(t, target); resp.GetCapacityBytes() != to || after < before+(to-from)*7/8 {
			t.Fatalf("device %d bytes; file system %d bytes before, %d after", resp.GetCapacityBytes(), before, after)
		}
	}
	for _, call := range []func() error{
		func() error {
			_, err := d.NodeUnpublishVolume(ctx, &csi.NodeUnpublishVolumeRequest{VolumeId: "v", TargetPath: target})
			return err
		},
		func() error {
			_, err := d.NodeUnstageVolume(ctx, &csi.NodeUnstageVolumeRequest{VolumeId: "v", StagingTargetPath: staging})
			return err
		},
	} {
		if err := call(); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := loopsOf(file); out != "" {
		t.Fatalf("loop device left: %s", out)
	}
}

// hasSysResource reports whether this process may use CAP_SYS_RESOURCE
// (capability 24).
func hasSysResource() bool {
	b, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<24) != 0
		}
	}
	return false
}

func deviceBytes(t *testing.T, dev string) int64 {
	t.Helper()
	f, err := os.Open(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func fsSize(t *testing.T, path string) int64 {
	t.Helper()
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks) * st.Bsize
}
