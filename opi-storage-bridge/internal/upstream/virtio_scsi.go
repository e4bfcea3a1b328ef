package upstream

import (
	"context"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// VirtioScsi implements upstream's FrontendVirtioScsiService. Upstream's
// target is the native target, a vhost-user SCSI controller; its LUN is
// the native LUN. Upstream's VirtioScsiController (a PCIe function with
// QoS limits) has no native counterpart: its RPCs answer UNIMPLEMENTED.
type VirtioScsi struct {
	up.UnimplementedFrontendVirtioScsiServiceServer
	s *storage.Storage
}

// Every field of a target and of a LUN is fixed.
var (
	scsiTargetMask = map[string][]string{"max_luns": {"max_luns"}}
	scsiLunMask    = map[string][]string{"target_name_ref": {"target"}, "volume_name_ref": {"volume"}}
)

func scsiTargetToNative(in *up.VirtioScsiTarget) (*pb.VirtioScsiTarget, error) {
	luns, err := u32("virtio_scsi_target.max_luns", int64(in.GetMaxLuns()))
	if err != nil {
		return nil, err
	}
	return &pb.VirtioScsiTarget{Name: name(storage.KindVirtioScsiTargets, in.GetName()),
		Endpoint: &pb.VirtioScsiTarget_VhostUser{VhostUser: &pb.VhostUserEndpoint{}}, MaxLuns: luns}, nil
}

func scsiTargetFromNative(in *pb.VirtioScsiTarget) *up.VirtioScsiTarget {
	return &up.VirtioScsiTarget{Name: in.GetName(), MaxLuns: int32(in.GetMaxLuns())}
}

// CreateVirtioScsiTarget implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) CreateVirtioScsiTarget(ctx context.Context, r *up.CreateVirtioScsiTargetRequest) (*up.VirtioScsiTarget, error) {
	id, err := idOrNew(r.GetVirtioScsiTargetId())
	if err != nil {
		return nil, err
	}
	in, err := scsiTargetToNative(r.GetVirtioScsiTarget())
	if err != nil {
		return nil, err
	}
	in.Name = ""
	out, err := a.s.CreateVirtioScsiTarget(ctx, id, in)
	if err != nil {
		return nil, err
	}
	return scsiTargetFromNative(out), nil
}

// DeleteVirtioScsiTarget implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) DeleteVirtioScsiTarget(ctx context.Context, r *up.DeleteVirtioScsiTargetRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.VirtioScsiTargets.Delete(ctx, name(storage.KindVirtioScsiTargets, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateVirtioScsiTarget implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) UpdateVirtioScsiTarget(ctx context.Context, r *up.UpdateVirtioScsiTargetRequest) (*up.VirtioScsiTarget, error) {
	m, err := mask(r.GetUpdateMask(), scsiTargetMask)
	if err != nil {
		return nil, err
	}
	in, err := scsiTargetToNative(r.GetVirtioScsiTarget())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateVirtioScsiTarget(ctx, in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return scsiTargetFromNative(out), nil
}

// ListVirtioScsiTargets implements upstream's FrontendVirtioScsiService;
// the parent is not read (targets have none).
func (a *VirtioScsi) ListVirtioScsiTargets(ctx context.Context, r *up.ListVirtioScsiTargetsRequest) (*up.ListVirtioScsiTargetsResponse, error) {
	items, next, err := a.s.VirtioScsiTargets.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListVirtioScsiTargetsResponse{NextPageToken: next}
	for _, it := range items {
		out.VirtioScsiTargets = append(out.VirtioScsiTargets, scsiTargetFromNative(it))
	}
	return out, nil
}

// GetVirtioScsiTarget implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) GetVirtioScsiTarget(ctx context.Context, r *up.GetVirtioScsiTargetRequest) (*up.VirtioScsiTarget, error) {
	out, err := a.s.VirtioScsiTargets.Get(ctx, name(storage.KindVirtioScsiTargets, r.GetName()))
	if err != nil {
		return nil, err
	}
	return scsiTargetFromNative(out), nil
}

// StatsVirtioScsiTarget implements upstream's FrontendVirtioScsiService:
// the sum of its LUNs' volumes' counters.
func (a *VirtioScsi) StatsVirtioScsiTarget(ctx context.Context, r *up.StatsVirtioScsiTargetRequest) (*up.StatsVirtioScsiTargetResponse, error) {
	st, err := a.s.VirtioScsiTargetStats(ctx, name(storage.KindVirtioScsiTargets, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsVirtioScsiTargetResponse{Stats: stats(st)}, nil
}

// noController is the answer of every VirtioScsiController RPC.
func noController() error {
	return errdefs.Unimplementedf("virtio-SCSI controllers on PCIe functions have no native counterpart: the bridge's virtio-SCSI targets are vhost-user SCSI controllers (VirtioScsiTarget)")
}

// CreateVirtioScsiController answers UNIMPLEMENTED (see VirtioScsi).
func (a *VirtioScsi) CreateVirtioScsiController(context.Context, *up.CreateVirtioScsiControllerRequest) (*up.VirtioScsiController, error) {
	return nil, noController()
}

// DeleteVirtioScsiController answers UNIMPLEMENTED (see VirtioScsi).
func (a *VirtioScsi) DeleteVirtioScsiController(context.Context, *up.DeleteVirtioScsiControllerRequest) (*emptypb.Empty, error) {
	return nil, noController()
}

// UpdateVirtioScsiController answers UNIMPLEMENTED (see VirtioScsi).
func (a *VirtioScsi) UpdateVirtioScsiController(context.Context, *up.UpdateVirtioScsiControllerRequest) (*up.VirtioScsiController, error) {
	return nil, noController()
}

// ListVirtioScsiControllers answers UNIMPLEMENTED (see VirtioScsi).
func (a *VirtioScsi) ListVirtioScsiControllers(context.Context, *up.ListVirtioScsiControllersRequest) (*up.ListVirtioScsiControllersResponse, error) {
	return nil, noController()
}

// GetVirtioScsiController answers UNIMPLEMENTED (see VirtioScsi).
func (a *VirtioScsi) GetVirtioScsiController(context.Context, *up.GetVirtioScsiControllerRequest) (*up.VirtioScsiController, error) {
	return nil, noController()
}

// StatsVirtioScsiController answers UNIMPLEMENTED (see VirtioScsi).
func (a *VirtioScsi) StatsVirtioScsiController(context.Context, *up.StatsVirtioScsiControllerRequest) (*up.StatsVirtioScsiControllerResponse, error) {
	return nil, noController()
}

// scsiLunToNative reads a LUN: target_name_ref may be a bare target id,
// volume_name_ref a bare volume id (as godpu sends them).
func (a *VirtioScsi) scsiLunToNative(ctx context.Context, in *up.VirtioScsiLun) (*pb.VirtioScsiLun, error) {
	if in.GetTargetNameRef() == "" {
		return nil, errdefs.InvalidArgumentf("virtio_scsi_lun.target_name_ref is required")
	}
	vol, err := volumeRef(ctx, a.s, "virtio_scsi_lun.volume_name_ref", in.GetVolumeNameRef())
	if err != nil {
		return nil, err
	}
	return &pb.VirtioScsiLun{Name: name(storage.KindVirtioScsiLuns, in.GetName()),
		Target: name(storage.KindVirtioScsiTargets, in.GetTargetNameRef()), Volume: vol}, nil
}

func scsiLunFromNative(in *pb.VirtioScsiLun) *up.VirtioScsiLun {
	return &up.VirtioScsiLun{Name: in.GetName(), TargetNameRef: in.GetTarget(), VolumeNameRef: in.GetVolume()}
}

// CreateVirtioScsiLun implements upstream's FrontendVirtioScsiService:
// the target picks the LUN's SCSI target number.
func (a *VirtioScsi) CreateVirtioScsiLun(ctx context.Context, r *up.CreateVirtioScsiLunRequest) (*up.VirtioScsiLun, error) {
	id, err := idOrNew(r.GetVirtioScsiLunId())
	if err != nil {
		return nil, err
	}
	in, err := a.scsiLunToNative(ctx, r.GetVirtioScsiLun())
	if err != nil {
		return nil, err
	}
	in.Name = ""
	out, err := a.s.CreateVirtioScsiLun(ctx, id, in)
	if err != nil {
		return nil, err
	}
	return scsiLunFromNative(out), nil
}

// DeleteVirtioScsiLun implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) DeleteVirtioScsiLun(ctx context.Context, r *up.DeleteVirtioScsiLunRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.VirtioScsiLuns.Delete(ctx, name(storage.KindVirtioScsiLuns, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateVirtioScsiLun implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) UpdateVirtioScsiLun(ctx context.Context, r *up.UpdateVirtioScsiLunRequest) (*up.VirtioScsiLun, error) {
	m, err := mask(r.GetUpdateMask(), scsiLunMask)
	if err != nil {
		return nil, err
	}
	in, err := a.scsiLunToNative(ctx, r.GetVirtioScsiLun())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateVirtioScsiLun(ctx, in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return scsiLunFromNative(out), nil
}

// ListVirtioScsiLuns implements upstream's FrontendVirtioScsiService: a
// parent naming a target lists that target's LUNs; any other parent
// (godpu sends a LUN's name) lists them all.
func (a *VirtioScsi) ListVirtioScsiLuns(ctx context.Context, r *up.ListVirtioScsiLunsRequest) (*up.ListVirtioScsiLunsResponse, error) {
	items, next, err := a.s.VirtioScsiLuns.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	target := ""
	if p := r.GetParent(); strings.HasPrefix(p, storage.KindVirtioScsiTargets+"/") {
		target = p
	}
	out := &up.ListVirtioScsiLunsResponse{NextPageToken: next}
	for _, it := range items {
		if target == "" || it.GetTarget() == target {
			out.VirtioScsiLuns = append(out.VirtioScsiLuns, scsiLunFromNative(it))
		}
	}
	return out, nil
}

// GetVirtioScsiLun implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) GetVirtioScsiLun(ctx context.Context, r *up.GetVirtioScsiLunRequest) (*up.VirtioScsiLun, error) {
	out, err := a.s.VirtioScsiLuns.Get(ctx, name(storage.KindVirtioScsiLuns, r.GetName()))
	if err != nil {
		return nil, err
	}
	return scsiLunFromNative(out), nil
}

// StatsVirtioScsiLun implements upstream's FrontendVirtioScsiService: its
// volume's counters.
func (a *VirtioScsi) StatsVirtioScsiLun(ctx context.Context, r *up.StatsVirtioScsiLunRequest) (*up.StatsVirtioScsiLunResponse, error) {
	st, err := a.s.VirtioScsiLunStats(ctx, name(storage.KindVirtioScsiLuns, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsVirtioScsiLunResponse{Stats: stats(st)}, nil
}
