package upstreamtest

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// gone checks what follows a delete: the resource is NOT_FOUND, a second
// delete is NOT_FOUND, and one with allow_missing succeeds.
func gone(t *testing.T, name string, get func() error, del func(allowMissing bool) error) {
	t.Helper()
	if c := status.Code(get()); c != codes.NotFound {
		t.Errorf("get of deleted %s: code %s, want NotFound", name, c)
	}
	if c := status.Code(del(false)); c != codes.NotFound {
		t.Errorf("second delete of %s: code %s, want NotFound", name, c)
	}
	if err := del(true); err != nil {
		t.Errorf("delete of missing %s with allow_missing: %v", name, err)
	}
}

func nqn(id string) string { return "nqn.2022-09.io.opi:" + id }

// hostNQN is the host godpu's test admits.
const hostNQN = "nqn.2014-08.org.nvmexpress:uuid:feb98abe-d51f-40c8-b348-2753f3571d3c"

// volume makes a malloc volume through upstream's API and deletes it when
// t ends.
func (c *clients) volume(t *testing.T, id string) string {
	t.Helper()
	ctx := ctxT(t)
	v := ok[*up.MallocVolume](t, "create base volume "+id)(c.malloc.CreateMallocVolume(ctx, &up.CreateMallocVolumeRequest{
		MallocVolumeId: id, MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 2048}}))
	t.Cleanup(func() {
		_, _ = c.malloc.DeleteMallocVolume(ctxT(t), &up.DeleteMallocVolumeRequest{Name: v.GetName(), AllowMissing: true})
	})
	return v.GetName()
}

// subsystem makes a subsystem open to any host and deletes it when t
// ends.
func (c *clients) subsystem(t *testing.T, id string) string {
	t.Helper()
	s := ok[*up.NvmeSubsystem](t, "create subsystem "+id)(c.nvme.CreateNvmeSubsystem(ctxT(t), &up.CreateNvmeSubsystemRequest{
		NvmeSubsystemId: id, NvmeSubsystem: &up.NvmeSubsystem{Spec: &up.NvmeSubsystemSpec{Nqn: nqn(id)}}}))
	t.Cleanup(func() {
		_, _ = c.nvme.DeleteNvmeSubsystem(ctxT(t), &up.DeleteNvmeSubsystemRequest{Name: s.GetName(), AllowMissing: true})
	})
	return s.GetName()
}

func nvmeSubsystems(t *testing.T, c *clients) {
	ctx := ctxT(t)
	var made []string
	for i, id := range []string{c.id("ss"), ""} {
		spec := &up.NvmeSubsystemSpec{ModelNumber: "OPI Model", SerialNumber: "OPI SN", MaxNamespaces: 10,
			Hostnqn: hostNQN, Nqn: nqn(c.id("ss" + strconv.Itoa(i)))}
		s := ok[*up.NvmeSubsystem](t, "create")(c.nvme.CreateNvmeSubsystem(ctx, &up.CreateNvmeSubsystemRequest{NvmeSubsystemId: id, NvmeSubsystem: &up.NvmeSubsystem{Spec: spec}}))
		checkName(t, s.GetName(), "nvmeSubsystems", id)
		if !proto.Equal(s.GetSpec(), spec) {
			t.Errorf("created spec %v, want %v", s.GetSpec(), spec)
		}
		made = append(made, s.GetName())
		// A retried create is the same subsystem.
		if id != "" {
			again := ok[*up.NvmeSubsystem](t, "retried create")(c.nvme.CreateNvmeSubsystem(ctx, &up.CreateNvmeSubsystemRequest{NvmeSubsystemId: id, NvmeSubsystem: &up.NvmeSubsystem{Spec: spec}}))
			if !proto.Equal(again, s) {
				t.Errorf("retried create %v, want %v", again, s)
			}
		}
		got := ok[*up.NvmeSubsystem](t, "get")(c.nvme.GetNvmeSubsystem(ctx, &up.GetNvmeSubsystemRequest{Name: s.GetName()}))
		if !proto.Equal(got, s) {
			t.Errorf("get %v, want %v", got, s)
		}
	}
	// The host admitted changes through its field's path.
	other := "nqn.2014-08.org.nvmexpress:uuid:0c9b2c1d-1b2a-4a3c-9d8e-7f6a5b4c3d2e"
	u := ok[*up.NvmeSubsystem](t, "update hostnqn")(c.nvme.UpdateNvmeSubsystem(ctx, &up.UpdateNvmeSubsystemRequest{
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"spec.hostnqn"}},
		NvmeSubsystem: &up.NvmeSubsystem{Name: made[0], Spec: &up.NvmeSubsystemSpec{Nqn: nqn(c.id("ss0")), Hostnqn: other}}}))
	if u.GetSpec().GetHostnqn() != other || u.GetSpec().GetSerialNumber() != "OPI SN" {
		t.Errorf("updated %v, want hostnqn %s and the rest kept", u, other)
	}
	code[*up.NvmeSubsystem](t, "an update of the fixed nqn", codes.InvalidArgument)(c.nvme.UpdateNvmeSubsystem(ctx, &up.UpdateNvmeSubsystemRequest{
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"spec.nqn"}},
		NvmeSubsystem: &up.NvmeSubsystem{Name: made[0], Spec: &up.NvmeSubsystemSpec{Nqn: nqn(c.id("changed"))}}}))
	code[*up.NvmeSubsystem](t, "an update mask naming no field", codes.InvalidArgument)(c.nvme.UpdateNvmeSubsystem(ctx, &up.UpdateNvmeSubsystemRequest{
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"spec.no_such_field"}},
		NvmeSubsystem: &up.NvmeSubsystem{Name: made[0], Spec: &up.NvmeSubsystemSpec{Nqn: nqn(c.id("ss0"))}}}))
	code[*up.NvmeSubsystem](t, "a PSK without a host", codes.InvalidArgument)(c.nvme.CreateNvmeSubsystem(ctx, &up.CreateNvmeSubsystemRequest{
		NvmeSubsystemId: c.id("psk"), NvmeSubsystem: &up.NvmeSubsystem{Spec: &up.NvmeSubsystemSpec{Nqn: nqn(c.id("psk")), Psk: []byte("NVMeTLSkey-1:01:x")}}}))
	code[*up.NvmeSubsystem](t, "the refused subsystem", codes.NotFound)(c.nvme.GetNvmeSubsystem(ctx, &up.GetNvmeSubsystemRequest{Name: "nvmeSubsystems/" + c.id("psk")}))
	listed := pages(t, "list subsystems", func(tok string) ([]string, string, error) {
		r, err := c.nvme.ListNvmeSubsystems(ctx, &up.ListNvmeSubsystemsRequest{PageSize: 1, PageToken: tok})
		return namesOf(r.GetNvmeSubsystems()), r.GetNextPageToken(), err
	})
	contains(t, "listed subsystems", listed, made...)
	// A bare id is the same subsystem.
	ok[*up.NvmeSubsystem](t, "get by bare id")(c.nvme.GetNvmeSubsystem(ctx, &up.GetNvmeSubsystemRequest{Name: c.id("ss")}))
	for _, n := range made {
		st := ok[*up.StatsNvmeSubsystemResponse](t, "stats")(c.nvme.StatsNvmeSubsystem(ctx, &up.StatsNvmeSubsystemRequest{Name: n}))
		if st.GetStats() == nil {
			t.Errorf("stats of %s: no counters", n)
		}
		ok[*emptypb.Empty](t, "delete")(c.nvme.DeleteNvmeSubsystem(ctx, &up.DeleteNvmeSubsystemRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.nvme.GetNvmeSubsystem(ctx, &up.GetNvmeSubsystemRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.nvme.DeleteNvmeSubsystem(ctx, &up.DeleteNvmeSubsystemRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

// tcpSpec is godpu's NVMe/TCP controller, with the sizing hints it sends.
func tcpSpec(port uint32) *up.NvmeControllerSpec {
	return &up.NvmeControllerSpec{
		Trtype: up.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP,
		Endpoint: &up.NvmeControllerSpec_FabricsId{FabricsId: &up.FabricsEndpoint{
			Traddr: "127.0.0.1", Trsvcid: strconv.Itoa(int(port)), Adrfam: up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4}},
		MaxNsq: 5, MaxNcq: 6, Sqes: 7, Cqes: 8, NvmeControllerId: proto.Int32(1),
	}
}

func nvmeControllers(t *testing.T, c *clients) {
	ctx := ctxT(t)
	ss := c.subsystem(t, c.id("cs"))
	var made []string
	for _, id := range []string{c.id("ctrl"), ""} {
		port := c.cfg.Port(t)
		ctl := ok[*up.NvmeController](t, "create")(c.nvme.CreateNvmeController(ctx, &up.CreateNvmeControllerRequest{
			Parent: ss, NvmeControllerId: id, NvmeController: &up.NvmeController{Spec: tcpSpec(port)}}))
		checkName(t, ctl.GetName(), ss+"/nvmeControllers", id)
		if !ctl.GetStatus().GetActive() {
			t.Errorf("created controller %v is not active", ctl)
		}
		if f := ctl.GetSpec().GetFabricsId(); f.GetTraddr() != "127.0.0.1" || f.GetTrsvcid() != strconv.Itoa(int(port)) ||
			ctl.GetSpec().GetTrtype() != up.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP {
			t.Errorf("created controller %v, want NVMe/TCP on 127.0.0.1:%d", ctl, port)
		}
		made = append(made, ctl.GetName())
		// godpu's update: the whole spec again, with other hints.
		spec := tcpSpec(port)
		spec.MaxNsq, spec.MaxNcq = 8, 7
		ok[*up.NvmeController](t, "update with *")(c.nvme.UpdateNvmeController(ctx, &up.UpdateNvmeControllerRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, NvmeController: &up.NvmeController{Name: ctl.GetName(), Spec: spec}}))
		code[*up.NvmeController](t, "an update moving the fixed endpoint", codes.InvalidArgument)(c.nvme.UpdateNvmeController(ctx, &up.UpdateNvmeControllerRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, NvmeController: &up.NvmeController{Name: ctl.GetName(), Spec: tcpSpec(c.cfg.Port(t))}}))
		got := ok[*up.NvmeController](t, "get")(c.nvme.GetNvmeController(ctx, &up.GetNvmeControllerRequest{Name: ctl.GetName()}))
		if !proto.Equal(got.GetSpec().GetFabricsId(), ctl.GetSpec().GetFabricsId()) {
			t.Errorf("get %v, want %v", got, ctl)
		}
		ok[*up.StatsNvmeControllerResponse](t, "stats")(c.nvme.StatsNvmeController(ctx, &up.StatsNvmeControllerRequest{Name: ctl.GetName()}))
	}
	limited := tcpSpec(c.cfg.Port(t))
	limited.MaxLimit = &up.QosLimit{RwIopsKiops: 1}
	code[*up.NvmeController](t, "a controller with QoS limits", codes.InvalidArgument)(c.nvme.CreateNvmeController(ctx, &up.CreateNvmeControllerRequest{
		Parent: ss, NvmeControllerId: c.id("limited"), NvmeController: &up.NvmeController{Spec: limited}}))
	bad := tcpSpec(0)
	bad.GetFabricsId().Trsvcid = "http"
	code[*up.NvmeController](t, "a port that is no number", codes.InvalidArgument)(c.nvme.CreateNvmeController(ctx, &up.CreateNvmeControllerRequest{
		Parent: ss, NvmeControllerId: c.id("bad"), NvmeController: &up.NvmeController{Spec: bad}}))
	code[*up.NvmeController](t, "a controller of a missing subsystem", codes.NotFound)(c.nvme.CreateNvmeController(ctx, &up.CreateNvmeControllerRequest{
		Parent: "nvmeSubsystems/" + c.id("nosuch"), NvmeControllerId: c.id("x"), NvmeController: &up.NvmeController{Spec: tcpSpec(c.cfg.Port(t))}}))
	listed := pages(t, "list controllers", func(tok string) ([]string, string, error) {
		r, err := c.nvme.ListNvmeControllers(ctx, &up.ListNvmeControllersRequest{Parent: ss, PageSize: 1, PageToken: tok})
		return namesOf(r.GetNvmeControllers()), r.GetNextPageToken(), err
	})
	if len(listed) != 2 {
		t.Errorf("listed controllers %v, want the 2 made", listed)
	}
	contains(t, "listed controllers", listed, made...)
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.nvme.DeleteNvmeController(ctx, &up.DeleteNvmeControllerRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.nvme.GetNvmeController(ctx, &up.GetNvmeControllerRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.nvme.DeleteNvmeController(ctx, &up.DeleteNvmeControllerRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

func nvmeNamespaces(t *testing.T, c *clients) {
	ctx := ctxT(t)
	ss := c.subsystem(t, c.id("ns"))
	v1, v2 := c.volume(t, c.id("nsv1")), c.volume(t, c.id("nsv2"))
	var made []string
	for i, id := range []string{c.id("ns"), ""} {
		// godpu names the volume by its bare id (upstream's SPDK bridge
		// takes SPDK's bdev name); the full name works too.
		ref := c.id("nsv1")
		if i == 1 {
			ref = v2
		}
		spec := &up.NvmeNamespaceSpec{VolumeNameRef: ref, HostNsid: int32(i + 1), Eui64: 0x1122334455667788 + int64(i)}
		ns := ok[*up.NvmeNamespace](t, "create")(c.nvme.CreateNvmeNamespace(ctx, &up.CreateNvmeNamespaceRequest{
			Parent: ss, NvmeNamespaceId: id, NvmeNamespace: &up.NvmeNamespace{Spec: spec}}))
		checkName(t, ns.GetName(), ss+"/nvmeNamespaces", id)
		want := []string{v1, v2}[i]
		if ns.GetSpec().GetVolumeNameRef() != want || ns.GetSpec().GetHostNsid() != int32(i+1) || ns.GetSpec().GetEui64() != spec.GetEui64() {
			t.Errorf("created namespace %v, want volume %s, nsid %d, eui64 %x", ns, want, i+1, spec.GetEui64())
		}
		if ns.GetStatus().GetState() != up.NvmeNamespaceStatus_STATE_ENABLED || ns.GetStatus().GetOperState() != up.NvmeNamespaceStatus_OPER_STATE_ONLINE {
			t.Errorf("created namespace's status %v, want ENABLED and ONLINE", ns.GetStatus())
		}
		made = append(made, ns.GetName())
		ok[*up.NvmeNamespace](t, "update with the same spec")(c.nvme.UpdateNvmeNamespace(ctx, &up.UpdateNvmeNamespaceRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"spec.volume_name_ref"}}, NvmeNamespace: &up.NvmeNamespace{Name: ns.GetName(), Spec: spec}}))
		got := ok[*up.NvmeNamespace](t, "get")(c.nvme.GetNvmeNamespace(ctx, &up.GetNvmeNamespaceRequest{Name: ns.GetName()}))
		if !proto.Equal(got.GetSpec(), ns.GetSpec()) {
			t.Errorf("get %v, want %v", got, ns)
		}
		ok[*up.StatsNvmeNamespaceResponse](t, "stats")(c.nvme.StatsNvmeNamespace(ctx, &up.StatsNvmeNamespaceRequest{Name: ns.GetName()}))
	}
	code[*up.NvmeNamespace](t, "a namespace of a volume already claimed", codes.FailedPrecondition)(c.nvme.CreateNvmeNamespace(ctx, &up.CreateNvmeNamespaceRequest{
		Parent: ss, NvmeNamespaceId: c.id("twice"), NvmeNamespace: &up.NvmeNamespace{Spec: &up.NvmeNamespaceSpec{VolumeNameRef: v1}}}))
	code[*up.NvmeNamespace](t, "a namespace of a missing volume", codes.NotFound)(c.nvme.CreateNvmeNamespace(ctx, &up.CreateNvmeNamespaceRequest{
		Parent: ss, NvmeNamespaceId: c.id("novol"), NvmeNamespace: &up.NvmeNamespace{Spec: &up.NvmeNamespaceSpec{VolumeNameRef: c.id("nosuch")}}}))
	listed := pages(t, "list namespaces", func(tok string) ([]string, string, error) {
		r, err := c.nvme.ListNvmeNamespaces(ctx, &up.ListNvmeNamespacesRequest{Parent: ss, PageSize: 1, PageToken: tok})
		return namesOf(r.GetNvmeNamespaces()), r.GetNextPageToken(), err
	})
	if len(listed) != 2 {
		t.Errorf("listed namespaces %v, want the 2 made", listed)
	}
	contains(t, "listed namespaces", listed, made...)
	code[*up.NvmeSubsystem](t, "no force: deleting a subsystem with namespaces", codes.FailedPrecondition)(nil, func() error {
		_, err := c.nvme.DeleteNvmeSubsystem(ctx, &up.DeleteNvmeSubsystemRequest{Name: ss})
		return err
	}())
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.nvme.DeleteNvmeNamespace(ctx, &up.DeleteNvmeNamespaceRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.nvme.GetNvmeNamespace(ctx, &up.GetNvmeNamespaceRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.nvme.DeleteNvmeNamespace(ctx, &up.DeleteNvmeNamespaceRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

func pcie(port, pf, vf int32) *up.PciEndpoint {
	return &up.PciEndpoint{PortId: wrapperspb.Int32(port), PhysicalFunction: wrapperspb.Int32(pf), VirtualFunction: wrapperspb.Int32(vf)}
}

func virtioBlks(t *testing.T, c *clients) {
	if c.cfg.NoPCIe {
		t.Skip("the backend has no PCIe endpoints (Config.NoPCIe)")
	}
	ctx := ctxT(t)
	c.volume(t, c.id("blkv1"))
	v2 := c.volume(t, c.id("blkv2"))
	var made []string
	for i, id := range []string{c.id("blk"), ""} {
		ref := []string{c.id("blkv1"), v2}[i]
		blk := ok[*up.VirtioBlk](t, "create")(c.blk.CreateVirtioBlk(ctx, &up.CreateVirtioBlkRequest{VirtioBlkId: id, VirtioBlk: &up.VirtioBlk{
			PcieId: pcie(0, 0, int32(i+2)), VolumeNameRef: ref, MaxIoQps: 1}}))
		checkName(t, blk.GetName(), "virtioBlks", id)
		if blk.GetMaxIoQps() != 1 || blk.GetPcieId().GetVirtualFunction().GetValue() != int32(i+2) {
			t.Errorf("created %v, want 1 queue on virtual function %d", blk, i+2)
		}
		made = append(made, blk.GetName())
		ok[*up.VirtioBlk](t, "update with *")(c.blk.UpdateVirtioBlk(ctx, &up.UpdateVirtioBlkRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, VirtioBlk: blk}))
		got := ok[*up.VirtioBlk](t, "get")(c.blk.GetVirtioBlk(ctx, &up.GetVirtioBlkRequest{Name: blk.GetName()}))
		if !proto.Equal(got, blk) {
			t.Errorf("get %v, want %v", got, blk)
		}
		ok[*up.StatsVirtioBlkResponse](t, "stats")(c.blk.StatsVirtioBlk(ctx, &up.StatsVirtioBlkRequest{Name: blk.GetName()}))
	}
	code[*up.VirtioBlk](t, "a device on a taken endpoint", codes.AlreadyExists)(c.blk.CreateVirtioBlk(ctx, &up.CreateVirtioBlkRequest{VirtioBlkId: c.id("blk3"), VirtioBlk: &up.VirtioBlk{
		PcieId: pcie(0, 0, 2), VolumeNameRef: c.volume(t, c.id("blkv3"))}}))
	code[*up.VirtioBlk](t, "a device with QoS limits", codes.InvalidArgument)(c.blk.CreateVirtioBlk(ctx, &up.CreateVirtioBlkRequest{VirtioBlkId: c.id("blk4"), VirtioBlk: &up.VirtioBlk{
		PcieId: pcie(0, 0, 9), VolumeNameRef: c.id("blkv3"), MaxLimit: &up.QosLimit{RwBandwidthMbs: 1}}}))
	listed := pages(t, "list devices", func(tok string) ([]string, string, error) {
		r, err := c.blk.ListVirtioBlks(ctx, &up.ListVirtioBlksRequest{PageSize: 1, PageToken: tok})
		return namesOf(r.GetVirtioBlks()), r.GetNextPageToken(), err
	})
	contains(t, "listed devices", listed, made...)
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.blk.DeleteVirtioBlk(ctx, &up.DeleteVirtioBlkRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.blk.GetVirtioBlk(ctx, &up.GetVirtioBlkRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.blk.DeleteVirtioBlk(ctx, &up.DeleteVirtioBlkRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

// virtioScsi drives targets and their LUNs as godpu does.
func virtioScsi(t *testing.T, c *clients) {
	ctx := ctxT(t)
	c.volume(t, c.id("scsiv1"))
	v2 := c.volume(t, c.id("scsiv2"))
	var targets []string
	for _, id := range []string{c.id("tgt"), ""} {
		tg := ok[*up.VirtioScsiTarget](t, "create target")(c.scsi.CreateVirtioScsiTarget(ctx, &up.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: id,
			VirtioScsiTarget: &up.VirtioScsiTarget{MaxLuns: 4}}))
		checkName(t, tg.GetName(), "virtioScsiTargets", id)
		if tg.GetMaxLuns() != 4 {
			t.Errorf("created target %v, want 4 LUNs at most", tg)
		}
		targets = append(targets, tg.GetName())
		t.Cleanup(func() {
			_, _ = c.scsi.DeleteVirtioScsiTarget(ctxT(t), &up.DeleteVirtioScsiTargetRequest{Name: tg.GetName(), AllowMissing: true})
		})
		ok[*up.VirtioScsiTarget](t, "update target with *")(c.scsi.UpdateVirtioScsiTarget(ctx, &up.UpdateVirtioScsiTargetRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, VirtioScsiTarget: tg}))
		got := ok[*up.VirtioScsiTarget](t, "get target")(c.scsi.GetVirtioScsiTarget(ctx, &up.GetVirtioScsiTargetRequest{Name: tg.GetName()}))
		if !proto.Equal(got, tg) {
			t.Errorf("get %v, want %v", got, tg)
		}
		ok[*up.StatsVirtioScsiTargetResponse](t, "target stats")(c.scsi.StatsVirtioScsiTarget(ctx, &up.StatsVirtioScsiTargetRequest{Name: tg.GetName()}))
	}
	code[*up.VirtioScsiTarget](t, "too many LUNs", codes.InvalidArgument)(c.scsi.CreateVirtioScsiTarget(ctx, &up.CreateVirtioScsiTargetRequest{VirtioScsiTargetId: c.id("tgtbad"),
		VirtioScsiTarget: &up.VirtioScsiTarget{MaxLuns: 1000}}))
	var luns []string
	for i, id := range []string{c.id("lun"), ""} {
		// godpu names the target and the volume by bare ids.
		tgRef, volRef := c.id("tgt"), c.id("scsiv1")
		if i == 1 {
			tgRef, volRef = targets[1], v2
		}
		l := ok[*up.VirtioScsiLun](t, "create LUN")(c.scsi.CreateVirtioScsiLun(ctx, &up.CreateVirtioScsiLunRequest{VirtioScsiLunId: id,
			VirtioScsiLun: &up.VirtioScsiLun{TargetNameRef: tgRef, VolumeNameRef: volRef}}))
		checkName(t, l.GetName(), "virtioScsiLuns", id)
		if l.GetTargetNameRef() != targets[i] {
			t.Errorf("created LUN %v, want it on %s", l, targets[i])
		}
		luns = append(luns, l.GetName())
		ok[*up.VirtioScsiLun](t, "update LUN with *")(c.scsi.UpdateVirtioScsiLun(ctx, &up.UpdateVirtioScsiLunRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, VirtioScsiLun: l}))
		got := ok[*up.VirtioScsiLun](t, "get LUN")(c.scsi.GetVirtioScsiLun(ctx, &up.GetVirtioScsiLunRequest{Name: l.GetName()}))
		if !proto.Equal(got, l) {
			t.Errorf("get %v, want %v", got, l)
		}
		ok[*up.StatsVirtioScsiLunResponse](t, "LUN stats")(c.scsi.StatsVirtioScsiLun(ctx, &up.StatsVirtioScsiLunRequest{Name: l.GetName()}))
	}
	code[*up.VirtioScsiLun](t, "a LUN of a missing target", codes.NotFound)(c.scsi.CreateVirtioScsiLun(ctx, &up.CreateVirtioScsiLunRequest{VirtioScsiLunId: c.id("lunbad"),
		VirtioScsiLun: &up.VirtioScsiLun{TargetNameRef: c.id("nosuch"), VolumeNameRef: c.volume(t, c.id("scsiv3"))}}))
	code[*emptypb.Empty](t, "deleting a target with a LUN", codes.FailedPrecondition)(c.scsi.DeleteVirtioScsiTarget(ctx, &up.DeleteVirtioScsiTargetRequest{Name: targets[0]}))
	listed := pages(t, "list LUNs of a target", func(tok string) ([]string, string, error) {
		r, err := c.scsi.ListVirtioScsiLuns(ctx, &up.ListVirtioScsiLunsRequest{Parent: targets[0], PageSize: 1, PageToken: tok})
		return namesOf(r.GetVirtioScsiLuns()), r.GetNextPageToken(), err
	})
	if len(listed) != 1 || listed[0] != luns[0] {
		t.Errorf("LUNs of %s: %v, want [%s]", targets[0], listed, luns[0])
	}
	// Upstream's proto requires a parent a target has none of: any text.
	listed = pages(t, "list targets", func(tok string) ([]string, string, error) {
		r, err := c.scsi.ListVirtioScsiTargets(ctx, &up.ListVirtioScsiTargetsRequest{Parent: "todo", PageSize: 1, PageToken: tok})
		return namesOf(r.GetVirtioScsiTargets()), r.GetNextPageToken(), err
	})
	contains(t, "listed targets", listed, targets...)
	for _, n := range luns {
		ok[*emptypb.Empty](t, "delete LUN")(c.scsi.DeleteVirtioScsiLun(ctx, &up.DeleteVirtioScsiLunRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.scsi.GetVirtioScsiLun(ctx, &up.GetVirtioScsiLunRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.scsi.DeleteVirtioScsiLun(ctx, &up.DeleteVirtioScsiLunRequest{Name: n, AllowMissing: am})
			return err
		})
	}
	for _, n := range targets {
		ok[*emptypb.Empty](t, "delete target")(c.scsi.DeleteVirtioScsiTarget(ctx, &up.DeleteVirtioScsiTargetRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.scsi.GetVirtioScsiTarget(ctx, &up.GetVirtioScsiTargetRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.scsi.DeleteVirtioScsiTarget(ctx, &up.DeleteVirtioScsiTargetRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

// virtioScsiControllers drives controllers (virtio-scsi PCIe functions)
// and LUNs on them as godpu does: a controller with and without an id,
// update with "*", list, get, stats and delete, then a LUN naming its
// controller by bare id.
func virtioScsiControllers(t *testing.T, c *clients) {
	if c.cfg.NoPCIe {
		t.Skip("the backend has no PCIe endpoints (Config.NoPCIe)")
	}
	ctx := ctxT(t)
	var ctrls []string
	for i, id := range []string{c.id("ctl"), ""} {
		ctl := ok[*up.VirtioScsiController](t, "create controller")(c.scsi.CreateVirtioScsiController(ctx, &up.CreateVirtioScsiControllerRequest{
			VirtioScsiControllerId: id, VirtioScsiController: &up.VirtioScsiController{PcieId: pcie(3, 1, int32(i+2))}}))
		checkName(t, ctl.GetName(), "virtioScsiControllers", id)
		if ctl.GetPcieId().GetVirtualFunction().GetValue() != int32(i+2) || ctl.GetPcieId().GetPortId().GetValue() != 3 {
			t.Errorf("created controller %v, want it on port 3, virtual function %d", ctl, i+2)
		}
		ctrls = append(ctrls, ctl.GetName())
		t.Cleanup(func() {
			_, _ = c.scsi.DeleteVirtioScsiController(ctxT(t), &up.DeleteVirtioScsiControllerRequest{Name: ctl.GetName(), AllowMissing: true})
		})
		ok[*up.VirtioScsiController](t, "update controller with *")(c.scsi.UpdateVirtioScsiController(ctx, &up.UpdateVirtioScsiControllerRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, VirtioScsiController: ctl}))
		got := ok[*up.VirtioScsiController](t, "get controller")(c.scsi.GetVirtioScsiController(ctx, &up.GetVirtioScsiControllerRequest{Name: ctl.GetName()}))
		if !proto.Equal(got, ctl) {
			t.Errorf("get %v, want %v", got, ctl)
		}
		ok[*up.StatsVirtioScsiControllerResponse](t, "controller stats")(c.scsi.StatsVirtioScsiController(ctx, &up.StatsVirtioScsiControllerRequest{Name: ctl.GetName()}))
		code[*up.VirtioScsiTarget](t, "a controller read as a target", codes.NotFound)(c.scsi.GetVirtioScsiTarget(ctx, &up.GetVirtioScsiTargetRequest{
			Name: "virtioScsiTargets/" + strings.TrimPrefix(ctl.GetName(), "virtioScsiControllers/")}))
	}
	for _, bad := range []struct {
		what string
		want codes.Code
		ctl  *up.VirtioScsiController
	}{
		{"a controller without a PCIe function", codes.InvalidArgument, &up.VirtioScsiController{}},
		{"a controller with QoS limits", codes.InvalidArgument, &up.VirtioScsiController{PcieId: pcie(3, 1, 9), MaxLimit: &up.QosLimit{RdIopsKiops: 1}}},
		{"a controller on a taken PCIe function", codes.AlreadyExists, &up.VirtioScsiController{PcieId: pcie(3, 1, 2)}},
	} {
		code[*up.VirtioScsiController](t, bad.what, bad.want)(c.scsi.CreateVirtioScsiController(ctx, &up.CreateVirtioScsiControllerRequest{
			VirtioScsiControllerId: c.id("ctlbad"), VirtioScsiController: bad.ctl}))
	}
	listed := pages(t, "list controllers", func(tok string) ([]string, string, error) {
		r, err := c.scsi.ListVirtioScsiControllers(ctx, &up.ListVirtioScsiControllersRequest{Parent: "todo", PageSize: 1, PageToken: tok})
		return namesOf(r.GetVirtioScsiControllers()), r.GetNextPageToken(), err
	})
	contains(t, "listed controllers", listed, ctrls...)

	// godpu's LUN flow: the target is the controller's bare id.
	vol := c.volume(t, c.id("ctlv1"))
	l := ok[*up.VirtioScsiLun](t, "create LUN on a controller")(c.scsi.CreateVirtioScsiLun(ctx, &up.CreateVirtioScsiLunRequest{VirtioScsiLunId: c.id("ctllun"),
		VirtioScsiLun: &up.VirtioScsiLun{TargetNameRef: c.id("ctl"), VolumeNameRef: vol}}))
	if l.GetTargetNameRef() != ctrls[0] {
		t.Errorf("created LUN %v, want it on %s", l, ctrls[0])
	}
	ok[*up.VirtioScsiLun](t, "update LUN with *")(c.scsi.UpdateVirtioScsiLun(ctx, &up.UpdateVirtioScsiLunRequest{
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, VirtioScsiLun: l}))
	if got := ok[*up.VirtioScsiLun](t, "get LUN")(c.scsi.GetVirtioScsiLun(ctx, &up.GetVirtioScsiLunRequest{Name: l.GetName()})); !proto.Equal(got, l) {
		t.Errorf("get %v, want %v", got, l)
	}
	ok[*up.StatsVirtioScsiLunResponse](t, "LUN stats")(c.scsi.StatsVirtioScsiLun(ctx, &up.StatsVirtioScsiLunRequest{Name: l.GetName()}))
	listed = pages(t, "list LUNs of a controller", func(tok string) ([]string, string, error) {
		r, err := c.scsi.ListVirtioScsiLuns(ctx, &up.ListVirtioScsiLunsRequest{Parent: ctrls[0], PageSize: 1, PageToken: tok})
		return namesOf(r.GetVirtioScsiLuns()), r.GetNextPageToken(), err
	})
	if len(listed) != 1 || listed[0] != l.GetName() {
		t.Errorf("LUNs of %s: %v, want [%s]", ctrls[0], listed, l.GetName())
	}
	code[*emptypb.Empty](t, "deleting a controller with a LUN", codes.FailedPrecondition)(c.scsi.DeleteVirtioScsiController(ctx, &up.DeleteVirtioScsiControllerRequest{Name: ctrls[0]}))
	ok[*emptypb.Empty](t, "delete LUN")(c.scsi.DeleteVirtioScsiLun(ctx, &up.DeleteVirtioScsiLunRequest{Name: l.GetName()}))
	for _, n := range ctrls {
		ok[*emptypb.Empty](t, "delete controller")(c.scsi.DeleteVirtioScsiController(ctx, &up.DeleteVirtioScsiControllerRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.scsi.GetVirtioScsiController(ctx, &up.GetVirtioScsiControllerRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.scsi.DeleteVirtioScsiController(ctx, &up.DeleteVirtioScsiControllerRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

// virtioScsiKinds checks that targets and controllers stay apart although
// one id names either: a controller's name is no target's, an
// allow_missing update of an id the other kind holds is ALREADY_EXISTS
// (the create it asks for), never that resource, and NOT_FOUND names
// what was asked for in upstream's form.
func virtioScsiKinds(t *testing.T, c *clients) {
	if c.cfg.NoPCIe {
		t.Skip("the backend has no PCIe endpoints (Config.NoPCIe)")
	}
	ctx := ctxT(t)
	tg := ok[*up.VirtioScsiTarget](t, "create target")(c.scsi.CreateVirtioScsiTarget(ctx, &up.CreateVirtioScsiTargetRequest{
		VirtioScsiTargetId: c.id("kindtgt"), VirtioScsiTarget: &up.VirtioScsiTarget{}}))
	t.Cleanup(func() {
		_, _ = c.scsi.DeleteVirtioScsiTarget(ctxT(t), &up.DeleteVirtioScsiTargetRequest{Name: tg.GetName(), AllowMissing: true})
	})
	ctl := ok[*up.VirtioScsiController](t, "create controller")(c.scsi.CreateVirtioScsiController(ctx, &up.CreateVirtioScsiControllerRequest{
		VirtioScsiControllerId: c.id("kindctl"), VirtioScsiController: &up.VirtioScsiController{PcieId: pcie(3, 2, 1)}}))
	t.Cleanup(func() {
		_, _ = c.scsi.DeleteVirtioScsiController(ctxT(t), &up.DeleteVirtioScsiControllerRequest{Name: ctl.GetName(), AllowMissing: true})
	})
	tgAsCtl := "virtioScsiControllers/" + c.id("kindtgt")
	ctlAsTg := "virtioScsiTargets/" + c.id("kindctl")

	for _, mask := range []*fieldmaskpb.FieldMask{nil, {Paths: []string{"*"}}} {
		code[*up.VirtioScsiTarget](t, fmt.Sprintf("an allow_missing target update (mask %v) of a controller's id", mask), codes.AlreadyExists)(
			c.scsi.UpdateVirtioScsiTarget(ctx, &up.UpdateVirtioScsiTargetRequest{AllowMissing: true, UpdateMask: mask,
				VirtioScsiTarget: &up.VirtioScsiTarget{Name: ctlAsTg}}))
		code[*up.VirtioScsiController](t, fmt.Sprintf("an allow_missing controller update (mask %v) of a target's id", mask), codes.AlreadyExists)(
			c.scsi.UpdateVirtioScsiController(ctx, &up.UpdateVirtioScsiControllerRequest{AllowMissing: true, UpdateMask: mask,
				VirtioScsiController: &up.VirtioScsiController{Name: tgAsCtl, PcieId: pcie(3, 2, 2)}}))
	}
	code[*up.VirtioScsiTarget](t, "a target update of a controller's id", codes.NotFound)(c.scsi.UpdateVirtioScsiTarget(ctx, &up.UpdateVirtioScsiTargetRequest{
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, VirtioScsiTarget: &up.VirtioScsiTarget{Name: ctlAsTg}}))

	code[*up.VirtioScsiTarget](t, "a target read by a controller's name", codes.NotFound)(c.scsi.GetVirtioScsiTarget(ctx, &up.GetVirtioScsiTargetRequest{Name: tgAsCtl}))
	code[*emptypb.Empty](t, "a target deleted by a controller's name", codes.NotFound)(c.scsi.DeleteVirtioScsiTarget(ctx, &up.DeleteVirtioScsiTargetRequest{Name: tgAsCtl}))
	ok[*up.VirtioScsiTarget](t, "the target after that delete")(c.scsi.GetVirtioScsiTarget(ctx, &up.GetVirtioScsiTargetRequest{Name: tg.GetName()}))

	missing := "virtioScsiControllers/" + c.id("nosuchctl")
	_, err := c.scsi.GetVirtioScsiController(ctx, &up.GetVirtioScsiControllerRequest{Name: missing})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), missing) {
		t.Errorf("get missing controller %s: %v, want NotFound naming it", missing, err)
	}
}
