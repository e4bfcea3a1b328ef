package storagetest

import (
	"context"
	"strings"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ctxT is a context for one subtest's calls: long enough for a loaded
// machine running spdk_tgt, short enough that a hang fails.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// must fails the test now when a call failed, and returns its result.
func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// wantCode checks a call's error against the gRPC code want.
func wantCode[T any](t *testing.T, what string, want codes.Code) func(T, error) {
	return func(_ T, err error) {
		t.Helper()
		if got := status.Code(err); got != want {
			t.Errorf("%s: got %v (%v), want %v", what, got, err, want)
		}
	}
}

// ready fails the test unless st says READY.
func ready(t *testing.T, what string, st *commonv1.ResourceStatus) {
	t.Helper()
	if st.GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
		t.Errorf("%s: status %v, want READY", what, st)
	}
}

// tcp is a controller on NVMe/TCP at 127.0.0.1:port.
func tcp(port uint32) *pb.NvmeController {
	return &pb.NvmeController{Endpoint: &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
		Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1", Trsvcid: port}}}
}

// nqn is the NQN the suite gives the subsystem id.
func nqn(id string) string { return "nqn.2022-09.io.opi:" + id }

// malloc creates the malloc volume id of blocks 512-byte blocks.
func (h *Harness) malloc(t *testing.T, id string, blocks uint64) *pb.MallocVolume {
	t.Helper()
	return must[*pb.MallocVolume](t, "creating mallocVolumes/"+id)(h.Volumes.CreateMallocVolume(context.Background(),
		&pb.CreateMallocVolumeRequest{MallocVolumeId: id, MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: blocks}}))
}

// subsystem creates nvmeSubsystems/id, open to any host.
func (h *Harness) subsystem(t *testing.T, id string) *pb.NvmeSubsystem {
	t.Helper()
	return must[*pb.NvmeSubsystem](t, "creating nvmeSubsystems/"+id)(h.Nvme.CreateNvmeSubsystem(context.Background(),
		&pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: id, NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn(id), AllowAnyHost: true}}))
}

// requireClean fails t unless the bridge stores nothing and SPDK holds
// nothing of the bridge's: each subtest deletes what it made, so what is
// left is a delete that did not reach SPDK. After a failed subtest it
// clears what is left instead, so that one failure is reported once.
func (h *Harness) requireClean(t *testing.T) {
	t.Helper()
	if t.Failed() {
		h.sweep(t)
		return
	}
	stored := h.stored(t)
	if len(stored) != 0 {
		t.Errorf("stored after the subtest deleted what it made: %v", stored)
	}
	var left []string
	for name := range h.Bdevs(t) {
		if !strings.HasPrefix(name, "exported") { // the suite's own, made outside the bridge
			left = append(left, "bdev "+name)
		}
	}
	for nqn := range h.Subsystems(t) {
		left = append(left, "subsystem "+nqn)
	}
	for c := range h.VhostControllers(t) {
		left = append(left, "vhost controller "+c)
	}
	if len(left) != 0 {
		t.Errorf("SPDK (%s) still holds after every delete: %v", h.Target.Name, left)
	}
	if t.Failed() {
		h.sweep(t)
	}
}

// stored lists the names of every stored resource.
func (h *Harness) stored(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var names []string
	add := func(items ...interface{ GetName() string }) {
		for _, m := range items {
			names = append(names, m.GetName())
		}
	}
	if l, err := h.Volumes.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{}); err == nil {
		for _, m := range l.GetMallocVolumes() {
			add(m)
		}
	}
	if l, err := h.Volumes.ListNullVolumes(ctx, &pb.ListNullVolumesRequest{}); err == nil {
		for _, m := range l.GetNullVolumes() {
			add(m)
		}
	}
	if l, err := h.Volumes.ListAioVolumes(ctx, &pb.ListAioVolumesRequest{}); err == nil {
		for _, m := range l.GetAioVolumes() {
			add(m)
		}
	}
	if l, err := h.Lvols.ListLogicalVolumeStores(ctx, &pb.ListLogicalVolumeStoresRequest{}); err == nil {
		for _, m := range l.GetLogicalVolumeStores() {
			add(m)
		}
	}
	if l, err := h.Middleend.ListEncryptedVolumes(ctx, &pb.ListEncryptedVolumesRequest{}); err == nil {
		for _, m := range l.GetEncryptedVolumes() {
			add(m)
		}
	}
	if l, err := h.Middleend.ListQosVolumes(ctx, &pb.ListQosVolumesRequest{}); err == nil {
		for _, m := range l.GetQosVolumes() {
			add(m)
		}
	}
	if l, err := h.Remote.ListNvmeRemoteControllers(ctx, &pb.ListNvmeRemoteControllersRequest{}); err == nil {
		for _, m := range l.GetNvmeRemoteControllers() {
			add(m)
		}
	}
	if l, err := h.Nvme.ListNvmeSubsystems(ctx, &pb.ListNvmeSubsystemsRequest{}); err == nil {
		for _, m := range l.GetNvmeSubsystems() {
			add(m)
		}
	}
	if l, err := h.VirtioBlks.ListVirtioBlks(ctx, &pb.ListVirtioBlksRequest{}); err == nil {
		for _, m := range l.GetVirtioBlks() {
			add(m)
		}
	}
	if l, err := h.VirtioScsi.ListVirtioScsiLuns(ctx, &pb.ListVirtioScsiLunsRequest{}); err == nil {
		for _, m := range l.GetVirtioScsiLuns() {
			add(m)
		}
	}
	if l, err := h.VirtioScsi.ListVirtioScsiTargets(ctx, &pb.ListVirtioScsiTargetsRequest{}); err == nil {
		for _, m := range l.GetVirtioScsiTargets() {
			add(m)
		}
	}
	return names
}

// sweep deletes every stored resource, users before what they use (force
// takes children along), so that the next subtest starts clean.
func (h *Harness) sweep(t *testing.T) {
	ctx := context.Background()
	for _, name := range h.stored(t) {
		kind, _, _ := strings.Cut(name, "/")
		switch kind {
		case "virtioBlks":
			_, _ = h.VirtioBlks.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: name})
		case "virtioScsiLuns":
			_, _ = h.VirtioScsi.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: name})
		case "nvmeSubsystems":
			_, _ = h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: name, Force: true})
		}
	}
	for _, name := range h.stored(t) {
		kind, _, _ := strings.Cut(name, "/")
		switch kind {
		case "qosVolumes":
			_, _ = h.Middleend.DeleteQosVolume(ctx, &pb.DeleteQosVolumeRequest{Name: name})
		case "virtioScsiTargets":
			_, _ = h.VirtioScsi.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: name})
		case "logicalVolumeStores":
			_, _ = h.Lvols.DeleteLogicalVolumeStore(ctx, &pb.DeleteLogicalVolumeStoreRequest{Name: name, Force: true})
		}
	}
	for _, name := range h.stored(t) {
		kind, _, _ := strings.Cut(name, "/")
		switch kind {
		case "encryptedVolumes":
			_, _ = h.Middleend.DeleteEncryptedVolume(ctx, &pb.DeleteEncryptedVolumeRequest{Name: name})
		case "nvmeRemoteControllers":
			_, _ = h.Remote.DeleteNvmeRemoteController(ctx, &pb.DeleteNvmeRemoteControllerRequest{Name: name, Force: true})
		}
	}
	for _, name := range h.stored(t) {
		kind, _, _ := strings.Cut(name, "/")
		switch kind {
		case "mallocVolumes":
			_, _ = h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: name})
		case "nullVolumes":
			_, _ = h.Volumes.DeleteNullVolume(ctx, &pb.DeleteNullVolumeRequest{Name: name})
		case "aioVolumes":
			_, _ = h.Volumes.DeleteAioVolume(ctx, &pb.DeleteAioVolumeRequest{Name: name})
		}
	}
	for name, b := range h.Bdevs(t) {
		if strings.HasPrefix(name, "exported") && name == b.Name {
			_ = h.SPDK.Call(ctx, "bdev_malloc_delete", map[string]any{"name": name}, nil)
		}
	}
}
