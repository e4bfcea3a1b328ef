package service

import (
	"bytes"
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/protobuf/types/known/emptypb"
)

// MaxQosMbytesPerSec bounds the bandwidth limits: SPDK multiplies them by
// 1 MiB in 64 bits.
const MaxQosMbytesPerSec = 1<<44 - 1

// MiddleendService implements storagev1.MiddleendService: encrypted and
// QoS volumes. Keys are validated here and never quoted in any error.
type MiddleendService struct {
	pb.UnimplementedMiddleendServiceServer
	m *backend.MiddleendCollections
	c spdk.Caller
}

// NewMiddleendService returns the service over m; c serves the Stats
// methods.
func NewMiddleendService(m *backend.MiddleendCollections, c spdk.Caller) *MiddleendService {
	return &MiddleendService{m: m, c: c}
}

// CreateEncryptedVolume stacks an encrypted volume on a base volume.
func (s *MiddleendService) CreateEncryptedVolume(ctx context.Context, r *pb.CreateEncryptedVolumeRequest) (*pb.EncryptedVolume, error) {
	if err := validateEncrypted(r.GetEncryptedVolume()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.m.Encrypted.Create(ctx, "", r.GetEncryptedVolumeId(), r.GetEncryptedVolume())
	return out, apiStatus(err)
}

// GetEncryptedVolume returns one encrypted volume (without its keys).
func (s *MiddleendService) GetEncryptedVolume(ctx context.Context, r *pb.GetEncryptedVolumeRequest) (*pb.EncryptedVolume, error) {
	out, err := s.m.Encrypted.Get(ctx, r.GetName())
	return withoutKeys(out), apiStatus(err)
}

// ListEncryptedVolumes lists encrypted volumes by name (without keys).
func (s *MiddleendService) ListEncryptedVolumes(ctx context.Context, r *pb.ListEncryptedVolumesRequest) (*pb.ListEncryptedVolumesResponse, error) {
	items, next, err := s.m.Encrypted.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	for _, v := range items {
		withoutKeys(v)
	}
	return &pb.ListEncryptedVolumesResponse{EncryptedVolumes: items, NextPageToken: next}, nil
}

// UpdateEncryptedVolume changes nothing (every field is fixed) but creates
// the volume with allow_missing.
func (s *MiddleendService) UpdateEncryptedVolume(ctx context.Context, r *pb.UpdateEncryptedVolumeRequest) (*pb.EncryptedVolume, error) {
	in := r.GetEncryptedVolume()
	if r.GetAllowMissing() {
		if _, err := s.m.Encrypted.Get(ctx, in.GetName()); errors.Is(err, aip.ErrNotFound) {
			if err := validateEncrypted(in); err != nil {
				return nil, apiStatus(err)
			}
		}
	}
	out, err := s.m.Encrypted.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return withoutKeys(out), apiStatus(err)
}

// DeleteEncryptedVolume deletes an encrypted volume and its SPDK key.
func (s *MiddleendService) DeleteEncryptedVolume(ctx context.Context, r *pb.DeleteEncryptedVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.m.Encrypted.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// StatsEncryptedVolume returns an encrypted volume's I/O counters.
func (s *MiddleendService) StatsEncryptedVolume(ctx context.Context, r *pb.StatsEncryptedVolumeRequest) (*pb.StatsEncryptedVolumeResponse, error) {
	st, err := stats(ctx, s.c, s.m.Encrypted, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsEncryptedVolumeResponse{Stats: st}, nil
}

// CreateQosVolume stacks a rate-limited volume on a base volume.
func (s *MiddleendService) CreateQosVolume(ctx context.Context, r *pb.CreateQosVolumeRequest) (*pb.QosVolume, error) {
	v := r.GetQosVolume()
	if err := validateVolume(v.GetVolume()); err != nil {
		return nil, apiStatus(err)
	}
	if err := validateLimits(v.GetLimits()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.m.Qos.Create(ctx, "", r.GetQosVolumeId(), v)
	return out, apiStatus(err)
}

// GetQosVolume returns one QoS volume.
func (s *MiddleendService) GetQosVolume(ctx context.Context, r *pb.GetQosVolumeRequest) (*pb.QosVolume, error) {
	out, err := s.m.Qos.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListQosVolumes lists QoS volumes by name.
func (s *MiddleendService) ListQosVolumes(ctx context.Context, r *pb.ListQosVolumesRequest) (*pb.ListQosVolumesResponse, error) {
	items, next, err := s.m.Qos.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListQosVolumesResponse{QosVolumes: items, NextPageToken: next}, nil
}

// UpdateQosVolume changes the limits, or creates the volume with
// allow_missing.
func (s *MiddleendService) UpdateQosVolume(ctx context.Context, r *pb.UpdateQosVolumeRequest) (*pb.QosVolume, error) {
	in := r.GetQosVolume()
	if r.GetAllowMissing() {
		if _, err := s.m.Qos.Get(ctx, in.GetName()); errors.Is(err, aip.ErrNotFound) {
			if err := validateVolume(in.GetVolume()); err != nil {
				return nil, apiStatus(err)
			}
		}
	}
	if err := validateLimits(in.GetLimits()); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.m.Qos.Update(ctx, in, r.GetUpdateMask(), r.GetAllowMissing())
	return out, apiStatus(err)
}

// DeleteQosVolume deletes a QoS volume; the base volume stays.
func (s *MiddleendService) DeleteQosVolume(ctx context.Context, r *pb.DeleteQosVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.m.Qos.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}

// StatsQosVolume returns a QoS volume's I/O counters.
func (s *MiddleendService) StatsQosVolume(ctx context.Context, r *pb.StatsQosVolumeRequest) (*pb.StatsQosVolumeResponse, error) {
	st, err := stats(ctx, s.c, s.m.Qos, r.GetName())
	if err != nil {
		return nil, err
	}
	return &pb.StatsQosVolumeResponse{Stats: st}, nil
}

// withoutKeys clears the key material from a response. The server's
// redaction does it too; doing it here keeps keys out of any other caller
// of the service (tests, in-process clients).
func withoutKeys(v *pb.EncryptedVolume) *pb.EncryptedVolume {
	if v != nil {
		v.Key, v.Key2 = nil, nil
	}
	return v
}

func validateEncrypted(v *pb.EncryptedVolume) error {
	if err := validateVolume(v.GetVolume()); err != nil {
		return err
	}
	key, key2 := v.GetKey(), v.GetKey2()
	if len(key) != 16 && len(key) != 32 {
		return aip.InvalidArgumentf("key must be 16 or 32 bytes (AES-128 or AES-256), not %d", len(key))
	}
	switch v.GetCipher() {
	case pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC:
		if len(key2) != 0 {
			return aip.InvalidArgumentf("key2 must be empty with ENCRYPTION_CIPHER_AES_CBC")
		}
	case pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS:
		switch {
		case len(key2) != len(key):
			return aip.InvalidArgumentf("key2 must be as long as key (%d bytes) with ENCRYPTION_CIPHER_AES_XTS, not %d", len(key), len(key2))
		case bytes.Equal(key, key2):
			return aip.InvalidArgumentf("key2 must differ from key: AES-XTS with two equal keys is not secure")
		}
	case pb.EncryptionCipher_ENCRYPTION_CIPHER_UNSPECIFIED:
		return aip.InvalidArgumentf("cipher is required: ENCRYPTION_CIPHER_AES_XTS (preferred) or ENCRYPTION_CIPHER_AES_CBC")
	default:
		return aip.InvalidArgumentf("cipher %d is not a known cipher: use ENCRYPTION_CIPHER_AES_XTS or ENCRYPTION_CIPHER_AES_CBC", v.GetCipher())
	}
	if _, ok := pb.EncryptionTweakMode_name[int32(v.GetTweakMode())]; !ok {
		return aip.InvalidArgumentf("tweak_mode %d is not a known tweak mode: use SIMPLE_LBA, JOIN_NEG_LBA_WITH_LBA, INCR_512_FULL_LBA or INCR_512_UPPER_LBA, or leave it unset", v.GetTweakMode())
	}
	return nil
}

func validateLimits(l *pb.QosLimits) error {
	for _, f := range []struct {
		name string
		v    uint64
	}{{"rw_mbytes_per_sec", l.GetRwMbytesPerSec()}, {"r_mbytes_per_sec", l.GetRMbytesPerSec()}, {"w_mbytes_per_sec", l.GetWMbytesPerSec()}} {
		if f.v > MaxQosMbytesPerSec {
			return aip.InvalidArgumentf("limits.%s %d is too large: at most %d MiB/s, or 0 for no limit", f.name, f.v, uint64(MaxQosMbytesPerSec))
		}
	}
	if l.GetRwIosPerSec() > 1<<62 {
		return aip.InvalidArgumentf("limits.rw_ios_per_sec %d is too large: at most %d, or 0 for no limit", l.GetRwIosPerSec(), uint64(1<<62))
	}
	return nil
}
