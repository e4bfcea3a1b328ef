package bridge

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A valid PSK in interchange format: 32 key bytes and a CRC, base64.
const hostNQN = "nqn.2014-08.org.nvmexpress:uuid:2b6c8a0e-3f4d-4e8a-9c1b-5d2e7f9a0b1c"

const testPSK = "NVMeTLSkey-1:01:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+KfiaR:"

func TestNvmeTCPLifecycleReachesSPDKAndLeavesItClean(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("vol1")
	sub := f.subsystem("sub1", &pb.NvmeSubsystemHost{HostNqn: hostNQN, Psk: testPSK})
	if sub.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Errorf("subsystem status = %v, want READY", sub.GetStatus())
	}
	if h := sub.GetHosts()[0]; h.GetPsk() != "" || !h.GetPskConfigured() {
		t.Errorf("host as returned: psk %q, psk_configured %v; want the PSK withheld and psk_configured true", h.GetPsk(), h.GetPskConfigured())
	}
	if sub.GetSerialNumber() == "" || sub.GetModelNumber() != "SPDK bdev Controller" {
		t.Errorf("serial %q / model %q: want a chosen serial and SPDK's default model", sub.GetSerialNumber(), sub.GetModelNumber())
	}
	ns, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1", NvmeNamespaceId: "ns1",
		NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/vol1", Nsid: 3}})
	if err != nil {
		t.Fatal(err)
	}
	ctrl, err := f.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: "nvmeSubsystems/sub1", NvmeControllerId: "tcp1",
		NvmeController: &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: 4421}}}})
	if err != nil {
		t.Fatal(err)
	}
	if ctrl.GetMaxQueueDepth() == 0 || ctrl.GetMaxIoQueuePairs() == 0 {
		t.Errorf("controller limits not reported: %v", ctrl)
	}

	got := f.subsystems()[nqn("sub1")]
	if len(got.Namespaces) != 1 || got.Namespaces[0].NSID != 3 || firstNonEmpty(got.Namespaces[0].BdevName, got.Namespaces[0].Name) != "malloc-vol1" {
		t.Errorf("SPDK namespaces = %+v, want nsid 3 on malloc-vol1", got.Namespaces)
	}
	if len(got.ListenAddresses) != 1 || got.ListenAddresses[0].Traddr != "127.0.0.1" || got.ListenAddresses[0].Trsvcid != "4421" {
		t.Errorf("SPDK listeners = %+v", got.ListenAddresses)
	}
	if len(got.Hosts) != 1 || !strings.HasPrefix(got.Hosts[0].PSK, "opi-sub1-") && got.Hosts[0].PSK != "" {
		t.Errorf("SPDK hosts = %+v, want host1 with the bridge's key", got.Hosts)
	}
	keys, _ := filepath.Glob(filepath.Join(f.dir, "keys", "opi-sub1-*"))
	if len(keys) != 1 {
		t.Fatalf("key files = %v, want one", keys)
	}
	if st, err := os.Stat(keys[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", st.Mode(), err)
	}

	if g, err := f.nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: ns.GetName()}); err != nil || g.GetNsid() != 3 {
		t.Errorf("GetNvmeNamespace = %v, %v", g, err)
	}
	if l, err := f.nvme.ListNvmeControllers(ctx, &pb.ListNvmeControllersRequest{Parent: "nvmeSubsystems/sub1"}); err != nil || len(l.GetNvmeControllers()) != 1 {
		t.Errorf("ListNvmeControllers = %v, %v", l, err)
	}
	if l, err := f.nvme.ListNvmeSubsystems(ctx, &pb.ListNvmeSubsystemsRequest{}); err != nil || len(l.GetNvmeSubsystems()) != 1 || l.GetNvmeSubsystems()[0].GetHosts()[0].GetPsk() != "" {
		t.Errorf("ListNvmeSubsystems = %v, %v (PSKs must never come back)", l, err)
	}

	// Reverse order.
	mustOK(t)(f.nvme.DeleteNvmeController(ctx, &pb.DeleteNvmeControllerRequest{Name: ctrl.GetName()}))
	mustOK(t)(f.nvme.DeleteNvmeNamespace(ctx, &pb.DeleteNvmeNamespaceRequest{Name: ns.GetName()}))
	mustOK(t)(f.nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/sub1"}))
	mustOK(t)(f.vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/vol1"}))
	if _, ok := f.subsystems()[nqn("sub1")]; ok {
		t.Error("the subsystem is still in SPDK after its delete")
	}
	if keys, _ := filepath.Glob(filepath.Join(f.dir, "keys", "opi-*")); len(keys) != 0 {
		t.Errorf("key files left after the delete: %v", keys)
	}
}

func TestCreatesAndDeletesAreIdempotentAndADifferentSpecIsAlreadyExists(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("vol1")
	f.malloc("vol2")
	f.subsystem("sub1")
	req := &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1", NvmeNamespaceId: "ns1", NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/vol1"}}
	first, err := f.nvme.CreateNvmeNamespace(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.nvme.CreateNvmeNamespace(ctx, req)
	if err != nil || again.GetName() != first.GetName() {
		t.Fatalf("repeated create = %v, %v; want the same namespace", again, err)
	}
	if n := len(f.subsystems()[nqn("sub1")].Namespaces); n != 1 {
		t.Errorf("SPDK has %d namespaces after a repeated create, want 1", n)
	}
	if _, err := f.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub1", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("sub1")}}); err != nil {
		t.Errorf("repeated subsystem create: %v", err)
	}
	req.NvmeNamespace.Volume = "mallocVolumes/vol2"
	wantCode(t, "a create with the same id and another volume", codes.AlreadyExists)(f.nvme.CreateNvmeNamespace(ctx, req))
	wantCode(t, "another subsystem with a taken NQN", codes.AlreadyExists)(f.nvme.CreateNvmeSubsystem(ctx,
		&pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: "sub2", NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn("sub1")}}))

	del := &pb.DeleteNvmeNamespaceRequest{Name: first.GetName()}
	mustOK(t)(f.nvme.DeleteNvmeNamespace(ctx, del))
	wantCode(t, "deleting a deleted namespace", codes.NotFound)(f.nvme.DeleteNvmeNamespace(ctx, del))
	del.AllowMissing = true
	mustOK(t)(f.nvme.DeleteNvmeNamespace(ctx, del))
}

func TestDeletingWhatOthersDependOnIsFailedPrecondition(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.malloc("vol1")
	f.subsystem("sub1")
	if _, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1", NvmeNamespaceId: "ns1",
		NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/vol1"}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "deleting a volume a namespace uses", codes.FailedPrecondition)(
		f.vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/vol1"}))
	_, err := f.nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/sub1"})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "force") {
		t.Errorf("deleting a subsystem with a namespace: %v; want FailedPrecondition that mentions force", err)
	}
	if !f.bdevs()["malloc-vol1"] || len(f.subsystems()[nqn("sub1")].Namespaces) != 1 {
		t.Error("a refused delete changed SPDK")
	}
	mustOK(t)(f.nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/sub1", Force: true}))
	mustOK(t)(f.vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/vol1"}))
}

func TestPaginationIsStableWhileOthersInsert(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	f.subsystem("sub1")
	for i := 0; i < 30; i += 2 {
		f.malloc(fmt.Sprintf("v%02d", i))
		mustCreateNS(t, f, "sub1", fmt.Sprintf("ns%02d", i), fmt.Sprintf("mallocVolumes/v%02d", i))
	}
	seen := map[string]int{}
	token := ""
	for page := 0; ; page++ {
		res, err := f.nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/sub1", PageSize: 4, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, ns := range res.GetNvmeNamespaces() {
			seen[ns.GetName()]++
		}
		// Others insert between pages, before and after the cursor.
		i := 2*page + 1
		f.malloc(fmt.Sprintf("v%02d", i))
		mustCreateNS(t, f, "sub1", fmt.Sprintf("ns%02d", i), fmt.Sprintf("mallocVolumes/v%02d", i))
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	for i := 0; i < 30; i += 2 {
		if n := seen[fmt.Sprintf("nvmeSubsystems/sub1/nvmeNamespaces/ns%02d", i)]; n != 1 {
			t.Errorf("ns%02d listed %d times, want once", i, n)
		}
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s listed %d times", name, n)
		}
	}
}

func TestConcurrentCreatesOnOneSubsystemAllLand(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	f.subsystem("sub1")
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		f.malloc(fmt.Sprintf("v%d", i))
	}
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustCreateNS(t, f, "sub1", fmt.Sprintf("ns%d", i), fmt.Sprintf("mallocVolumes/v%d", i))
		}()
	}
	wg.Wait()
	if n := len(f.subsystems()[nqn("sub1")].Namespaces); n != 16 {
		t.Errorf("SPDK has %d namespaces, want 16", n)
	}
}

func mustCreateNS(t testing.TB, f *fixture, sub, id, volume string) {
	t.Helper()
	if _, err := f.nvme.CreateNvmeNamespace(context.Background(), &pb.CreateNvmeNamespaceRequest{
		Parent: "nvmeSubsystems/" + sub, NvmeNamespaceId: id, NvmeNamespace: &pb.NvmeNamespace{Volume: volume}}); err != nil {
		t.Errorf("creating namespace %s: %v", id, err)
	}
}

// mustOK returns a checker that fails the test when a call fails.
func mustOK(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// wantCode returns a checker for a call's (result, error).
func wantCode(t *testing.T, what string, want codes.Code) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if status.Code(err) != want {
			t.Errorf("%s: got %v, want %v", what, err, want)
		}
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
