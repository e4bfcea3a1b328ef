package api

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/protobuf/types/known/emptypb"
)

// FrontendNvmeService implements storagev1.FrontendNvmeService: NVMe
// subsystems, their controllers and namespaces.
type FrontendNvmeService struct {
	pb.UnimplementedFrontendNvmeServiceServer
	s *storage.Storage
}

// NewFrontendNvmeService returns the service over s.
func NewFrontendNvmeService(s *storage.Storage) *FrontendNvmeService {
	return &FrontendNvmeService{s: s}
}

// CreateNvmeSubsystem creates a subsystem.
func (a *FrontendNvmeService) CreateNvmeSubsystem(ctx context.Context, r *pb.CreateNvmeSubsystemRequest) (*pb.NvmeSubsystem, error) {
	return a.s.CreateNvmeSubsystem(ctx, r.GetNvmeSubsystemId(), r.GetNvmeSubsystem())
}

// GetNvmeSubsystem returns one subsystem (without host PSKs).
func (a *FrontendNvmeService) GetNvmeSubsystem(ctx context.Context, r *pb.GetNvmeSubsystemRequest) (*pb.NvmeSubsystem, error) {
	return a.s.NvmeSubsystems.Get(ctx, r.GetName())
}

// ListNvmeSubsystems returns one page of subsystems.
func (a *FrontendNvmeService) ListNvmeSubsystems(ctx context.Context, r *pb.ListNvmeSubsystemsRequest) (*pb.ListNvmeSubsystemsResponse, error) {
	items, next, err := a.s.NvmeSubsystems.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListNvmeSubsystemsResponse{NvmeSubsystems: items, NextPageToken: next}, nil
}

// UpdateNvmeSubsystem changes allow_any_host or the host list.
func (a *FrontendNvmeService) UpdateNvmeSubsystem(ctx context.Context, r *pb.UpdateNvmeSubsystemRequest) (*pb.NvmeSubsystem, error) {
	return a.s.UpdateNvmeSubsystem(ctx, r.GetNvmeSubsystem(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteNvmeSubsystem deletes a subsystem; with force its controllers and
// namespaces first.
func (a *FrontendNvmeService) DeleteNvmeSubsystem(ctx context.Context, r *pb.DeleteNvmeSubsystemRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmeSubsystems.Delete(ctx, r.GetName(), r.GetAllowMissing(), r.GetForce())
}

// StatsNvmeSubsystem sums the I/O counters of the subsystem's namespaces
// and lists the hosts connected now.
func (a *FrontendNvmeService) StatsNvmeSubsystem(ctx context.Context, r *pb.StatsNvmeSubsystemRequest) (*pb.StatsNvmeSubsystemResponse, error) {
	st, conns, err := a.s.NvmeSubsystemStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNvmeSubsystemResponse{Stats: st, Connections: conns}, nil
}

// CreateNvmeController creates a controller: a listener or a PCIe
// function.
func (a *FrontendNvmeService) CreateNvmeController(ctx context.Context, r *pb.CreateNvmeControllerRequest) (*pb.NvmeController, error) {
	return a.s.CreateNvmeController(ctx, r.GetParent(), r.GetNvmeControllerId(), r.GetNvmeController())
}

// GetNvmeController returns one controller.
func (a *FrontendNvmeService) GetNvmeController(ctx context.Context, r *pb.GetNvmeControllerRequest) (*pb.NvmeController, error) {
	return a.s.NvmeControllers.Get(ctx, r.GetName())
}

// ListNvmeControllers returns one page of a subsystem's controllers.
func (a *FrontendNvmeService) ListNvmeControllers(ctx context.Context, r *pb.ListNvmeControllersRequest) (*pb.ListNvmeControllersResponse, error) {
	items, next, err := a.s.NvmeControllers.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListNvmeControllersResponse{NvmeControllers: items, NextPageToken: next}, nil
}

// UpdateNvmeController changes the ANA state.
func (a *FrontendNvmeService) UpdateNvmeController(ctx context.Context, r *pb.UpdateNvmeControllerRequest) (*pb.NvmeController, error) {
	return a.s.UpdateNvmeController(ctx, r.GetNvmeController(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteNvmeController removes a controller.
func (a *FrontendNvmeService) DeleteNvmeController(ctx context.Context, r *pb.DeleteNvmeControllerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmeControllers.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsNvmeController lists the hosts connected through a controller.
func (a *FrontendNvmeService) StatsNvmeController(ctx context.Context, r *pb.StatsNvmeControllerRequest) (*pb.StatsNvmeControllerResponse, error) {
	conns, err := a.s.NvmeControllerStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNvmeControllerResponse{Connections: conns}, nil
}

// CreateNvmeNamespace exposes a volume as a namespace of a subsystem.
func (a *FrontendNvmeService) CreateNvmeNamespace(ctx context.Context, r *pb.CreateNvmeNamespaceRequest) (*pb.NvmeNamespace, error) {
	return a.s.CreateNvmeNamespace(ctx, r.GetParent(), r.GetNvmeNamespaceId(), r.GetNvmeNamespace())
}

// GetNvmeNamespace returns one namespace.
func (a *FrontendNvmeService) GetNvmeNamespace(ctx context.Context, r *pb.GetNvmeNamespaceRequest) (*pb.NvmeNamespace, error) {
	return a.s.NvmeNamespaces.Get(ctx, r.GetName())
}

// ListNvmeNamespaces returns one page of a subsystem's namespaces.
func (a *FrontendNvmeService) ListNvmeNamespaces(ctx context.Context, r *pb.ListNvmeNamespacesRequest) (*pb.ListNvmeNamespacesResponse, error) {
	items, next, err := a.s.NvmeNamespaces.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListNvmeNamespacesResponse{NvmeNamespaces: items, NextPageToken: next}, nil
}

// UpdateNvmeNamespace creates a missing namespace with allow_missing;
// nothing else can change.
func (a *FrontendNvmeService) UpdateNvmeNamespace(ctx context.Context, r *pb.UpdateNvmeNamespaceRequest) (*pb.NvmeNamespace, error) {
	return a.s.UpdateNvmeNamespace(ctx, r.GetNvmeNamespace(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteNvmeNamespace removes a namespace; the volume stays.
func (a *FrontendNvmeService) DeleteNvmeNamespace(ctx context.Context, r *pb.DeleteNvmeNamespaceRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmeNamespaces.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// StatsNvmeNamespace returns the I/O counters of the namespace's volume.
func (a *FrontendNvmeService) StatsNvmeNamespace(ctx context.Context, r *pb.StatsNvmeNamespaceRequest) (*pb.StatsNvmeNamespaceResponse, error) {
	st, err := a.s.NvmeNamespaceStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNvmeNamespaceResponse{Stats: st}, nil
}
