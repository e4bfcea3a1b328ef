package storage

import (
	"context"
	"errors"
	"strconv"
	"strings"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// MaxIOQueues is the most I/O queues SPDK lets a host ask for.
const MaxIOQueues = 65536

// CreateNvmeRemoteController connects to a remote NVMe-oF subsystem. Its
// PSK is kept in the intent store (the backend needs it again after a
// restart) and never returned: psk_configured says whether one is set.
func (s *Storage) CreateNvmeRemoteController(ctx context.Context, id string, c *pb.NvmeRemoteController) (*pb.NvmeRemoteController, error) {
	if err := validateRemoteController(c); err != nil {
		return nil, err
	}
	return s.NvmeRemoteControllers.create(ctx, "", id, c)
}

// UpdateNvmeRemoteController changes the multipath policy, or creates the
// controller with allowMissing.
func (s *Storage) UpdateNvmeRemoteController(ctx context.Context, c *pb.NvmeRemoteController, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.NvmeRemoteController, error) {
	if allowMissing {
		if err := s.NvmeRemoteControllers.exists(ctx, c.GetName()); errors.Is(err, errdefs.ErrNotFound) {
			if err := validateRemoteController(c); err != nil {
				return nil, err
			}
		}
	}
	if err := validatePolicy(c); err != nil {
		return nil, err
	}
	return s.NvmeRemoteControllers.updateChecked(ctx, c, mask, allowMissing,
		s.NvmeRemoteControllers.createCheck(ctx, c.GetName(), allowMissing, validateRemoteController))
}

// NvmeRemoteControllerStats sums the counters of the controller's
// namespaces and reports, for its first address and each path, whether the
// backend has it connected.
func (s *Storage) NvmeRemoteControllerStats(ctx context.Context, name string) (*pb.VolumeStats, []*pb.NvmePathState, error) {
	c, err := s.NvmeRemoteControllers.c.Get(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	nss, err := s.read.RemoteNamespaces(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	stats := &pb.VolumeStats{}
	if len(nss) > 0 {
		names := make([]string, 0, len(nss))
		for _, ns := range nss {
			names = append(names, ns.GetName())
		}
		if stats, err = s.read.VolumeStats(ctx, names...); err != nil {
			return nil, nil, err
		}
	}
	connected, err := s.read.ConnectedPaths(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	state := func(name string, a *pb.NvmeFabricsAddress) *pb.NvmePathState { return pathState(name, a, connected) }
	out := []*pb.NvmePathState{state(c.GetName(), c.GetAddress())}
	err = s.eachPath(ctx, c.GetName(), func(p *pb.NvmePath) { out = append(out, state(p.GetName(), p.GetAddress())) })
	return stats, out, err
}

// eachPath calls fn for every path of controller.
func (s *Storage) eachPath(ctx context.Context, controller string, fn func(*pb.NvmePath)) error {
	return eachChild(ctx, s.NvmePaths, controller, fn)
}

// CreateNvmePath adds a path to a remote controller: another address of
// the same subsystem, on the controller's transport.
func (s *Storage) CreateNvmePath(ctx context.Context, parent, id string, p *pb.NvmePath) (*pb.NvmePath, error) {
	if err := s.validatePath(ctx, parent, id, p); err != nil {
		return nil, err
	}
	return s.NvmePaths.create(ctx, parent, id, p)
}

// UpdateNvmePath changes nothing (every field is fixed) but creates the
// path with allowMissing.
func (s *Storage) UpdateNvmePath(ctx context.Context, p *pb.NvmePath, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.NvmePath, error) {
	validate := func(p *pb.NvmePath) error {
		parent, perr := NvmePathPattern.Parent(p.GetName())
		id, ierr := NvmePathPattern.ID(p.GetName())
		if err := errors.Join(perr, ierr); err != nil {
			return err
		}
		return s.validatePath(ctx, parent, id, p)
	}
	if allowMissing {
		if err := s.NvmePaths.exists(ctx, p.GetName()); errors.Is(err, errdefs.ErrNotFound) {
			if err := validate(p); err != nil {
				return nil, err
			}
		}
	}
	return s.NvmePaths.updateChecked(ctx, p, mask, allowMissing, s.NvmePaths.createCheck(ctx, p.GetName(), allowMissing, validate))
}

// GetNvmeRemoteNamespace returns one namespace the backend has attached
// for a stored remote controller.
func (s *Storage) GetNvmeRemoteNamespace(ctx context.Context, name string) (*pb.NvmeRemoteNamespace, error) {
	ctrl, nsid, err := ParseRemoteNamespace(name)
	if err != nil {
		return nil, err
	}
	c, err := s.NvmeRemoteControllers.c.Get(ctx, ctrl)
	if err != nil {
		return nil, err
	}
	all, err := s.read.RemoteNamespaces(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, ns := range all {
		if ns.GetNsid() == nsid {
			return ns, nil
		}
	}
	return nil, errdefs.NotFoundf("%s not found: the remote subsystem has no namespace %d attached now", name, nsid)
}

// ListNvmeRemoteNamespaces lists a stored remote controller's namespaces
// by namespace id, one page at a time (AIP-158).
func (s *Storage) ListNvmeRemoteNamespaces(ctx context.Context, parent string, pageSize int32, pageToken string) ([]*pb.NvmeRemoteNamespace, string, error) {
	c, err := s.NvmeRemoteControllers.c.Get(ctx, parent)
	if err != nil {
		return nil, "", err
	}
	size, err := aip.PageSize(pageSize)
	if err != nil {
		return nil, "", err
	}
	fp := []string{KindNvmeRemoteNamespaces, parent}
	after, err := aip.DecodePageToken(pageToken, fp...)
	if err != nil {
		return nil, "", err
	}
	var afterID uint64
	if after != "" {
		if afterID, err = strconv.ParseUint(after, 10, 32); err != nil {
			return nil, "", errdefs.InvalidArgumentf("page_token is not valid")
		}
	}
	all, err := s.read.RemoteNamespaces(ctx, c)
	if err != nil {
		return nil, "", err
	}
	var page []*pb.NvmeRemoteNamespace
	for _, ns := range all {
		if uint64(ns.GetNsid()) <= afterID {
			continue
		}
		if len(page) == size {
			last := page[size-1].GetNsid()
			return page, aip.EncodePageToken(strconv.FormatUint(uint64(last), 10), fp...), nil
		}
		page = append(page, ns)
	}
	return page, "", nil
}

// NvmeRemoteNamespaceStats returns one remote namespace's I/O counters.
func (s *Storage) NvmeRemoteNamespaceStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	if _, err := s.GetNvmeRemoteNamespace(ctx, name); err != nil {
		return nil, err
	}
	return s.read.VolumeStats(ctx, name)
}

// validatePath checks a new path against its controller and siblings.
func (s *Storage) validatePath(ctx context.Context, parent, id string, p *pb.NvmePath) error {
	if err := validateAddress("address", p.GetAddress()); err != nil {
		return err
	}
	c, err := s.NvmeRemoteControllers.c.Get(ctx, parent)
	if err != nil {
		return err
	}
	if c.GetMultipathMode() == pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_DISABLE {
		return errdefs.FailedPreconditionf("%s has multipath_mode DISABLE, so it takes no extra paths; create a controller with FAILOVER or MULTIPATH", parent)
	}
	if p.GetAddress().GetTrtype() != c.GetAddress().GetTrtype() {
		return errdefs.InvalidArgumentf("address.trtype must be the controller's transport")
	}
	if sameRemoteAddress(p.GetAddress(), c.GetAddress()) {
		return errdefs.AlreadyExistsf("address is the first path of %s already", parent)
	}
	name, err := NvmePathPattern.Child(parent, id)
	if err != nil {
		return err
	}
	var dup string
	if err := s.eachPath(ctx, parent, func(o *pb.NvmePath) {
		if o.GetName() != name && sameRemoteAddress(o.GetAddress(), p.GetAddress()) {
			dup = o.GetName()
		}
	}); err != nil {
		return err
	}
	if dup != "" {
		return errdefs.AlreadyExistsf("address is already path %s", dup)
	}
	return nil
}

func sameRemoteAddress(a, b *pb.NvmeFabricsAddress) bool {
	return a.GetTrtype() == b.GetTrtype() && a.GetTraddr() == b.GetTraddr() && FabricsPort(a) == FabricsPort(b)
}

// hidePSK clears the PSK from what a client gets and says whether one is
// set.
func hidePSK(c *pb.NvmeRemoteController) {
	c.PskConfigured = c.PskConfigured || c.GetPsk() != ""
	c.Psk = ""
}

// validateAddress checks a remote address; field names it in messages.
func validateAddress(field string, a *pb.NvmeFabricsAddress) error {
	if a == nil {
		return errdefs.InvalidArgumentf("%s is required", field)
	}
	if err := validateFabrics(a); err != nil {
		return errdefs.InvalidArgumentf("%s", strings.ReplaceAll(err.Error(), "fabrics.", field+"."))
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
			return errdefs.InvalidArgumentf("psk is for NVMe/TCP only")
		}
		if err := validatePSK(c.GetPsk()); err != nil {
			return errdefs.InvalidArgumentf("psk is %v", err)
		}
	}
	if (c.GetHeaderDigest() || c.GetDataDigest()) && c.GetAddress().GetTrtype() != pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP {
		return errdefs.InvalidArgumentf("header_digest and data_digest are for NVMe/TCP only")
	}
	if _, ok := pb.NvmeMultipathMode_name[int32(c.GetMultipathMode())]; !ok {
		return errdefs.InvalidArgumentf("multipath_mode %d is not known: use DISABLE, FAILOVER or MULTIPATH, or leave it unset", c.GetMultipathMode())
	}
	if c.GetIoQueues() > MaxIOQueues {
		return errdefs.InvalidArgumentf("io_queues %d is too many: 1 to %d, or 0 for 1024", c.GetIoQueues(), MaxIOQueues)
	}
	loss, delay, fail := c.GetControllerLossTimeoutSeconds(), c.GetReconnectDelaySeconds(), c.GetFastIoFailTimeoutSeconds()
	switch {
	case loss < -1:
		return errdefs.InvalidArgumentf("controller_loss_timeout_seconds %d is not valid: -1 (forever), 0, or a number of seconds", loss)
	case delay == 0 && (loss != 0 || fail != 0):
		return errdefs.InvalidArgumentf("controller_loss_timeout_seconds and fast_io_fail_timeout_seconds need reconnect_delay_seconds set")
	case delay != 0 && loss == 0:
		return errdefs.InvalidArgumentf("reconnect_delay_seconds needs controller_loss_timeout_seconds: -1 (forever) or at least %d", delay)
	case delay != 0 && loss != -1 && int64(loss) < int64(delay):
		return errdefs.InvalidArgumentf("controller_loss_timeout_seconds %d must be -1 or at least reconnect_delay_seconds %d", loss, delay)
	case fail != 0 && fail < delay:
		return errdefs.InvalidArgumentf("fast_io_fail_timeout_seconds %d must be at least reconnect_delay_seconds %d", fail, delay)
	case fail != 0 && loss != -1 && int64(fail) >= int64(loss):
		return errdefs.InvalidArgumentf("fast_io_fail_timeout_seconds %d must be less than controller_loss_timeout_seconds %d", fail, loss)
	}
	return validatePolicy(c)
}

func validatePolicy(c *pb.NvmeRemoteController) error {
	if _, ok := pb.NvmeMultipathPolicy_name[int32(c.GetMultipathPolicy())]; !ok {
		return errdefs.InvalidArgumentf("multipath_policy %d is not known: use ACTIVE_PASSIVE or ACTIVE_ACTIVE, or leave it unset", c.GetMultipathPolicy())
	}
	if _, ok := pb.NvmeMultipathSelector_name[int32(c.GetMultipathSelector())]; !ok {
		return errdefs.InvalidArgumentf("multipath_selector %d is not known: use ROUND_ROBIN or QUEUE_DEPTH, or leave it unset", c.GetMultipathSelector())
	}
	return nil
}
