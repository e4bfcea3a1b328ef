package adapter

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// EncryptedVolumes makes encrypted volumes exist in SPDK: an accel crypto
// key crypto-<id>-key and a crypto bdev crypto-<id> over the base bdev.
// Key material goes to SPDK only inside accel_crypto_key_create; no error
// this type returns carries it.
type EncryptedVolumes struct{ C spdk.Caller }

type cryptoKeyParams struct {
	Cipher    string `json:"cipher"`
	Key       string `json:"key"`
	Key2      string `json:"key2,omitempty"`
	TweakMode string `json:"tweak_mode,omitempty"`
	Name      string `json:"name"`
}

type cryptoKeyName struct {
	KeyName string `json:"key_name"`
}

type cryptoCreateParams struct {
	BaseBdevName string `json:"base_bdev_name"`
	Name         string `json:"name"`
	KeyName      string `json:"key_name"`
}

// CipherName is SPDK's name of a cipher; "" for UNSPECIFIED.
func CipherName(c storagev1.EncryptionCipher) string {
	switch c {
	case storagev1.EncryptionCipher_ENCRYPTION_CIPHER_AES_CBC:
		return "AES_CBC"
	case storagev1.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS:
		return "AES_XTS"
	}
	return ""
}

// TweakModeName is SPDK's name of an AES-XTS tweak mode; "" leaves SPDK's
// default (SIMPLE_LBA).
func TweakModeName(m storagev1.EncryptionTweakMode) string {
	switch m {
	case storagev1.EncryptionTweakMode_ENCRYPTION_TWEAK_MODE_SIMPLE_LBA:
		return "SIMPLE_LBA"
	case storagev1.EncryptionTweakMode_ENCRYPTION_TWEAK_MODE_JOIN_NEG_LBA_WITH_LBA:
		return "JOIN_NEG_LBA_WITH_LBA"
	case storagev1.EncryptionTweakMode_ENCRYPTION_TWEAK_MODE_INCR_512_FULL_LBA:
		return "INCR_512_FULL_LBA"
	case storagev1.EncryptionTweakMode_ENCRYPTION_TWEAK_MODE_INCR_512_UPPER_LBA:
		return "INCR_512_UPPER_LBA"
	}
	return ""
}

func cryptoKeyFor(v *storagev1.EncryptedVolume, keyName string) cryptoKeyParams {
	p := cryptoKeyParams{Cipher: CipherName(v.GetCipher()), Key: hex.EncodeToString(v.GetKey()), Name: keyName}
	if v.GetCipher() == storagev1.EncryptionCipher_ENCRYPTION_CIPHER_AES_XTS {
		p.Key2 = hex.EncodeToString(v.GetKey2())
		p.TweakMode = TweakModeName(v.GetTweakMode())
	}
	return p
}

// Create makes the key and the crypto bdev. An existing crypto bdev of that
// name over the same base is success. On failure nothing is left in SPDK.
func (b EncryptedVolumes) Create(ctx context.Context, v *storagev1.EncryptedVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	base, err := BdevName(v.GetVolume())
	if err != nil {
		return err
	}
	keyName := name + "-key"
	info, err := getBdev(ctx, b.C, name)
	if err != nil {
		return err
	}
	if info != nil {
		if got := stackedBase(info, "crypto"); got != "" && got != base {
			return errdefs.AlreadyExistsf("SPDK already has crypto bdev %s over %s, not over %s; delete it in SPDK or choose another id", name, got, base)
		}
		return nil
	}
	if _, err := requireFreeBase(ctx, b.C, v.GetVolume()); err != nil {
		return err
	}
	if err := b.ensureKey(ctx, cryptoKeyFor(v, keyName)); err != nil {
		return err
	}
	err = b.C.Call(ctx, "bdev_crypto_create", cryptoCreateParams{BaseBdevName: base, Name: name, KeyName: keyName}, nil)
	if err == nil {
		// SPDK defers the create, successfully, when it cannot claim the
		// base now; only the bdev's presence says it really exists.
		if info, err = getBdev(ctx, b.C, name); err == nil && info == nil {
			err = errdefs.FailedPreconditionf("SPDK could not stack %s on volume %s (is the volume claimed by something else?)", v.GetName(), v.GetVolume())
		}
	} else {
		err = spdk.Classify(err)
	}
	if err != nil {
		return errors.Join(err, b.Delete(context.WithoutCancel(ctx), v))
	}
	return nil
}

// ensureKey creates the accel key, or accepts an equal existing one (a
// replay); a different one of our name is stale and replaced.
func (b EncryptedVolumes) ensureKey(ctx context.Context, want cryptoKeyParams) error {
	var have []cryptoKeyParams
	err := b.C.Call(ctx, "accel_crypto_keys_get", cryptoKeyName{want.Name}, &have)
	switch {
	case err != nil && !isGone(err):
		return spdk.Classify(err)
	case err == nil && len(have) == 1 && sameKey(have[0], want):
		return nil
	case err == nil && len(have) > 0:
		if err := b.destroyKey(ctx, want.Name); err != nil {
			return err
		}
	}
	if err := b.C.Call(ctx, "accel_crypto_key_create", want, nil); err != nil {
		var e *spdk.Error
		if errors.As(err, &e) && e.Code == spdk.CodeInvalidParams && strings.Contains(e.Message, "rc -22") {
			if want.Cipher != "AES_XTS" {
				// The bridge checked the key lengths already; what SPDK's
				// software crypto module refuses is the cipher itself.
				return errdefs.FailedPreconditionf("SPDK's crypto module does not support the cipher %s (SPDK's software module does only AES_XTS): use ENCRYPTION_CIPHER_AES_XTS, or an SPDK with a crypto module that supports %s", want.Cipher, want.Cipher)
			}
			return errdefs.InvalidArgumentf("SPDK's crypto engine refused the key: check the key lengths, that key2 differs from key, and the tweak mode")
		}
		return spdk.Classify(err)
	}
	return nil
}

func sameKey(a, b cryptoKeyParams) bool {
	tweak := func(p cryptoKeyParams) string {
		if p.Cipher == "AES_XTS" && p.TweakMode == "" {
			return "SIMPLE_LBA"
		}
		if p.Cipher != "AES_XTS" {
			return ""
		}
		return p.TweakMode
	}
	return a.Cipher == b.Cipher && tweak(a) == tweak(b) &&
		strings.EqualFold(a.Key, b.Key) && strings.EqualFold(a.Key2, b.Key2)
}

func (b EncryptedVolumes) destroyKey(ctx context.Context, keyName string) error {
	if err := b.C.Call(ctx, "accel_crypto_key_destroy", cryptoKeyName{keyName}, nil); err != nil && !isGone(err) {
		return spdk.Classify(err)
	}
	return nil
}

// Update has nothing to do: every field of an encrypted volume is immutable.
func (EncryptedVolumes) Update(context.Context, *storagev1.EncryptedVolume, *storagev1.EncryptedVolume) error {
	return nil
}

// Delete removes the crypto bdev, then its key; missing ones are success.
func (b EncryptedVolumes) Delete(ctx context.Context, v *storagev1.EncryptedVolume) error {
	if err := deleteBdev(ctx, b.C, "bdev_crypto_delete", v.GetName()); err != nil {
		return err
	}
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	return b.destroyKey(ctx, name+"-key")
}

// stackedBase reads the base bdev of a virtual bdev from its
// driver_specific.<module>.base_bdev_name; "" when SPDK does not say.
func stackedBase(info *spdk.BdevInfo, module string) string {
	ds, _ := info.DriverSpecific[module].(map[string]any)
	base, _ := ds["base_bdev_name"].(string)
	return base
}

// QosVolumes makes QoS volumes exist in SPDK: a passthru bdev qos-<id> over
// the base bdev, with the rate limits set on it (so the base volume itself
// stays unlimited for whoever else has rights to it).
type QosVolumes struct{ C spdk.Caller }

type passthruParams struct {
	Name         string `json:"name"`
	BaseBdevName string `json:"base_bdev_name"`
}

// qosParams always sends all four limits: SPDK refuses a call with none,
// and 0 explicitly lifts a limit set before.
type qosParams struct {
	Name           string `json:"name"`
	RwIosPerSec    uint64 `json:"rw_ios_per_sec"`
	RwMbytesPerSec uint64 `json:"rw_mbytes_per_sec"`
	RMbytesPerSec  uint64 `json:"r_mbytes_per_sec"`
	WMbytesPerSec  uint64 `json:"w_mbytes_per_sec"`
}

// Create makes the passthru bdev and sets its limits. An existing bdev of
// that name over the same base is success (limits are set again).
func (b QosVolumes) Create(ctx context.Context, v *storagev1.QosVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	base, err := BdevName(v.GetVolume())
	if err != nil {
		return err
	}
	info, err := getBdev(ctx, b.C, name)
	if err != nil {
		return err
	}
	if info != nil {
		if got := stackedBase(info, "passthru"); got != "" && got != base {
			return errdefs.AlreadyExistsf("SPDK already has bdev %s over %s, not over %s; delete it in SPDK or choose another id", name, got, base)
		}
	} else {
		if _, err := requireFreeBase(ctx, b.C, v.GetVolume()); err != nil {
			return err
		}
		if err := b.C.Call(ctx, "bdev_passthru_create", passthruParams{Name: name, BaseBdevName: base}, nil); err != nil {
			return spdk.Classify(err)
		}
	}
	if err := b.setLimits(ctx, name, v.GetLimits()); err != nil {
		return errors.Join(err, b.Delete(context.WithoutCancel(ctx), v))
	}
	return nil
}

func (b QosVolumes) setLimits(ctx context.Context, bdev string, l *storagev1.QosLimits) error {
	return spdk.Classify(b.C.Call(ctx, "bdev_set_qos_limit", qosParams{
		Name: bdev, RwIosPerSec: l.GetRwIosPerSec(), RwMbytesPerSec: l.GetRwMbytesPerSec(),
		RMbytesPerSec: l.GetRMbytesPerSec(), WMbytesPerSec: l.GetWMbytesPerSec(),
	}, nil))
}

// Update sets the new limits.
func (b QosVolumes) Update(ctx context.Context, _, v *storagev1.QosVolume) error {
	name, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	return b.setLimits(ctx, name, v.GetLimits())
}

// Delete removes the passthru bdev; a missing one is success.
func (b QosVolumes) Delete(ctx context.Context, v *storagev1.QosVolume) error {
	return deleteBdev(ctx, b.C, "bdev_passthru_delete", v.GetName())
}
