package driver_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kubernetes-csi/csi-test/v5/pkg/sanity"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/driver"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/spdktest"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
)

// skipped are the sanity tests this suite skips, each with the reason
// (the README lists them): a pattern of the spec's full text.
var skipped = map[string]string{
	"should fail when the node does not exist": "the controller keeps no node registry: any node id is a host to allow (its host NQN is derived from the id)",
	"lvol on .*Node Service":                   "logical volumes have no file for the loop attacher; their node path is NVMe/TCP, which this kernel lacks (the AIO runs cover the node)",
}

// nodeMissing says what the node tests need that this machine lacks, or "".
func nodeMissing() string {
	if os.Geteuid() != 0 {
		return "root (loop devices and mounts)"
	}
	for _, c := range []string{"losetup", "mkfs.ext4", "blkid", "mount"} {
		if _, err := exec.LookPath(c); err != nil {
			return c
		}
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		return "/dev/loop-control (CONFIG_BLK_DEV_LOOP)"
	}
	return ""
}

// variant is the driver on one storage bridge, and csi-sanity's
// configuration for it.
type variant struct {
	name    string
	cfg     *sanity.TestConfig
	volumes string // the AIO directory, "" for logical volumes
}

// TestSanity runs csi-sanity (pkg/sanity of csi-test v5) against the
// driver, each variant on a storage bridge of its own, in one Ginkgo
// suite (Ginkgo runs one per process):
//
//   - "aio on spdk-sim": AIO-file volumes, every controller test and the
//     node tests with the loop attacher;
//   - "lvol on spdk-sim": logical volumes in a store, the controller tests
//     with expansion and the store's capacity;
//   - "aio on spdk_tgt": the first on a real SPDK (where one can run; under
//     CI it must).
func TestSanity(t *testing.T) {
	sim := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	variants := []variant{aioVariant(t, "aio on spdk-sim", sim), lvolVariant(t, "lvol on spdk-sim", sim)}
	if _, err := spdktest.Dir(); err != nil || os.Geteuid() != 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("csi-sanity on spdk_tgt needs root and SPDK, which CI must have: %v", err)
		}
		t.Logf("skipping csi-sanity on spdk_tgt: %v (root: %v)", err, os.Geteuid() == 0)
	} else {
		tgt := storagetest.Start(t, storagetest.Config{Target: storagetest.SPDK(t)})
		variants = append(variants, aioVariant(t, "aio on spdk_tgt", tgt), lvolVariant(t, "lvol on spdk_tgt", tgt))
	}

	skip := []string{}
	for pattern := range skipped {
		skip = append(skip, pattern)
	}
	if why := nodeMissing(); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("the node tests need %s, which CI must have", why)
		}
		t.Logf("skipping csi-sanity's Node Service tests: this machine lacks %s", why)
		skip = append(skip, "Node Service")
	}
	for _, v := range variants {
		ginkgo.Describe(v.name, func() { sanity.GinkgoTest(v.cfg) })
	}
	ginkgo.ReportAfterSuite("what csi-sanity skipped", func(r ginkgo.Report) { logReport(t, r) })
	gomega.RegisterFailHandler(ginkgo.Fail)
	suite, report := ginkgo.GinkgoConfiguration()
	suite.SkipStrings = skip
	report.Succinct = true
	ginkgo.RunSpecs(t, "csi-sanity", suite, report)
	for _, v := range variants {
		if v.volumes != "" {
			checkClean(t, v.volumes)
		}
	}
}

func aioVariant(t *testing.T, name string, h *storagetest.Harness) variant {
	dir := t.TempDir()
	volumes := filepath.Join(dir, "volumes")
	if err := os.Mkdir(volumes, 0o700); err != nil {
		t.Fatal(err)
	}
	// Should a run fail half-way, leave no mount or loop device behind
	// (the temporary directory could not be removed either).
	t.Cleanup(func() { release(t, dir, volumes) })
	return variant{name: name, volumes: volumes, cfg: serve(t, dir, dpu.New(h.Conn, dpu.AioFiles(volumes)))}
}

// lvolVariant backs volumes with thin logical volumes in a store on a
// sparse 1 GiB AIO file.
func lvolVariant(t *testing.T, name string, h *storagetest.Harness) variant {
	ctx := t.Context()
	base := filepath.Join(t.TempDir(), "store.img")
	f, err := os.Create(base)
	if err == nil {
		err = f.Truncate(1 << 30)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Volumes.CreateAioVolume(ctx, &pb.CreateAioVolumeRequest{AioVolumeId: "lvs-base",
		AioVolume: &pb.AioVolume{Filename: base}}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Lvols.CreateLogicalVolumeStore(ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "csi",
		LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "aioVolumes/lvs-base"}}); err != nil {
		t.Fatal(err)
	}
	return variant{name: name, cfg: serve(t, t.TempDir(), dpu.New(h.Conn, dpu.LogicalVolumes("csi", true)))}
}

// serve starts the driver (controller and node, the loop attacher) on a
// unix socket and returns csi-sanity's configuration for it.
func serve(t *testing.T, dir string, c *dpu.Client) *sanity.TestConfig {
	d, err := driver.New(driver.Config{
		Controller: true, Node: true, Client: c,
		Target:   dpu.Target{Transport: dpu.NvmeTCP, Addr: "127.0.0.1", Port: storagetest.FreePort(t)},
		NodeID:   "node-1",
		StateDir: filepath.Join(dir, "state"),
		Attacher: driver.LoopAttacher{},
	})
	if err != nil {
		t.Fatal(err)
	}
	sock := shortSocket(t)
	l, err := driver.Listen("unix://" + sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, l) }()
	t.Cleanup(func() { cancel(); <-served })

	cfg := sanity.NewTestConfig()
	cfg.Address = "unix://" + sock
	cfg.TargetPath = filepath.Join(dir, "target")
	cfg.StagingPath = filepath.Join(dir, "staging")
	cfg.TestVolumeSize = 16 * dpu.MiB
	cfg.TestVolumeExpandSize = 32 * dpu.MiB
	cfg.IdempotentCount = 2
	return &cfg
}

// logReport logs how many specs ran and why the others were skipped.
func logReport(t *testing.T, r ginkgo.Report) {
	ran, skips := 0, map[string]int{}
	for _, s := range r.SpecReports {
		switch {
		case s.State == types.SpecStatePending:
			skips["pending (XIt) in csi-sanity itself"]++
		case s.State == types.SpecStateSkipped:
			why := s.Failure.Message
			if why == "" {
				why = "skipped here: " + skipReason(s.FullText())
			}
			skips[why]++
		case s.LeafNodeType == types.NodeTypeIt:
			ran++
		}
	}
	var b strings.Builder
	for why, n := range skips {
		fmt.Fprintf(&b, "\n  %3d  %s", n, why)
	}
	t.Logf("csi-sanity: %d specs ran; skipped, by reason:%s", ran, b.String())
}

func skipReason(spec string) string {
	for pattern, why := range skipped {
		if regexp.MustCompile(pattern).MatchString(spec) {
			return why
		}
	}
	return "the node tests' prerequisites are missing"
}

// shortSocket is a socket path under 108 bytes.
func shortSocket(t *testing.T) string {
	d, err := os.MkdirTemp("", "csi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return filepath.Join(d, "csi.sock")
}

// release unmounts whatever is mounted under dir and detaches the loop
// devices of the files in volumes.
func release(t *testing.T, dir, volumes string) {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for _, p := range slices.Backward(points) {
		t.Logf("unmounting %s, left by a failed run", p)
		_ = exec.Command("umount", p).Run()
	}
	files, _ := filepath.Glob(filepath.Join(volumes, "*"))
	for _, f := range files {
		out, _ := loopsOf(f)
		for _, dev := range strings.Fields(out) {
			t.Logf("detaching %s, left by a failed run", dev)
			_ = exec.Command("losetup", "-d", dev).Run()
		}
	}
}

// loopsOf lists the loop devices that map file.
func loopsOf(file string) (string, error) {
	out, err := exec.Command("losetup", "--noheadings", "--output", "NAME", "--associated", file).Output()
	return strings.TrimSpace(string(out)), err
}

// checkClean fails when csi-sanity's run left a volume file or a loop
// device on one.
func checkClean(t *testing.T, volumes string) {
	t.Helper()
	files, _ := os.ReadDir(volumes)
	for _, f := range files {
		t.Errorf("left behind: %s", f.Name())
		if out, _ := exec.Command("losetup", "-j", filepath.Join(volumes, f.Name())).Output(); len(out) > 0 {
			t.Errorf("loop device left: %s", out)
		}
	}
}
