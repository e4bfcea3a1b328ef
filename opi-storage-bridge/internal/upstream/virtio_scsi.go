package upstream

import (
	"context"
	"errors"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// VirtioScsi implements upstream's FrontendVirtioScsiService. Upstream's
// target and controller are both native targets: a target is one on a
// vhost-user endpoint, a controller one on a PCIe function (the native
// target of the same id: "virtioScsiControllers/c" is
// "virtioScsiTargets/c"). Each kind answers NOT_FOUND for the other's
// names, as upstream keeps them apart. A LUN is the native LUN, on either.
// A controller's QoS limits are refused (the bridge has none per device).
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
	return &emptypb.Empty{}, a.deleteTarget(ctx, r.GetName(), false, r.GetAllowMissing())
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
	out, err := a.updateTarget(ctx, r.GetVirtioScsiTarget().GetName(), in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return scsiTargetFromNative(out), nil
}

// ListVirtioScsiTargets implements upstream's FrontendVirtioScsiService;
// the parent is not read (targets have none).
func (a *VirtioScsi) ListVirtioScsiTargets(ctx context.Context, r *up.ListVirtioScsiTargetsRequest) (*up.ListVirtioScsiTargetsResponse, error) {
	items, next, err := a.listTargets(ctx, false, r.GetPageSize(), r.GetPageToken())
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
	out, err := a.target(ctx, r.GetName(), false)
	if err != nil {
		return nil, err
	}
	return scsiTargetFromNative(out), nil
}

// StatsVirtioScsiTarget implements upstream's FrontendVirtioScsiService:
// the sum of its LUNs' volumes' counters.
func (a *VirtioScsi) StatsVirtioScsiTarget(ctx context.Context, r *up.StatsVirtioScsiTargetRequest) (*up.StatsVirtioScsiTargetResponse, error) {
	t, err := a.target(ctx, r.GetName(), false)
	if err != nil {
		return nil, err
	}
	st, err := a.s.VirtioScsiTargetStats(ctx, t.GetName())
	if err != nil {
		return nil, err
	}
	return &up.StatsVirtioScsiTargetResponse{Stats: stats(st)}, nil
}

// upstreamControllers is the collection of upstream's controller names
// ("virtioScsiControllers/c"); each is the native target of the same id
// ("virtioScsiTargets/c") on a PCIe endpoint.
const upstreamControllers = "virtioScsiControllers"

// targetName turns a target or controller name upstream's clients send
// into the native target's: a bare id, "virtioScsiTargets/x" or
// "virtioScsiControllers/x".
func targetName(s string) string {
	if id, ok := strings.CutPrefix(s, upstreamControllers+"/"); ok {
		return storage.KindVirtioScsiTargets + "/" + id
	}
	return name(storage.KindVirtioScsiTargets, s)
}

// upstreamTargetName is the name upstream answers for a native target: a
// PCIe one is a controller.
func upstreamTargetName(t *pb.VirtioScsiTarget) string {
	if t.GetPcie() == nil {
		return t.GetName()
	}
	return upstreamControllers + "/" + strings.TrimPrefix(t.GetName(), storage.KindVirtioScsiTargets+"/")
}

// A controller's PCIe function is fixed.
var scsiCtrlMask = map[string][]string{"pcie_id": {"pcie"}}

func scsiCtrlToNative(in *up.VirtioScsiController) (*pb.VirtioScsiTarget, error) {
	why := "the bridge has no per-device QoS; stack a QoS volume under each LUN"
	if err := refuse(limitSet(in.GetMinLimit()), "virtio_scsi_controller.min_limit", why); err != nil {
		return nil, err
	}
	if err := refuse(limitSet(in.GetMaxLimit()), "virtio_scsi_controller.max_limit", why); err != nil {
		return nil, err
	}
	ep, err := pcieToNative("virtio_scsi_controller.pcie_id", in.GetPcieId())
	if err != nil {
		return nil, err
	}
	return &pb.VirtioScsiTarget{Name: targetName(in.GetName()), Endpoint: &pb.VirtioScsiTarget_Pcie{Pcie: ep}}, nil
}

func scsiCtrlFromNative(in *pb.VirtioScsiTarget) *up.VirtioScsiController {
	return &up.VirtioScsiController{Name: upstreamTargetName(in), PcieId: pcieFromNative(in.GetPcie())}
}

// errOtherKind marks a name whose native target is of the other upstream
// kind: reads and deletes answer NotFound, an allow_missing update (which
// would create one of that id) AlreadyExists.
var errOtherKind = errors.New("the other kind holds that id")

// target reads the native target of an upstream target (pcie false) or
// controller (pcie true) name: the other kind is NotFound, as upstream
// keeps them apart, and so is a controller's name ("virtioScsiControllers/x")
// sent for a target. A NotFound names what the client asked for in
// upstream's form, never the native target.
func (a *VirtioScsi) target(ctx context.Context, upName string, pcie bool) (*pb.VirtioScsiTarget, error) {
	if !pcie && strings.HasPrefix(upName, upstreamControllers+"/") {
		return nil, errdefs.NotFoundf("%s not found: it names a controller, not a target", upName)
	}
	t, err := a.s.VirtioScsiTargets.Get(ctx, targetName(upName))
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		return nil, errdefs.NotFoundf("%s not found", upstreamName(upName, pcie))
	case err != nil:
		return nil, err
	case (t.GetPcie() != nil) != pcie:
		return nil, errdefs.NotFoundf("%s not found (%w)", upstreamName(upName, pcie), errOtherKind)
	}
	return t, nil
}

// upstreamName is the upstream name of a target (pcie false) or
// controller given as upName (a bare id or either kind's name); a name
// of no virtio-scsi form is returned as it is.
func upstreamName(upName string, pcie bool) string {
	id, ok := strings.CutPrefix(targetName(upName), storage.KindVirtioScsiTargets+"/")
	switch {
	case !ok:
		return upName
	case pcie:
		return upstreamControllers + "/" + id
	}
	return storage.KindVirtioScsiTargets + "/" + id
}

// deleteTarget deletes the native target of an upstream target or
// controller name, when it is of that kind.
func (a *VirtioScsi) deleteTarget(ctx context.Context, upName string, pcie, allowMissing bool) error {
	_, err := a.target(ctx, upName, pcie)
	switch {
	case errors.Is(err, errdefs.ErrNotFound) && allowMissing:
		return nil
	case err != nil:
		return err
	}
	return a.s.VirtioScsiTargets.Delete(ctx, targetName(upName), allowMissing, false)
}

// updateTarget updates the native target in of an upstream target or
// controller; one of the other kind is NotFound, a missing one is
// created with allowMissing. An allow_missing update of a name the other
// kind holds is AlreadyExists, as the create it asks for would be: it
// never answers the other kind's resource, even if that is created
// meanwhile.
func (a *VirtioScsi) updateTarget(ctx context.Context, upName string, in *pb.VirtioScsiTarget, m *fieldmaskpb.FieldMask, allowMissing bool) (*pb.VirtioScsiTarget, error) {
	pcie := in.GetPcie() != nil
	_, err := a.target(ctx, upName, pcie)
	switch {
	case errors.Is(err, errOtherKind) && allowMissing:
		return nil, a.otherKind(upName, pcie)
	case err != nil && !(errors.Is(err, errdefs.ErrNotFound) && allowMissing):
		return nil, err
	}
	out, err := a.s.UpdateVirtioScsiTarget(ctx, in, m, allowMissing)
	if err == nil && (out.GetPcie() != nil) != pcie {
		return nil, a.otherKind(upName, pcie)
	}
	return out, err
}

// otherKind is the AlreadyExists of creating a target (pcie false) or
// controller whose id the other kind holds.
func (a *VirtioScsi) otherKind(upName string, pcie bool) error {
	return errdefs.AlreadyExistsf("%s cannot be created: %s has that id", upName, upstreamName(upName, !pcie))
}

// listTargets lists the native targets of one kind, a page of the
// native list at a time (a page may hold fewer than asked, as AIP-158
// allows).
func (a *VirtioScsi) listTargets(ctx context.Context, pcie bool, size int32, token string) ([]*pb.VirtioScsiTarget, string, error) {
	items, next, err := a.s.VirtioScsiTargets.List(ctx, "", size, token)
	if err != nil {
		return nil, "", err
	}
	var out []*pb.VirtioScsiTarget
	for _, it := range items {
		if (it.GetPcie() != nil) == pcie {
			out = append(out, it)
		}
	}
	return out, next, nil
}

// CreateVirtioScsiController implements upstream's
// FrontendVirtioScsiService: a native target on the controller's PCIe
// function, with the most LUNs SPDK offers.
func (a *VirtioScsi) CreateVirtioScsiController(ctx context.Context, r *up.CreateVirtioScsiControllerRequest) (*up.VirtioScsiController, error) {
	id, err := idOrNew(r.GetVirtioScsiControllerId())
	if err != nil {
		return nil, err
	}
	in, err := scsiCtrlToNative(r.GetVirtioScsiController())
	if err != nil {
		return nil, err
	}
	in.Name = ""
	out, err := a.s.CreateVirtioScsiTarget(ctx, id, in)
	if err != nil {
		return nil, err
	}
	return scsiCtrlFromNative(out), nil
}

// DeleteVirtioScsiController implements upstream's
// FrontendVirtioScsiService. A controller with LUNs is
// FAILED_PRECONDITION.
func (a *VirtioScsi) DeleteVirtioScsiController(ctx context.Context, r *up.DeleteVirtioScsiControllerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.deleteTarget(ctx, r.GetName(), true, r.GetAllowMissing())
}

// UpdateVirtioScsiController implements upstream's
// FrontendVirtioScsiService: nothing can change, but allow_missing
// creates.
func (a *VirtioScsi) UpdateVirtioScsiController(ctx context.Context, r *up.UpdateVirtioScsiControllerRequest) (*up.VirtioScsiController, error) {
	m, err := mask(r.GetUpdateMask(), scsiCtrlMask)
	if err != nil {
		return nil, err
	}
	in, err := scsiCtrlToNative(r.GetVirtioScsiController())
	if err != nil {
		return nil, err
	}
	out, err := a.updateTarget(ctx, r.GetVirtioScsiController().GetName(), in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return scsiCtrlFromNative(out), nil
}

// ListVirtioScsiControllers implements upstream's
// FrontendVirtioScsiService; the parent is not read.
func (a *VirtioScsi) ListVirtioScsiControllers(ctx context.Context, r *up.ListVirtioScsiControllersRequest) (*up.ListVirtioScsiControllersResponse, error) {
	items, next, err := a.listTargets(ctx, true, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListVirtioScsiControllersResponse{NextPageToken: next}
	for _, it := range items {
		out.VirtioScsiControllers = append(out.VirtioScsiControllers, scsiCtrlFromNative(it))
	}
	return out, nil
}

// GetVirtioScsiController implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) GetVirtioScsiController(ctx context.Context, r *up.GetVirtioScsiControllerRequest) (*up.VirtioScsiController, error) {
	out, err := a.target(ctx, r.GetName(), true)
	if err != nil {
		return nil, err
	}
	return scsiCtrlFromNative(out), nil
}

// StatsVirtioScsiController implements upstream's
// FrontendVirtioScsiService: the sum of its LUNs' volumes' counters.
func (a *VirtioScsi) StatsVirtioScsiController(ctx context.Context, r *up.StatsVirtioScsiControllerRequest) (*up.StatsVirtioScsiControllerResponse, error) {
	t, err := a.target(ctx, r.GetName(), true)
	if err != nil {
		return nil, err
	}
	st, err := a.s.VirtioScsiTargetStats(ctx, t.GetName())
	if err != nil {
		return nil, err
	}
	return &up.StatsVirtioScsiControllerResponse{Stats: stats(st)}, nil
}

// scsiLunToNative reads a LUN: target_name_ref may be a bare id of a
// target or controller (as godpu sends it) or either's name,
// volume_name_ref a bare volume id.
func (a *VirtioScsi) scsiLunToNative(ctx context.Context, in *up.VirtioScsiLun) (*pb.VirtioScsiLun, error) {
	if in.GetTargetNameRef() == "" {
		return nil, errdefs.InvalidArgumentf("virtio_scsi_lun.target_name_ref is required")
	}
	vol, err := volumeRef(ctx, a.s, "virtio_scsi_lun.volume_name_ref", in.GetVolumeNameRef())
	if err != nil {
		return nil, err
	}
	return &pb.VirtioScsiLun{Name: name(storage.KindVirtioScsiLuns, in.GetName()),
		Target: targetName(in.GetTargetNameRef()), Volume: vol}, nil
}

// lunsFromNative answers LUNs, each naming its target as upstream does:
// a PCIe one as a controller. Each target is read once.
func (a *VirtioScsi) lunsFromNative(ctx context.Context, in ...*pb.VirtioScsiLun) ([]*up.VirtioScsiLun, error) {
	refs := map[string]string{}
	out := make([]*up.VirtioScsiLun, 0, len(in))
	for _, l := range in {
		ref, ok := refs[l.GetTarget()]
		if !ok {
			t, err := a.s.VirtioScsiTargets.Get(ctx, l.GetTarget())
			switch {
			case errors.Is(err, errdefs.ErrNotFound):
				ref = l.GetTarget() // deleted since: a LUN holds its target
			case err != nil:
				return nil, err
			default:
				ref = upstreamTargetName(t)
			}
			refs[l.GetTarget()] = ref
		}
		out = append(out, &up.VirtioScsiLun{Name: l.GetName(), TargetNameRef: ref, VolumeNameRef: l.GetVolume()})
	}
	return out, nil
}

// lunFromNative is lunsFromNative of one LUN.
func (a *VirtioScsi) lunFromNative(ctx context.Context, in *pb.VirtioScsiLun) (*up.VirtioScsiLun, error) {
	out, err := a.lunsFromNative(ctx, in)
	if err != nil {
		return nil, err
	}
	return out[0], nil
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
	return a.lunFromNative(ctx, out)
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
	return a.lunFromNative(ctx, out)
}

// ListVirtioScsiLuns implements upstream's FrontendVirtioScsiService: a
// parent naming a target or a controller lists its LUNs; any other parent
// (godpu sends a LUN's name) lists them all.
func (a *VirtioScsi) ListVirtioScsiLuns(ctx context.Context, r *up.ListVirtioScsiLunsRequest) (*up.ListVirtioScsiLunsResponse, error) {
	items, next, err := a.s.VirtioScsiLuns.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	target := ""
	if p := r.GetParent(); strings.HasPrefix(p, storage.KindVirtioScsiTargets+"/") || strings.HasPrefix(p, upstreamControllers+"/") {
		target = targetName(p)
	}
	var kept []*pb.VirtioScsiLun
	for _, it := range items {
		if target == "" || it.GetTarget() == target {
			kept = append(kept, it)
		}
	}
	luns, err := a.lunsFromNative(ctx, kept...)
	if err != nil {
		return nil, err
	}
	return &up.ListVirtioScsiLunsResponse{VirtioScsiLuns: luns, NextPageToken: next}, nil
}

// GetVirtioScsiLun implements upstream's FrontendVirtioScsiService.
func (a *VirtioScsi) GetVirtioScsiLun(ctx context.Context, r *up.GetVirtioScsiLunRequest) (*up.VirtioScsiLun, error) {
	out, err := a.s.VirtioScsiLuns.Get(ctx, name(storage.KindVirtioScsiLuns, r.GetName()))
	if err != nil {
		return nil, err
	}
	return a.lunFromNative(ctx, out)
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
