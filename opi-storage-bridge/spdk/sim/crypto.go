package sim

import (
	"encoding/hex"
	"syscall"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// cryptoKey is an accel crypto key (DEK). The sim models spdk_tgt with only
// the software accel module, which does AES-XTS with 128- or 256-bit keys
// and the SIMPLE_LBA tweak mode.
type cryptoKey struct {
	name   string
	cipher string
	key    string
	key2   string
	tweak  string
}

// validate applies the checks of spdk_accel_crypto_key_create with the
// software module; it returns the errno SPDK reports.
func (k *cryptoKey) validate() error {
	key, err1 := hex.DecodeString(k.key)
	if err1 != nil || len(key) == 0 {
		return syscall.EINVAL
	}
	var key2 []byte
	if k.key2 != "" {
		var err error
		if key2, err = hex.DecodeString(k.key2); err != nil {
			return syscall.EINVAL
		}
	}
	switch k.cipher {
	case "AES_XTS":
		if len(key2) == 0 || len(key2) != len(key) || k.key == k.key2 {
			return syscall.EINVAL
		}
		if len(key) != 16 && len(key) != 32 {
			return syscall.EINVAL
		}
	default:
		// AES_CBC: the software module does not support it.
		return syscall.EINVAL
	}
	if k.tweak != "SIMPLE_LBA" {
		return syscall.EINVAL
	}
	return nil
}

func (st *state) findKey(name string) *cryptoKey {
	for _, k := range st.keys {
		if k.name == name {
			return k
		}
	}
	return nil
}

type cryptoKeyInfo struct {
	Name      string `json:"name"`
	Cipher    string `json:"cipher"`
	Key       string `json:"key"`
	Key2      string `json:"key2,omitempty"`
	TweakMode string `json:"tweak_mode"`
}

var tweakModes = []string{"SIMPLE_LBA", "JOIN_NEG_LBA_WITH_LBA", "INCR_512_FULL_LBA", "INCR_512_UPPER_LBA"}

func (s *Sim) registerCrypto() {
	st := s.st
	s.register(&method{
		name: "accel_crypto_key_create",
		handle: func(a contract.Params) (any, error) {
			k := &cryptoKey{name: a.String("name"), cipher: a.String("cipher"), key: a.String("key"), key2: a.String("key2"), tweak: a.String("tweak_mode")}
			if k.tweak == "" {
				k.tweak = "SIMPLE_LBA"
			}
			if st.findKey(k.name) != nil {
				return nil, newErr(spdk.CodeInvalidParams, "failed to create DEK, rc %d", -int(eEXIST))
			}
			if err := k.validate(); err != nil {
				return nil, newErr(spdk.CodeInvalidParams, "failed to create DEK, rc %d", -int(err.(syscall.Errno)))
			}
			st.keys = append(st.keys, k)
			return true, nil
		},
	})
	s.register(&method{
		name: "accel_crypto_key_destroy",
		handle: func(a contract.Params) (any, error) {
			k := st.findKey(a.String("key_name"))
			if k == nil {
				return nil, newErr(spdk.CodeInvalidParams, "No key object found")
			}
			// spdk_tgt v26.05 destroys a key even while a crypto bdev
			// uses it (TestSimMatchesSPDKTarget).
			for i, x := range st.keys {
				if x == k {
					st.keys = append(st.keys[:i], st.keys[i+1:]...)
					break
				}
			}
			return true, nil
		},
	})
	s.register(&method{
		name: "accel_crypto_keys_get",
		handle: func(a contract.Params) (any, error) {
			list := st.keys
			if a.Has("key_name") {
				k := st.findKey(a.String("key_name"))
				if k == nil {
					return nil, newErr(spdk.CodeInvalidParams, "key was not found")
				}
				list = []*cryptoKey{k}
			}
			// SPDK returns the key material itself.
			out := []cryptoKeyInfo{}
			for _, k := range list {
				out = append(out, cryptoKeyInfo{Name: k.name, Cipher: k.cipher, Key: k.key, Key2: k.key2, TweakMode: k.tweak})
			}
			return out, nil
		},
	})
}
