package upstream

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// FrontendNvme implements upstream's FrontendNvmeService.
type FrontendNvme struct {
	up.UnimplementedFrontendNvmeServiceServer
	s *storage.Storage
}

var subsysMask = map[string][]string{
	"spec.nqn": {"nqn"}, "spec.serial_number": {"serial_number"}, "spec.model_number": {"model_number"},
	"spec.max_namespaces": {"max_namespaces"}, "spec.hostnqn": {"hosts", "allow_any_host"}, "spec.psk": {"hosts"},
}

// subsysToNative reads a subsystem. Upstream's one hostnqn is the native
// host list of one host (with its PSK), and the subsystem admits that
// host only; without a hostnqn it admits any host.
func subsysToNative(in *up.NvmeSubsystem) (*pb.NvmeSubsystem, error) {
	sp := in.GetSpec()
	maxNs, err := u32("nvme_subsystem.spec.max_namespaces", sp.GetMaxNamespaces())
	if err != nil {
		return nil, err
	}
	out := &pb.NvmeSubsystem{
		Name: name(storage.KindNvmeSubsystems, in.GetName()), Nqn: sp.GetNqn(),
		SerialNumber: sp.GetSerialNumber(), ModelNumber: sp.GetModelNumber(), MaxNamespaces: maxNs,
		AllowAnyHost: sp.GetHostnqn() == "",
	}
	switch {
	case sp.GetHostnqn() != "":
		out.Hosts = []*pb.NvmeSubsystemHost{{HostNqn: sp.GetHostnqn(), Psk: string(sp.GetPsk())}}
	case len(sp.GetPsk()) != 0:
		return nil, errdefs.InvalidArgumentf("nvme_subsystem.spec.psk needs nvme_subsystem.spec.hostnqn: a PSK is the key of one host")
	}
	return out, nil
}

func subsysFromNative(in *pb.NvmeSubsystem) *up.NvmeSubsystem {
	sp := &up.NvmeSubsystemSpec{Nqn: in.GetNqn(), SerialNumber: in.GetSerialNumber(), ModelNumber: in.GetModelNumber(), MaxNamespaces: int64(in.GetMaxNamespaces())}
	if hosts := in.GetHosts(); len(hosts) > 0 && !in.GetAllowAnyHost() {
		sp.Hostnqn = hosts[0].GetHostNqn()
	}
	return &up.NvmeSubsystem{Name: in.GetName(), Spec: sp, Status: &up.NvmeSubsystemStatus{}}
}

// CreateNvmeSubsystem implements upstream's FrontendNvmeService.
func (a *FrontendNvme) CreateNvmeSubsystem(ctx context.Context, r *up.CreateNvmeSubsystemRequest) (*up.NvmeSubsystem, error) {
	id, err := idOrNew(r.GetNvmeSubsystemId())
	if err != nil {
		return nil, err
	}
	in, err := subsysToNative(r.GetNvmeSubsystem())
	if err != nil {
		return nil, err
	}
	in.Name = ""
	out, err := a.s.CreateNvmeSubsystem(ctx, id, in)
	if err != nil {
		return nil, err
	}
	return subsysFromNative(out), nil
}

// DeleteNvmeSubsystem implements upstream's FrontendNvmeService. Upstream
// has no force: a subsystem with controllers or namespaces is
// FAILED_PRECONDITION.
func (a *FrontendNvme) DeleteNvmeSubsystem(ctx context.Context, r *up.DeleteNvmeSubsystemRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmeSubsystems.Delete(ctx, name(storage.KindNvmeSubsystems, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateNvmeSubsystem implements upstream's FrontendNvmeService: the host
// (and its PSK) can change; the rest is fixed.
func (a *FrontendNvme) UpdateNvmeSubsystem(ctx context.Context, r *up.UpdateNvmeSubsystemRequest) (*up.NvmeSubsystem, error) {
	m, err := mask(r.GetUpdateMask(), subsysMask)
	if err != nil {
		return nil, err
	}
	in, err := subsysToNative(r.GetNvmeSubsystem())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateNvmeSubsystem(ctx, in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return subsysFromNative(out), nil
}

// ListNvmeSubsystems implements upstream's FrontendNvmeService.
func (a *FrontendNvme) ListNvmeSubsystems(ctx context.Context, r *up.ListNvmeSubsystemsRequest) (*up.ListNvmeSubsystemsResponse, error) {
	items, next, err := a.s.NvmeSubsystems.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListNvmeSubsystemsResponse{NextPageToken: next}
	for _, it := range items {
		out.NvmeSubsystems = append(out.NvmeSubsystems, subsysFromNative(it))
	}
	return out, nil
}

// GetNvmeSubsystem implements upstream's FrontendNvmeService.
func (a *FrontendNvme) GetNvmeSubsystem(ctx context.Context, r *up.GetNvmeSubsystemRequest) (*up.NvmeSubsystem, error) {
	out, err := a.s.NvmeSubsystems.Get(ctx, name(storage.KindNvmeSubsystems, r.GetName()))
	if err != nil {
		return nil, err
	}
	return subsysFromNative(out), nil
}

// StatsNvmeSubsystem implements upstream's FrontendNvmeService: the sum
// of its namespaces' counters.
func (a *FrontendNvme) StatsNvmeSubsystem(ctx context.Context, r *up.StatsNvmeSubsystemRequest) (*up.StatsNvmeSubsystemResponse, error) {
	st, _, err := a.s.NvmeSubsystemStats(ctx, name(storage.KindNvmeSubsystems, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsNvmeSubsystemResponse{Stats: stats(st)}, nil
}

// Upstream's endpoint (the oneof and the transport) is the controller's
// only kept field, and it is fixed.
var ctrlMask = map[string][]string{"spec.trtype": {"fabrics", "pcie"}, "spec.fabrics_id": {"fabrics"}, "spec.pcie_id": {"pcie"}}

// pcieToNative reads upstream's PCIe endpoint (three wrapped numbers).
func pcieToNative(field string, in *up.PciEndpoint) (*pb.PcieEndpoint, error) {
	if in == nil {
		return nil, errdefs.InvalidArgumentf("%s is required", field)
	}
	var out [3]uint32
	for i, f := range []struct {
		name string
		v    *wrapperspb.Int32Value
	}{{"port_id", in.GetPortId()}, {"physical_function", in.GetPhysicalFunction()}, {"virtual_function", in.GetVirtualFunction()}} {
		if f.v.GetValue() < 0 {
			return nil, errdefs.InvalidArgumentf("%s.%s %d is negative", field, f.name, f.v.GetValue())
		}
		out[i] = uint32(f.v.GetValue())
	}
	return &pb.PcieEndpoint{PortId: out[0], PhysicalFunction: out[1], VirtualFunction: out[2]}, nil
}

func pcieFromNative(in *pb.PcieEndpoint) *up.PciEndpoint {
	return &up.PciEndpoint{
		PortId:           wrapperspb.Int32(int32(in.GetPortId())),
		PhysicalFunction: wrapperspb.Int32(int32(in.GetPhysicalFunction())),
		VirtualFunction:  wrapperspb.Int32(int32(in.GetVirtualFunction())),
	}
}

var (
	adrfamToNative = map[up.NvmeAddressFamily]pb.NvmeAddressFamily{
		up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_UNSPECIFIED: pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_UNSPECIFIED,
		up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4:        pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4,
		up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV6:        pb.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV6,
	}
	trtypeToNative = map[up.NvmeTransportType]pb.NvmeTransportType{
		up.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP:  pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP,
		up.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA,
	}
)

// fabricsToNative reads a fabrics address from upstream's parts; field
// names the message in errors.
func fabricsToNative(field string, trtype up.NvmeTransportType, traddr, trsvcid string, adrfam up.NvmeAddressFamily) (*pb.NvmeFabricsAddress, error) {
	tt, ok := trtypeToNative[trtype]
	if !ok {
		return nil, errdefs.InvalidArgumentf("%s: trtype %s is not supported over fabrics: use TCP or RDMA", field, trtype)
	}
	af, ok := adrfamToNative[adrfam]
	if !ok {
		return nil, errdefs.InvalidArgumentf("%s.adrfam %s is not supported: use IPV4 or IPV6", field, adrfam)
	}
	var port uint64
	if trsvcid != "" {
		var err error
		if port, err = strconv.ParseUint(trsvcid, 10, 16); err != nil {
			return nil, errdefs.InvalidArgumentf("%s.trsvcid %q is not a port number", field, trsvcid)
		}
	}
	return &pb.NvmeFabricsAddress{Trtype: tt, Adrfam: af, Traddr: traddr, Trsvcid: uint32(port)}, nil
}

func adrfamFromNative(a pb.NvmeAddressFamily) up.NvmeAddressFamily {
	for u, n := range adrfamToNative {
		if n == a {
			return u
		}
	}
	return up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_UNSPECIFIED
}

func trtypeFromNative(t pb.NvmeTransportType) up.NvmeTransportType {
	for u, n := range trtypeToNative {
		if n == t {
			return u
		}
	}
	return up.NvmeTransportType_NVME_TRANSPORT_TYPE_UNSPECIFIED
}

// ctrlToNative reads a controller. Upstream's queue counts and sizes
// (max_nsq, max_ncq, sqes, cqes, max_namespaces) and nvme_controller_id
// are hints SPDK decides itself: accepted, not kept. Its QoS limits are
// refused: the native controller has none (use a QoS volume).
func ctrlToNative(in *up.NvmeController) (*pb.NvmeController, error) {
	sp := in.GetSpec()
	if err := refuse(limitSet(sp.GetMinLimit()), "nvme_controller.spec.min_limit", "the bridge has no per-controller QoS; stack a QoS volume under the namespace"); err != nil {
		return nil, err
	}
	if err := refuse(limitSet(sp.GetMaxLimit()), "nvme_controller.spec.max_limit", "the bridge has no per-controller QoS; stack a QoS volume under the namespace"); err != nil {
		return nil, err
	}
	out := &pb.NvmeController{Name: in.GetName()}
	switch sp.GetTrtype() {
	case up.NvmeTransportType_NVME_TRANSPORT_TYPE_PCIE:
		ep, err := pcieToNative("nvme_controller.spec.pcie_id", sp.GetPcieId())
		if err != nil {
			return nil, err
		}
		out.Endpoint = &pb.NvmeController_Pcie{Pcie: ep}
	default:
		f := sp.GetFabricsId()
		if f == nil {
			return nil, errdefs.InvalidArgumentf("nvme_controller.spec.fabrics_id is required with trtype %s", sp.GetTrtype())
		}
		ep, err := fabricsToNative("nvme_controller.spec.fabrics_id", sp.GetTrtype(), f.GetTraddr(), f.GetTrsvcid(), f.GetAdrfam())
		if err != nil {
			return nil, err
		}
		out.Endpoint = &pb.NvmeController_Fabrics{Fabrics: ep}
	}
	return out, nil
}

func limitSet(l *up.QosLimit) bool {
	return l.GetRdIopsKiops() != 0 || l.GetWrIopsKiops() != 0 || l.GetRwIopsKiops() != 0 ||
		l.GetRdBandwidthMbs() != 0 || l.GetWrBandwidthMbs() != 0 || l.GetRwBandwidthMbs() != 0
}

func ctrlFromNative(in *pb.NvmeController) *up.NvmeController {
	sp := &up.NvmeControllerSpec{}
	switch ep := in.GetEndpoint().(type) {
	case *pb.NvmeController_Pcie:
		sp.Trtype = up.NvmeTransportType_NVME_TRANSPORT_TYPE_PCIE
		sp.Endpoint = &up.NvmeControllerSpec_PcieId{PcieId: pcieFromNative(ep.Pcie)}
	case *pb.NvmeController_Fabrics:
		sp.Trtype = trtypeFromNative(ep.Fabrics.GetTrtype())
		sp.Endpoint = &up.NvmeControllerSpec_FabricsId{FabricsId: &up.FabricsEndpoint{
			Traddr: ep.Fabrics.GetTraddr(), Trsvcid: strconv.FormatUint(uint64(storage.FabricsPort(ep.Fabrics)), 10),
			Adrfam: adrfamFromNative(ep.Fabrics.GetAdrfam()),
		}}
	}
	return &up.NvmeController{Name: in.GetName(), Spec: sp, Status: &up.NvmeControllerStatus{Active: isReady(in.GetStatus())}}
}

func subsystemOf(child string) string {
	parts := strings.SplitN(child, "/", 3)
	if len(parts) < 3 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}

// CreateNvmeController implements upstream's FrontendNvmeService.
func (a *FrontendNvme) CreateNvmeController(ctx context.Context, r *up.CreateNvmeControllerRequest) (*up.NvmeController, error) {
	id, err := idOrNew(r.GetNvmeControllerId())
	if err != nil {
		return nil, err
	}
	in, err := ctrlToNative(r.GetNvmeController())
	if err != nil {
		return nil, err
	}
	in.Name = ""
	out, err := a.s.CreateNvmeController(ctx, name(storage.KindNvmeSubsystems, r.GetParent()), id, in)
	if err != nil {
		return nil, err
	}
	return ctrlFromNative(out), nil
}

// DeleteNvmeController implements upstream's FrontendNvmeService.
func (a *FrontendNvme) DeleteNvmeController(ctx context.Context, r *up.DeleteNvmeControllerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmeControllers.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// UpdateNvmeController implements upstream's FrontendNvmeService: every
// field upstream has is fixed, so an update checks them and changes
// nothing, or creates the controller with allow_missing.
func (a *FrontendNvme) UpdateNvmeController(ctx context.Context, r *up.UpdateNvmeControllerRequest) (*up.NvmeController, error) {
	m, err := mask(r.GetUpdateMask(), ctrlMask)
	if err != nil {
		return nil, err
	}
	in, err := ctrlToNative(r.GetNvmeController())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateNvmeController(ctx, in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return ctrlFromNative(out), nil
}

// ListNvmeControllers implements upstream's FrontendNvmeService.
func (a *FrontendNvme) ListNvmeControllers(ctx context.Context, r *up.ListNvmeControllersRequest) (*up.ListNvmeControllersResponse, error) {
	items, next, err := a.s.NvmeControllers.List(ctx, name(storage.KindNvmeSubsystems, r.GetParent()), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListNvmeControllersResponse{NextPageToken: next}
	for _, it := range items {
		out.NvmeControllers = append(out.NvmeControllers, ctrlFromNative(it))
	}
	return out, nil
}

// GetNvmeController implements upstream's FrontendNvmeService.
func (a *FrontendNvme) GetNvmeController(ctx context.Context, r *up.GetNvmeControllerRequest) (*up.NvmeController, error) {
	out, err := a.s.NvmeControllers.Get(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return ctrlFromNative(out), nil
}

// StatsNvmeController implements upstream's FrontendNvmeService. SPDK
// counts I/O per namespace, not per controller: a controller's counters
// are its subsystem's (every controller of a subsystem reaches the same
// namespaces).
func (a *FrontendNvme) StatsNvmeController(ctx context.Context, r *up.StatsNvmeControllerRequest) (*up.StatsNvmeControllerResponse, error) {
	if _, err := a.s.NvmeControllers.Get(ctx, r.GetName()); err != nil {
		return nil, err
	}
	st, _, err := a.s.NvmeSubsystemStats(ctx, subsystemOf(r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsNvmeControllerResponse{Stats: stats(st)}, nil
}

// Every field of a namespace is fixed.
var nsMask = map[string][]string{
	"spec.host_nsid": {"nsid"}, "spec.nguid": {"nguid"}, "spec.eui64": {"eui64"}, "spec.uuid": {"uuid"}, "spec.volume_name_ref": {"volume"},
}

// nsToNative reads a namespace: upstream's EUI-64 is a number, the native
// one 16 hexadecimal digits.
func (a *FrontendNvme) nsToNative(ctx context.Context, in *up.NvmeNamespace) (*pb.NvmeNamespace, error) {
	sp := in.GetSpec()
	if sp.GetHostNsid() < 0 {
		return nil, errdefs.InvalidArgumentf("nvme_namespace.spec.host_nsid %d is negative", sp.GetHostNsid())
	}
	vol, err := volumeRef(ctx, a.s, "nvme_namespace.spec.volume_name_ref", sp.GetVolumeNameRef())
	if err != nil {
		return nil, err
	}
	out := &pb.NvmeNamespace{Name: in.GetName(), Volume: vol, Nsid: uint32(sp.GetHostNsid()), Nguid: sp.GetNguid(), Uuid: sp.GetUuid()}
	if sp.GetEui64() != 0 {
		out.Eui64 = fmt.Sprintf("%016x", uint64(sp.GetEui64()))
	}
	return out, nil
}

func nsFromNative(in *pb.NvmeNamespace) *up.NvmeNamespace {
	eui, _ := strconv.ParseUint(in.GetEui64(), 16, 64)
	st := &up.NvmeNamespaceStatus{State: up.NvmeNamespaceStatus_STATE_DISABLED, OperState: up.NvmeNamespaceStatus_OPER_STATE_OFFLINE}
	if isReady(in.GetStatus()) {
		st.State, st.OperState = up.NvmeNamespaceStatus_STATE_ENABLED, up.NvmeNamespaceStatus_OPER_STATE_ONLINE
	}
	return &up.NvmeNamespace{Name: in.GetName(), Status: st, Spec: &up.NvmeNamespaceSpec{
		HostNsid: int32(in.GetNsid()), Nguid: in.GetNguid(), Eui64: int64(eui), Uuid: in.GetUuid(), VolumeNameRef: in.GetVolume(),
	}}
}

// CreateNvmeNamespace implements upstream's FrontendNvmeService.
func (a *FrontendNvme) CreateNvmeNamespace(ctx context.Context, r *up.CreateNvmeNamespaceRequest) (*up.NvmeNamespace, error) {
	id, err := idOrNew(r.GetNvmeNamespaceId())
	if err != nil {
		return nil, err
	}
	in, err := a.nsToNative(ctx, r.GetNvmeNamespace())
	if err != nil {
		return nil, err
	}
	in.Name = ""
	out, err := a.s.CreateNvmeNamespace(ctx, name(storage.KindNvmeSubsystems, r.GetParent()), id, in)
	if err != nil {
		return nil, err
	}
	return nsFromNative(out), nil
}

// DeleteNvmeNamespace implements upstream's FrontendNvmeService.
func (a *FrontendNvme) DeleteNvmeNamespace(ctx context.Context, r *up.DeleteNvmeNamespaceRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmeNamespaces.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// UpdateNvmeNamespace implements upstream's FrontendNvmeService.
func (a *FrontendNvme) UpdateNvmeNamespace(ctx context.Context, r *up.UpdateNvmeNamespaceRequest) (*up.NvmeNamespace, error) {
	m, err := mask(r.GetUpdateMask(), nsMask)
	if err != nil {
		return nil, err
	}
	in, err := a.nsToNative(ctx, r.GetNvmeNamespace())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateNvmeNamespace(ctx, in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return nsFromNative(out), nil
}

// ListNvmeNamespaces implements upstream's FrontendNvmeService.
func (a *FrontendNvme) ListNvmeNamespaces(ctx context.Context, r *up.ListNvmeNamespacesRequest) (*up.ListNvmeNamespacesResponse, error) {
	items, next, err := a.s.NvmeNamespaces.List(ctx, name(storage.KindNvmeSubsystems, r.GetParent()), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListNvmeNamespacesResponse{NextPageToken: next}
	for _, it := range items {
		out.NvmeNamespaces = append(out.NvmeNamespaces, nsFromNative(it))
	}
	return out, nil
}

// GetNvmeNamespace implements upstream's FrontendNvmeService.
func (a *FrontendNvme) GetNvmeNamespace(ctx context.Context, r *up.GetNvmeNamespaceRequest) (*up.NvmeNamespace, error) {
	out, err := a.s.NvmeNamespaces.Get(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return nsFromNative(out), nil
}

// StatsNvmeNamespace implements upstream's FrontendNvmeService: the
// counters of the namespace's volume, which no other device claims.
func (a *FrontendNvme) StatsNvmeNamespace(ctx context.Context, r *up.StatsNvmeNamespaceRequest) (*up.StatsNvmeNamespaceResponse, error) {
	st, err := a.s.NvmeNamespaceStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &up.StatsNvmeNamespaceResponse{Stats: stats(st)}, nil
}

// VirtioBlks implements upstream's FrontendVirtioBlkService.
type VirtioBlks struct {
	up.UnimplementedFrontendVirtioBlkServiceServer
	s *storage.Storage
}

var blkMask = map[string][]string{"pcie_id": {"pcie"}, "volume_name_ref": {"volume"}, "max_io_qps": {"num_queues"}}

// blkToNative reads a virtio-blk device: max_io_qps is its number of
// queues; QoS limits are refused (stack a QoS volume instead).
func (a *VirtioBlks) blkToNative(ctx context.Context, in *up.VirtioBlk) (*pb.VirtioBlk, error) {
	if err := refuse(limitSet(in.GetMinLimit()), "virtio_blk.min_limit", "the bridge has no per-device QoS; stack a QoS volume under the device"); err != nil {
		return nil, err
	}
	if err := refuse(limitSet(in.GetMaxLimit()), "virtio_blk.max_limit", "the bridge has no per-device QoS; stack a QoS volume under the device"); err != nil {
		return nil, err
	}
	q, err := u32("virtio_blk.max_io_qps", in.GetMaxIoQps())
	if err != nil {
		return nil, err
	}
	ep, err := pcieToNative("virtio_blk.pcie_id", in.GetPcieId())
	if err != nil {
		return nil, err
	}
	vol, err := volumeRef(ctx, a.s, "virtio_blk.volume_name_ref", in.GetVolumeNameRef())
	if err != nil {
		return nil, err
	}
	return &pb.VirtioBlk{Name: name(storage.KindVirtioBlks, in.GetName()), Volume: vol, Endpoint: &pb.VirtioBlk_Pcie{Pcie: ep}, NumQueues: q}, nil
}

func blkFromNative(in *pb.VirtioBlk) *up.VirtioBlk {
	out := &up.VirtioBlk{Name: in.GetName(), VolumeNameRef: in.GetVolume(), MaxIoQps: int64(in.GetNumQueues())}
	if p := in.GetPcie(); p != nil {
		out.PcieId = pcieFromNative(p)
	}
	return out
}

// CreateVirtioBlk implements upstream's FrontendVirtioBlkService.
func (a *VirtioBlks) CreateVirtioBlk(ctx context.Context, r *up.CreateVirtioBlkRequest) (*up.VirtioBlk, error) {
	id, err := idOrNew(r.GetVirtioBlkId())
	if err != nil {
		return nil, err
	}
	in, err := a.blkToNative(ctx, r.GetVirtioBlk())
	if err != nil {
		return nil, err
	}
	in.Name = ""
	out, err := a.s.CreateVirtioBlk(ctx, id, in)
	if err != nil {
		return nil, err
	}
	return blkFromNative(out), nil
}

// DeleteVirtioBlk implements upstream's FrontendVirtioBlkService.
func (a *VirtioBlks) DeleteVirtioBlk(ctx context.Context, r *up.DeleteVirtioBlkRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.VirtioBlks.Delete(ctx, name(storage.KindVirtioBlks, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateVirtioBlk implements upstream's FrontendVirtioBlkService: every
// field upstream has is fixed.
func (a *VirtioBlks) UpdateVirtioBlk(ctx context.Context, r *up.UpdateVirtioBlkRequest) (*up.VirtioBlk, error) {
	m, err := mask(r.GetUpdateMask(), blkMask)
	if err != nil {
		return nil, err
	}
	in, err := a.blkToNative(ctx, r.GetVirtioBlk())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateVirtioBlk(ctx, in, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return blkFromNative(out), nil
}

// ListVirtioBlks implements upstream's FrontendVirtioBlkService.
func (a *VirtioBlks) ListVirtioBlks(ctx context.Context, r *up.ListVirtioBlksRequest) (*up.ListVirtioBlksResponse, error) {
	items, next, err := a.s.VirtioBlks.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListVirtioBlksResponse{NextPageToken: next}
	for _, it := range items {
		out.VirtioBlks = append(out.VirtioBlks, blkFromNative(it))
	}
	return out, nil
}

// GetVirtioBlk implements upstream's FrontendVirtioBlkService.
func (a *VirtioBlks) GetVirtioBlk(ctx context.Context, r *up.GetVirtioBlkRequest) (*up.VirtioBlk, error) {
	out, err := a.s.VirtioBlks.Get(ctx, name(storage.KindVirtioBlks, r.GetName()))
	if err != nil {
		return nil, err
	}
	return blkFromNative(out), nil
}

// StatsVirtioBlk implements upstream's FrontendVirtioBlkService: the
// counters of the device's volume, which no other device claims.
func (a *VirtioBlks) StatsVirtioBlk(ctx context.Context, r *up.StatsVirtioBlkRequest) (*up.StatsVirtioBlkResponse, error) {
	st, err := a.s.VirtioBlkStats(ctx, name(storage.KindVirtioBlks, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsVirtioBlkResponse{Stats: stats(st)}, nil
}
