package service

import (
	"context"
	"errors"
	"strconv"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/protobuf/types/known/emptypb"
)

// MaxIOQueues is the most I/O queues SPDK lets a host ask for.
const MaxIOQueues = 65536

// BackendNvmeService implements storagev1.BackendNvmeService: remote NVMe
// controllers, their paths, and the remote namespaces SPDK finds.
type BackendNvmeService struct {
	pb.UnimplementedBackendNvmeServiceServer
	n *backend.NvmeRemoteCollections
	c spdk.Caller
}

// NewBackendNvmeService returns the service over n; c serves the remote
// namespaces and the Stats methods.
func NewBackendNvmeService(n *backend.NvmeRemoteCollections, c spdk.Caller) *BackendNvmeService {
	return &BackendNvmeService{n: n, c: c}
}

// CreateNvmeRemoteController connects to a remote subsystem.
func (s *BackendNvmeService) CreateNvmeRemoteController(ctx context.Context, r *pb.CreateNvmeRemoteControllerRequest) (*pb.NvmeRemoteController, error) {
	if err := validateRemoteController(r.GetNvmeRemoteController()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.n.Controllers.Create(ctx, "", r.GetNvmeRemoteControllerId(), r.GetNvmeRemoteController())
	return withoutPSK(out), apiStatus(err)
}

// GetNvmeRemoteController returns one remote controller (without its PSK).
func (s *BackendNvmeService) GetNvmeRemoteController(ctx context.Context, r *pb.GetNvmeRemoteControllerRequest) (*pb.NvmeRemoteController, error) {
	out, err := s.n.Controllers.Get(ctx, r.GetName())
	return withoutPSK(out), apiStatus(err)
}

// ListNvmeRemoteControllers lists remote controllers by name.
func (s *BackendNvmeService) ListNvmeRemoteControllers(ctx context.Context, r *pb.ListNvmeRemoteControllersRequest) (*pb.ListNvmeRemoteControllersResponse, error) {
	items, next, err := s.n.Controllers.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	for _, c := range items {
		withoutPSK(c)
	}
	return &pb.ListNvmeRemoteControllersResponse{NvmeRemoteControllers: items, NextPageToken: next}, nil
}

// UpdateNvmeRemoteController changes the multipath policy, or creates the
// controller with allow_missing.
func (s *BackendNvmeService) UpdateNvmeRemoteController(ctx context.Context, r *pb.UpdateNvmeRemoteControllerRequest) (*pb.NvmeRemoteController, error) {
	in := r.GetNvmeRemoteController()
	if r.GetAllowMissing() {
		if _, err := s.n.Controllers.Get(ctx, in.GetName()); errors.Is(err, aip.ErrNotFound) {
			if err := validateRemoteController(in); err != nil {
				return nil, apiStatus(err)
			}
		}
	}
	if err := validatePolicy(in); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.n.Controllers.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return withoutPSK(out), apiStatus(err)
}

// DeleteNvmeRemoteController disconnects a remote controller; with force
// its paths first.
func (s *BackendNvmeService) DeleteNvmeRemoteController(ctx context.Context, r *pb.DeleteNvmeRemoteControllerRequest) (*emptypb.Empty, error) {
	if r.GetForce() {
		if err := s.deletePathsOf(ctx, r.GetName()); err != nil {
			return nil, apiStatus(err)
		}
	}
	return &emptypb.Empty{}, apiStatus(s.n.Controllers.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

func (s *BackendNvmeService) deletePathsOf(ctx context.Context, controller string) error {
	if err := backend.NvmeRemoteControllerPattern.Validate(controller); err != nil {
		return err
	}
	for {
		paths, _, err := s.n.Paths.List(ctx, controller, 0, "")
		if err != nil || len(paths) == 0 {
			return err
		}
		for _, p := range paths {
			if err := s.n.Paths.Delete(ctx, p.GetName(), true); err != nil {
				return err
			}
		}
	}
}

// StatsNvmeRemoteController sums the counters of the controller's
// namespaces and reports each path's connection.
func (s *BackendNvmeService) StatsNvmeRemoteController(ctx context.Context, r *pb.StatsNvmeRemoteControllerRequest) (*pb.StatsNvmeRemoteControllerResponse, error) {
	c, err := s.n.Controllers.Get(ctx, r.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	nss, err := backend.RemoteNamespaces(ctx, s.c, c.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	bdevs := make([]string, 0, len(nss))
	for _, ns := range nss {
		b, _ := backend.BdevName(ns.GetName())
		bdevs = append(bdevs, b)
	}
	st, err := backend.BdevStats(ctx, s.c, bdevs...)
	if err != nil {
		return nil, apiStatus(err)
	}
	connected, err := backend.ControllerPaths(ctx, s.c, c.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	state := func(name string, a *pb.NvmeFabricsAddress) *pb.NvmePathState {
		up := connected[a.GetTraddr()+":"+backend.ServiceID(a)]
		return &pb.NvmePathState{Path: name, Address: a, Connected: up, Accessible: up}
	}
	out := &pb.StatsNvmeRemoteControllerResponse{Stats: st, Paths: []*pb.NvmePathState{state(c.GetName(), c.GetAddress())}}
	token := ""
	for {
		paths, next, err := s.n.Paths.List(ctx, c.GetName(), aip.MaxPageSize, token)
		if err != nil {
			return nil, apiStatus(err)
		}
		for _, p := range paths {
			out.Paths = append(out.Paths, state(p.GetName(), p.GetAddress()))
		}
		if token = next; token == "" {
			return out, nil
		}
	}
}

// CreateNvmePath adds a path to a remote controller.
func (s *BackendNvmeService) CreateNvmePath(ctx context.Context, r *pb.CreateNvmePathRequest) (*pb.NvmePath, error) {
	if err := s.validatePath(ctx, r.GetParent(), r.GetNvmePathId(), r.GetNvmePath()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.n.Paths.Create(ctx, r.GetParent(), r.GetNvmePathId(), r.GetNvmePath())
	return out, apiStatus(err)
}

// GetNvmePath returns one path.
func (s *BackendNvmeService) GetNvmePath(ctx context.Context, r *pb.GetNvmePathRequest) (*pb.NvmePath, error) {
	out, err := s.n.Paths.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListNvmePaths lists the paths of a remote controller by name.
func (s *BackendNvmeService) ListNvmePaths(ctx context.Context, r *pb.ListNvmePathsRequest) (*pb.ListNvmePathsResponse, error) {
	items, next, err := s.n.Paths.List(ctx, r.GetParent(), r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListNvmePathsResponse{NvmePaths: items, NextPageToken: next}, nil
}

// UpdateNvmePath changes nothing (every field is fixed) but creates the
// path with allow_missing.
func (s *BackendNvmeService) UpdateNvmePath(ctx context.Context, r *pb.UpdateNvmePathRequest) (*pb.NvmePath, error) {
	in := r.GetNvmePath()
	if r.GetAllowMissing() {
		if _, err := s.n.Paths.Get(ctx, in.GetName()); errors.Is(err, aip.ErrNotFound) {
			parent, perr := backend.NvmePathPattern.Parent(in.GetName())
			id, ierr := backend.NvmePathPattern.ID(in.GetName())
			if err := errors.Join(perr, ierr); err != nil {
				return nil, apiStatus(err)
			}
			if err := s.validatePath(ctx, parent, id, in); err != nil {
				return nil, apiStatus(err)
			}
		}
	}
	out, err := s.n.Paths.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

// DeleteNvmePath disconnects one path.
func (s *BackendNvmeService) DeleteNvmePath(ctx context.Context, r *pb.DeleteNvmePathRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.n.Paths.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// GetNvmeRemoteNamespace returns one namespace SPDK has attached.
func (s *BackendNvmeService) GetNvmeRemoteNamespace(ctx context.Context, r *pb.GetNvmeRemoteNamespaceRequest) (*pb.NvmeRemoteNamespace, error) {
	ctrl, _, err := backend.ParseRemoteNamespace(r.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	if _, err := s.n.Controllers.Get(ctx, ctrl); err != nil {
		return nil, apiStatus(err)
	}
	out, err := backend.RemoteNamespace(ctx, s.c, r.GetName())
	return out, apiStatus(err)
}

// ListNvmeRemoteNamespaces lists a controller's namespaces by namespace id.
func (s *BackendNvmeService) ListNvmeRemoteNamespaces(ctx context.Context, r *pb.ListNvmeRemoteNamespacesRequest) (*pb.ListNvmeRemoteNamespacesResponse, error) {
	if _, err := s.n.Controllers.Get(ctx, r.GetParent()); err != nil {
		return nil, apiStatus(err)
	}
	size, err := aip.PageSize(r.GetPageSize())
	if err != nil {
		return nil, apiStatus(err)
	}
	fp := []string{backend.KindNvmeRemoteNamespaces, r.GetParent()}
	after, err := aip.DecodePageToken(r.GetPageToken(), fp...)
	if err != nil {
		return nil, apiStatus(err)
	}
	var afterID uint64
	if after != "" {
		if afterID, err = strconv.ParseUint(after, 10, 32); err != nil {
			return nil, apiStatus(aip.InvalidArgumentf("page_token is not valid"))
		}
	}
	all, err := backend.RemoteNamespaces(ctx, s.c, r.GetParent())
	if err != nil {
		return nil, apiStatus(err)
	}
	out := &pb.ListNvmeRemoteNamespacesResponse{}
	for _, ns := range all {
		if uint64(ns.GetNsid()) <= afterID {
			continue
		}
		if len(out.NvmeRemoteNamespaces) == size {
			last := out.NvmeRemoteNamespaces[size-1].GetNsid()
			out.NextPageToken = aip.EncodePageToken(strconv.FormatUint(uint64(last), 10), fp...)
			break
		}
		out.NvmeRemoteNamespaces = append(out.NvmeRemoteNamespaces, ns)
	}
	return out, nil
}

// StatsNvmeRemoteNamespace returns one remote namespace's I/O counters.
func (s *BackendNvmeService) StatsNvmeRemoteNamespace(ctx context.Context, r *pb.StatsNvmeRemoteNamespaceRequest) (*pb.StatsNvmeRemoteNamespaceResponse, error) {
	if _, err := s.GetNvmeRemoteNamespace(ctx, &pb.GetNvmeRemoteNamespaceRequest{Name: r.GetName()}); err != nil {
		return nil, err
	}
	st, err := backend.VolumeStats(ctx, s.c, r.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.StatsNvmeRemoteNamespaceResponse{Stats: st}, nil
}

// validatePath checks a new path against its controller and siblings.
func (s *BackendNvmeService) validatePath(ctx context.Context, parent, id string, p *pb.NvmePath) error {
	if err := validateAddress("address", p.GetAddress()); err != nil {
		return err
	}
	c, err := s.n.Controllers.Get(ctx, parent)
	if err != nil {
		return err
	}
	if c.GetMultipathMode() == pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_DISABLE {
		return aip.FailedPreconditionf("%s has multipath_mode DISABLE, so it takes no extra paths; create a controller with FAILOVER or MULTIPATH", parent)
	}
	if p.GetAddress().GetTrtype() != c.GetAddress().GetTrtype() {
		return aip.InvalidArgumentf("address.trtype must be the controller's transport")
	}
	if sameAddress(p.GetAddress(), c.GetAddress()) {
		return aip.AlreadyExistsf("address is the first path of %s already", parent)
	}
	name, err := backend.NvmePathPattern.Child(parent, id)
	if err != nil {
		return err
	}
	token := ""
	for {
		paths, next, err := s.n.Paths.List(ctx, parent, aip.MaxPageSize, token)
		if err != nil {
			return err
		}
		for _, o := range paths {
			if o.GetName() != name && sameAddress(o.GetAddress(), p.GetAddress()) {
				return aip.AlreadyExistsf("address is already path %s", o.GetName())
			}
		}
		if token = next; token == "" {
			return nil
		}
	}
}

func sameAddress(a, b *pb.NvmeFabricsAddress) bool {
	return a.GetTrtype() == b.GetTrtype() && a.GetTraddr() == b.GetTraddr() && backend.ServiceID(a) == backend.ServiceID(b)
}

// withoutPSK clears the PSK from a response (the server's redaction does
// too) and reports whether one is set.
func withoutPSK(c *pb.NvmeRemoteController) *pb.NvmeRemoteController {
	if c != nil {
		c.PskConfigured = c.PskConfigured || c.GetPsk() != ""
		c.Psk = ""
	}
	return c
}

// validateAddress checks a remote address; field names it in messages.
func validateAddress(field string, a *pb.NvmeFabricsAddress) error {
	if a == nil {
		return aip.InvalidArgumentf("%s is required", field)
	}
	if err := validateFabrics(a); err != nil {
		return aip.InvalidArgumentf("%s", strings.ReplaceAll(err.Error(), "fabrics.", field+"."))
	}
	return nil
}

func validateRemoteController(c *pb.NvmeRemoteController) error {
	if err := validateAddress("address", c.GetAddress()); err != nil {
		return err
	}
	if err := validateNQN("subnqn", c.GetSubnqn()); err != nil {
		return err
	}
	if c.GetHostnqn() != "" {
		if err := validateNQN("hostnqn", c.GetHostnqn()); err != nil {
			return err
		}
	}
	if c.GetPsk() != "" {
		if c.GetAddress().GetTrtype() != pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP {
			return aip.InvalidArgumentf("psk is for NVMe/TCP only")
		}
		if err := validatePSK(c.GetPsk()); err != nil {
			return aip.InvalidArgumentf("psk is %v", err)
		}
	}
	if (c.GetHeaderDigest() || c.GetDataDigest()) && c.GetAddress().GetTrtype() != pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP {
		return aip.InvalidArgumentf("header_digest and data_digest are for NVMe/TCP only")
	}
	if _, ok := pb.NvmeMultipathMode_name[int32(c.GetMultipathMode())]; !ok {
		return aip.InvalidArgumentf("multipath_mode %d is not known: use DISABLE, FAILOVER or MULTIPATH, or leave it unset", c.GetMultipathMode())
	}
	if c.GetIoQueues() > MaxIOQueues {
		return aip.InvalidArgumentf("io_queues %d is too many: 1 to %d, or 0 for 1024", c.GetIoQueues(), MaxIOQueues)
	}
	loss, delay, fail := c.GetControllerLossTimeoutSeconds(), c.GetReconnectDelaySeconds(), c.GetFastIoFailTimeoutSeconds()
	switch {
	case loss < -1:
		return aip.InvalidArgumentf("controller_loss_timeout_seconds %d is not valid: -1 (forever), 0, or a number of seconds", loss)
	case delay == 0 && (loss != 0 || fail != 0):
		return aip.InvalidArgumentf("controller_loss_timeout_seconds and fast_io_fail_timeout_seconds need reconnect_delay_seconds set")
	case delay != 0 && loss == 0:
		return aip.InvalidArgumentf("reconnect_delay_seconds needs controller_loss_timeout_seconds: -1 (forever) or at least %d", delay)
	case delay != 0 && loss != -1 && int64(loss) < int64(delay):
		return aip.InvalidArgumentf("controller_loss_timeout_seconds %d must be -1 or at least reconnect_delay_seconds %d", loss, delay)
	case fail != 0 && fail < delay:
		return aip.InvalidArgumentf("fast_io_fail_timeout_seconds %d must be at least reconnect_delay_seconds %d", fail, delay)
	case fail != 0 && loss != -1 && int64(fail) >= int64(loss):
		return aip.InvalidArgumentf("fast_io_fail_timeout_seconds %d must be less than controller_loss_timeout_seconds %d", fail, loss)
	}
	return validatePolicy(c)
}

func validatePolicy(c *pb.NvmeRemoteController) error {
	if _, ok := pb.NvmeMultipathPolicy_name[int32(c.GetMultipathPolicy())]; !ok {
		return aip.InvalidArgumentf("multipath_policy %d is not known: use ACTIVE_PASSIVE or ACTIVE_ACTIVE, or leave it unset", c.GetMultipathPolicy())
	}
	if _, ok := pb.NvmeMultipathSelector_name[int32(c.GetMultipathSelector())]; !ok {
		return aip.InvalidArgumentf("multipath_selector %d is not known: use ROUND_ROBIN or QUEUE_DEPTH, or leave it unset", c.GetMultipathSelector())
	}
	return nil
}
