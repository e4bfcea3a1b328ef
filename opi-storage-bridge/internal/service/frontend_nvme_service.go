package service

import (
	"context"
	"errors"
	"sync"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// FrontendNvmeService implements opi.storage.v1.FrontendNvmeService on the
// frontend collections: it validates each request, calls the domain layer
// and maps its error once.
type FrontendNvmeService struct {
	pb.UnimplementedFrontendNvmeServiceServer
	f    *backend.FrontendCollections
	spdk spdk.Caller
	pcie *PcieEndpoints
	// nqns serializes subsystem creates so two cannot take one NQN.
	nqns sync.Mutex
}

// NewFrontendNvmeService returns the service. pcie is shared with the
// virtio-blk service; nil makes a private one.
func NewFrontendNvmeService(f *backend.FrontendCollections, c spdk.Caller, pcie *PcieEndpoints) *FrontendNvmeService {
	if pcie == nil {
		pcie = NewPcieEndpoints(f)
	}
	return &FrontendNvmeService{f: f, spdk: c, pcie: pcie}
}

// CreateNvmeSubsystem validates the subsystem, fills the serial and model
// numbers when empty, and creates it.
func (s *FrontendNvmeService) CreateNvmeSubsystem(ctx context.Context, r *pb.CreateNvmeSubsystemRequest) (*pb.NvmeSubsystem, error) {
	out, err := s.createSubsystem(ctx, r.GetNvmeSubsystemId(), r.GetNvmeSubsystem())
	return out, apiStatus(err)
}

func (s *FrontendNvmeService) createSubsystem(ctx context.Context, id string, in *pb.NvmeSubsystem) (*pb.NvmeSubsystem, error) {
	name, err := backend.NvmeSubsystemPattern.Child("", id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, aip.InvalidArgumentf("nvme_subsystem is required")
	}
	m := proto.Clone(in).(*pb.NvmeSubsystem)
	if err := validateSubsystem(m); err != nil {
		return nil, err
	}
	if m.SerialNumber == "" {
		m.SerialNumber = defaultSerial(name)
	}
	if m.ModelNumber == "" {
		m.ModelNumber = defaultModel
	}
	s.nqns.Lock()
	defer s.nqns.Unlock()
	if err := s.nqnFree(ctx, name, m.GetNqn()); err != nil {
		return nil, err
	}
	out, err := s.f.Subsystems.Create(ctx, "", id, m)
	return subsystemOut(out), err
}

func validateSubsystem(m *pb.NvmeSubsystem) error {
	if err := validateNQN("nqn", m.GetNqn()); err != nil {
		return err
	}
	if m.GetNqn() == discoveryNQN {
		return aip.InvalidArgumentf("nqn %s is the discovery subsystem's; choose another", discoveryNQN)
	}
	if err := validatePrintable("serial_number", m.GetSerialNumber(), maxSerialLength); err != nil {
		return err
	}
	if err := validatePrintable("model_number", m.GetModelNumber(), maxModelLength); err != nil {
		return err
	}
	if m.GetMaxNamespaces() > maxNamespaces {
		return aip.InvalidArgumentf("max_namespaces %d is too large: use 1 to %d, or 0 for %d", m.GetMaxNamespaces(), maxNamespaces, defaultNamespaces)
	}
	return validateHosts(m.GetHosts())
}

// nqnFree reports AlreadyExists when another stored subsystem has nqn.
func (s *FrontendNvmeService) nqnFree(ctx context.Context, name, nqn string) error {
	errTaken := errors.New("taken")
	var owner string
	err := s.f.Subsystems.Walk(ctx, func(o *pb.NvmeSubsystem) error {
		if o.GetNqn() == nqn && o.GetName() != name {
			owner = o.GetName()
			return errTaken
		}
		return nil
	})
	if errors.Is(err, errTaken) {
		return aip.AlreadyExistsf("NQN %s is already used by %s", nqn, owner)
	}
	return err
}

// GetNvmeSubsystem returns one subsystem.
func (s *FrontendNvmeService) GetNvmeSubsystem(ctx context.Context, r *pb.GetNvmeSubsystemRequest) (*pb.NvmeSubsystem, error) {
	out, err := s.f.Subsystems.Get(ctx, r.GetName())
	return subsystemOut(out), apiStatus(err)
}

// ListNvmeSubsystems returns one page of subsystems.
func (s *FrontendNvmeService) ListNvmeSubsystems(ctx context.Context, r *pb.ListNvmeSubsystemsRequest) (*pb.ListNvmeSubsystemsResponse, error) {
	items, next, err := s.f.Subsystems.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	for i, m := range items {
		items[i] = subsystemOut(m)
	}
	return &pb.ListNvmeSubsystemsResponse{NvmeSubsystems: items, NextPageToken: next}, nil
}

// UpdateNvmeSubsystem changes allow_any_host or the host list.
func (s *FrontendNvmeService) UpdateNvmeSubsystem(ctx context.Context, r *pb.UpdateNvmeSubsystemRequest) (*pb.NvmeSubsystem, error) {
	out, err := s.updateSubsystem(ctx, r.GetNvmeSubsystem(), r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

func (s *FrontendNvmeService) updateSubsystem(ctx context.Context, m *pb.NvmeSubsystem, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.NvmeSubsystem, error) {
	if m == nil {
		return nil, aip.InvalidArgumentf("nvme_subsystem is required")
	}
	cur, err := s.f.Subsystems.Get(ctx, m.GetName())
	if errors.Is(err, aip.ErrNotFound) && allowMissing {
		id, _ := backend.NvmeSubsystemPattern.ID(m.GetName())
		return s.createSubsystem(ctx, id, m)
	}
	if err != nil {
		return nil, err
	}
	if err := validateHosts(m.GetHosts()); err != nil {
		return nil, err
	}
	next := proto.Clone(cur).(*pb.NvmeSubsystem)
	if err := aip.ApplyFieldMask(next, m, mask); err != nil {
		return nil, err
	}
	if next.GetAllowAnyHost() && !cur.GetAllowAnyHost() {
		if user, err := s.secureController(ctx, m.GetName()); err != nil || user != "" {
			if err == nil {
				err = aip.FailedPreconditionf("allow_any_host cannot be set while controller %s requires a secure channel; delete it first", user)
			}
			return nil, err
		}
	}
	out, err := s.f.Subsystems.Update(ctx, m, mask, false)
	return subsystemOut(out), err
}

// secureController returns the name of a controller of subsystem that has
// secure_channel, or "".
func (s *FrontendNvmeService) secureController(ctx context.Context, subsystem string) (string, error) {
	var user string
	err := s.eachChild(ctx, subsystem, func(c *pb.NvmeController) {
		if c.GetSecureChannel() && user == "" {
			user = c.GetName()
		}
	})
	return user, err
}

// DeleteNvmeSubsystem deletes a subsystem; with force its controllers and
// namespaces first.
func (s *FrontendNvmeService) DeleteNvmeSubsystem(ctx context.Context, r *pb.DeleteNvmeSubsystemRequest) (*emptypb.Empty, error) {
	if r.GetForce() {
		if err := s.deleteChildren(ctx, r.GetName()); err != nil {
			return nil, apiStatus(err)
		}
	}
	err := s.f.Subsystems.Delete(ctx, r.GetName(), r.GetAllowMissing())
	if errors.Is(err, aip.ErrFailedPrecondition) && !r.GetForce() {
		err = aip.FailedPreconditionf("%w (or set force to delete its controllers and namespaces with it)", err)
	}
	return &emptypb.Empty{}, apiStatus(err)
}

func (s *FrontendNvmeService) deleteChildren(ctx context.Context, subsystem string) error {
	if err := backend.NvmeSubsystemPattern.Validate(subsystem); err != nil {
		return err
	}
	var ctrls []string
	if err := s.eachChild(ctx, subsystem, func(c *pb.NvmeController) { ctrls = append(ctrls, c.GetName()) }); err != nil {
		return err
	}
	for _, n := range ctrls {
		if err := s.f.Controllers.Delete(ctx, n, true); err != nil {
			return err
		}
	}
	for token := ""; ; {
		page, next, err := s.f.Namespaces.List(ctx, subsystem, 1000, token)
		if err != nil {
			return err
		}
		for _, ns := range page {
			if err := s.f.Namespaces.Delete(ctx, ns.GetName(), true); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// eachChild calls fn for every controller of subsystem.
func (s *FrontendNvmeService) eachChild(ctx context.Context, subsystem string, fn func(*pb.NvmeController)) error {
	for token := ""; ; {
		page, next, err := s.f.Controllers.List(ctx, subsystem, 1000, token)
		if err != nil {
			return err
		}
		for _, c := range page {
			fn(c)
		}
		if next == "" {
			return nil
		}
		token = next
	}
}

// StatsNvmeSubsystem sums the I/O counters of the subsystem's namespaces
// and lists the hosts connected now.
func (s *FrontendNvmeService) StatsNvmeSubsystem(ctx context.Context, r *pb.StatsNvmeSubsystemRequest) (*pb.StatsNvmeSubsystemResponse, error) {
	sub, err := s.f.Subsystems.Get(ctx, r.GetName())
	if err != nil {
		return nil, apiStatus(err)
	}
	var bdevs []string
	for token := ""; ; {
		page, next, err := s.f.Namespaces.List(ctx, r.GetName(), 1000, token)
		if err != nil {
			return nil, apiStatus(err)
		}
		for _, ns := range page {
			if b, err := backend.BdevName(ns.GetVolume()); err == nil {
				bdevs = append(bdevs, b)
			}
		}
		if token = next; token == "" {
			break
		}
	}
	stats := &pb.VolumeStats{}
	if len(bdevs) > 0 {
		if stats, err = backend.BdevStats(ctx, s.spdk, bdevs...); err != nil {
			return nil, apiStatus(err)
		}
	}
	conns, err := s.connections(ctx, sub.GetNqn(), nil)
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.StatsNvmeSubsystemResponse{Stats: stats, Connections: conns}, nil
}

// subsystemOut is the subsystem as clients see it: PSKs removed (also
// done by the server's redaction, but the service never relies on it) and
// psk_configured set.
func subsystemOut(m *pb.NvmeSubsystem) *pb.NvmeSubsystem {
	if m == nil {
		return nil
	}
	for _, h := range m.GetHosts() {
		h.PskConfigured = h.GetPsk() != ""
		h.Psk = ""
	}
	return m
}
