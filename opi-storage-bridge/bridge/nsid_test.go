package bridge

import (
	"context"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/protobuf/proto"
)

// A namespace created without nsid used to be stored (and returned) with
// nsid 0, so a replay into an SPDK that had lost it let SPDK pick the
// lowest free id again: a host saw its namespace move.
func TestAssignedNamespaceIDIsRecordedAndReplayed(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	f.malloc("va")
	f.malloc("vb")
	f.subsystem("sub1")
	create := func(id, vol string) *pb.NvmeNamespace {
		t.Helper()
		ns, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1",
			NvmeNamespaceId: id, NvmeNamespace: &pb.NvmeNamespace{Volume: vol}})
		if err != nil {
			t.Fatalf("creating %s: %v", id, err)
		}
		return ns
	}
	if a := create("a", "mallocVolumes/va"); a.GetNsid() != 1 {
		t.Errorf("the first namespace's nsid = %d, want 1 (SPDK's)", a.GetNsid())
	}
	b := create("b", "mallocVolumes/vb")
	if b.GetNsid() != 2 {
		t.Errorf("the second namespace's nsid = %d, want 2 (SPDK's)", b.GetNsid())
	}
	if again := create("b", "mallocVolumes/vb"); !proto.Equal(again, b) {
		t.Errorf("the same create again (nsid unset) = %v, want %v", again, b)
	}
	if got, err := f.nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: b.GetName()}); err != nil || got.GetNsid() != 2 {
		t.Errorf("get = %v, %v; want nsid 2", got, err)
	}

	// With a deleted, id 1 is free: SPDK losing b and the replay letting
	// SPDK choose would move b to 1.
	if _, err := f.nvme.DeleteNvmeNamespace(ctx, &pb.DeleteNvmeNamespaceRequest{Name: "nvmeSubsystems/sub1/nvmeNamespaces/a"}); err != nil {
		t.Fatal(err)
	}
	if err := f.direct.Call(ctx, "nvmf_subsystem_remove_ns", map[string]any{"nqn": nqn("sub1"), "nsid": 2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.b.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if ns := f.subsystems()[nqn("sub1")].Namespaces; len(ns) != 1 || ns[0].NSID != 2 || ns[0].BdevName != "malloc-vb" {
		t.Errorf("SPDK's namespaces after the replay = %+v; want nsid 2 on malloc-vb", ns)
	}
}
