package sim

import (
	"crypto/rand"
	"fmt"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// state is everything a running spdk_tgt keeps in memory that the sim
// models. All access is under Sim.mu.
type state struct {
	bdevs        []*bdev // registration order, as SPDK's global bdev list
	mallocCount  int
	lvstores     []*lvstore
	passthrus    []*vbdevConfig
	cryptos      []*vbdevConfig
	keys         []*cryptoKey
	keyring      []*keyringKey
	transports   []*nvmfTransport
	subsystems   []*subsystem
	nextCntlid   uint16
	ctrlrs       []*nvmeCtrlr
	vhosts       []*vhostCtrlr
	vfuEndpoints []*vfuEndpoint
	started      time.Time
}

func newState() *state {
	st := &state{started: time.Now()}
	st.subsystems = append(st.subsystems, &subsystem{
		nqn:          discoveryNQN,
		subtype:      "Discovery",
		allowAnyHost: true,
	})
	return st
}

// claim is a bdev module's exclusive claim on a bdev
// (spdk_bdev_module_claim_bdev).
type claim struct {
	module string
}

// bdev is one registered block device.
type bdev struct {
	name         string
	aliases      []string
	uuid         string
	product      string
	module       string
	blockSize    uint32
	numBlocks    uint64
	physBlock    uint32
	mdSize       uint32
	mdInterleave bool
	difType      int64
	optimalIOBnd uint32
	claim        *claim
	qos          spdk.RateLimits
	ioTypes      spdk.IOTypes
	driver       func() map[string]any
	// memoryDomains are reported by the bdevs that have a DMA device.
	memoryDomains []memoryDomain
	// mpPolicy is an NVMe bdev's multipath policy.
	mpPolicy string
}

// lookupBdev finds a bdev by name or alias, as spdk_bdev_get_by_name does.
func (st *state) lookupBdev(name string) *bdev {
	if name == "" {
		return nil
	}
	for _, b := range st.bdevs {
		// The UUID is an alias too, in SPDK.
		if b.name == name || equalFoldASCII(b.uuid, name) {
			return b
		}
		for _, a := range b.aliases {
			if a == name {
				return b
			}
		}
	}
	return nil
}

func (st *state) bdevByUUID(uuid string) *bdev {
	for _, b := range st.bdevs {
		if b.uuid != "" && equalFoldASCII(b.uuid, uuid) {
			return b
		}
	}
	return nil
}

// addBdev registers b like spdk_bdev_register: names, aliases and the UUID
// must be unique (-EEXIST). Then pending virtual bdevs waiting for b are
// examined, as SPDK's examine callbacks do.
func (st *state) addBdev(b *bdev) error {
	for _, n := range append([]string{b.name}, b.aliases...) {
		if st.lookupBdev(n) != nil {
			return errnoErr(eEXIST)
		}
	}
	if b.uuid == "" {
		b.uuid = newUUID()
	} else if st.bdevByUUID(b.uuid) != nil {
		return errnoErr(eEXIST)
	}
	st.bdevs = append(st.bdevs, b)
	st.examine(b)
	return nil
}

// removeBdev unregisters b. Its claim holders and users see SPDK's
// hot-remove event: namespaces are removed from their subsystems, passthru
// and crypto bdevs on it go away (their configuration stays, so they come
// back when the base returns), a logical volume store on it is unloaded,
// vhost and vfio-user endpoints lose their bdev.
func (st *state) removeBdev(b *bdev) {
	idx := -1
	for i, x := range st.bdevs {
		if x == b {
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	st.bdevs = append(st.bdevs[:idx], st.bdevs[idx+1:]...)
	if v := st.lvolOf(b); v != nil {
		for i, x := range v.lvs.lvols {
			if x == v {
				v.lvs.lvols = append(v.lvs.lvols[:i], v.lvs.lvols[i+1:]...)
				break
			}
		}
	}
	for _, ss := range st.subsystems {
		for _, ns := range ss.namespaces {
			if ns.bdev == b {
				st.removeNamespace(ss, ns)
			}
		}
	}
	for _, cfgs := range [][]*vbdevConfig{st.passthrus, st.cryptos} {
		for _, c := range cfgs {
			if c.base == b && c.bdev != nil {
				vb := c.bdev
				c.bdev, c.base = nil, nil
				st.removeBdev(vb)
			}
		}
	}
	for _, lvs := range st.lvstores {
		if lvs.base == b {
			st.unloadLvstore(lvs)
		}
	}
	for _, v := range st.vhosts {
		if v.bdev == b {
			v.bdev = nil
		}
	}
	for _, v := range st.vfuEndpoints {
		if v.bdev == b {
			v.bdev = nil
		}
	}
}

// claimBdev takes an exclusive module claim; a second claim fails with
// -EPERM as spdk_bdev_module_claim_bdev does.
func (b *bdev) claimBy(module string) error {
	if b.claim != nil {
		return errnoErr(ePERM)
	}
	b.claim = &claim{module: module}
	return nil
}

func (b *bdev) release() { b.claim = nil }

func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
