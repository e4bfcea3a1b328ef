package storage

import (
	"bytes"
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// MaxQosMbytesPerSec bounds the bandwidth limits: SPDK multiplies them by
// 1 MiB in 64 bits.
const MaxQosMbytesPerSec = 1<<44 - 1

// qosIopsStep is the granularity of SPDK's IOPS limits.
const qosIopsStep = 1000

// CreateEncryptedVolume stacks an encrypted volume on a base volume. Keys
// are checked here and never quoted in any error nor returned; the intent
// store keeps them, since the backend needs them again after it restarts.
func (s *Storage) CreateEncryptedVolume(ctx context.Context, id string, v *pb.EncryptedVolume) (*pb.EncryptedVolume, error) {
	if err := validateEncrypted(v); err != nil {
		return nil, err
	}
	if err := s.requireVolume(ctx, v.GetVolume()); err != nil {
		return nil, err
	}
	return claimCreate(ctx, s, s.EncryptedVolumes, EncryptedVolumePattern, id, v)
}

// UpdateEncryptedVolume changes nothing (every field is fixed) but creates
// the volume with allowMissing.
func (s *Storage) UpdateEncryptedVolume(ctx context.Context, v *pb.EncryptedVolume, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.EncryptedVolume, error) {
	if allowMissing {
		if err := s.EncryptedVolumes.exists(ctx, v.GetName()); errors.Is(err, errdefs.ErrNotFound) {
			if err := validateEncrypted(v); err != nil {
				return nil, err
			}
		}
	}
	return claimUpdate(ctx, s, s.EncryptedVolumes, v, mask, allowMissing, func() error { return validateEncrypted(v) })
}

// EncryptedVolumeStats returns an encrypted volume's I/O counters.
func (s *Storage) EncryptedVolumeStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	return volumeStats(ctx, s, s.EncryptedVolumes, name)
}

// CreateQosVolume stacks a rate-limited volume on a base volume, so that
// the base itself stays unlimited for whoever else has rights to it.
func (s *Storage) CreateQosVolume(ctx context.Context, id string, v *pb.QosVolume) (*pb.QosVolume, error) {
	if err := validateVolume(v.GetVolume()); err != nil {
		return nil, err
	}
	if err := validateLimits(v.GetLimits()); err != nil {
		return nil, err
	}
	if err := s.requireVolume(ctx, v.GetVolume()); err != nil {
		return nil, err
	}
	return claimCreate(ctx, s, s.QosVolumes, QosVolumePattern, id, v)
}

// UpdateQosVolume changes the limits, or creates the volume with
// allowMissing.
func (s *Storage) UpdateQosVolume(ctx context.Context, v *pb.QosVolume, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.QosVolume, error) {
	if allowMissing {
		if err := s.QosVolumes.exists(ctx, v.GetName()); errors.Is(err, errdefs.ErrNotFound) {
			if err := validateVolume(v.GetVolume()); err != nil {
				return nil, err
			}
		}
	}
	if err := validateLimits(v.GetLimits()); err != nil {
		return nil, err
	}
	return claimUpdate(ctx, s, s.QosVolumes, v, mask, allowMissing, func() error { return validateVolume(v.GetVolume()) })
}

// QosVolumeStats returns a QoS volume's I/O counters.
func (s *Storage) QosVolumeStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	return volumeStats(ctx, s, s.QosVolumes, name)
}

func validateEncrypted(v *pb.EncryptedVolume) error {
	if err := validateVolume(v.GetVolume()); err != nil {
		return err
	}
	key, key2 := v.GetKey(), v.GetKey2()
	if len(key) != 16 && len(key) != 32 {
		return errdefs.InvalidArgumentf("key must be 16 or 32 bytes (AES-128 or AES-256), not %d", len(key))
	}
	switch v.GetCipher() {
	case pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC:
		if len(key2) != 0 {
			return errdefs.InvalidArgumentf("key2 must be empty with ENCRYPTION_CIPHER_AES_CBC")
		}
	case pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS:
		switch {
		case len(key2) != len(key):
			return errdefs.InvalidArgumentf("key2 must be as long as key (%d bytes) with ENCRYPTION_CIPHER_AES_XTS, not %d", len(key), len(key2))
		case bytes.Equal(key, key2):
			return errdefs.InvalidArgumentf("key2 must differ from key: AES-XTS with two equal keys is not secure")
		}
	case pb.EncryptionCipher_ENCRYPTION_CIPHER_UNSPECIFIED:
		return errdefs.InvalidArgumentf("cipher is required: ENCRYPTION_CIPHER_AES_XTS (preferred) or ENCRYPTION_CIPHER_AES_CBC")
	default:
		return errdefs.InvalidArgumentf("cipher %d is not a known cipher: use ENCRYPTION_CIPHER_AES_XTS or ENCRYPTION_CIPHER_AES_CBC", v.GetCipher())
	}
	if _, ok := pb.EncryptionTweakMode_name[int32(v.GetTweakMode())]; !ok {
		return errdefs.InvalidArgumentf("tweak_mode %d is not a known tweak mode: use SIMPLE_LBA, JOIN_NEG_LBA_WITH_LBA, INCR_512_FULL_LBA or INCR_512_UPPER_LBA, or leave it unset", v.GetTweakMode())
	}
	return nil
}

func validateLimits(l *pb.QosLimits) error {
	for _, f := range []struct {
		name string
		v    uint64
	}{{"rw_mbytes_per_sec", l.GetRwMbytesPerSec()}, {"r_mbytes_per_sec", l.GetRMbytesPerSec()}, {"w_mbytes_per_sec", l.GetWMbytesPerSec()}} {
		if f.v > MaxQosMbytesPerSec {
			return errdefs.InvalidArgumentf("limits.%s %d is too large: at most %d MiB/s, or 0 for no limit", f.name, f.v, uint64(MaxQosMbytesPerSec))
		}
	}
	iops := l.GetRwIosPerSec()
	if iops > 1<<62 {
		return errdefs.InvalidArgumentf("limits.rw_ios_per_sec %d is too large: at most %d, or 0 for no limit", iops, uint64(1<<62))
	}
	// SPDK rounds an IOPS limit up to a multiple of 1000 and enforces that:
	// stored as asked, the limit would claim less than is enforced.
	if iops%qosIopsStep != 0 {
		up := (iops/qosIopsStep + 1) * qosIopsStep
		return errdefs.InvalidArgumentf("limits.rw_ios_per_sec %d is not a multiple of %d, the step SPDK enforces IOPS limits in: SPDK would enforce %d; ask for that, or for a multiple of %d below",
			iops, qosIopsStep, up, qosIopsStep)
	}
	return nil
}
