package storage

import (
	"context"
	"errors"
	"sync"

	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// A volume backs at most one claimant: an NVMe namespace (in any
// subsystem), a logical volume store, an encrypted or a QoS volume. SPDK
// enforces the same (each of them claims the volume's bdev), but only
// after the fact and without saying who holds it; worse, a refusal that
// looks like "already there" could be mistaken for a retried create and
// leave a phantom resource whose delete would remove the real owner's
// object. So the domain checks first, naming the claimant, and holds the
// volume while the claimant is created, so that two concurrent creates
// cannot both pass the check.

// claimVolume runs create while no other resource can claim volume; a
// resource other than claimant already on volume is FailedPrecondition.
func (s *Storage) claimVolume(ctx context.Context, claimant, volume string, create func() error) error {
	unlock := s.volumes.lock(volume)
	defer unlock()
	owner, err := s.volumeClaimant(ctx, claimant, volume)
	if err != nil {
		return err
	}
	// A claimant stored already is a retried create: the collection
	// answers it (the same object, or AlreadyExists for another spec).
	if owner != "" && owner != claimant {
		return errdefs.FailedPreconditionf("volume %s is already claimed by %s; a volume backs one namespace, store, encrypted or QoS volume, or virtio-scsi LUN: delete %s first or use another volume",
			volume, owner, owner)
	}
	return create()
}

// volumeClaimant returns claimant when it is stored already, else the
// stored resource that claims volume, or "". Both answers come from the
// intent store's indexes, never from walking a collection, so a create
// costs the same with ten or a hundred thousand resources: the claimant
// is one lookup, and the resources on volume are its referrers in the
// reference index (every claimant kind declares its volume as a
// reference), filtered to the claimant kinds (a virtio-blk device refers
// to its volume without claiming it).
func (s *Storage) volumeClaimant(ctx context.Context, claimant, volume string) (string, error) {
	if stored, err := s.claimantStored(ctx, claimant); err != nil || stored {
		if stored {
			return claimant, nil
		}
		return "", err
	}
	referrers, err := resource.Referrers(ctx, s.st, volume)
	if err != nil {
		return "", err
	}
	for _, r := range referrers {
		if claimantKind(r) != nil {
			return r, nil
		}
	}
	return "", nil
}

// claimantKinds are the kinds whose resources claim their volume.
var claimantKinds = []*aip.Pattern{NvmeNamespacePattern, LogicalVolumeStorePattern, EncryptedVolumePattern, QosVolumePattern, VirtioScsiLunPattern}

// claimantKind returns the pattern of the claimant kind name belongs to.
func claimantKind(name string) *aip.Pattern {
	for _, p := range claimantKinds {
		if _, err := p.Parse(name); err == nil {
			return p
		}
	}
	return nil
}

// claimantStored reports whether claimant is stored in its collection (the
// store alone: no backend call).
func (s *Storage) claimantStored(ctx context.Context, claimant string) (bool, error) {
	var err error
	switch claimantKind(claimant) {
	case NvmeNamespacePattern:
		_, err = s.NvmeNamespaces.c.Get(ctx, claimant)
	case LogicalVolumeStorePattern:
		_, err = s.LogicalVolumeStores.c.Get(ctx, claimant)
	case EncryptedVolumePattern:
		_, err = s.EncryptedVolumes.c.Get(ctx, claimant)
	case QosVolumePattern:
		_, err = s.QosVolumes.c.Get(ctx, claimant)
	case VirtioScsiLunPattern:
		_, err = s.VirtioScsiLuns.c.Get(ctx, claimant)
	default:
		return false, nil
	}
	if errors.Is(err, errdefs.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// keyLocks is a mutex per key (a volume name), dropped when unused.
type keyLocks struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int
}

func (l *keyLocks) lock(key string) (unlock func()) {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]*keyLock{}
	}
	k := l.m[key]
	if k == nil {
		k = &keyLock{}
		l.m[key] = k
	}
	k.users++
	l.mu.Unlock()
	k.Lock()
	return func() {
		k.Unlock()
		l.mu.Lock()
		if k.users--; k.users == 0 {
			delete(l.m, key)
		}
		l.mu.Unlock()
	}
}

// claimCreate creates the top-level resource m of kind k, which claims
// the volume it stacks on.
func claimCreate[T interface {
	named
	GetVolume() string
}](ctx context.Context, s *Storage, k *Kind[T], p *aip.Pattern, id string, m T) (T, error) {
	var out T
	name, err := p.Child("", id)
	if err != nil {
		return out, err
	}
	err = s.claimVolume(ctx, name, m.GetVolume(), func() error {
		var err error
		out, err = k.create(ctx, "", id, m)
		return err
	})
	return out, err
}

// claimUpdate is k.update for a kind whose resources claim their volume:
// an update that creates (allowMissing, m not stored) claims the volume as
// a create does, so allow_missing cannot get around the rule. The caller
// validated m as a create if it saw m missing; if m is deleted between
// that look and the update's lock, validate (the same validation) runs
// before m is created, with its volume claimed.
func claimUpdate[T interface {
	named
	GetVolume() string
}](ctx context.Context, s *Storage, k *Kind[T], m T, mask *fieldmaskpb.FieldMask, allowMissing bool, validate func() error) (T, error) {
	var out T
	if !allowMissing {
		return k.update(ctx, m, mask, false)
	}
	if err := k.exists(ctx, m.GetName()); !errors.Is(err, errdefs.ErrNotFound) {
		// Stored (or a bad name, which the update reports): an update,
		// unless m is gone by the time the update holds its name.
		errGone := errors.New("deleted since")
		var err error
		out, err = k.updateChecked(ctx, m, mask, true, func(T) error {
			if errors.Is(k.exists(ctx, m.GetName()), errdefs.ErrNotFound) {
				return errGone
			}
			return nil
		})
		if !errors.Is(err, errGone) {
			return out, err
		}
		if err := validate(); err != nil {
			return out, err
		}
	}
	err := s.claimVolume(ctx, m.GetName(), m.GetVolume(), func() error {
		var err error
		out, err = k.update(ctx, m, mask, true)
		return err
	})
	return out, err
}
