package adapter_test

import (
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
)

// A namespace resource whose recorded id is not the one SPDK exposes its
// volume under is not that namespace's owner: deleting the resource must
// leave SPDK's namespace alone (it used to match by bdev only).
func TestNamespaceDeleteLeavesAnotherIDsNamespace(t *testing.T) {
	c, _ := simWithout(t)
	ctx := featCtx(t)
	const nqn = "nqn.2022-09.io.opi:owned"
	for _, call := range []struct {
		method string
		params map[string]any
	}{
		{"bdev_malloc_create", map[string]any{"name": "malloc-v", "num_blocks": 2048, "block_size": 512}},
		{"nvmf_create_subsystem", map[string]any{"nqn": nqn, "allow_any_host": true}},
		{"nvmf_subsystem_add_ns", map[string]any{"nqn": nqn, "namespace": map[string]any{"bdev_name": "malloc-v", "nsid": 1}}},
	} {
		if err := c.Call(ctx, call.method, call.params, nil); err != nil {
			t.Fatalf("%s: %v", call.method, err)
		}
	}
	b := adapter.NvmeNamespaces{C: c}
	sub := &pb.NvmeSubsystem{Name: "nvmeSubsystems/owned", Nqn: nqn}
	if err := b.Delete(ctx, sub, &pb.NvmeNamespace{Volume: "mallocVolumes/v", Nsid: 7}); err != nil {
		t.Fatalf("deleting a namespace SPDK does not have under id 7: %v", err)
	}
	var subs []struct {
		Namespaces []struct {
			NSID uint32 `json:"nsid"`
		} `json:"namespaces"`
	}
	if err := c.Call(ctx, "nvmf_get_subsystems", map[string]any{"nqn": nqn}, &subs); err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 || len(subs[0].Namespaces) != 1 || subs[0].Namespaces[0].NSID != 1 {
		t.Errorf("SPDK's subsystem after the delete = %+v; want namespace 1 kept", subs)
	}
	if err := b.Delete(ctx, sub, &pb.NvmeNamespace{Volume: "mallocVolumes/v", Nsid: 1}); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, "nvmf_get_subsystems", map[string]any{"nqn": nqn}, &subs); err != nil || len(subs[0].Namespaces) != 0 {
		t.Errorf("SPDK's subsystem after deleting the owner = %+v, %v; want no namespace", subs, err)
	}
}
