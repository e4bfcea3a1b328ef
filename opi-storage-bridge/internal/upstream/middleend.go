package upstream

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// EncryptedVolumes implements upstream's MiddleendEncryptionService.
type EncryptedVolumes struct {
	up.UnimplementedMiddleendEncryptionServiceServer
	s *storage.Storage
}

var encMask = map[string][]string{"volume_name_ref": {"volume"}, "key": {"key", "key2"}, "cipher": {"cipher"}}

// cipher is how one of upstream's ciphers maps onto the native ones: the
// native cipher, and the length of each key. AES-XTS takes two keys of
// the cipher's size, which upstream sends as one (key then key2), as
// SPDK's own bridge reads it.
type cipher struct {
	native pb.EncryptionCipher
	keyLen int
	xts    bool
}

var ciphers = map[up.EncryptionType]cipher{
	up.EncryptionType_ENCRYPTION_TYPE_AES_CBC_128: {pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC, 16, false},
	up.EncryptionType_ENCRYPTION_TYPE_AES_CBC_256: {pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC, 32, false},
	up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_128: {pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, 16, true},
	up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_256: {pb.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS, 32, true},
}

// encToNative reads an encrypted volume. The key is never quoted.
func (a *EncryptedVolumes) encToNative(ctx context.Context, in *up.EncryptedVolume) (*pb.EncryptedVolume, error) {
	c, ok := ciphers[in.GetCipher()]
	if !ok {
		return nil, errdefs.InvalidArgumentf("encrypted_volume.cipher %s is not supported: use AES_XTS_128, AES_XTS_256, AES_CBC_128 or AES_CBC_256 (SPDK's AES keys are 128 or 256 bits)", in.GetCipher())
	}
	want := c.keyLen
	if c.xts {
		want *= 2
	}
	key := in.GetKey()
	if len(key) != want {
		return nil, errdefs.InvalidArgumentf("encrypted_volume.key must be %d bytes with %s, not %d", want, in.GetCipher(), len(key))
	}
	vol, err := volumeRef(ctx, a.s, "encrypted_volume.volume_name_ref", in.GetVolumeNameRef())
	if err != nil {
		return nil, err
	}
	out := &pb.EncryptedVolume{Name: name(storage.KindEncryptedVolumes, in.GetName()), Volume: vol, Cipher: c.native}
	if c.xts {
		out.Key, out.Key2 = append([]byte(nil), key[:c.keyLen]...), append([]byte(nil), key[c.keyLen:]...)
	} else {
		out.Key = append([]byte(nil), key...)
	}
	return out, nil
}

// encFromNative answers an encrypted volume without its key. The cipher's
// size is read from the stored intent's key length.
func (a *EncryptedVolumes) encFromNative(ctx context.Context, in *pb.EncryptedVolume) *up.EncryptedVolume {
	out := &up.EncryptedVolume{Name: in.GetName(), VolumeNameRef: in.GetVolume()}
	stored, err := a.s.EncryptedVolumes.Collection().Get(ctx, in.GetName())
	if err != nil {
		return out
	}
	for t, c := range ciphers {
		if c.native == stored.GetCipher() && c.keyLen == len(stored.GetKey()) {
			out.Cipher = t
		}
	}
	return out
}

// CreateEncryptedVolume implements upstream's MiddleendEncryptionService.
func (a *EncryptedVolumes) CreateEncryptedVolume(ctx context.Context, r *up.CreateEncryptedVolumeRequest) (*up.EncryptedVolume, error) {
	id, err := idOrNew(r.GetEncryptedVolumeId())
	if err != nil {
		return nil, err
	}
	v, err := a.encToNative(ctx, r.GetEncryptedVolume())
	if err != nil {
		return nil, err
	}
	v.Name = ""
	out, err := a.s.CreateEncryptedVolume(ctx, id, v)
	if err != nil {
		return nil, err
	}
	return a.encFromNative(ctx, out), nil
}

// DeleteEncryptedVolume implements upstream's MiddleendEncryptionService.
func (a *EncryptedVolumes) DeleteEncryptedVolume(ctx context.Context, r *up.DeleteEncryptedVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.EncryptedVolumes.Delete(ctx, name(storage.KindEncryptedVolumes, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateEncryptedVolume implements upstream's MiddleendEncryptionService:
// every field is fixed (the native API's rule), so an update changes
// nothing but creates the volume with allow_missing.
func (a *EncryptedVolumes) UpdateEncryptedVolume(ctx context.Context, r *up.UpdateEncryptedVolumeRequest) (*up.EncryptedVolume, error) {
	m, err := mask(r.GetUpdateMask(), encMask)
	if err != nil {
		return nil, err
	}
	v, err := a.encToNative(ctx, r.GetEncryptedVolume())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateEncryptedVolume(ctx, v, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return a.encFromNative(ctx, out), nil
}

// ListEncryptedVolumes implements upstream's MiddleendEncryptionService.
// Upstream's parent has no meaning here (godpu sends "todo"): every
// encrypted volume is listed.
func (a *EncryptedVolumes) ListEncryptedVolumes(ctx context.Context, r *up.ListEncryptedVolumesRequest) (*up.ListEncryptedVolumesResponse, error) {
	items, next, err := a.s.EncryptedVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListEncryptedVolumesResponse{NextPageToken: next}
	for _, it := range items {
		out.EncryptedVolumes = append(out.EncryptedVolumes, a.encFromNative(ctx, it))
	}
	return out, nil
}

// GetEncryptedVolume implements upstream's MiddleendEncryptionService.
func (a *EncryptedVolumes) GetEncryptedVolume(ctx context.Context, r *up.GetEncryptedVolumeRequest) (*up.EncryptedVolume, error) {
	out, err := a.s.EncryptedVolumes.Get(ctx, name(storage.KindEncryptedVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return a.encFromNative(ctx, out), nil
}

// StatsEncryptedVolume implements upstream's MiddleendEncryptionService.
func (a *EncryptedVolumes) StatsEncryptedVolume(ctx context.Context, r *up.StatsEncryptedVolumeRequest) (*up.StatsEncryptedVolumeResponse, error) {
	st, err := a.s.EncryptedVolumeStats(ctx, name(storage.KindEncryptedVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsEncryptedVolumeResponse{Stats: stats(st)}, nil
}

// QosVolumes implements upstream's MiddleendQosVolumeService.
type QosVolumes struct {
	up.UnimplementedMiddleendQosVolumeServiceServer
	s *storage.Storage
}

var qosMask = map[string][]string{
	"volume_name_ref": {"volume"},
	"limits":          {"limits"},
	"limits.max":      {"limits"},
	// Upstream's per-field paths below limits.max.
	"limits.max.rw_iops_kiops":    {"limits.rw_ios_per_sec"},
	"limits.max.rw_bandwidth_mbs": {"limits.rw_mbytes_per_sec"},
	"limits.max.rd_bandwidth_mbs": {"limits.r_mbytes_per_sec"},
	"limits.max.wr_bandwidth_mbs": {"limits.w_mbytes_per_sec"},
}

// qosToNative reads a QoS volume. SPDK enforces maxima only, and IOPS for
// reads and writes together: minimum limits and read- or write-only IOPS
// limits are refused.
func (a *QosVolumes) qosToNative(ctx context.Context, in *up.QosVolume) (*pb.QosVolume, error) {
	lim := in.GetLimits()
	mn, mx := lim.GetMin(), lim.GetMax()
	if mn.GetRdIopsKiops() != 0 || mn.GetWrIopsKiops() != 0 || mn.GetRwIopsKiops() != 0 ||
		mn.GetRdBandwidthMbs() != 0 || mn.GetWrBandwidthMbs() != 0 || mn.GetRwBandwidthMbs() != 0 {
		return nil, refuse(true, "qos_volume.limits.min", "SPDK enforces maximum limits only")
	}
	if err := refuse(mx.GetRdIopsKiops() != 0, "qos_volume.limits.max.rd_iops_kiops", "SPDK limits the IOPS of reads and writes together: use rw_iops_kiops"); err != nil {
		return nil, err
	}
	if err := refuse(mx.GetWrIopsKiops() != 0, "qos_volume.limits.max.wr_iops_kiops", "SPDK limits the IOPS of reads and writes together: use rw_iops_kiops"); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		field string
		v     int64
	}{{"rw_iops_kiops", mx.GetRwIopsKiops()}, {"rw_bandwidth_mbs", mx.GetRwBandwidthMbs()}, {"rd_bandwidth_mbs", mx.GetRdBandwidthMbs()}, {"wr_bandwidth_mbs", mx.GetWrBandwidthMbs()}} {
		if f.v < 0 {
			return nil, errdefs.InvalidArgumentf("qos_volume.limits.max.%s %d is negative", f.field, f.v)
		}
	}
	if mx.GetRwIopsKiops() > 1<<52 {
		return nil, errdefs.InvalidArgumentf("qos_volume.limits.max.rw_iops_kiops %d is too large", mx.GetRwIopsKiops())
	}
	vol, err := volumeRef(ctx, a.s, "qos_volume.volume_name_ref", in.GetVolumeNameRef())
	if err != nil {
		return nil, err
	}
	return &pb.QosVolume{Name: name(storage.KindQosVolumes, in.GetName()), Volume: vol, Limits: &pb.QosLimits{
		RwIosPerSec:    uint64(mx.GetRwIopsKiops()) * 1000,
		RwMbytesPerSec: uint64(mx.GetRwBandwidthMbs()),
		RMbytesPerSec:  uint64(mx.GetRdBandwidthMbs()),
		WMbytesPerSec:  uint64(mx.GetWrBandwidthMbs()),
	}}, nil
}

func qosFromNative(in *pb.QosVolume) *up.QosVolume {
	l := in.GetLimits()
	return &up.QosVolume{Name: in.GetName(), VolumeNameRef: in.GetVolume(), Limits: &up.Limits{Max: &up.QosLimit{
		RwIopsKiops:    int64(l.GetRwIosPerSec() / 1000),
		RwBandwidthMbs: int64(l.GetRwMbytesPerSec()),
		RdBandwidthMbs: int64(l.GetRMbytesPerSec()),
		WrBandwidthMbs: int64(l.GetWMbytesPerSec()),
	}}}
}

// CreateQosVolume implements upstream's MiddleendQosVolumeService.
func (a *QosVolumes) CreateQosVolume(ctx context.Context, r *up.CreateQosVolumeRequest) (*up.QosVolume, error) {
	id, err := idOrNew(r.GetQosVolumeId())
	if err != nil {
		return nil, err
	}
	v, err := a.qosToNative(ctx, r.GetQosVolume())
	if err != nil {
		return nil, err
	}
	v.Name = ""
	out, err := a.s.CreateQosVolume(ctx, id, v)
	if err != nil {
		return nil, err
	}
	return qosFromNative(out), nil
}

// DeleteQosVolume implements upstream's MiddleendQosVolumeService.
func (a *QosVolumes) DeleteQosVolume(ctx context.Context, r *up.DeleteQosVolumeRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, a.s.QosVolumes.Delete(ctx, name(storage.KindQosVolumes, r.GetName()), r.GetAllowMissing(), false)
}

// UpdateQosVolume implements upstream's MiddleendQosVolumeService: the
// limits change; the volume is fixed.
func (a *QosVolumes) UpdateQosVolume(ctx context.Context, r *up.UpdateQosVolumeRequest) (*up.QosVolume, error) {
	m, err := mask(r.GetUpdateMask(), qosMask)
	if err != nil {
		return nil, err
	}
	v, err := a.qosToNative(ctx, r.GetQosVolume())
	if err != nil {
		return nil, err
	}
	out, err := a.s.UpdateQosVolume(ctx, v, m, r.GetAllowMissing())
	if err != nil {
		return nil, err
	}
	return qosFromNative(out), nil
}

// ListQosVolumes implements upstream's MiddleendQosVolumeService; the
// parent is not read (godpu sends "todo").
func (a *QosVolumes) ListQosVolumes(ctx context.Context, r *up.ListQosVolumesRequest) (*up.ListQosVolumesResponse, error) {
	items, next, err := a.s.QosVolumes.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListQosVolumesResponse{NextPageToken: next}
	for _, it := range items {
		out.QosVolumes = append(out.QosVolumes, qosFromNative(it))
	}
	return out, nil
}

// GetQosVolume implements upstream's MiddleendQosVolumeService.
func (a *QosVolumes) GetQosVolume(ctx context.Context, r *up.GetQosVolumeRequest) (*up.QosVolume, error) {
	out, err := a.s.QosVolumes.Get(ctx, name(storage.KindQosVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return qosFromNative(out), nil
}

// StatsQosVolume implements upstream's MiddleendQosVolumeService.
func (a *QosVolumes) StatsQosVolume(ctx context.Context, r *up.StatsQosVolumeRequest) (*up.StatsQosVolumeResponse, error) {
	st, err := a.s.QosVolumeStats(ctx, name(storage.KindQosVolumes, r.GetName()))
	if err != nil {
		return nil, err
	}
	return &up.StatsQosVolumeResponse{Stats: stats(st)}, nil
}
