package api

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	"google.golang.org/protobuf/types/known/emptypb"
)

// BackendNvmeService implements storagev1.BackendNvmeService: remote NVMe
// controllers, their paths, and the remote namespaces the backend finds.
type BackendNvmeService struct {
	pb.UnimplementedBackendNvmeServiceServer
	s *storage.Storage
}

// NewBackendNvmeService returns the service over s.
func NewBackendNvmeService(s *storage.Storage) *BackendNvmeService { return &BackendNvmeService{s: s} }

// CreateNvmeRemoteController connects to a remote subsystem.
func (a *BackendNvmeService) CreateNvmeRemoteController(ctx context.Context, r *pb.CreateNvmeRemoteControllerRequest) (*pb.NvmeRemoteController, error) {
	return a.s.CreateNvmeRemoteController(ctx, r.GetNvmeRemoteControllerId(), r.GetNvmeRemoteController())
}

// GetNvmeRemoteController returns one remote controller (without its PSK).
func (a *BackendNvmeService) GetNvmeRemoteController(ctx context.Context, r *pb.GetNvmeRemoteControllerRequest) (*pb.NvmeRemoteController, error) {
	return a.s.NvmeRemoteControllers.Get(ctx, r.GetName())
}

// ListNvmeRemoteControllers lists remote controllers by name.
func (a *BackendNvmeService) ListNvmeRemoteControllers(ctx context.Context, r *pb.ListNvmeRemoteControllersRequest) (*pb.ListNvmeRemoteControllersResponse, error) {
	items, next, err := a.s.NvmeRemoteControllers.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListNvmeRemoteControllersResponse{NvmeRemoteControllers: items, NextPageToken: next}, nil
}

// UpdateNvmeRemoteController changes the multipath policy, or creates the
// controller with allow_missing.
func (a *BackendNvmeService) UpdateNvmeRemoteController(ctx context.Context, r *pb.UpdateNvmeRemoteControllerRequest) (*pb.NvmeRemoteController, error) {
	return a.s.UpdateNvmeRemoteController(ctx, r.GetNvmeRemoteController(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteNvmeRemoteController disconnects a remote controller; with force
// its paths first.
func (a *BackendNvmeService) DeleteNvmeRemoteController(ctx context.Context, r *pb.DeleteNvmeRemoteControllerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmeRemoteControllers.Delete(ctx, r.GetName(), r.GetAllowMissing(), r.GetForce())
}

// StatsNvmeRemoteController sums the counters of the controller's
// namespaces and reports each path's connection.
func (a *BackendNvmeService) StatsNvmeRemoteController(ctx context.Context, r *pb.StatsNvmeRemoteControllerRequest) (*pb.StatsNvmeRemoteControllerResponse, error) {
	st, paths, err := a.s.NvmeRemoteControllerStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNvmeRemoteControllerResponse{Stats: st, Paths: paths}, nil
}

// CreateNvmePath adds a path to a remote controller.
func (a *BackendNvmeService) CreateNvmePath(ctx context.Context, r *pb.CreateNvmePathRequest) (*pb.NvmePath, error) {
	return a.s.CreateNvmePath(ctx, r.GetParent(), r.GetNvmePathId(), r.GetNvmePath())
}

// GetNvmePath returns one path.
func (a *BackendNvmeService) GetNvmePath(ctx context.Context, r *pb.GetNvmePathRequest) (*pb.NvmePath, error) {
	return a.s.NvmePaths.Get(ctx, r.GetName())
}

// ListNvmePaths lists the paths of a remote controller by name.
func (a *BackendNvmeService) ListNvmePaths(ctx context.Context, r *pb.ListNvmePathsRequest) (*pb.ListNvmePathsResponse, error) {
	items, next, err := a.s.NvmePaths.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListNvmePathsResponse{NvmePaths: items, NextPageToken: next}, nil
}

// UpdateNvmePath creates the path with allow_missing; nothing else can
// change.
func (a *BackendNvmeService) UpdateNvmePath(ctx context.Context, r *pb.UpdateNvmePathRequest) (*pb.NvmePath, error) {
	return a.s.UpdateNvmePath(ctx, r.GetNvmePath(), r.GetUpdateMask(), r.GetAllowMissing())
}

// DeleteNvmePath disconnects one path.
func (a *BackendNvmeService) DeleteNvmePath(ctx context.Context, r *pb.DeleteNvmePathRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.NvmePaths.Delete(ctx, r.GetName(), r.GetAllowMissing(), false)
}

// GetNvmeRemoteNamespace returns one namespace the backend has attached.
func (a *BackendNvmeService) GetNvmeRemoteNamespace(ctx context.Context, r *pb.GetNvmeRemoteNamespaceRequest) (*pb.NvmeRemoteNamespace, error) {
	return a.s.GetNvmeRemoteNamespace(ctx, r.GetName())
}

// ListNvmeRemoteNamespaces lists a controller's namespaces by namespace id.
func (a *BackendNvmeService) ListNvmeRemoteNamespaces(ctx context.Context, r *pb.ListNvmeRemoteNamespacesRequest) (*pb.ListNvmeRemoteNamespacesResponse, error) {
	items, next, err := a.s.ListNvmeRemoteNamespaces(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	return &pb.ListNvmeRemoteNamespacesResponse{NvmeRemoteNamespaces: items, NextPageToken: next}, nil
}

// StatsNvmeRemoteNamespace returns one remote namespace's I/O counters.
func (a *BackendNvmeService) StatsNvmeRemoteNamespace(ctx context.Context, r *pb.StatsNvmeRemoteNamespaceRequest) (*pb.StatsNvmeRemoteNamespaceResponse, error) {
	st, err := a.s.NvmeRemoteNamespaceStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNvmeRemoteNamespaceResponse{Stats: st}, nil
}

// ResetNvmeRemoteController resets a remote controller in the backend.
func (a *BackendNvmeService) ResetNvmeRemoteController(ctx context.Context, r *pb.ResetNvmeRemoteControllerRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.ResetNvmeRemoteController(ctx, r.GetName())
}

// StatsNvmePath returns one path's state and, where counted, its I/O
// counters.
func (a *BackendNvmeService) StatsNvmePath(ctx context.Context, r *pb.StatsNvmePathRequest) (*pb.StatsNvmePathResponse, error) {
	st, err := a.s.NvmePathStats(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsNvmePathResponse{State: st}, nil
}
