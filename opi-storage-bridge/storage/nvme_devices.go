package storage

import (
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// CreateNvmeController validates the endpoint against the subsystem and
// its other controllers (one listener per address, one device per PCIe
// endpoint across NVMe and virtio-blk), then creates it.
func (s *Storage) CreateNvmeController(ctx context.Context, parent, id string, in *pb.NvmeController) (*pb.NvmeController, error) {
	name, err := NvmeControllerPattern.Child(parent, id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, errdefs.InvalidArgumentf("nvme_controller is required")
	}
	if in.GetSecureChannel() {
		// Held to the create: the subsystem cannot be made to allow any
		// host between the check below and the create.
		defer s.names.lock(hostsKey(parent))()
	}
	sub, err := s.NvmeSubsystems.c.Get(ctx, parent)
	if err != nil {
		return nil, err
	}
	m := proto.Clone(in).(*pb.NvmeController)
	if err := validateController(m, sub); err != nil {
		return nil, err
	}
	if want := m.GetFabrics(); want != nil {
		// Held to the create: concurrent creates on one address would
		// otherwise all pass the check and share one SPDK listener, which
		// the first delete would take from the others.
		defer s.names.lock("listeners of " + parent)()
		var dup string
		if err := s.eachController(ctx, parent, func(c *pb.NvmeController) {
			if have := c.GetFabrics(); have != nil && c.GetName() != name && sameListenAddress(have, want) {
				dup = c.GetName()
			}
		}); err != nil {
			return nil, err
		}
		if dup != "" {
			return nil, errdefs.AlreadyExistsf("controller %s already listens on %s %s port %d",
				dup, FabricsTransport(want), want.GetTraddr(), FabricsPort(want))
		}
	}
	var out *pb.NvmeController
	err = s.claimPcie(ctx, name, m.GetPcie(), func() error {
		var err error
		out, err = s.NvmeControllers.create(ctx, parent, id, m)
		return err
	})
	return out, err
}

func validateController(m *pb.NvmeController, sub *pb.NvmeSubsystem) error {
	f := m.GetFabrics()
	switch {
	case f == nil && m.GetPcie() == nil:
		return errdefs.InvalidArgumentf("nvme_controller needs an endpoint: set fabrics (an NVMe/TCP or RDMA address) or pcie")
	case f != nil:
		if err := validateFabrics(f); err != nil {
			return err
		}
	}
	if m.GetSecureChannel() {
		switch {
		case f == nil || f.GetTrtype() != pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP:
			return errdefs.InvalidArgumentf("secure_channel is for NVMe/TCP controllers only")
		case sub.GetAllowAnyHost():
			return errdefs.FailedPreconditionf("secure_channel needs a subsystem that lists its hosts, but %s allows any host", sub.GetName())
		}
	}
	switch m.GetAnaState() {
	case pb.NvmeAnaState_NVME_ANA_STATE_UNSPECIFIED:
	case pb.NvmeAnaState_NVME_ANA_STATE_OPTIMIZED, pb.NvmeAnaState_NVME_ANA_STATE_NON_OPTIMIZED, pb.NvmeAnaState_NVME_ANA_STATE_INACCESSIBLE:
		if f == nil {
			return errdefs.InvalidArgumentf("ana_state is for fabrics controllers only")
		}
		if !sub.GetAnaReporting() {
			return errdefs.FailedPreconditionf("ana_state needs a subsystem created with ana_reporting, which %s was not", sub.GetName())
		}
	default:
		return errdefs.InvalidArgumentf("ana_state %d is not a known state: use OPTIMIZED, NON_OPTIMIZED or INACCESSIBLE", m.GetAnaState())
	}
	return nil
}

// UpdateNvmeController changes the ANA state, or creates the controller
// with allowMissing. The controller the update leaves is validated
// against its subsystem under the controller's lock, so what is stored is
// what was checked even when the controller is updated, or deleted and
// created again, meanwhile.
func (s *Storage) UpdateNvmeController(ctx context.Context, m *pb.NvmeController, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.NvmeController, error) {
	if m == nil {
		return nil, errdefs.InvalidArgumentf("nvme_controller is required")
	}
	err := s.NvmeControllers.exists(ctx, m.GetName())
	parent, _ := NvmeControllerPattern.Parent(m.GetName())
	if errors.Is(err, errdefs.ErrNotFound) && allowMissing {
		id, _ := NvmeControllerPattern.ID(m.GetName())
		return s.CreateNvmeController(ctx, parent, id, m)
	}
	if err != nil {
		return nil, err
	}
	return s.NvmeControllers.updateChecked(ctx, m, mask, false, func(next *pb.NvmeController) error {
		sub, err := s.NvmeSubsystems.c.Get(ctx, parent)
		if err != nil {
			return err
		}
		return validateController(next, sub)
	})
}

// NvmeControllerStats lists the hosts connected through a controller.
func (s *Storage) NvmeControllerStats(ctx context.Context, name string) ([]*pb.NvmeHostConnection, error) {
	c, err := s.NvmeControllers.c.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	parent, _ := NvmeControllerPattern.Parent(c.GetName())
	sub, err := s.NvmeSubsystems.c.Get(ctx, parent)
	if err != nil {
		return nil, err
	}
	return s.read.HostConnections(ctx, sub, c)
}

// CreateNvmeNamespace validates the namespace against its subsystem and
// volume, then adds it. A volume that is not stored is NotFound ("create
// it first"): the API's "waits in PENDING" is not implemented. A volume
// another resource claims (a namespace of any subsystem, a store, an
// encrypted or QoS volume) is FailedPrecondition naming it. With nsid
// unset the namespace gets the id the backend assigns, recorded and
// returned, so that a replay asks for the same id.
func (s *Storage) CreateNvmeNamespace(ctx context.Context, parent, id string, m *pb.NvmeNamespace) (*pb.NvmeNamespace, error) {
	name, err := NvmeNamespacePattern.Child(parent, id)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errdefs.InvalidArgumentf("nvme_namespace is required")
	}
	m = proto.Clone(m).(*pb.NvmeNamespace)
	lowerUUID(&m.Uuid)
	if err := validateVolume(m.GetVolume()); err != nil {
		return nil, err
	}
	sub, err := s.NvmeSubsystems.c.Get(ctx, parent)
	if err != nil {
		return nil, err
	}
	if err := validateNamespace(m, sub); err != nil {
		return nil, err
	}
	if err := s.requireVolume(ctx, m.GetVolume()); err != nil {
		return nil, err
	}
	var out *pb.NvmeNamespace
	err = s.claimVolume(ctx, name, m.GetVolume(), func() error {
		// The backend records the id it assigned; a retried create that
		// leaves nsid unset asks for the same namespace, so it gets the
		// recorded id rather than "a different spec". The volume is held,
		// so no identical create can store it meanwhile.
		if m.GetNsid() == 0 {
			if cur, err := s.NvmeNamespaces.c.Get(ctx, name); err == nil && cur.GetVolume() == m.GetVolume() {
				m.Nsid = cur.GetNsid()
			}
		}
		var err error
		out, err = s.NvmeNamespaces.create(ctx, parent, id, m)
		return err
	})
	return out, err
}

func validateNamespace(m *pb.NvmeNamespace, sub *pb.NvmeSubsystem) error {
	limit := sub.GetMaxNamespaces()
	if limit == 0 {
		limit = defaultNamespaces
	}
	switch {
	case m.GetNsid() > maxNSID:
		return errdefs.InvalidArgumentf("nsid %d is too large: use 1 to %d, or 0 for the lowest free id", m.GetNsid(), limit)
	case m.GetNsid() > limit:
		return errdefs.InvalidArgumentf("nsid %d is larger than the subsystem's max_namespaces (%d): use 1 to %d, or 0 for the lowest free id", m.GetNsid(), limit, limit)
	case m.GetUuid() != "" && !uuidRE.MatchString(m.GetUuid()):
		return errdefs.InvalidArgumentf("uuid %q is not a UUID such as \"ceccf520-691e-4b46-9546-34af789907c5\"", m.GetUuid())
	case m.GetUuid() == nilUUID:
		return errdefs.InvalidArgumentf("uuid %s is the nil UUID, which hosts take for \"no UUID\"; give another or leave it empty", nilUUID)
	case m.GetNguid() != "" && !nguidRE.MatchString(m.GetNguid()):
		return errdefs.InvalidArgumentf("nguid %q must be 32 hexadecimal digits", m.GetNguid())
	case m.GetEui64() != "" && !eui64RE.MatchString(m.GetEui64()):
		return errdefs.InvalidArgumentf("eui64 %q must be 16 hexadecimal digits", m.GetEui64())
	}
	return nil
}

// UpdateNvmeNamespace changes nothing (every field is immutable) but
// creates a missing namespace with allowMissing.
func (s *Storage) UpdateNvmeNamespace(ctx context.Context, m *pb.NvmeNamespace, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.NvmeNamespace, error) {
	if m == nil {
		return nil, errdefs.InvalidArgumentf("nvme_namespace is required")
	}
	if err := s.NvmeNamespaces.exists(ctx, m.GetName()); errors.Is(err, errdefs.ErrNotFound) && allowMissing {
		parent, _ := NvmeNamespacePattern.Parent(m.GetName())
		id, _ := NvmeNamespacePattern.ID(m.GetName())
		return s.CreateNvmeNamespace(ctx, parent, id, m)
	}
	return s.NvmeNamespaces.update(ctx, m, mask, false)
}

func samePcie(a, b *pb.PcieEndpoint) bool {
	return a != nil && b != nil && a.GetPortId() == b.GetPortId() &&
		a.GetPhysicalFunction() == b.GetPhysicalFunction() && a.GetVirtualFunction() == b.GetVirtualFunction()
}

// claimPcie runs create while no other resource can take ep; a resource
// other than name already on ep (an NVMe controller, a virtio-blk device
// or a virtio-scsi target) is AlreadyExists.
func (s *Storage) claimPcie(ctx context.Context, name string, ep *pb.PcieEndpoint, create func() error) error {
	if ep == nil {
		return create()
	}
	s.pcie.Lock()
	defer s.pcie.Unlock()
	errUsed := errors.New("used")
	var user string
	err := s.NvmeControllers.c.Walk(ctx, func(c *pb.NvmeController) error {
		if c.GetName() != name && samePcie(c.GetPcie(), ep) {
			user = c.GetName()
			return errUsed
		}
		return nil
	})
	if err == nil {
		err = s.VirtioBlks.c.Walk(ctx, func(v *pb.VirtioBlk) error {
			if v.GetName() != name && samePcie(v.GetPcie(), ep) {
				user = v.GetName()
				return errUsed
			}
			return nil
		})
	}
	if err == nil {
		err = s.VirtioScsiTargets.c.Walk(ctx, func(t *pb.VirtioScsiTarget) error {
			if t.GetName() != name && samePcie(t.GetPcie(), ep) {
				user = t.GetName()
				return errUsed
			}
			return nil
		})
	}
	switch {
	case errors.Is(err, errUsed):
		return errdefs.AlreadyExistsf("PCIe endpoint port %d, physical function %d, virtual function %d is already used by %s",
			ep.GetPortId(), ep.GetPhysicalFunction(), ep.GetVirtualFunction(), user)
	case err != nil:
		return err
	}
	return create()
}
