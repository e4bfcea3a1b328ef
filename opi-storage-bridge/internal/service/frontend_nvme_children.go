package service

import (
	"context"
	"errors"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// CreateNvmeController validates the endpoint against the subsystem and
// its other controllers, then creates the listener.
func (s *FrontendNvmeService) CreateNvmeController(ctx context.Context, r *pb.CreateNvmeControllerRequest) (*pb.NvmeController, error) {
	out, err := s.createController(ctx, r.GetParent(), r.GetNvmeControllerId(), r.GetNvmeController())
	return out, apiStatus(err)
}

func (s *FrontendNvmeService) createController(ctx context.Context, parent, id string, in *pb.NvmeController) (*pb.NvmeController, error) {
	name, err := backend.NvmeControllerPattern.Child(parent, id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, aip.InvalidArgumentf("nvme_controller is required")
	}
	sub, err := s.f.Subsystems.Get(ctx, parent)
	if err != nil {
		return nil, err
	}
	m := proto.Clone(in).(*pb.NvmeController)
	if err := validateController(m, sub); err != nil {
		return nil, err
	}
	if f := m.GetFabrics(); f != nil {
		want, _ := backend.ListenAddress(m, "")
		var dup string
		if err := s.eachChild(ctx, parent, func(c *pb.NvmeController) {
			if have, err := backend.ListenAddress(c, ""); err == nil && c.GetFabrics() != nil && have == want && c.GetName() != name {
				dup = c.GetName()
			}
		}); err != nil {
			return nil, err
		}
		if dup != "" {
			return nil, aip.AlreadyExistsf("controller %s already listens on %s %s port %s", dup, want.Trtype, want.Traddr, want.Trsvcid)
		}
	}
	var out *pb.NvmeController
	err = s.pcie.claim(ctx, name, m.GetPcie(), func() error {
		var err error
		out, err = s.f.Controllers.Create(ctx, parent, id, m)
		return err
	})
	return out, err
}

func validateController(m *pb.NvmeController, sub *pb.NvmeSubsystem) error {
	f := m.GetFabrics()
	switch {
	case f == nil && m.GetPcie() == nil:
		return aip.InvalidArgumentf("nvme_controller needs an endpoint: set fabrics (an NVMe/TCP or RDMA address) or pcie")
	case f != nil:
		if err := validateFabrics(f); err != nil {
			return err
		}
	}
	if m.GetSecureChannel() {
		switch {
		case f == nil || f.GetTrtype() != pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP:
			return aip.InvalidArgumentf("secure_channel is for NVMe/TCP controllers only")
		case sub.GetAllowAnyHost():
			return aip.FailedPreconditionf("secure_channel needs a subsystem that lists its hosts, but %s allows any host", sub.GetName())
		}
	}
	switch m.GetAnaState() {
	case pb.NvmeAnaState_NVME_ANA_STATE_UNSPECIFIED:
	case pb.NvmeAnaState_NVME_ANA_STATE_OPTIMIZED, pb.NvmeAnaState_NVME_ANA_STATE_NON_OPTIMIZED, pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE:
		if f == nil {
			return aip.InvalidArgumentf("ana_state is for fabrics controllers only")
		}
		if !sub.GetAnaReporting() {
			return aip.FailedPreconditionf("ana_state needs a subsystem created with ana_reporting, which %s was not", sub.GetName())
		}
	default:
		return aip.InvalidArgumentf("ana_state %d is not a known state: use OPTIMIZED, NON_OPTIMIZED or INACCESSIBLE", m.GetAnaState())
	}
	return nil
}

// GetNvmeController returns one controller.
func (s *FrontendNvmeService) GetNvmeController(ctx context.Context, r *pb.GetNvmeControllerRequest) (*pb.NvmeController, error) {
	out, err := s.f.Controllers.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListNvmeControllers returns one page of a subsystem's controllers.
func (s *FrontendNvmeService) ListNvmeControllers(ctx context.Context, r *pb.ListNvmeControllersRequest) (*pb.ListNvmeControllersResponse, error) {
	items, next, err := s.f.Controllers.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListNvmeControllersResponse{NvmeControllers: items, NextPageToken: next}, nil
}

// UpdateNvmeController changes the ANA state.
func (s *FrontendNvmeService) UpdateNvmeController(ctx context.Context, r *pb.UpdateNvmeControllerRequest) (*pb.NvmeController, error) {
	m := r.GetNvmeController()
	if m == nil {
		return nil, apiStatus(aip.InvalidArgumentf("nvme_controller is required"))
	}
	cur, err := s.f.Controllers.Get(ctx, m.GetName())
	if errors.Is(err, aip.ErrNotFound) && r.GetAllowMissing() {
		parent, _ := backend.NvmeControllerPattern.Parent(m.GetName())
		id, _ := backend.NvmeControllerPattern.ID(m.GetName())
		out, err := s.createController(ctx, parent, id, m)
		return out, apiStatus(err)
	}
	if err != nil {
		return nil, apiStatus(err)
	}
	next := proto.Clone(cur).(*pb.NvmeController)
	if err := aip.ApplyFieldMask(next, m, r.GetUpdateMask()); err != nil {
		return nil, apiStatus(err)
	}
	parent, _ := backend.NvmeControllerPattern.Parent(m.GetName())
	sub, err := s.f.Subsystems.Get(ctx, parent)
	if err != nil {
		return nil, apiStatus(err)
	}
	if err := validateController(next, sub); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.f.Controllers.Update(ctx, m, r.GetUpdateMask(), false)
	return out, apiStatus(err)
}

// DeleteNvmeController removes the listener.
func (s *FrontendNvmeService) DeleteNvmeController(ctx context.Context, r *pb.DeleteNvmeControllerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.f.Controllers.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// StatsNvmeController lists the hosts connected through this controller.
func (s *FrontendNvmeService) StatsNvmeController(ctx context.Context, r *pb.StatsNvmeControllerRequest) (*pb.StatsNvmeControllerResponse, error) {
	c, err := s.f.Controllers.Get(ctx, r.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	parent, _ := backend.NvmeControllerPattern.Parent(c.GetName())
	sub, err := s.f.Subsystems.Get(ctx, parent)
	if err != nil {
		return nil, apiStatus(err)
	}
	conns, err := s.connections(ctx, sub.GetNqn(), c)
	return &pb.StatsNvmeControllerResponse{Connections: conns}, apiStatus(err)
}

// hostController is one entry of nvmf_subsystem_get_controllers.
type hostController struct {
	Cntlid        uint32 `json:"cntlid"`
	Hostnqn       string `json:"hostnqn"`
	Hostid        string `json:"hostid"`
	NumIOQpairs   uint32 `json:"num_io_qpairs"`
	ListenAddress *struct {
		Traddr  string `json:"traddr"`
		Trsvcid string `json:"trsvcid"`
	} `json:"listen_address"`
}

// connections lists the host controllers of subsystem nqn, only those that
// came through ctrl when it is given (and SPDK says which listener).
func (s *FrontendNvmeService) connections(ctx context.Context, nqn string, ctrl *pb.NvmeController) ([]*pb.NvmeHostConnection, error) {
	var hcs []hostController
	if err := s.spdk.Call(ctx, "nvmf_subsystem_get_controllers", map[string]any{"nqn": nqn}, &hcs); err != nil {
		return nil, err
	}
	out := []*pb.NvmeHostConnection{}
	for _, h := range hcs {
		if ctrl != nil && h.ListenAddress != nil {
			want, err := backend.ListenAddress(ctrl, "")
			if err != nil || want.Traddr != h.ListenAddress.Traddr || !strings.EqualFold(want.Trsvcid, h.ListenAddress.Trsvcid) {
				continue
			}
		}
		out = append(out, &pb.NvmeHostConnection{ControllerId: h.Cntlid, HostNqn: h.Hostnqn, HostId: h.Hostid, IoQueuePairs: h.NumIOQpairs})
	}
	return out, nil
}

// CreateNvmeNamespace validates the namespace against its subsystem and
// volume, then adds it.
func (s *FrontendNvmeService) CreateNvmeNamespace(ctx context.Context, r *pb.CreateNvmeNamespaceRequest) (*pb.NvmeNamespace, error) {
	out, err := s.createNamespace(ctx, r.GetParent(), r.GetNvmeNamespaceId(), r.GetNvmeNamespace())
	return out, apiStatus(err)
}

func (s *FrontendNvmeService) createNamespace(ctx context.Context, parent, id string, m *pb.NvmeNamespace) (*pb.NvmeNamespace, error) {
	if _, err := backend.NvmeNamespacePattern.Child(parent, id); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, aip.InvalidArgumentf("nvme_namespace is required")
	}
	if err := validateVolume(m.GetVolume()); err != nil {
		return nil, err
	}
	sub, err := s.f.Subsystems.Get(ctx, parent)
	if err != nil {
		return nil, err
	}
	if err := validateNamespace(m, sub); err != nil {
		return nil, err
	}
	out, err := s.f.Namespaces.Create(ctx, parent, id, m)
	return out, volumeHint(err, m.GetVolume())
}

func validateNamespace(m *pb.NvmeNamespace, sub *pb.NvmeSubsystem) error {
	limit := sub.GetMaxNamespaces()
	if limit == 0 {
		limit = defaultNamespaces
	}
	switch {
	case m.GetNsid() > maxNSID:
		return aip.InvalidArgumentf("nsid %d is too large: use 1 to %d, or 0 for the lowest free id", m.GetNsid(), limit)
	case m.GetNsid() > limit:
		return aip.InvalidArgumentf("nsid %d is larger than the subsystem's max_namespaces (%d): use 1 to %d, or 0 for the lowest free id", m.GetNsid(), limit, limit)
	case m.GetUuid() != "" && !uuidRE.MatchString(m.GetUuid()):
		return aip.InvalidArgumentf("uuid %q is not a UUID such as \"ceccf520-691e-4b46-9546-34af789907c5\"", m.GetUuid())
	case m.GetNguid() != "" && !nguidRE.MatchString(m.GetNguid()):
		return aip.InvalidArgumentf("nguid %q must be 32 hexadecimal digits", m.GetNguid())
	case m.GetEui64() != "" && !eui64RE.MatchString(m.GetEui64()):
		return aip.InvalidArgumentf("eui64 %q must be 16 hexadecimal digits", m.GetEui64())
	}
	return nil
}

// volumeHint makes "volume not found" say what to do.
func volumeHint(err error, volume string) error {
	if errors.Is(err, aip.ErrNotFound) && strings.Contains(err.Error(), volume+" not found") {
		return aip.NotFoundf("volume %s not found: create it first", volume)
	}
	return err
}

// GetNvmeNamespace returns one namespace.
func (s *FrontendNvmeService) GetNvmeNamespace(ctx context.Context, r *pb.GetNvmeNamespaceRequest) (*pb.NvmeNamespace, error) {
	out, err := s.f.Namespaces.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListNvmeNamespaces returns one page of a subsystem's namespaces.
func (s *FrontendNvmeService) ListNvmeNamespaces(ctx context.Context, r *pb.ListNvmeNamespacesRequest) (*pb.ListNvmeNamespacesResponse, error) {
	items, next, err := s.f.Namespaces.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListNvmeNamespacesResponse{NvmeNamespaces: items, NextPageToken: next}, nil
}

// UpdateNvmeNamespace changes nothing (every field is immutable) but can
// create a missing namespace with allow_missing.
func (s *FrontendNvmeService) UpdateNvmeNamespace(ctx context.Context, r *pb.UpdateNvmeNamespaceRequest) (*pb.NvmeNamespace, error) {
	m := r.GetNvmeNamespace()
	if m == nil {
		return nil, apiStatus(aip.InvalidArgumentf("nvme_namespace is required"))
	}
	if _, err := s.f.Namespaces.Get(ctx, m.GetName()); errors.Is(err, aip.ErrNotFound) && r.GetAllowMissing() {
		parent, _ := backend.NvmeNamespacePattern.Parent(m.GetName())
		id, _ := backend.NvmeNamespacePattern.ID(m.GetName())
		out, err := s.createNamespace(ctx, parent, id, m)
		return out, apiStatus(err)
	}
	out, err := s.f.Namespaces.Update(ctx, m, r.GetUpdateMask(), false)
	return out, apiStatus(err)
}

// DeleteNvmeNamespace removes the namespace; the volume stays.
func (s *FrontendNvmeService) DeleteNvmeNamespace(ctx context.Context, r *pb.DeleteNvmeNamespaceRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.f.Namespaces.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}
