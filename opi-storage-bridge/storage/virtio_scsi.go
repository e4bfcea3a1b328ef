package storage

import (
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// MaxVirtioScsiLuns is the most LUNs a virtio-scsi target holds: SPDK's
// vhost-user SCSI device has 8 SCSI target numbers, each with one LUN.
const MaxVirtioScsiLuns = 8

func (s *Storage) newVirtioScsi(st store.Store, b Backends) error {
	targets, luns := b.VirtioScsiTargets, b.VirtioScsiLuns
	if targets == nil {
		targets = unimplementedBackend[*pb.VirtioScsiTarget]{"virtio-scsi targets"}
	}
	if luns == nil {
		luns = unimplementedBackend[*pb.VirtioScsiLun]{"virtio-scsi LUNs"}
	}
	var err error
	if s.VirtioScsiTargets, err = newKind(st, KindVirtioScsiTargets, VirtioScsiTargetPattern, targets); err != nil {
		return err
	}
	// A LUN refers to its target (which cannot be deleted under it) and
	// claims its volume.
	s.VirtioScsiLuns, err = newKind(st, KindVirtioScsiLuns, VirtioScsiLunPattern, luns,
		resource.WithReferences(func(m *pb.VirtioScsiLun) []resource.Ref {
			refs := volumeRefs(m.GetVolume())
			if VirtioScsiTargetPattern.Validate(m.GetTarget()) == nil {
				refs = append(refs, resource.Ref{Kind: KindVirtioScsiTargets, Name: m.GetTarget()})
			}
			return refs
		}))
	return err
}

// unimplementedBackend is the backend of a kind the bridge was built
// without: every change is Unimplemented.
type unimplementedBackend[T proto.Message] struct{ what string }

func (u unimplementedBackend[T]) Create(context.Context, T) error {
	return errdefs.Unimplementedf("this bridge has no backend for %s", u.what)
}

func (u unimplementedBackend[T]) Update(context.Context, T, T) error {
	return errdefs.Unimplementedf("this bridge has no backend for %s", u.what)
}

func (u unimplementedBackend[T]) Delete(context.Context, T) error { return nil }

// CreateVirtioScsiTarget validates the target, checks its PCIe endpoint
// (if it has one) is free, and creates it.
func (s *Storage) CreateVirtioScsiTarget(ctx context.Context, id string, in *pb.VirtioScsiTarget) (*pb.VirtioScsiTarget, error) {
	name, err := VirtioScsiTargetPattern.Child("", id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, errdefs.InvalidArgumentf("virtio_scsi_target is required")
	}
	m := proto.Clone(in).(*pb.VirtioScsiTarget)
	if err := validateVirtioScsiTarget(m); err != nil {
		return nil, err
	}
	var out *pb.VirtioScsiTarget
	err = s.claimPcie(ctx, name, m.GetPcie(), func() error {
		var err error
		out, err = s.VirtioScsiTargets.create(ctx, "", id, m)
		return err
	})
	return out, err
}

func validateVirtioScsiTarget(m *pb.VirtioScsiTarget) error {
	switch {
	case m.GetVhostUser() == nil && m.GetPcie() == nil:
		return errdefs.InvalidArgumentf("virtio_scsi_target needs an endpoint: set vhost_user or pcie")
	case m.GetCpumask() != "" && (len(m.GetCpumask()) > maxCpumaskLength || !cpumask.MatchString(m.GetCpumask())):
		return errdefs.InvalidArgumentf("cpumask %q is not a hexadecimal core mask such as \"0x3\"", m.GetCpumask())
	case m.GetMaxLuns() > MaxVirtioScsiLuns:
		return errdefs.InvalidArgumentf("max_luns %d is too many: use 1 to %d, or 0 for %d", m.GetMaxLuns(), MaxVirtioScsiLuns, MaxVirtioScsiLuns)
	}
	return nil
}

// UpdateVirtioScsiTarget changes nothing (every field is fixed) but
// creates the target with allowMissing.
func (s *Storage) UpdateVirtioScsiTarget(ctx context.Context, m *pb.VirtioScsiTarget, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.VirtioScsiTarget, error) {
	if m == nil {
		return nil, errdefs.InvalidArgumentf("virtio_scsi_target is required")
	}
	if err := s.VirtioScsiTargets.exists(ctx, m.GetName()); errors.Is(err, errdefs.ErrNotFound) && allowMissing {
		id, err := VirtioScsiTargetPattern.ID(m.GetName())
		if err != nil {
			return nil, err
		}
		return s.CreateVirtioScsiTarget(ctx, id, m)
	}
	return s.VirtioScsiTargets.update(ctx, m, mask, false)
}

// maxLuns is the number of SCSI target numbers of t.
func maxLuns(t *pb.VirtioScsiTarget) uint32 {
	if t.GetMaxLuns() == 0 {
		return MaxVirtioScsiLuns
	}
	return t.GetMaxLuns()
}

// CreateVirtioScsiLun checks the target and volume are stored, claims the
// volume, picks or checks the SCSI target number and creates the LUN.
// With target_number unset the lowest free number is recorded, so that a
// retried create and a replay ask for the same number.
func (s *Storage) CreateVirtioScsiLun(ctx context.Context, id string, in *pb.VirtioScsiLun) (*pb.VirtioScsiLun, error) {
	name, err := VirtioScsiLunPattern.Child("", id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, errdefs.InvalidArgumentf("virtio_scsi_lun is required")
	}
	m := proto.Clone(in).(*pb.VirtioScsiLun)
	if err := VirtioScsiTargetPattern.Validate(m.GetTarget()); err != nil {
		return nil, errdefs.InvalidArgumentf("target: %v", err)
	}
	if err := validateVolume(m.GetVolume()); err != nil {
		return nil, err
	}
	target, err := s.VirtioScsiTargets.c.Get(ctx, m.GetTarget())
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, errdefs.NotFoundf("target %s not found: create it first", m.GetTarget())
	}
	if err != nil {
		return nil, err
	}
	if m.TargetNumber != nil && m.GetTargetNumber() >= maxLuns(target) {
		return nil, errdefs.InvalidArgumentf("target_number %d is out of range: %s has SCSI target numbers 0 to %d", m.GetTargetNumber(), m.GetTarget(), maxLuns(target)-1)
	}
	if err := s.requireVolume(ctx, m.GetVolume()); err != nil {
		return nil, err
	}
	var out *pb.VirtioScsiLun
	err = s.claimVolume(ctx, name, m.GetVolume(), func() error {
		// The numbers of one target are held from the check to the
		// create, so that concurrent creates cannot take one number.
		defer s.names.lock("target numbers of " + m.GetTarget())()
		used := map[uint32]string{}
		var retried *pb.VirtioScsiLun
		if err := s.eachLun(ctx, m.GetTarget(), func(l *pb.VirtioScsiLun) {
			if l.GetName() == name {
				retried = l
				return
			}
			used[l.GetTargetNumber()] = l.GetName()
		}); err != nil {
			return err
		}
		switch {
		case m.TargetNumber == nil && retried != nil && retried.GetVolume() == m.GetVolume():
			m.TargetNumber = proto.Uint32(retried.GetTargetNumber())
		case m.TargetNumber == nil:
			for n := range maxLuns(target) {
				if _, taken := used[n]; !taken {
					m.TargetNumber = proto.Uint32(n)
					break
				}
			}
			if m.TargetNumber == nil {
				return errdefs.ResourceExhaustedf("%s has no free SCSI target number: all %d hold a LUN", m.GetTarget(), maxLuns(target))
			}
		case used[m.GetTargetNumber()] != "":
			return errdefs.AlreadyExistsf("SCSI target number %d of %s is already taken by %s", m.GetTargetNumber(), m.GetTarget(), used[m.GetTargetNumber()])
		}
		var err error
		out, err = s.VirtioScsiLuns.create(ctx, "", id, m)
		return err
	})
	return out, err
}

// eachLun calls fn for every stored LUN on target, found through the
// reference index (no walk of every LUN).
func (s *Storage) eachLun(ctx context.Context, target string, fn func(*pb.VirtioScsiLun)) error {
	referrers, err := resource.Referrers(ctx, s.st, target)
	if err != nil {
		return err
	}
	for _, r := range referrers {
		if VirtioScsiLunPattern.Validate(r) != nil {
			continue
		}
		l, err := s.VirtioScsiLuns.c.Get(ctx, r)
		if errors.Is(err, errdefs.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		fn(l)
	}
	return nil
}

// UpdateVirtioScsiLun changes nothing (every field is fixed) but creates
// the LUN with allowMissing.
func (s *Storage) UpdateVirtioScsiLun(ctx context.Context, m *pb.VirtioScsiLun, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.VirtioScsiLun, error) {
	if m == nil {
		return nil, errdefs.InvalidArgumentf("virtio_scsi_lun is required")
	}
	if err := s.VirtioScsiLuns.exists(ctx, m.GetName()); errors.Is(err, errdefs.ErrNotFound) && allowMissing {
		id, err := VirtioScsiLunPattern.ID(m.GetName())
		if err != nil {
			return nil, err
		}
		return s.CreateVirtioScsiLun(ctx, id, m)
	}
	return s.VirtioScsiLuns.update(ctx, m, mask, false)
}

// VirtioScsiTargetStats sums the I/O counters of the target's LUNs'
// volumes.
func (s *Storage) VirtioScsiTargetStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	if _, err := s.VirtioScsiTargets.c.Get(ctx, name); err != nil {
		return nil, err
	}
	var volumes []string
	if err := s.eachLun(ctx, name, func(l *pb.VirtioScsiLun) { volumes = append(volumes, l.GetVolume()) }); err != nil {
		return nil, err
	}
	if len(volumes) == 0 {
		return &pb.VolumeStats{}, nil
	}
	return s.read.VolumeStats(ctx, volumes...)
}

// VirtioScsiLunStats returns the I/O counters of the LUN's volume.
func (s *Storage) VirtioScsiLunStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	l, err := s.VirtioScsiLuns.c.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.read.VolumeStats(ctx, l.GetVolume())
}
