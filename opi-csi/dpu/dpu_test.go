package dpu

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fixture is a storage bridge over an in-process spdk-sim, served through
// opi-kit's real interceptor chain, and a Client of it backing volumes
// with AIO files in a temporary directory.
type fixture struct {
	h   *storagetest.Harness
	dir string
	c   *Client
	ctx context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h := storagetest.Start(t, storagetest.Config{Target: storagetest.Sim(t)})
	dir := t.TempDir()
	return &fixture{h: h, dir: dir, c: New(h.Conn, AioFiles(dir)), ctx: t.Context()}
}

// lvolFixture backs volumes with logical volumes in a store on a 64 MiB
// malloc volume.
func lvolFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	if _, err := f.h.Volumes.CreateMallocVolume(f.ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "base",
		MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 64 * MiB / 512}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.Lvols.CreateLogicalVolumeStore(f.ctx, &pb.CreateLogicalVolumeStoreRequest{LogicalVolumeStoreId: "csi",
		LogicalVolumeStore: &pb.LogicalVolumeStore{Volume: "mallocVolumes/base"}}); err != nil {
		t.Fatal(err)
	}
	f.c = New(f.h.Conn, LogicalVolumes("csi", false))
	return f
}

var tcp = Target{Transport: NvmeTCP, Addr: "127.0.0.1", Port: 4420}

func TestTheSameCreateTwiceReturnsTheSameVolume(t *testing.T) {
	for name, mk := range map[string]func(*testing.T) *fixture{"aio": newFixture, "lvol": lvolFixture} {
		t.Run(name, func(t *testing.T) {
			f := mk(t)
			a, err := f.c.CreateVolume(f.ctx, "pvc-1", Capacity{Required: 3 * MiB})
			if err != nil {
				t.Fatal(err)
			}
			b, err := f.c.CreateVolume(f.ctx, "pvc-1", Capacity{Required: 2 * MiB})
			if err != nil {
				t.Fatal(err)
			}
			if *a != *b || a.CapacityBytes != 3*MiB || a.ID != VolumeID("pvc-1") {
				t.Fatalf("first %+v, second %+v", a, b)
			}
			_, err = f.c.CreateVolume(f.ctx, "pvc-1", Capacity{Required: 8 * MiB})
			if !errors.Is(err, errdefs.ErrAlreadyExists) {
				t.Fatalf("a larger size for the same name: %v, want ALREADY_EXISTS", err)
			}
			vs, err := f.c.ListVolumes(f.ctx)
			if err != nil || len(vs) != 1 {
				t.Fatalf("list: %v %v", vs, err)
			}
			if err := f.c.DeleteVolume(f.ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			if err := f.c.DeleteVolume(f.ctx, a.ID); err != nil {
				t.Fatalf("deleting again: %v", err)
			}
			if _, err := f.c.GetVolume(f.ctx, a.ID); !errors.Is(err, errdefs.ErrNotFound) {
				t.Fatalf("after delete: %v", err)
			}
		})
	}
}

func TestCapacityRangesOutsideWholeMiBAreOutOfRange(t *testing.T) {
	for _, r := range []Capacity{{Required: 5, Limit: 10}, {Required: 3 * MiB, Limit: 2 * MiB}, {Required: -1}} {
		if _, err := r.size(); !errors.Is(err, ErrOutOfRange) || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%+v: %v", r, err)
		}
	}
}

var errCrash = errors.New("crashed")

// crashAfter makes c stop after step, as a process killed there would.
func crashAfter(c *Client, step string) {
	c.cfg.hooks.afterStep = func(s string) error {
		if s == step {
			return errCrash
		}
		return nil
	}
}

func TestARetryAfterACrashBetweenStepsFinishesTheJob(t *testing.T) {
	for _, step := range []string{"file", "subsystem", "namespace"} {
		t.Run("crash after "+step, func(t *testing.T) {
			f := newFixture(t)
			crashAfter(f.c, step)
			v, err := f.c.CreateVolume(f.ctx, "pvc", Capacity{Required: MiB})
			if step == "file" {
				if !errors.Is(err, errCrash) {
					t.Fatalf("create: %v", err)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.c.Expose(f.ctx, v.ID, "node-a", tcp); !errors.Is(err, errCrash) {
					t.Fatalf("expose: %v", err)
				}
			}
			// The restarted driver: a new client, no hook.
			c := New(f.h.Conn, AioFiles(f.dir))
			v, err = c.CreateVolume(f.ctx, "pvc", Capacity{Required: MiB})
			if err != nil {
				t.Fatal(err)
			}
			exp, err := c.Expose(f.ctx, v.ID, "node-a", tcp)
			if err != nil {
				t.Fatal(err)
			}
			checkExposed(t, f, v.ID, []string{c.HostNQN("node-a")})
			if exp.NQN != c.SubsystemNQN(v.ID) || exp.File != filepath.Join(f.dir, v.ID+".img") {
				t.Fatalf("export %+v", exp)
			}
			if err := c.DeleteVolume(f.ctx, v.ID); err != nil {
				t.Fatal(err)
			}
			checkNothingLeft(t, f)
		})
	}
}

func TestAFailedExposeDeletesWhatItMade(t *testing.T) {
	f := newFixture(t)
	v, err := f.c.CreateVolume(f.ctx, "pvc", Capacity{Required: MiB})
	if err != nil {
		t.Fatal(err)
	}
	// The storage API refuses a listener on a host name: the controller
	// step fails after the subsystem and namespace were made.
	_, err = f.c.Expose(f.ctx, v.ID, "node-a", Target{Transport: NvmeTCP, Addr: "dpu.example"})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("expose: %v, want INVALID_ARGUMENT", err)
	}
	subs, err := f.h.Nvme.ListNvmeSubsystems(f.ctx, &pb.ListNvmeSubsystemsRequest{})
	if err != nil || len(subs.GetNvmeSubsystems()) != 0 {
		t.Fatalf("subsystems left after the failure: %v %v", subs, err)
	}
	// The volume itself stays: it was not this call's.
	if _, err := f.c.GetVolume(f.ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	// A second node's failed expose leaves the first node's export alone.
	if _, err := f.c.Expose(f.ctx, v.ID, "node-a", tcp); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Expose(f.ctx, v.ID, "node-b", Target{Transport: NvmeTCP, Addr: "dpu.example"}); err == nil {
		t.Fatal("expose to node-b on a bad address succeeded")
	}
	checkExposed(t, f, v.ID, []string{f.c.HostNQN("node-a")})
}

func TestTwoNodesShareOneSubsystemUntilTheLastLeaves(t *testing.T) {
	f := newFixture(t)
	v, err := f.c.CreateVolume(f.ctx, "pvc", Capacity{Required: MiB})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"node-a", "node-b", "node-b"} {
		if _, err := f.c.Expose(f.ctx, v.ID, n, tcp); err != nil {
			t.Fatal(err)
		}
	}
	checkExposed(t, f, v.ID, []string{f.c.HostNQN("node-a"), f.c.HostNQN("node-b")})
	if err := f.c.Unexpose(f.ctx, v.ID, "node-a"); err != nil {
		t.Fatal(err)
	}
	checkExposed(t, f, v.ID, []string{f.c.HostNQN("node-b")})
	for range 2 {
		if err := f.c.Unexpose(f.ctx, v.ID, "node-b"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.c.DeleteVolume(f.ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	checkNothingLeft(t, f)
}

func TestTwentyConcurrentCreatesOfTenNames(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	ids := make([]string, 20)
	errs := make([]error, 20)
	for i := range 20 {
		wg.Go(func() {
			// Two calls per name, from two clients (two driver replicas).
			c := f.c
			if i%2 == 1 {
				c = New(f.h.Conn, AioFiles(f.dir))
			}
			v, err := c.CreateVolume(f.ctx, fmt.Sprintf("pvc-%d", i/2), Capacity{Required: MiB})
			if err == nil {
				ids[i] = v.ID
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("create %d: %v", i, err)
		}
	}
	vs, err := f.c.ListVolumes(f.ctx)
	if err != nil || len(vs) != 10 {
		t.Fatalf("list: %d volumes, %v; want 10", len(vs), err)
	}
	files, _ := os.ReadDir(f.dir)
	if len(files) != 10 {
		t.Fatalf("%d files, want 10", len(files))
	}
	for _, v := range vs {
		if err := f.c.DeleteVolume(f.ctx, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	checkNothingLeft(t, f)
}

func TestLogicalVolumesGrowAndReportTheStoresFreeSpace(t *testing.T) {
	f := lvolFixture(t)
	before, err := f.c.Capacity(f.ctx)
	if err != nil || before <= 0 || before > 64*MiB {
		t.Fatalf("capacity %d, %v", before, err)
	}
	v, err := f.c.CreateVolume(f.ctx, "pvc", Capacity{Required: 8 * MiB})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := f.c.Capacity(f.ctx)
	if after > before-8*MiB {
		t.Fatalf("capacity %d after an 8 MiB thick volume, %d before", after, before)
	}
	g, err := f.c.ExpandVolume(f.ctx, v.ID, Capacity{Required: 16 * MiB})
	if err != nil || g.CapacityBytes != 16*MiB {
		t.Fatalf("expand: %+v %v", g, err)
	}
	if _, err := f.c.CreateVolume(f.ctx, "huge", Capacity{Required: 1 << 30}); !errors.Is(err, errdefs.ErrResourceExhausted) {
		t.Fatalf("a volume past the store: %v, want RESOURCE_EXHAUSTED", err)
	}
}

// checkExposed checks, in the storage API, that volume id is exported
// through one subsystem with one namespace on the volume and one
// controller, allowing exactly hosts.
func checkExposed(t *testing.T, f *fixture, id string, hosts []string) {
	t.Helper()
	sub, err := f.h.Nvme.GetNvmeSubsystem(f.ctx, &pb.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/" + id})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range sub.GetHosts() {
		got = append(got, h.GetHostNqn())
	}
	if fmt.Sprint(got) != fmt.Sprint(hosts) {
		t.Errorf("hosts %v, want %v", got, hosts)
	}
	ns, err := f.h.Nvme.ListNvmeNamespaces(f.ctx, &pb.ListNvmeNamespacesRequest{Parent: sub.GetName()})
	if err != nil || len(ns.GetNvmeNamespaces()) != 1 || ns.GetNvmeNamespaces()[0].GetVolume() != "aioVolumes/"+id {
		t.Errorf("namespaces %v, %v", ns, err)
	}
	cs, err := f.h.Nvme.ListNvmeControllers(f.ctx, &pb.ListNvmeControllersRequest{Parent: sub.GetName()})
	if err != nil || len(cs.GetNvmeControllers()) != 1 {
		t.Errorf("controllers %v, %v", cs, err)
	}
}

// checkNothingLeft checks that no subsystem, volume or file is left.
func checkNothingLeft(t *testing.T, f *fixture) {
	t.Helper()
	subs, _ := f.h.Nvme.ListNvmeSubsystems(f.ctx, &pb.ListNvmeSubsystemsRequest{})
	vols, _ := f.h.Volumes.ListAioVolumes(f.ctx, &pb.ListAioVolumesRequest{})
	files, _ := os.ReadDir(f.dir)
	if len(subs.GetNvmeSubsystems())+len(vols.GetAioVolumes())+len(files) != 0 {
		t.Fatalf("left: %v %v %v", subs, vols, files)
	}
}

func TestEmulatedPCIeFunctionsExposeAVolume(t *testing.T) {
	for _, tr := range []Transport{NvmePCIe, VirtioBlkPCIe} {
		t.Run(string(tr), func(t *testing.T) {
			f := newFixture(t)
			v, err := f.c.CreateVolume(f.ctx, "pvc", Capacity{Required: MiB})
			if err != nil {
				t.Fatal(err)
			}
			target := Target{Transport: tr, PCIe: &pb.PcieEndpoint{PhysicalFunction: 1}}
			for range 2 { // the second is a retry: the same export
				exp, err := f.c.Expose(f.ctx, v.ID, "node-a", target)
				if err != nil {
					t.Fatal(err)
				}
				if exp.Transport != tr || (tr == NvmePCIe && exp.DevicePath == "") {
					t.Fatalf("export %+v: want the transport, and the vfio-user directory of an NVMe function", exp)
				}
			}
			if tr == VirtioBlkPCIe {
				if _, err := f.h.VirtioBlks.GetVirtioBlk(f.ctx, &pb.GetVirtioBlkRequest{Name: "virtioBlks/" + v.ID}); err != nil {
					t.Fatal(err)
				}
			} else {
				sub, err := f.h.Nvme.GetNvmeSubsystem(f.ctx, &pb.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/" + v.ID})
				if err != nil || !sub.GetAllowAnyHost() {
					t.Fatalf("subsystem %v, %v: want one allowing any host (the DPU's own)", sub, err)
				}
			}
			if err := f.c.Unexpose(f.ctx, v.ID, "node-a"); err != nil {
				t.Fatal(err)
			}
			if err := f.c.DeleteVolume(f.ctx, v.ID); err != nil {
				t.Fatal(err)
			}
			checkNothingLeft(t, f)
			vbs, _ := f.h.VirtioBlks.ListVirtioBlks(f.ctx, &pb.ListVirtioBlksRequest{})
			if len(vbs.GetVirtioBlks()) != 0 {
				t.Fatalf("virtio-blk devices left: %v", vbs)
			}
		})
	}
}

func TestARefusedAioCreateRemovesItsFile(t *testing.T) {
	// An SPDK built without AIO: the storage API refuses the volume
	// after the client made its file.
	tg := storagetest.Sim(t, sim.WithPollInterval(0), sim.WithoutMethods("bdev_aio_create"))
	h := storagetest.Start(t, storagetest.Config{Target: tg})
	dir := t.TempDir()
	c := New(h.Conn, AioFiles(dir))
	if _, err := c.CreateVolume(t.Context(), "pvc", Capacity{Required: MiB}); err == nil {
		t.Fatal("created an AIO volume on an SPDK without AIO")
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("files left after the refusal: %v", files)
	}
}

// TestExposeTakesAFreeFunctionFromThePool exposes three volumes on a pool
// of two functions: two get distinct functions (the storage API refuses
// a second device on one), the third is RESOURCE_EXHAUSTED and leaves
// nothing; a retry keeps its function; a function freed is taken again.
func TestExposeTakesAFreeFunctionFromThePool(t *testing.T) {
	for _, tr := range []Transport{NvmePCIe, VirtioBlkPCIe} {
		t.Run(string(tr), func(t *testing.T) {
			f := newFixture(t)
			target := Target{Transport: tr, Functions: &Functions{Port: 0, PF: 1, FirstVF: 1, LastVF: 2}}
			ep := func(id string) *pb.PcieEndpoint {
				t.Helper()
				if tr == VirtioBlkPCIe {
					d, err := f.h.VirtioBlks.GetVirtioBlk(f.ctx, &pb.GetVirtioBlkRequest{Name: "virtioBlks/" + id})
					if err != nil {
						t.Fatal(err)
					}
					return d.GetPcie()
				}
				c, err := f.h.Nvme.GetNvmeController(f.ctx, &pb.GetNvmeControllerRequest{Name: "nvmeSubsystems/" + id + "/nvmeControllers/ctrl"})
				if err != nil {
					t.Fatal(err)
				}
				return c.GetPcie()
			}
			var ids []string
			for _, name := range []string{"a", "b", "c"} {
				v, err := f.c.CreateVolume(f.ctx, name, Capacity{Required: MiB})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, v.ID)
			}
			for _, id := range ids[:2] {
				if _, err := f.c.Expose(f.ctx, id, "node-a", target); err != nil {
					t.Fatal(err)
				}
			}
			a, b := ep(ids[0]), ep(ids[1])
			if a.GetVirtualFunction() == b.GetVirtualFunction() || a.GetPhysicalFunction() != 1 || b.GetPhysicalFunction() != 1 {
				t.Fatalf("functions %v and %v: want two of physical function 1", a, b)
			}
			if _, err := f.c.Expose(f.ctx, ids[2], "node-a", target); !errors.Is(err, errdefs.ErrResourceExhausted) {
				t.Fatalf("a third volume on two functions: %v; want RESOURCE_EXHAUSTED", err)
			}
			if _, err := f.h.Nvme.GetNvmeSubsystem(f.ctx, &pb.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/" + ids[2]}); status.Code(err) != codes.NotFound {
				t.Fatalf("the refused expose left its subsystem: %v", err)
			}
			// A retry: the same function.
			if _, err := f.c.Expose(f.ctx, ids[0], "node-a", target); err != nil || ep(ids[0]).GetVirtualFunction() != a.GetVirtualFunction() {
				t.Fatalf("retry: %v, function %v; want %v", err, ep(ids[0]), a)
			}
			if err := f.c.Unexpose(f.ctx, ids[0], "node-a"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.c.Expose(f.ctx, ids[2], "node-a", target); err != nil || ep(ids[2]).GetVirtualFunction() != a.GetVirtualFunction() {
				t.Fatalf("after a function is freed: %v; want the third volume on %v", err, a)
			}
		})
	}
}
