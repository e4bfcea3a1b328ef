package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

func vhostScsi(maxLuns uint32) *pb.VirtioScsiTarget {
	return &pb.VirtioScsiTarget{Endpoint: &pb.VirtioScsiTarget_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}, MaxLuns: maxLuns}
}

func (h *Harness) scsiTarget(t *testing.T, id string, maxLuns uint32) *pb.VirtioScsiTarget {
	t.Helper()
	tg := must[*pb.VirtioScsiTarget](t, "create target "+id)(h.VirtioScsi.CreateVirtioScsiTarget(ctxT(t), &pb.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: id, VirtioScsiTarget: vhostScsi(maxLuns)}))
	ready(t, tg.GetName(), tg.GetStatus())
	return tg
}

func (h *Harness) scsiLun(t *testing.T, id, target, volume string, number *uint32) (*pb.VirtioScsiLun, error) {
	t.Helper()
	return h.VirtioScsi.CreateVirtioScsiLun(ctxT(t), &pb.CreateVirtioScsiLunRequest{VirtioScsiLunId: id,
		VirtioScsiLun: &pb.VirtioScsiLun{Target: target, Volume: volume, TargetNumber: number}})
}

// virtioScsiLifecycle: a target is a vhost-user SCSI controller with a
// socket; each LUN is one SCSI target number of it holding its volume's
// bdev; numbers are picked lowest-free and recorded; a volume backs one
// LUN; a target with LUNs and a volume under a LUN cannot be deleted.
func virtioScsiLifecycle(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.VirtioScsi
	for _, v := range []string{"sv1", "sv2", "sv3"} {
		h.malloc(t, v, 2048)
	}
	tg := h.scsiTarget(t, "st1", 4)
	if !strings.HasSuffix(tg.GetDevicePath(), "/scsi.st1") {
		t.Errorf("device_path %q; want the vhost-user socket scsi.st1", tg.GetDevicePath())
	}
	if _, ok := h.ScsiTargets(t)["scsi.st1"]; !ok {
		t.Fatalf("SPDK (%s) has no vhost-scsi controller scsi.st1: %v", h.Target.Name, h.ScsiTargets(t))
	}
	if again := must[*pb.VirtioScsiTarget](t, "the same target again")(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: "st1", VirtioScsiTarget: vhostScsi(4)})); again.GetDevicePath() != tg.GetDevicePath() {
		t.Errorf("a retried create answered %v; want %v", again, tg)
	}
	wantCode[*pb.VirtioScsiTarget](t, "the same id with another max_luns", codes.AlreadyExists)(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: "st1", VirtioScsiTarget: vhostScsi(2)}))
	up := must[*pb.VirtioScsiTarget](t, "an update with allow_missing creates")(c.UpdateVirtioScsiTarget(ctx, &pb.UpdateVirtioScsiTargetRequest{
		VirtioScsiTarget: &pb.VirtioScsiTarget{Name: "virtioScsiTargets/st9", Endpoint: vhostScsi(0).Endpoint}, AllowMissing: true}))
	ready(t, up.GetName(), up.GetStatus())
	if _, ok := h.ScsiTargets(t)["scsi.st9"]; !ok {
		t.Errorf("SPDK has no scsi.st9 after an update with allow_missing")
	}
	must[*emptypb.Empty](t, "delete st9")(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: up.GetName()}))
	l1 := must[*pb.VirtioScsiLun](t, "a LUN without a number")(h.scsiLun(t, "sl1", tg.GetName(), "mallocVolumes/sv1", nil))
	ready(t, l1.GetName(), l1.GetStatus())
	if l1.TargetNumber == nil || l1.GetTargetNumber() != 0 {
		t.Errorf("first LUN's target_number = %v; want 0 recorded", l1.TargetNumber)
	}
	again := must[*pb.VirtioScsiLun](t, "the same create again")(h.scsiLun(t, "sl1", tg.GetName(), "mallocVolumes/sv1", nil))
	if again.GetTargetNumber() != 0 {
		t.Errorf("a retried create got number %d; want the recorded 0", again.GetTargetNumber())
	}
	l2 := must[*pb.VirtioScsiLun](t, "a LUN at number 3")(h.scsiLun(t, "sl2", tg.GetName(), "mallocVolumes/sv2", proto.Uint32(3)))
	if got := h.ScsiTargets(t)["scsi.st1"]; got[0] != "malloc-sv1" || got[3] != "malloc-sv2" || len(got) != 2 {
		t.Errorf("SPDK's SCSI targets of scsi.st1 = %v; want 0: malloc-sv1, 3: malloc-sv2", got)
	}
	wantCode[*pb.VirtioScsiLun](t, "a second LUN on a claimed volume", codes.FailedPrecondition)(h.scsiLun(t, "sl3", tg.GetName(), "mallocVolumes/sv1", nil))
	h.subsystem(t, "ssc")
	wantCode[*pb.NvmeNamespace](t, "a namespace on a LUN's volume", codes.FailedPrecondition)(h.Nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{
		Parent: "nvmeSubsystems/ssc", NvmeNamespaceId: "ns1", NvmeNamespace: &pb.NvmeNamespace{Volume: "mallocVolumes/sv2"}}))
	must[*emptypb.Empty](t, "delete the subsystem")(h.Nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: "nvmeSubsystems/ssc"}))
	wantCode[*pb.VirtioScsiLun](t, "a taken number", codes.AlreadyExists)(h.scsiLun(t, "sl3", tg.GetName(), "mallocVolumes/sv3", proto.Uint32(3)))
	wantCode[*pb.VirtioScsiLun](t, "a number past max_luns", codes.InvalidArgument)(h.scsiLun(t, "sl3", tg.GetName(), "mallocVolumes/sv3", proto.Uint32(4)))
	l3 := must[*pb.VirtioScsiLun](t, "the next free number")(h.scsiLun(t, "sl3", tg.GetName(), "mallocVolumes/sv3", nil))
	if l3.GetTargetNumber() != 1 {
		t.Errorf("third LUN's number = %d; want 1, the lowest free", l3.GetTargetNumber())
	}
	if l := must[*pb.ListVirtioScsiLunsResponse](t, "list LUNs")(c.ListVirtioScsiLuns(ctx, &pb.ListVirtioScsiLunsRequest{PageSize: 2})); len(l.GetVirtioScsiLuns()) != 2 || l.GetNextPageToken() == "" {
		t.Errorf("first page of LUNs: %v; want 2 and a next page", l)
	}
	if g := must[*pb.VirtioScsiLun](t, "get")(c.GetVirtioScsiLun(ctx, &pb.GetVirtioScsiLunRequest{Name: l2.GetName()})); g.GetTargetNumber() != 3 || g.GetTarget() != tg.GetName() {
		t.Errorf("LUN as read: %v", g)
	}
	st := must[*pb.StatsVirtioScsiTargetResponse](t, "target stats")(c.StatsVirtioScsiTarget(ctx, &pb.StatsVirtioScsiTargetRequest{Name: tg.GetName()}))
	ls := must[*pb.StatsVirtioScsiLunResponse](t, "LUN stats")(c.StatsVirtioScsiLun(ctx, &pb.StatsVirtioScsiLunRequest{Name: l1.GetName()}))
	if st.GetStats().GetTickRate() == 0 || ls.GetStats().GetTickRate() == 0 {
		t.Errorf("stats without a tick rate: target %v, LUN %v", st, ls)
	}
	wantCode[*emptypb.Empty](t, "deleting a target with LUNs", codes.FailedPrecondition)(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: tg.GetName()}))
	wantCode[*emptypb.Empty](t, "deleting a LUN's volume", codes.FailedPrecondition)(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/sv1"}))
	for _, l := range []*pb.VirtioScsiLun{l1, l2, l3} {
		must[*emptypb.Empty](t, "delete "+l.GetName())(c.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: l.GetName()}))
	}
	if got := h.ScsiTargets(t)["scsi.st1"]; len(got) != 0 {
		t.Errorf("SPDK's SCSI targets after every LUN's delete: %v", got)
	}
	wantCode[*emptypb.Empty](t, "deleting a deleted LUN", codes.NotFound)(c.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: l1.GetName()}))
	must[*emptypb.Empty](t, "deleting it with allow_missing")(c.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: l1.GetName(), AllowMissing: true}))
	must[*emptypb.Empty](t, "delete the target")(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: tg.GetName()}))
	if _, ok := h.ScsiTargets(t)["scsi.st1"]; ok {
		t.Error("the vhost-scsi controller is still in SPDK after its delete")
	}

	// Concurrent creates without a number on one target take distinct
	// numbers; identical concurrent creates are one LUN.
	tg = h.scsiTarget(t, "st2", 0)
	var wg sync.WaitGroup
	got := make([]*pb.VirtioScsiLun, 6)
	errs := make([]error, 6)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = h.scsiLun(t, fmt.Sprintf("cl%d", i%3), tg.GetName(), fmt.Sprintf("mallocVolumes/sv%d", i%3+1), nil)
		}()
	}
	wg.Wait()
	numbers := map[string]uint32{}
	for i, l := range got {
		if errs[i] != nil {
			t.Fatalf("concurrent create %d: %v", i, errs[i])
		}
		if n, ok := numbers[l.GetName()]; ok && n != l.GetTargetNumber() {
			t.Errorf("%s answered with numbers %d and %d", l.GetName(), n, l.GetTargetNumber())
		}
		numbers[l.GetName()] = l.GetTargetNumber()
	}
	seen := map[uint32]bool{}
	for _, n := range numbers {
		seen[n] = true
	}
	if len(numbers) != 3 || len(seen) != 3 || len(h.ScsiTargets(t)["scsi.st2"]) != 3 {
		t.Errorf("concurrent LUNs %v, SPDK %v; want three LUNs on three numbers", numbers, h.ScsiTargets(t)["scsi.st2"])
	}
	for name := range numbers {
		must[*emptypb.Empty](t, "delete "+name)(c.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: name}))
	}
	must[*emptypb.Empty](t, "delete the target")(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: tg.GetName()}))
	for _, v := range []string{"sv1", "sv2", "sv3"} {
		must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/" + v}))
	}
}

// virtioScsiBadInput: each refusal has its code and leaves the store and
// SPDK as they were.
func virtioScsiBadInput(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.VirtioScsi
	h.malloc(t, "bv", 2048)
	tg := h.scsiTarget(t, "bt", 2)
	before, stored := h.spdkState(t), h.stored(t)
	for _, tc := range []struct {
		what string
		want codes.Code
		call func() error
	}{
		{"a target without an endpoint", codes.InvalidArgument, func() error {
			return err(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "x1", VirtioScsiTarget: &pb.VirtioScsiTarget{}}))
		}},
		{"a malformed cpumask", codes.InvalidArgument, func() error {
			m := vhostScsi(0)
			m.Cpumask = "zz"
			return err(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "x1", VirtioScsiTarget: m}))
		}},
		{"max_luns past 8", codes.InvalidArgument, func() error {
			return err(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "x1", VirtioScsiTarget: vhostScsi(9)}))
		}},
		{"a target id with capitals", codes.InvalidArgument, func() error {
			return err(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: "X1", VirtioScsiTarget: vhostScsi(0)}))
		}},
		{"a LUN without a target", codes.InvalidArgument, func() error { return err(h.scsiLun(t, "x2", "", "mallocVolumes/bv", nil)) }},
		{"a LUN on a malformed target name", codes.InvalidArgument, func() error { return err(h.scsiLun(t, "x2", "virtioBlks/bt", "mallocVolumes/bv", nil)) }},
		{"a LUN on a missing target", codes.NotFound, func() error { return err(h.scsiLun(t, "x2", "virtioScsiTargets/nope", "mallocVolumes/bv", nil)) }},
		{"a LUN on a missing volume", codes.NotFound, func() error { return err(h.scsiLun(t, "x2", tg.GetName(), "mallocVolumes/nope", nil)) }},
		{"a LUN on something not a volume", codes.InvalidArgument, func() error { return err(h.scsiLun(t, "x2", tg.GetName(), tg.GetName(), nil)) }},
		{"a LUN past the target's max_luns", codes.InvalidArgument, func() error { return err(h.scsiLun(t, "x2", tg.GetName(), "mallocVolumes/bv", proto.Uint32(2))) }},
		{"a get of a malformed name", codes.InvalidArgument, func() error {
			return err(c.GetVirtioScsiLun(ctx, &pb.GetVirtioScsiLunRequest{Name: "virtioScsiLuns/a/b"}))
		}},
		{"stats of a missing LUN", codes.NotFound, func() error {
			return err(c.StatsVirtioScsiLun(ctx, &pb.StatsVirtioScsiLunRequest{Name: "virtioScsiLuns/nope"}))
		}},
		{"changing a LUN's volume", codes.InvalidArgument, func() error {
			must[*pb.VirtioScsiLun](t, "a LUN")(h.scsiLun(t, "bl", tg.GetName(), "mallocVolumes/bv", nil))
			defer func() { _, _ = c.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: "virtioScsiLuns/bl"}) }()
			return err(c.UpdateVirtioScsiLun(ctx, &pb.UpdateVirtioScsiLunRequest{VirtioScsiLun: &pb.VirtioScsiLun{Name: "virtioScsiLuns/bl",
				Target: tg.GetName(), Volume: "mallocVolumes/other", TargetNumber: proto.Uint32(0)}}))
		}},
	} {
		t.Run(tc.what, func(t *testing.T) {
			if got := tc.call(); status.Code(got) != tc.want {
				t.Errorf("%v; want %v", got, tc.want)
			}
		})
	}
	if after := h.spdkState(t); after != before {
		t.Errorf("SPDK changed:\nbefore %s\nafter  %s", before, after)
	}
	if after := h.stored(t); fmt.Sprint(after) != fmt.Sprint(stored) {
		t.Errorf("the store changed: %v, then %v", stored, after)
	}
	must[*emptypb.Empty](t, "delete the target")(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: tg.GetName()}))
	must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/bv"}))
}

// virtioScsiRestarts: SPDK restarted empty gets the targets and LUNs back
// at the recorded numbers, and so does a restarted bridge, with the same
// names.
func virtioScsiRestarts(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.VirtioScsi
	h.malloc(t, "rv1", 2048)
	h.malloc(t, "rv2", 2048)
	tg := h.scsiTarget(t, "rt", 0)
	must[*pb.VirtioScsiLun](t, "LUN")(h.scsiLun(t, "rl1", tg.GetName(), "mallocVolumes/rv1", proto.Uint32(5)))
	must[*pb.VirtioScsiLun](t, "LUN")(h.scsiLun(t, "rl2", tg.GetName(), "mallocVolumes/rv2", nil))
	want := map[uint32]string{5: "malloc-rv1", 0: "malloc-rv2"}
	same := func() (bool, string) {
		all, err := h.scsiTargets()
		if err != nil {
			return false, err.Error()
		}
		got := all["scsi.rt"]
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("SPDK's SCSI targets of scsi.rt: %v, want %v", got, want)
	}
	if ok, msg := same(); !ok {
		t.Fatal(msg)
	}
	h.RestartTarget(t, func() (bool, string) {
		if ok, msg := same(); !ok {
			return false, msg
		}
		l, err := c.GetVirtioScsiLun(ctx, &pb.GetVirtioScsiLunRequest{Name: "virtioScsiLuns/rl1"})
		if err != nil {
			return false, err.Error()
		}
		return l.GetStatus().GetState() == commonv1.ResourceState_RESOURCE_STATE_READY, "rl1 after the replay: " + l.String()
	})
	h.RestartBridge(t)
	c = h.VirtioScsi // the new bridge's
	if ok, msg := same(); !ok {
		t.Error(msg)
	}
	l := must[*pb.VirtioScsiLun](t, "get after the bridge restart")(c.GetVirtioScsiLun(ctx, &pb.GetVirtioScsiLunRequest{Name: "virtioScsiLuns/rl2"}))
	if l.GetTargetNumber() != 0 || l.GetTarget() != tg.GetName() {
		t.Errorf("rl2 after the bridge restart: %v", l)
	}
	for _, n := range []string{"virtioScsiLuns/rl1", "virtioScsiLuns/rl2"} {
		must[*emptypb.Empty](t, "delete "+n)(c.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: n}))
	}
	must[*emptypb.Empty](t, "delete the target")(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: tg.GetName()}))
	for _, v := range []string{"rv1", "rv2"} {
		must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/" + v}))
	}
}

func pcieScsi(pf uint32, maxLuns uint32) *pb.VirtioScsiTarget {
	return &pb.VirtioScsiTarget{Endpoint: &pb.VirtioScsiTarget_Pcie{Pcie: &pb.PcieEndpoint{PhysicalFunction: pf}}, MaxLuns: maxLuns}
}

// probeBdev names no bdev: vfio-user checks the endpoint, the number and
// whether the number is taken before it looks for the bdev, so an add of
// it changes nothing and its refusal tells what is there.
const probeBdev = "opi-storagetest-no-such-bdev"

// PcieScsiSlots reports whether SPDK has the vfio-user virtio-scsi
// endpoint, and which of its SCSI target numbers hold a bdev. SPDK lists
// neither, so each is asked by an add that cannot succeed (probeBdev):
// "Invalid argument" for number 200 means the endpoint is there, "File
// exists" that a number is taken, "Bad address" that it is free.
func (h *Harness) PcieScsiSlots(t testing.TB, endpoint string) (bool, []uint32) {
	t.Helper()
	ok, taken, err := h.pcieScsiSlots(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return ok, taken
}

func (h *Harness) pcieScsiSlots(endpoint string) (bool, []uint32, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	probe := func(n uint32) string {
		err := h.SPDK.Call(ctx, "vfu_virtio_scsi_add_target", map[string]any{"name": endpoint, "scsi_target_num": n, "bdev_name": probeBdev}, nil)
		var e *spdk.Error
		if errors.As(err, &e) {
			return e.Message
		}
		return fmt.Sprint(err)
	}
	switch got := probe(200); got {
	case "No such file or directory":
		return false, nil, nil
	case "Invalid argument":
	default:
		return false, nil, fmt.Errorf("probing vfio-user endpoint %s on %s: %s", endpoint, h.Target.Name, got)
	}
	var taken []uint32
	for n := range uint32(MaxScsiNumbers) {
		switch got := probe(n); got {
		case "File exists":
			taken = append(taken, n)
		case "Bad address":
		default:
			return false, nil, fmt.Errorf("probing SCSI target number %d of %s on %s: %s", n, endpoint, h.Target.Name, got)
		}
	}
	return true, taken, nil
}

// MaxScsiNumbers is how many SCSI target numbers a virtio-scsi device of
// SPDK has.
const MaxScsiNumbers = 8

// virtioScsiPcie: a PCIe target is a vfio-user virtio-scsi endpoint, its
// PCIe function is claimed against every other device kind, its LUNs are
// SCSI target numbers of the endpoint; SPDK restarted empty gets them
// back, and a bridge restarted over an SPDK that kept them finds them.
func virtioScsiPcie(t *testing.T, h *Harness) {
	ctx := ctxT(t)
	c := h.VirtioScsi
	for _, v := range []string{"pv1", "pv2", "pv3"} {
		h.malloc(t, v, 2048)
	}
	tg := must[*pb.VirtioScsiTarget](t, "a PCIe target")(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: "pt", VirtioScsiTarget: pcieScsi(3, 4)}))
	ready(t, tg.GetName(), tg.GetStatus())
	if tg.GetDevicePath() != "" || tg.GetPcie().GetPhysicalFunction() != 3 {
		t.Errorf("PCIe target as created: %v; want physical function 3 and no device_path", tg)
	}
	if ok, taken := h.PcieScsiSlots(t, "scsi.pt"); !ok || len(taken) != 0 {
		t.Fatalf("%s: vfio-user endpoint scsi.pt there %v, numbers taken %v; want an empty endpoint", h.Target.Name, ok, taken)
	}
	if again := must[*pb.VirtioScsiTarget](t, "the same PCIe target again")(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: "pt", VirtioScsiTarget: pcieScsi(3, 4)})); !proto.Equal(again.GetPcie(), tg.GetPcie()) {
		t.Errorf("a retried create answered %v; want %v", again, tg)
	}
	wantCode[*pb.VirtioScsiTarget](t, "a second target on the same PCIe function", codes.AlreadyExists)(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: "pt2", VirtioScsiTarget: pcieScsi(3, 0)}))
	wantCode[*pb.VirtioBlk](t, "a virtio-blk device on the target's PCIe function", codes.AlreadyExists)(h.VirtioBlks.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{
		VirtioBlkId: "pb3", VirtioBlk: &pb.VirtioBlk{Volume: "mallocVolumes/pv3", Endpoint: &pb.VirtioBlk_Pcie{Pcie: &pb.PcieEndpoint{PhysicalFunction: 3}}}}))
	blk := must[*pb.VirtioBlk](t, "a virtio-blk device on the next PCIe function")(h.VirtioBlks.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{
		VirtioBlkId: "pb4", VirtioBlk: &pb.VirtioBlk{Volume: "mallocVolumes/pv3", Endpoint: &pb.VirtioBlk_Pcie{Pcie: &pb.PcieEndpoint{PhysicalFunction: 4}}}}))
	wantCode[*pb.VirtioScsiTarget](t, "a target on the virtio-blk device's PCIe function", codes.AlreadyExists)(c.CreateVirtioScsiTarget(ctx, &pb.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: "pt2", VirtioScsiTarget: pcieScsi(4, 0)}))

	l1 := must[*pb.VirtioScsiLun](t, "a LUN on the PCIe target")(h.scsiLun(t, "pl1", tg.GetName(), "mallocVolumes/pv1", nil))
	ready(t, l1.GetName(), l1.GetStatus())
	l2 := must[*pb.VirtioScsiLun](t, "a LUN at number 2")(h.scsiLun(t, "pl2", tg.GetName(), "mallocVolumes/pv2", proto.Uint32(2)))
	ready(t, l2.GetName(), l2.GetStatus())
	if _, taken := h.PcieScsiSlots(t, "scsi.pt"); fmt.Sprint(taken) != "[0 2]" {
		t.Errorf("SPDK's SCSI target numbers of scsi.pt: %v; want [0 2]", taken)
	}
	wantCode[*pb.VirtioScsiLun](t, "a number past the PCIe target's max_luns", codes.InvalidArgument)(h.scsiLun(t, "pl3", tg.GetName(), "mallocVolumes/pv3", proto.Uint32(4)))

	allReady := func() (bool, string) {
		ok, taken, err := h.pcieScsiSlots("scsi.pt")
		if err != nil {
			return false, err.Error()
		}
		if !ok || fmt.Sprint(taken) != "[0 2]" {
			return false, fmt.Sprintf("scsi.pt there %v, numbers taken %v; want [0 2]", ok, taken)
		}
		for _, n := range []string{l1.GetName(), l2.GetName()} {
			l, err := c.GetVirtioScsiLun(ctx, &pb.GetVirtioScsiLunRequest{Name: n})
			if err != nil || l.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
				return false, fmt.Sprintf("%s: %v %v", n, l, err)
			}
		}
		for _, n := range []string{tg.GetName()} {
			g, err := c.GetVirtioScsiTarget(ctx, &pb.GetVirtioScsiTargetRequest{Name: n})
			if err != nil || g.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
				return false, fmt.Sprintf("%s: %v %v", n, g, err)
			}
		}
		b, err := h.VirtioBlks.GetVirtioBlk(ctx, &pb.GetVirtioBlkRequest{Name: blk.GetName()})
		if err != nil || b.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
			return false, fmt.Sprintf("%s: %v %v", blk.GetName(), b, err)
		}
		return true, ""
	}
	h.RestartTarget(t, allReady)
	// The bridge restarts over an SPDK that has every endpoint: each
	// create is repeated (SPDK lists no vfio-user endpoints) and must be
	// taken for what it is, not refused.
	h.RestartBridge(t)
	c = h.VirtioScsi
	h.Eventually(t, time.Minute, allReady)

	for _, l := range []*pb.VirtioScsiLun{l1, l2} {
		must[*emptypb.Empty](t, "delete "+l.GetName())(c.DeleteVirtioScsiLun(ctx, &pb.DeleteVirtioScsiLunRequest{Name: l.GetName()}))
	}
	if _, taken := h.PcieScsiSlots(t, "scsi.pt"); len(taken) != 0 {
		t.Errorf("SPDK's SCSI target numbers of scsi.pt after every LUN's delete: %v", taken)
	}
	must[*emptypb.Empty](t, "delete the PCIe target")(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: tg.GetName()}))
	if ok, _ := h.PcieScsiSlots(t, "scsi.pt"); ok {
		t.Error("the vfio-user endpoint scsi.pt is still in SPDK after its target's delete")
	}
	must[*emptypb.Empty](t, "delete the PCIe target again with allow_missing")(c.DeleteVirtioScsiTarget(ctx, &pb.DeleteVirtioScsiTargetRequest{Name: tg.GetName(), AllowMissing: true}))
	must[*emptypb.Empty](t, "delete the virtio-blk device")(h.VirtioBlks.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: blk.GetName()}))
	for _, v := range []string{"pv1", "pv2", "pv3"} {
		must[*emptypb.Empty](t, "delete the volume")(h.Volumes.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: "mallocVolumes/" + v}))
	}
}
