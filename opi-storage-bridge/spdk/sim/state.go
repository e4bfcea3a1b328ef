package sim

import (
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// state is everything a running spdk_tgt keeps in memory that the sim
// models. All access is under Sim.mu.
type state struct {
	bdevs        []*bdev // registration order, as SPDK's global bdev list
	bdevIndex    bdevIndex
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
	seq          uint64 // registration order, for lookups through the index
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
	// The UUID is an alias too, in SPDK. Of a name and a UUID matching
	// different bdevs, the one registered first wins, as a scan of the
	// global list would find it.
	byName := st.bdevIndex.names[name]
	if u := st.bdevIndex.uuids[lowerASCII(name)]; len(u) > 0 && (byName == nil || u[0].seq < byName.seq) {
		return u[0]
	}
	return byName
}

func (st *state) bdevByUUID(uuid string) *bdev {
	if u := st.bdevIndex.uuids[lowerASCII(uuid)]; uuid != "" && len(u) > 0 {
		return u[0]
	}
	return nil
}

// bdevIndex finds bdevs by name, alias and UUID without a scan of every
// bdev (spdk_tgt keeps a tree): at 100,000 bdevs a scan per create made
// filling the sim quadratic.
type bdevIndex struct {
	seq   uint64
	names map[string]*bdev   // name and aliases
	uuids map[string][]*bdev // lower-case UUID -> bdevs, registration order (an initiator's view shares its target's)
}

// register appends b to the global list and indexes it.
func (st *state) register(b *bdev) {
	ix := &st.bdevIndex
	if ix.names == nil {
		ix.names, ix.uuids = map[string]*bdev{}, map[string][]*bdev{}
	}
	ix.seq++
	b.seq = ix.seq
	st.bdevs = append(st.bdevs, b)
	for _, n := range append([]string{b.name}, b.aliases...) {
		if _, taken := ix.names[n]; !taken {
			ix.names[n] = b
		}
	}
	if b.uuid != "" {
		u := lowerASCII(b.uuid)
		ix.uuids[u] = append(ix.uuids[u], b)
	}
}

// unindex removes b from the index.
func (st *state) unindex(b *bdev) {
	ix := &st.bdevIndex
	for _, n := range append([]string{b.name}, b.aliases...) {
		if ix.names[n] == b {
			delete(ix.names, n)
			// Another bdev with that name or alias (only through the
			// unchecked initiator path) takes its place.
			for _, x := range st.bdevs {
				if x != b && (x.name == n || slices.Contains(x.aliases, n)) {
					ix.names[n] = x
					break
				}
			}
		}
	}
	if b.uuid != "" {
		u := lowerASCII(b.uuid)
		list := slices.DeleteFunc(ix.uuids[u], func(x *bdev) bool { return x == b })
		if len(list) == 0 {
			delete(ix.uuids, u)
		} else {
			ix.uuids[u] = list
		}
	}
}

func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
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
	st.register(b)
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
	st.unindex(b)
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
		// vhost-scsi hot-removes the SCSI target of a removed bdev.
		for n, d := range v.scsi {
			if d != nil && d.bdev == b {
				v.scsi[n] = nil
			}
		}
	}
	for _, v := range st.vfuEndpoints {
		if v.bdev == b {
			v.bdev = nil
		}
		for n, d := range v.scsi {
			if d != nil && d.bdev == b {
				v.scsi[n] = nil
			}
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
