package driver_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubernetes-csi/csi-test/v5/pkg/sanity"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/driver"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
)

// skipped are the sanity tests the driver does not pass, each with the
// reason (the README lists them too).
var skipped = map[string]string{
	"should fail when the node does not exist": "the controller keeps no node registry: any node id is a host to allow (its NQN is derived from the id)",
}

func skipReason(spec string) string {
	for name, why := range skipped {
		if strings.Contains(spec, name) {
			return why
		}
	}
	return "the node tests' prerequisites are missing"
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

// TestSanityOnSpdkSim runs csi-sanity against the driver on a storage
// bridge over spdk-sim, with AIO-file volumes and the loop attacher: every
// controller test, and the node tests where root and loop devices are.
func TestSanityOnSpdkSim(t *testing.T) {
	h := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	runSanity(t, h)
}

func runSanity(t *testing.T, h *storagetest.Harness) {
	dir := t.TempDir()
	volumes := filepath.Join(dir, "volumes")
	if err := os.Mkdir(volumes, 0o700); err != nil {
		t.Fatal(err)
	}
	skip := []string{}
	for name := range skipped {
		skip = append(skip, name)
	}
	if why := nodeMissing(); why != "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("the node tests need %s, which CI must have", why)
		}
		t.Logf("skipping csi-sanity's Node Service tests: this machine lacks %s", why)
		skip = append(skip, "Node Service")
	}
	d, err := driver.New(driver.Config{
		Controller: true, Node: true,
		Client:   dpu.New(h.Conn, dpu.AioFiles(volumes)),
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
	sanity.GinkgoTest(&cfg)
	ginkgo.ReportAfterSuite("what csi-sanity skipped", func(r ginkgo.Report) {
		ran, skips := 0, map[string]int{}
		for _, s := range r.SpecReports {
			switch {
			case s.State == types.SpecStateSkipped || s.State == types.SpecStatePending:
				why := s.Failure.Message
				if s.State == types.SpecStatePending {
					why = "pending (XIt) in csi-sanity itself"
				} else if why == "" {
					why = "skipped by this test: " + skipReason(s.FullText())
				}
				skips[why]++
			case s.LeafNodeType == types.NodeTypeIt:
				ran++
			}
		}
		t.Logf("csi-sanity on %s: %d specs ran; skipped, by reason: %v", h.Target.Name, ran, skips)
	})
	gomega.RegisterFailHandler(ginkgo.Fail)
	suite, report := ginkgo.GinkgoConfiguration()
	suite.SkipStrings = skip
	report.Succinct = true
	ginkgo.RunSpecs(t, "csi-sanity", suite, report)
	checkClean(t, volumes)
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
