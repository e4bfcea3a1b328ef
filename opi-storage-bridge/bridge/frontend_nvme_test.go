package bridge

import (
	"context"
	"fmt"
	"sync"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

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
