package bridge

import (
	"context"
	"strings"
	"testing"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A second namespace on a volume the subsystem already exposes used to be
// taken for a retried create (SPDK's refusal read as "already there"):
// OK and READY while SPDK got nothing, and deleting that phantom removed
// the real namespace from SPDK.
func TestSecondNamespaceOnAnExposedVolumeIsRefused(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	f.malloc("v")
	f.subsystem("sub1")
	mustCreateNS(t, f, "sub1", "ns1", "mallocVolumes/v")

	_, err := f.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{Parent: "nvmeSubsystems/sub1",
		NvmeNamespaceId: "ns2", NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/v"}})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "nvmeSubsystems/sub1/nvmeNamespaces/ns1") {
		t.Fatalf("second namespace on the volume: %v; want FAILED_PRECONDITION naming ns1", err)
	}
	if _, err := f.nvme.GetNvmeNamespace(ctx, &pb.GetNvmeNamespaceRequest{Name: "nvmeSubsystems/sub1/nvmeNamespaces/ns2"}); status.Code(err) != codes.NotFound {
		t.Errorf("the refused namespace is stored: %v", err)
	}
	_, err = f.nvme.DeleteNvmeNamespace(ctx, &pb.DeleteNvmeNamespaceRequest{Name: "nvmeSubsystems/sub1/nvmeNamespaces/ns2", AllowMissing: true})
	if err != nil {
		t.Fatalf("deleting the refused namespace with allow_missing: %v", err)
	}
	if ns := f.subsystems()[nqn("sub1")].Namespaces; len(ns) != 1 || ns[0].BdevName != "malloc-v" {
		t.Errorf("SPDK's namespaces = %+v; want ns1's on malloc-v, untouched", ns)
	}
}

// An update with allow_missing creates: it must claim the volume as a
// create does, not slip past the rule.
func TestAllowMissingUpdateClaimsTheVolume(t *testing.T) {
	f := newFixture(t, fixtureConfig{memoryStore: true})
	ctx := context.Background()
	f.malloc("v")
	f.subsystem("sub1")
	mustCreateNS(t, f, "sub1", "ns1", "mallocVolumes/v")
	_, err := f.mid.UpdateQosVolume(ctx, &pb.UpdateQosVolumeRequest{AllowMissing: true,
		QosVolume: &pb.QosVolume{Name: "qosVolumes/q", Volume: "mallocVolumes/v", Limits: &pb.QosLimits{RwIosPerSec: 2000}}})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "nvmeSubsystems/sub1/nvmeNamespaces/ns1") {
		t.Errorf("a QoS volume by update with allow_missing on a claimed volume: %v; want FAILED_PRECONDITION naming ns1", err)
	}
}
