package storage

import (
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// CreateNvmeSubsystem validates the subsystem, fills the serial and model
// numbers when empty (the serial derived from the name, so that a retried
// create asks for the same), and creates it. An NQN another stored
// subsystem has is AlreadyExists. Host PSKs are kept in the intent store
// and never returned: psk_configured says whether one is set.
func (s *Storage) CreateNvmeSubsystem(ctx context.Context, id string, in *pb.NvmeSubsystem) (*pb.NvmeSubsystem, error) {
	name, err := NvmeSubsystemPattern.Child("", id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, errdefs.InvalidArgumentf("nvme_subsystem is required")
	}
	m := proto.Clone(in).(*pb.NvmeSubsystem)
	if err := validateSubsystem(m); err != nil {
		return nil, err
	}
	if m.SerialNumber == "" {
		m.SerialNumber = defaultSerial(name)
	}
	if m.ModelNumber == "" {
		m.ModelNumber = DefaultModelNumber
	}
	// A secure-channel controller create that read an earlier subsystem
	// of this name finishes first (see hostsKey).
	defer s.names.lock(hostsKey(name))()
	s.nqns.Lock()
	defer s.nqns.Unlock()
	if err := s.nqnFree(ctx, name, m.GetNqn()); err != nil {
		return nil, err
	}
	return s.NvmeSubsystems.create(ctx, "", id, m)
}

func validateSubsystem(m *pb.NvmeSubsystem) error {
	if err := validateNQN("nqn", m.GetNqn()); err != nil {
		return err
	}
	if m.GetNqn() == discoveryNQN {
		return errdefs.InvalidArgumentf("nqn %s is the discovery subsystem's; choose another", discoveryNQN)
	}
	if err := validatePrintable("serial_number", m.GetSerialNumber(), maxSerialLength); err != nil {
		return err
	}
	if err := validatePrintable("model_number", m.GetModelNumber(), maxModelLength); err != nil {
		return err
	}
	if m.GetMaxNamespaces() > maxNamespaces {
		return errdefs.InvalidArgumentf("max_namespaces %d is too large: use 1 to %d, or 0 for %d", m.GetMaxNamespaces(), maxNamespaces, defaultNamespaces)
	}
	return validateHosts(m.GetHosts())
}

// nqnFree reports AlreadyExists when another stored subsystem has nqn.
func (s *Storage) nqnFree(ctx context.Context, name, nqn string) error {
	errTaken := errors.New("taken")
	var owner string
	err := s.NvmeSubsystems.c.Walk(ctx, func(o *pb.NvmeSubsystem) error {
		if o.GetNqn() == nqn && o.GetName() != name {
			owner = o.GetName()
			return errTaken
		}
		return nil
	})
	if errors.Is(err, errTaken) {
		return errdefs.AlreadyExistsf("NQN %s is already used by %s", nqn, owner)
	}
	return err
}

// UpdateNvmeSubsystem changes allow_any_host or the host list, or creates
// the subsystem with allowMissing. Allowing any host is refused while a
// controller of the subsystem requires a secure channel; that is checked
// on the subsystem the update leaves, under its lock and the lock that
// secure-channel controller creates hold, so neither a concurrent update
// nor a concurrent controller create can slip between the check and the
// write.
func (s *Storage) UpdateNvmeSubsystem(ctx context.Context, m *pb.NvmeSubsystem, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.NvmeSubsystem, error) {
	if m == nil {
		return nil, errdefs.InvalidArgumentf("nvme_subsystem is required")
	}
	err := s.NvmeSubsystems.exists(ctx, m.GetName())
	if errors.Is(err, errdefs.ErrNotFound) && allowMissing {
		id, _ := NvmeSubsystemPattern.ID(m.GetName())
		return s.CreateNvmeSubsystem(ctx, id, m)
	}
	if err != nil {
		return nil, err
	}
	if err := validateHosts(m.GetHosts()); err != nil {
		return nil, err
	}
	defer s.names.lock(hostsKey(m.GetName()))()
	return s.NvmeSubsystems.updateChecked(ctx, m, mask, false, func(next *pb.NvmeSubsystem) error {
		return s.checkAnyHost(ctx, next)
	})
}

// checkAnyHost refuses next, what an update of a stored subsystem leaves,
// when it newly allows any host while a controller of the subsystem
// requires a secure channel. The caller holds the subsystem's lock, so
// the stored subsystem is the one the update applies to.
func (s *Storage) checkAnyHost(ctx context.Context, next *pb.NvmeSubsystem) error {
	if !next.GetAllowAnyHost() {
		return nil
	}
	cur, err := s.NvmeSubsystems.c.Get(ctx, next.GetName())
	if err != nil || cur.GetAllowAnyHost() {
		return err
	}
	var user string
	if err := s.eachController(ctx, next.GetName(), func(c *pb.NvmeController) {
		if c.GetSecureChannel() && user == "" {
			user = c.GetName()
		}
	}); err != nil {
		return err
	}
	if user != "" {
		return errdefs.FailedPreconditionf("allow_any_host cannot be set while controller %s requires a secure channel; delete it first", user)
	}
	return nil
}

// hostsKey is the key in Storage.names that a subsystem update and a
// secure-channel controller create on the subsystem hold, so that
// allow_any_host and a controller's secure channel are never both stored.
func hostsKey(subsystem string) string { return "hosts of " + subsystem }

// NvmeSubsystemStats sums the I/O counters of the subsystem's namespaces
// and lists the hosts connected now.
func (s *Storage) NvmeSubsystemStats(ctx context.Context, name string) (*pb.VolumeStats, []*pb.NvmeHostConnection, error) {
	sub, err := s.NvmeSubsystems.c.Get(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	var volumes []string
	if err := s.eachNamespace(ctx, name, func(ns *pb.NvmeNamespace) { volumes = append(volumes, ns.GetVolume()) }); err != nil {
		return nil, nil, err
	}
	stats := &pb.VolumeStats{}
	if len(volumes) > 0 {
		if stats, err = s.read.VolumeStats(ctx, volumes...); err != nil {
			return nil, nil, err
		}
	}
	conns, err := s.read.HostConnections(ctx, sub, nil)
	if err != nil {
		return nil, nil, err
	}
	return stats, conns, nil
}

// deleteSubsystemChildren is the force of a subsystem delete: its
// controllers, then its namespaces.
func (s *Storage) deleteSubsystemChildren(ctx context.Context, subsystem string) error {
	if err := NvmeSubsystemPattern.Validate(subsystem); err != nil {
		return err
	}
	var ctrls []string
	if err := s.eachController(ctx, subsystem, func(c *pb.NvmeController) { ctrls = append(ctrls, c.GetName()) }); err != nil {
		return err
	}
	for _, n := range ctrls {
		if err := s.NvmeControllers.c.Delete(ctx, n, true); err != nil {
			return err
		}
	}
	return deleteChildren(s.NvmeNamespaces, NvmeSubsystemPattern)(ctx, subsystem)
}

// eachController calls fn for every controller of subsystem.
func (s *Storage) eachController(ctx context.Context, subsystem string, fn func(*pb.NvmeController)) error {
	return eachChild(ctx, s.NvmeControllers, subsystem, fn)
}

// eachNamespace calls fn for every namespace of subsystem.
func (s *Storage) eachNamespace(ctx context.Context, subsystem string, fn func(*pb.NvmeNamespace)) error {
	return eachChild(ctx, s.NvmeNamespaces, subsystem, fn)
}

func eachChild[T named](ctx context.Context, k *Kind[T], parent string, fn func(T)) error {
	for token := ""; ; {
		page, next, err := k.c.List(ctx, parent, aip.MaxPageSize, token)
		if err != nil {
			return err
		}
		for _, m := range page {
			fn(m)
		}
		if token = next; token == "" {
			return nil
		}
	}
}

// hideHostPSKs clears the hosts' PSKs from what a client gets and says
// which hosts have one.
func hideHostPSKs(m *pb.NvmeSubsystem) {
	for _, h := range m.GetHosts() {
		h.PskConfigured = h.GetPsk() != ""
		h.Psk = ""
	}
}
