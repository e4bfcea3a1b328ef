package sim

import (
	"slices"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// vbdevConfig is a passthru or crypto bdev as configured: SPDK keeps the
// configuration even while the base bdev is missing and builds the bdev
// when the base appears (examine), so base and bdev may be nil.
type vbdevConfig struct {
	module   string // "passthru" or "crypto"
	name     string
	baseName string
	uuid     string
	keyName  string
	base     *bdev
	bdev     *bdev
}

func (st *state) configs(module string) *[]*vbdevConfig {
	if module == "crypto" {
		return &st.cryptos
	}
	return &st.passthrus
}

// examine builds the pending virtual bdevs that wait for b.
func (st *state) examine(b *bdev) {
	for _, cfgs := range [][]*vbdevConfig{st.passthrus, st.cryptos} {
		for _, c := range cfgs {
			if c.bdev == nil && (c.baseName == b.name || slices.Contains(b.aliases, c.baseName)) {
				_ = st.buildVbdev(c, b)
			}
		}
	}
}

// buildVbdev claims the base and registers the virtual bdev on it.
func (st *state) buildVbdev(c *vbdevConfig, base *bdev) error {
	if err := base.claimBy(c.module); err != nil {
		return err
	}
	product := "passthru"
	if c.module == "crypto" {
		product = "crypto"
	}
	vb := &bdev{
		name: c.name, uuid: c.uuid, product: product, module: c.module,
		blockSize: base.blockSize, numBlocks: base.numBlocks, physBlock: base.physBlock,
		optimalIOBnd: base.optimalIOBnd, ioTypes: base.ioTypes,
		driver: func() map[string]any {
			if c.module == "crypto" {
				return map[string]any{"crypto": map[string]any{
					"base_bdev_name": c.baseName, "name": c.name, "key_name": c.keyName,
				}}
			}
			return map[string]any{"passthru": map[string]any{"name": c.name, "base_bdev_name": c.baseName}}
		},
	}
	vb.ioTypes.NVMeAdmin, vb.ioTypes.NVMeIO = false, false
	c.base, c.bdev = base, vb
	if err := st.addBdev(vb); err != nil {
		base.release()
		c.base, c.bdev = nil, nil
		return err
	}
	return nil
}

// createVbdev adds a configuration and builds it at once when its base
// exists; a missing base is not an error (creation is deferred).
func (st *state) createVbdev(c *vbdevConfig) error {
	cfgs := st.configs(c.module)
	for _, x := range *cfgs {
		if x.name == c.name {
			return errnoErr(eEXIST)
		}
	}
	if st.lookupBdev(c.name) != nil {
		return errnoErr(eEXIST)
	}
	if base := st.lookupBdev(c.baseName); base != nil {
		if err := st.buildVbdev(c, base); err != nil {
			return err
		}
	}
	*cfgs = append(*cfgs, c)
	return nil
}

// deleteVbdev removes the configuration and the bdev, releasing the base.
func (st *state) deleteVbdev(module, name string) error {
	cfgs := st.configs(module)
	for i, c := range *cfgs {
		if c.name != name {
			continue
		}
		*cfgs = append((*cfgs)[:i], (*cfgs)[i+1:]...)
		if c.bdev == nil {
			// Deferred (no base yet): SPDK finds no bdev to unregister and
			// answers -ENODEV, but drops the configuration all the same.
			return errnoErr(eNODEV)
		}
		vb, base := c.bdev, c.base
		c.bdev, c.base = nil, nil
		st.removeBdev(vb)
		base.release()
		return nil
	}
	return errnoErr(eNODEV)
}

func (s *Sim) registerVbdevs() {
	st := s.st
	s.register(&method{
		name: "bdev_passthru_create",
		handle: func(a contract.Params) (any, error) {
			c := &vbdevConfig{module: "passthru", name: a.String("name"), baseName: a.String("base_bdev_name"), uuid: a.String("uuid")}
			if err := st.createVbdev(c); err != nil {
				return nil, err
			}
			return c.name, nil
		},
	})
	s.register(&method{
		name: "bdev_passthru_delete",
		handle: func(a contract.Params) (any, error) {
			if err := st.deleteVbdev("passthru", a.String("name")); err != nil {
				return nil, err
			}
			return true, nil
		},
	})
	s.register(&method{
		name: "bdev_crypto_create",
		handle: func(a contract.Params) (any, error) {
			keyName := a.String("key_name")
			if keyName != "" {
				if st.findKey(keyName) == nil {
					return nil, newErr(spdk.CodeInvalidParams, "Key was not found")
				}
			} else {
				// Legacy form: the key material itself; SPDK registers it as
				// an accel key named after the bdev and cipher.
				cipher := a.String("cipher")
				if cipher == "" {
					cipher = "AES_CBC"
				}
				k := &cryptoKey{name: a.String("name") + "_" + cipher, cipher: cipher, key: a.String("key"), key2: a.String("key2"), tweak: "SIMPLE_LBA"}
				if a.String("key") == "" || k.validate() != nil || st.findKey(k.name) != nil {
					return nil, newErr(spdk.CodeInternalError, "No key was found")
				}
				st.keys = append(st.keys, k)
				keyName = k.name
			}
			c := &vbdevConfig{module: "crypto", name: a.String("name"), baseName: a.String("base_bdev_name"), keyName: keyName}
			if err := st.createVbdev(c); err != nil {
				return nil, err
			}
			return c.name, nil
		},
	})
	s.register(&method{
		name: "bdev_crypto_delete",
		handle: func(a contract.Params) (any, error) {
			if err := st.deleteVbdev("crypto", a.String("name")); err != nil {
				return nil, err
			}
			return true, nil
		},
	})
}
