package driver_test

// The NVMe/TCP attacher against a fake nvme-cli. This kernel has no
// NVMe/TCP host (CONFIG_NVME_TCP unset), so the attacher never reaches a
// real one here: these tests pin its logic (what it runs, when, and what
// it makes of the answers) against a stand-in that prints what nvme-cli
// 2.3 (Debian 12's) prints and plays the kernel's part in a fake sysfs.
//
// The stand-in is this test binary itself, run through a symlink named
// nvme (TestMain below). Its state is the fake sysfs under
// $OPI_FAKE_NVME_SYS (class/nvme-subsystem/nvme-subsysN/{subsysnqn,
// address, nvmeNn1, nvmeNc0n1}); each run appends its arguments to
// $OPI_FAKE_NVME_LOG. $OPI_FAKE_NVME_NS=none connects without making the
// namespace's device; $OPI_FAKE_NVME_REFUSE makes connect fail as an
// unreachable target does; $OPI_FAKE_NVME_LIST_EMPTY makes list-subsys
// miss the subsystems (a connect racing the check).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/driver"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == "nvme" {
		os.Exit(fakeNvme(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeNvme is the stand-in nvme-cli; it returns the exit status.
func fakeNvme(args []string) int {
	sys := os.Getenv("OPI_FAKE_NVME_SYS")
	if f, err := os.OpenFile(os.Getenv("OPI_FAKE_NVME_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
		fmt.Fprintln(f, strings.Join(args, " "))
		f.Close()
	}
	class := filepath.Join(sys, "class/nvme-subsystem")
	flag := func(name string) string {
		if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
			return args[i+1]
		}
		return ""
	}
	// subsys returns the directory of subsystem nqn, or "".
	subsys := func(nqn string) string {
		dirs, _ := filepath.Glob(filepath.Join(class, "nvme-subsys*"))
		for _, d := range dirs {
			if b, _ := os.ReadFile(filepath.Join(d, "subsysnqn")); strings.TrimSpace(string(b)) == nqn {
				return d
			}
		}
		return ""
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: nvme <command> [<device>] [<args>]")
		return 1
	}
	switch args[0] {
	case "connect":
		nqn := flag("--nqn")
		if os.Getenv("OPI_FAKE_NVME_REFUSE") != "" {
			fmt.Fprintln(os.Stderr, "could not add new controller: failed to write to nvme-fabrics device")
			return 1
		}
		if subsys(nqn) != "" {
			fmt.Fprintln(os.Stderr, "could not add new controller: already connected")
			return 1
		}
		dirs, _ := filepath.Glob(filepath.Join(class, "nvme-subsys*"))
		n := len(dirs)
		d := filepath.Join(class, fmt.Sprintf("nvme-subsys%d", n))
		_ = os.MkdirAll(d, 0o755)
		_ = os.WriteFile(filepath.Join(d, "address"), []byte(fmt.Sprintf("traddr=%s,trsvcid=%s\n", flag("--traddr"), flag("--trsvcid"))), 0o644)
		_ = os.Mkdir(filepath.Join(d, fmt.Sprintf("nvme%dc0n1", n)), 0o755) // the path's hidden device
		if os.Getenv("OPI_FAKE_NVME_NS") != "none" {
			_ = os.Mkdir(filepath.Join(d, fmt.Sprintf("nvme%dn1", n)), 0o755)
		}
		_ = os.WriteFile(filepath.Join(d, "subsysnqn"), []byte(nqn+"\n"), 0o644)
		fmt.Printf("device: nvme%d\n", n)
		return 0
	case "list-subsys":
		if flag("-o") != "json" {
			fmt.Fprintln(os.Stderr, "the fake prints JSON only")
			return 1
		}
		if _, err := os.Stat(class); err != nil {
			fmt.Fprintln(os.Stderr, "Failed to scan topology: No such file or directory")
			return 1
		}
		type path struct{ Name, Transport, Address, State string }
		type sub struct {
			Name, NQN, IOPolicy string
			Paths               []path
		}
		host := struct {
			HostNQN, HostID string
			Subsystems      []sub
		}{HostNQN: "nqn.2014-08.org.nvmexpress:uuid:fake", HostID: "fake", Subsystems: []sub{}}
		dirs, _ := filepath.Glob(filepath.Join(class, "nvme-subsys*"))
		for i, d := range dirs {
			if os.Getenv("OPI_FAKE_NVME_LIST_EMPTY") != "" {
				break
			}
			nqn, _ := os.ReadFile(filepath.Join(d, "subsysnqn"))
			addr, _ := os.ReadFile(filepath.Join(d, "address"))
			host.Subsystems = append(host.Subsystems, sub{Name: filepath.Base(d), NQN: strings.TrimSpace(string(nqn)), IOPolicy: "numa",
				Paths: []path{{Name: fmt.Sprintf("nvme%d", i), Transport: "tcp", Address: strings.TrimSpace(string(addr)), State: "live"}}})
		}
		b, _ := json.MarshalIndent([]any{host}, "", "  ")
		fmt.Println(string(b))
		return 0
	case "disconnect":
		nqn, n := flag("--nqn"), 0
		if d := subsys(nqn); d != "" {
			_ = os.RemoveAll(d)
			n = 1
		}
		fmt.Printf("NQN:%s disconnected %d controller(s)\n", nqn, n)
		return 0
	}
	fmt.Fprintf(os.Stderr, "the fake has no command %q\n", args[0])
	return 1
}

// fakeNvmeHost is a fake sysfs and the stand-in nvme-cli on it.
type fakeNvmeHost struct {
	sys, log string
	a        driver.NvmeTCPAttacher
}

func newFakeNvmeHost(t *testing.T) *fakeNvmeHost {
	t.Helper()
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	nvme := filepath.Join(dir, "bin", "nvme")
	if err := os.MkdirAll(filepath.Dir(nvme), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, nvme); err != nil {
		t.Fatal(err)
	}
	h := &fakeNvmeHost{sys: filepath.Join(dir, "sys"), log: filepath.Join(dir, "nvme.log")}
	if err := os.MkdirAll(filepath.Join(h.sys, "class/nvme-subsystem"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("OPI_FAKE_NVME_SYS", h.sys)
	t.Setenv("OPI_FAKE_NVME_LOG", h.log)
	h.a = driver.NvmeTCPAttacher{SysDir: h.sys, Nvme: nvme, Timeout: 5 * time.Second}
	return h
}

// calls returns the nvme command lines run so far.
func (h *fakeNvmeHost) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(h.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// count returns how many of the calls start with verb.
func count(calls []string, verb string) int {
	n := 0
	for _, c := range calls {
		if strings.HasPrefix(c, verb+" ") {
			n++
		}
	}
	return n
}

func tcpExport(nqn string) *dpu.Export {
	return &dpu.Export{Transport: dpu.NvmeTCP, NQN: nqn, HostNQN: "nqn.2022-09.io.opiproject:csi:host:abc", Addr: "192.0.2.10", Port: 4420}
}

func TestNvmeAttacherConnectsOnceAndFindsTheNamespace(t *testing.T) {
	h := newFakeNvmeHost(t)
	ctx := t.Context()
	e := tcpExport("nqn.2022-09.io.opiproject:csi:csi-1")
	dev, err := h.a.Attach(ctx, e)
	if err != nil || dev != "/dev/nvme0n1" {
		t.Fatalf("Attach: %q, %v; want /dev/nvme0n1", dev, err)
	}
	want := "connect --transport tcp --traddr 192.0.2.10 --trsvcid 4420 --nqn nqn.2022-09.io.opiproject:csi:csi-1 --hostnqn nqn.2022-09.io.opiproject:csi:host:abc"
	if calls := h.calls(t); !slices.Contains(calls, want) || count(calls, "connect") != 1 {
		t.Fatalf("nvme calls %q; want one %q", calls, want)
	}
	// Again (a retried stage): the same device, no second connect.
	if dev2, err := h.a.Attach(ctx, e); err != nil || dev2 != dev {
		t.Fatalf("second Attach: %q, %v; want %q", dev2, err, dev)
	}
	// A second volume: its own subsystem, its own device.
	if dev3, err := h.a.Attach(ctx, tcpExport("nqn.2022-09.io.opiproject:csi:csi-2")); err != nil || dev3 != "/dev/nvme1n1" {
		t.Fatalf("Attach of a second volume: %q, %v; want /dev/nvme1n1", dev3, err)
	}
	if n := count(h.calls(t), "connect"); n != 2 {
		t.Fatalf("%d connects for two volumes attached three times; want 2: %q", n, h.calls(t))
	}
}

func TestNvmeAttacherWaitsForTheDeviceOfAnExistingConnection(t *testing.T) {
	h := newFakeNvmeHost(t)
	ctx := t.Context()
	e := tcpExport("nqn.2022-09.io.opiproject:csi:late")
	// Connected (by an earlier stage that crashed, say), the namespace
	// not yet scanned: Attach must not connect again, only wait.
	t.Setenv("OPI_FAKE_NVME_NS", "none")
	if code := runFake(t, h, "connect", "--transport", "tcp", "--traddr", e.Addr, "--trsvcid", "4420", "--nqn", e.NQN); code != 0 {
		t.Fatalf("fake connect: %d", code)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		_ = os.Mkdir(filepath.Join(h.sys, "class/nvme-subsystem/nvme-subsys0/nvme0n1"), 0o755)
	}()
	start := time.Now()
	dev, err := h.a.Attach(ctx, e)
	if err != nil || dev != "/dev/nvme0n1" {
		t.Fatalf("Attach: %q, %v", dev, err)
	}
	if time.Since(start) < 250*time.Millisecond {
		t.Fatalf("Attach returned after %v, before the device appeared", time.Since(start))
	}
	calls := h.calls(t)
	if count(calls, "connect") != 1 || count(calls, "list-subsys") == 0 {
		t.Fatalf("nvme calls %q: want list-subsys and no connect besides the fixture's", calls)
	}
}

func TestNvmeAttacherTakesAConcurrentConnectAsItsOwn(t *testing.T) {
	h := newFakeNvmeHost(t)
	e := tcpExport("nqn.2022-09.io.opiproject:csi:race")
	t.Setenv("OPI_FAKE_NVME_NS", "none")
	if code := runFake(t, h, "connect", "--traddr", e.Addr, "--trsvcid", "4420", "--nqn", e.NQN); code != 0 {
		t.Fatalf("fake connect: %d", code)
	}
	// list-subsys misses it (the other connect landed after the check):
	// connect answers "already connected", which is not a failure.
	t.Setenv("OPI_FAKE_NVME_LIST_EMPTY", "1")
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = os.Mkdir(filepath.Join(h.sys, "class/nvme-subsystem/nvme-subsys0/nvme0n1"), 0o755)
	}()
	if dev, err := h.a.Attach(t.Context(), e); err != nil || dev != "/dev/nvme0n1" {
		t.Fatalf("Attach: %q, %v", dev, err)
	}
	if n := count(h.calls(t), "connect"); n != 2 {
		t.Fatalf("nvme calls %q: want the fixture's connect and one refused as already connected", h.calls(t))
	}
}

func TestNvmeAttacherDisconnectsWhenNoDeviceAppears(t *testing.T) {
	h := newFakeNvmeHost(t)
	h.a.Timeout = 300 * time.Millisecond
	t.Setenv("OPI_FAKE_NVME_NS", "none")
	e := tcpExport("nqn.2022-09.io.opiproject:csi:empty")
	_, err := h.a.Attach(t.Context(), e)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "no block device") {
		t.Fatalf("Attach: %v; want UNAVAILABLE, no block device", err)
	}
	calls := h.calls(t)
	if calls[len(calls)-1] != "disconnect --nqn "+e.NQN {
		t.Fatalf("nvme calls %q: want the connect undone", calls)
	}
	if dirs, _ := filepath.Glob(filepath.Join(h.sys, "class/nvme-subsystem/*")); len(dirs) != 0 {
		t.Fatalf("left connected: %v", dirs)
	}
}

func TestNvmeAttacherReportsARefusedConnect(t *testing.T) {
	h := newFakeNvmeHost(t)
	t.Setenv("OPI_FAKE_NVME_REFUSE", "1")
	_, err := h.a.Attach(t.Context(), tcpExport("nqn.2022-09.io.opiproject:csi:refused"))
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "failed to write to nvme-fabrics device") {
		t.Fatalf("Attach: %v; want UNAVAILABLE quoting nvme's error", err)
	}
}

func TestNvmeAttacherRefusesExportsItCannotReach(t *testing.T) {
	h := newFakeNvmeHost(t)
	for _, c := range []struct {
		e    *dpu.Export
		want error
	}{
		{&dpu.Export{Transport: dpu.VirtioBlkPCIe, DevicePath: "/dev/vda"}, errdefs.ErrFailedPrecondition},
		{&dpu.Export{Transport: dpu.NvmeTCP, NQN: "nqn.x", HostNQN: "nqn.h", Port: 4420}, errdefs.ErrInvalidArgument},
		{&dpu.Export{Transport: dpu.NvmeTCP, Addr: "192.0.2.1", Port: 4420, HostNQN: "nqn.h"}, errdefs.ErrInvalidArgument},
	} {
		if _, err := h.a.Attach(t.Context(), c.e); !errors.Is(err, c.want) {
			t.Errorf("Attach(%+v): %v; want %v", c.e, err, c.want)
		}
	}
	if calls := h.calls(t); len(calls) != 0 {
		t.Fatalf("nvme run for exports refused up front: %q", calls)
	}
}

func TestNvmeAttacherDetachIsIdempotent(t *testing.T) {
	h := newFakeNvmeHost(t)
	ctx := t.Context()
	e := tcpExport("nqn.2022-09.io.opiproject:csi:detach")
	if _, err := h.a.Attach(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := h.a.Detach(ctx, e, "/dev/nvme0n1"); err != nil {
		t.Fatal(err)
	}
	if dirs, _ := filepath.Glob(filepath.Join(h.sys, "class/nvme-subsystem/*")); len(dirs) != 0 {
		t.Fatalf("still connected after Detach: %v", dirs)
	}
	if err := h.a.Detach(ctx, e, "/dev/nvme0n1"); err != nil {
		t.Fatalf("second Detach: %v", err)
	}
	if n := count(h.calls(t), "disconnect"); n != 1 {
		t.Fatalf("%d disconnects for two Detach calls; want 1 (the second finds nothing): %q", n, h.calls(t))
	}
	// A host with no NVMe subsystem class at all (no driver loaded):
	// nothing to do, and nvme-cli (which fails there) is not asked.
	if err := os.RemoveAll(filepath.Join(h.sys, "class")); err != nil {
		t.Fatal(err)
	}
	before := len(h.calls(t))
	if err := h.a.Detach(ctx, e, ""); err != nil || len(h.calls(t)) != before {
		t.Fatalf("Detach without an NVMe class: %v, calls %q", err, h.calls(t)[before:])
	}
}

func TestNvmeAttacherWaitsForAnEmulatedPCIeNamespaceWithoutConnecting(t *testing.T) {
	h := newFakeNvmeHost(t)
	e := &dpu.Export{Transport: dpu.NvmePCIe, NQN: "nqn.2022-09.io.opiproject:csi:pcie"}
	d := filepath.Join(h.sys, "class/nvme-subsystem/nvme-subsys3")
	go func() {
		time.Sleep(100 * time.Millisecond)
		_ = os.MkdirAll(filepath.Join(d, "nvme3n1"), 0o755)
		_ = os.WriteFile(filepath.Join(d, "subsysnqn"), []byte(e.NQN+"\n"), 0o644)
	}()
	if dev, err := h.a.Attach(t.Context(), e); err != nil || dev != "/dev/nvme3n1" {
		t.Fatalf("Attach: %q, %v", dev, err)
	}
	if err := h.a.Detach(t.Context(), e, "/dev/nvme3n1"); err != nil {
		t.Fatal(err)
	}
	if calls := h.calls(t); len(calls) != 0 {
		t.Fatalf("nvme run for an emulated PCIe function: %q", calls)
	}
}

// TestNodeStagesAndUnstagesOverNvmeTCP runs the node service on the fake:
// a block volume staged connects, its record names the device, unstage
// disconnects, and a second unstage (a restarted plugin's) is success.
func TestNodeStagesAndUnstagesOverNvmeTCP(t *testing.T) {
	h := newFakeNvmeHost(t)
	dir := t.TempDir()
	d, err := driver.New(driver.Config{Node: true, NodeID: "n", StateDir: filepath.Join(dir, "state"), Attacher: h.a})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	block := &csi.VolumeCapability{AccessType: &csi.VolumeCapability_Block{Block: &csi.VolumeCapability_BlockVolume{}},
		AccessMode: &csi.VolumeCapability_AccessMode{Mode: csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER}}
	e := tcpExport("nqn.2022-09.io.opiproject:csi:staged")
	stage := &csi.NodeStageVolumeRequest{VolumeId: "v", StagingTargetPath: filepath.Join(dir, "staging"), VolumeCapability: block, PublishContext: e.Context()}
	for range 2 {
		if _, err := d.NodeStageVolume(ctx, stage); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(h.calls(t), "connect"); n != 1 {
		t.Fatalf("%d connects for a volume staged twice: %q", n, h.calls(t))
	}
	unstage := &csi.NodeUnstageVolumeRequest{VolumeId: "v", StagingTargetPath: stage.StagingTargetPath}
	for range 2 {
		if _, err := d.NodeUnstageVolume(ctx, unstage); err != nil {
			t.Fatal(err)
		}
	}
	calls := h.calls(t)
	if count(calls, "disconnect") != 1 || calls[len(calls)-1] == "connect" {
		t.Fatalf("nvme calls %q: want one disconnect", calls)
	}
	if dirs, _ := filepath.Glob(filepath.Join(h.sys, "class/nvme-subsystem/*")); len(dirs) != 0 {
		t.Fatalf("still connected after unstage: %v", dirs)
	}
}

// runFake runs the stand-in as the attacher would, for fixtures.
func runFake(t *testing.T, h *fakeNvmeHost, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.a.Nvme, args...)
	if err := cmd.Run(); err != nil {
		return 1
	}
	return 0
}
