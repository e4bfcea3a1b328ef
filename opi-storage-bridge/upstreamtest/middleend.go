package upstreamtest

import (
	"bytes"
	"testing"

	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// key is godpu's AES-XTS-128 key: two 16-byte keys in one.
var key = []byte("0123456789abcdef0123456789abcdee")

func encryptedVolumes(t *testing.T, c *clients) {
	ctx := ctxT(t)
	var made []string
	for i, id := range []string{c.id("e"), ""} {
		base := c.volume(t, c.id("ebase"+string(rune('0'+i))))
		v := ok[*up.EncryptedVolume](t, "create")(c.encrypted.CreateEncryptedVolume(ctx, &up.CreateEncryptedVolumeRequest{EncryptedVolumeId: id,
			EncryptedVolume: &up.EncryptedVolume{VolumeNameRef: base, Key: key, Cipher: up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_128}}))
		checkName(t, v.GetName(), "encryptedVolumes", id)
		if len(v.GetKey()) != 0 {
			t.Error("the create's answer carries the key")
		}
		if v.GetCipher() != up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_128 || v.GetVolumeNameRef() != base {
			t.Errorf("created %v, want AES_XTS_128 on %s", v, base)
		}
		made = append(made, v.GetName())
		ok[*up.EncryptedVolume](t, "update with the same key")(c.encrypted.UpdateEncryptedVolume(ctx, &up.UpdateEncryptedVolumeRequest{
			UpdateMask:      &fieldmaskpb.FieldMask{Paths: []string{"*"}},
			EncryptedVolume: &up.EncryptedVolume{Name: v.GetName(), VolumeNameRef: base, Key: key, Cipher: up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_128}}))
		other := bytes.Clone(key)
		other[31] = 'f'
		code[*up.EncryptedVolume](t, "an update changing the fixed key", codes.InvalidArgument)(c.encrypted.UpdateEncryptedVolume(ctx, &up.UpdateEncryptedVolumeRequest{
			UpdateMask:      &fieldmaskpb.FieldMask{Paths: []string{"*"}},
			EncryptedVolume: &up.EncryptedVolume{Name: v.GetName(), VolumeNameRef: base, Key: other, Cipher: up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_128}}))
		got := ok[*up.EncryptedVolume](t, "get")(c.encrypted.GetEncryptedVolume(ctx, &up.GetEncryptedVolumeRequest{Name: v.GetName()}))
		if !proto.Equal(got, v) || len(got.GetKey()) != 0 {
			t.Errorf("get %v, want %v without its key", got, v)
		}
		ok[*up.StatsEncryptedVolumeResponse](t, "stats")(c.encrypted.StatsEncryptedVolume(ctx, &up.StatsEncryptedVolumeRequest{Name: v.GetName()}))
	}
	base := c.volume(t, c.id("ebad"))
	for _, bad := range []struct {
		what   string
		cipher up.EncryptionType
		key    []byte
	}{
		{"AES-CBC-192, which SPDK has not", up.EncryptionType_ENCRYPTION_TYPE_AES_CBC_192, make([]byte, 24)},
		{"an XTS-128 key of 16 bytes", up.EncryptionType_ENCRYPTION_TYPE_AES_XTS_128, make([]byte, 16)},
		{"no cipher", up.EncryptionType_ENCRYPTION_TYPE_UNSPECIFIED, key},
	} {
		code[*up.EncryptedVolume](t, bad.what, codes.InvalidArgument)(c.encrypted.CreateEncryptedVolume(ctx, &up.CreateEncryptedVolumeRequest{EncryptedVolumeId: c.id("ebad"),
			EncryptedVolume: &up.EncryptedVolume{VolumeNameRef: base, Key: bad.key, Cipher: bad.cipher}}))
	}
	listed := pages(t, "list", func(tok string) ([]string, string, error) {
		// godpu sends this parent; it names nothing.
		r, err := c.encrypted.ListEncryptedVolumes(ctx, &up.ListEncryptedVolumesRequest{Parent: "todo", PageSize: 1, PageToken: tok})
		var names []string
		for _, s := range r.GetEncryptedVolumes() {
			if len(s.GetKey()) != 0 {
				t.Errorf("listed %s with its key", s.GetName())
			}
			names = append(names, s.GetName())
		}
		return names, r.GetNextPageToken(), err
	})
	contains(t, "listed", listed, made...)
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.encrypted.DeleteEncryptedVolume(ctx, &up.DeleteEncryptedVolumeRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.encrypted.GetEncryptedVolume(ctx, &up.GetEncryptedVolumeRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.encrypted.DeleteEncryptedVolume(ctx, &up.DeleteEncryptedVolumeRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

func qosVolumes(t *testing.T, c *clients) {
	ctx := ctxT(t)
	// Exported, a volume is open, and SPDK applies every change of its
	// limits (on one nothing has open, spdk_tgt refuses all but the
	// first: the storage bridge's README, known difference D1).
	ss := c.subsystem(t, c.id("qsub"))
	var made, exports []string
	for i, id := range []string{c.id("q"), ""} {
		base := c.volume(t, c.id("qbase"+string(rune('0'+i))))
		v := ok[*up.QosVolume](t, "create")(c.qos.CreateQosVolume(ctx, &up.CreateQosVolumeRequest{QosVolumeId: id,
			QosVolume: &up.QosVolume{VolumeNameRef: base, Limits: &up.Limits{Max: &up.QosLimit{RwBandwidthMbs: 2}}}}))
		checkName(t, v.GetName(), "qosVolumes", id)
		if v.GetLimits().GetMax().GetRwBandwidthMbs() != 2 {
			t.Errorf("created %v, want 2 MB/s", v)
		}
		made = append(made, v.GetName())
		ns := ok[*up.NvmeNamespace](t, "export")(c.nvme.CreateNvmeNamespace(ctx, &up.CreateNvmeNamespaceRequest{Parent: ss,
			NvmeNamespace: &up.NvmeNamespace{Spec: &up.NvmeNamespaceSpec{VolumeNameRef: v.GetName()}}}))
		exports = append(exports, ns.GetName())
		u := ok[*up.QosVolume](t, "update one limit")(c.qos.UpdateQosVolume(ctx, &up.UpdateQosVolumeRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"limits.max.rd_bandwidth_mbs"}},
			QosVolume:  &up.QosVolume{Name: v.GetName(), VolumeNameRef: base, Limits: &up.Limits{Max: &up.QosLimit{RdBandwidthMbs: 3}}}}))
		if m := u.GetLimits().GetMax(); m.GetRdBandwidthMbs() != 3 || m.GetRwBandwidthMbs() != 2 {
			t.Errorf("updated %v, want read 3 MB/s and the rest kept", u)
		}
		u = ok[*up.QosVolume](t, "update with *")(c.qos.UpdateQosVolume(ctx, &up.UpdateQosVolumeRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}},
			QosVolume:  &up.QosVolume{Name: v.GetName(), VolumeNameRef: base, Limits: &up.Limits{Max: &up.QosLimit{RwIopsKiops: 5}}}}))
		if m := u.GetLimits().GetMax(); m.GetRwIopsKiops() != 5 || m.GetRdBandwidthMbs() != 0 || m.GetRwBandwidthMbs() != 0 {
			t.Errorf("replaced %v, want 5 kIOPS alone", u)
		}
		got := ok[*up.QosVolume](t, "get")(c.qos.GetQosVolume(ctx, &up.GetQosVolumeRequest{Name: v.GetName()}))
		if !proto.Equal(got, u) {
			t.Errorf("get %v, want %v", got, u)
		}
		ok[*up.StatsQosVolumeResponse](t, "stats")(c.qos.StatsQosVolume(ctx, &up.StatsQosVolumeRequest{Name: v.GetName()}))
	}
	base := c.volume(t, c.id("qbad"))
	code[*up.QosVolume](t, "a minimum limit", codes.InvalidArgument)(c.qos.CreateQosVolume(ctx, &up.CreateQosVolumeRequest{QosVolumeId: c.id("qbad"),
		QosVolume: &up.QosVolume{VolumeNameRef: base, Limits: &up.Limits{Min: &up.QosLimit{RwIopsKiops: 1}}}}))
	code[*up.QosVolume](t, "a read-only IOPS limit", codes.InvalidArgument)(c.qos.CreateQosVolume(ctx, &up.CreateQosVolumeRequest{QosVolumeId: c.id("qbad"),
		QosVolume: &up.QosVolume{VolumeNameRef: base, Limits: &up.Limits{Max: &up.QosLimit{RdIopsKiops: 1}}}}))
	listed := pages(t, "list", func(tok string) ([]string, string, error) {
		r, err := c.qos.ListQosVolumes(ctx, &up.ListQosVolumesRequest{Parent: "todo", PageSize: 1, PageToken: tok})
		return namesOf(r.GetQosVolumes()), r.GetNextPageToken(), err
	})
	contains(t, "listed", listed, made...)
	code[*emptypb.Empty](t, "deleting an exported QoS volume", codes.FailedPrecondition)(c.qos.DeleteQosVolume(ctx, &up.DeleteQosVolumeRequest{Name: made[0]}))
	for _, n := range exports {
		ok[*emptypb.Empty](t, "unexport")(c.nvme.DeleteNvmeNamespace(ctx, &up.DeleteNvmeNamespaceRequest{Name: n}))
	}
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.qos.DeleteQosVolume(ctx, &up.DeleteQosVolumeRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.qos.GetQosVolume(ctx, &up.GetQosVolumeRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.qos.DeleteQosVolume(ctx, &up.DeleteQosVolumeRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}
