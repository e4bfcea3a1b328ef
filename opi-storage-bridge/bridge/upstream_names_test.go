package bridge

import (
	"strings"
	"testing"

	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// With UpstreamVolumeNames the upstream API answers names as upstream's
// SPDK bridge does and godpu's test checks them: "volumes/{id}" for
// volumes, virtio-blk devices and virtio-SCSI controllers and LUNs, the
// pattern for NVMe subsystems; and it takes them back. The flow is
// godpu's virtio-SCSI one, which deletes the controller by the LUN's name
// (both have one id there).
func TestUpstreamVolumeNamesAreGodpusForm(t *testing.T) {
	f := newFixture(t, fixtureConfig{upstreamVolumeNames: true})
	ctx := f.ctx
	malloc := up.NewMallocVolumeServiceClient(f.conn)
	scsi := up.NewFrontendVirtioScsiServiceClient(f.conn)
	blk := up.NewFrontendVirtioBlkServiceClient(f.conn)
	nvme := up.NewFrontendNvmeServiceClient(f.conn)
	want := func(what, got, name string) {
		t.Helper()
		if got != name {
			t.Errorf("%s answered name %q, want %q", what, got, name)
		}
	}
	m, err := malloc.CreateMallocVolume(ctx, &up.CreateMallocVolumeRequest{MallocVolumeId: "malloc1",
		MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 2048}})
	if err != nil {
		t.Fatal(err)
	}
	want("malloc volume", m.GetName(), "volumes/malloc1")
	if g, err := malloc.GetMallocVolume(ctx, &up.GetMallocVolumeRequest{Name: m.GetName()}); err != nil || g.GetName() != m.GetName() {
		t.Errorf("get by %s: %v %v", m.GetName(), g, err)
	}
	l, err := malloc.ListMallocVolumes(ctx, &up.ListMallocVolumesRequest{})
	if err != nil || len(l.GetMallocVolumes()) != 1 || l.GetMallocVolumes()[0].GetName() != "volumes/malloc1" {
		t.Errorf("list: %v %v; want the one volume named volumes/malloc1", l, err)
	}

	const id = "opi-virtio-scsi8"
	pcie := &up.PciEndpoint{PhysicalFunction: wrapperspb.Int32(1), VirtualFunction: wrapperspb.Int32(2), PortId: wrapperspb.Int32(3)}
	c, err := scsi.CreateVirtioScsiController(ctx, &up.CreateVirtioScsiControllerRequest{VirtioScsiControllerId: id,
		VirtioScsiController: &up.VirtioScsiController{PcieId: pcie}})
	if err != nil {
		t.Fatal(err)
	}
	want("controller", c.GetName(), "volumes/"+id)
	if _, err := scsi.UpdateVirtioScsiController(ctx, &up.UpdateVirtioScsiControllerRequest{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
		VirtioScsiController: &up.VirtioScsiController{Name: c.GetName(), PcieId: pcie}}); err != nil {
		t.Errorf("update by %s: %v", c.GetName(), err)
	}
	lun, err := scsi.CreateVirtioScsiLun(ctx, &up.CreateVirtioScsiLunRequest{VirtioScsiLunId: id,
		VirtioScsiLun: &up.VirtioScsiLun{TargetNameRef: id, VolumeNameRef: "malloc1"}})
	if err != nil {
		t.Fatal(err)
	}
	want("LUN", lun.GetName(), "volumes/"+id)
	luns, err := scsi.ListVirtioScsiLuns(ctx, &up.ListVirtioScsiLunsRequest{Parent: lun.GetName()})
	if err != nil || len(luns.GetVirtioScsiLuns()) != 1 || luns.GetVirtioScsiLuns()[0].GetName() != "volumes/"+id {
		t.Errorf("list LUNs: %v %v", luns, err)
	}
	if _, err := scsi.StatsVirtioScsiLun(ctx, &up.StatsVirtioScsiLunRequest{Name: lun.GetName()}); err != nil {
		t.Errorf("LUN stats by %s: %v", lun.GetName(), err)
	}
	if _, err := scsi.DeleteVirtioScsiLun(ctx, &up.DeleteVirtioScsiLunRequest{Name: lun.GetName()}); err != nil {
		t.Fatal(err)
	}
	if _, err := scsi.DeleteVirtioScsiController(ctx, &up.DeleteVirtioScsiControllerRequest{Name: lun.GetName()}); err != nil {
		t.Errorf("deleting the controller by the LUN's name, as godpu does: %v", err)
	}

	b, err := blk.CreateVirtioBlk(ctx, &up.CreateVirtioBlkRequest{VirtioBlk: &up.VirtioBlk{VolumeNameRef: "malloc1",
		PcieId: &up.PciEndpoint{PhysicalFunction: wrapperspb.Int32(1), VirtualFunction: wrapperspb.Int32(0), PortId: wrapperspb.Int32(0)}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.GetName(), "volumes/") {
		t.Errorf("virtio-blk without an id answered %q, want volumes/{uuid}", b.GetName())
	}
	if _, err := blk.DeleteVirtioBlk(ctx, &up.DeleteVirtioBlkRequest{Name: b.GetName()}); err != nil {
		t.Errorf("delete by %s: %v", b.GetName(), err)
	}
	ss, err := nvme.CreateNvmeSubsystem(ctx, &up.CreateNvmeSubsystemRequest{NvmeSubsystemId: "namespace-test-ss",
		NvmeSubsystem: &up.NvmeSubsystem{Spec: &up.NvmeSubsystemSpec{Nqn: "nqn.2022-09.io.spdk:opi1", MaxNamespaces: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	want("subsystem", ss.GetName(), "nvmeSubsystems/namespace-test-ss")
}

// Without it (the default), the names are the protos' patterns.
func TestUpstreamProtoNamesByDefault(t *testing.T) {
	f := newFixture(t)
	malloc := up.NewMallocVolumeServiceClient(f.conn)
	m, err := malloc.CreateMallocVolume(f.ctx, &up.CreateMallocVolumeRequest{MallocVolumeId: "m1",
		MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 2048}})
	if err != nil {
		t.Fatal(err)
	}
	if m.GetName() != "mallocVolumes/m1" {
		t.Errorf("answered %q, want mallocVolumes/m1", m.GetName())
	}
	if _, err := malloc.GetMallocVolume(f.ctx, &up.GetMallocVolumeRequest{Name: "volumes/m1"}); err != nil {
		t.Errorf("the volumes/ form is accepted in requests either way: %v", err)
	}
}
