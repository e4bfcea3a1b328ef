package adapter

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// Features is an spdk.Caller that tells a feature missing from this SPDK
// build from every other "Method not found": when SPDK answers a call so,
// it asks rpc_get_methods whether the method exists in this SPDK at all,
// and if not, the call fails FailedPrecondition naming the SPDK feature
// (module) and the method, so that a user learns that this SPDK cannot do
// it, not that the bridge has no such API (Unimplemented, which is what
// SPDK's -32601 otherwise maps to). The error keeps SPDK's *spdk.Error as
// its cause: spdk.IsCode(err, spdk.CodeMethodNotFound) still holds.
//
// The method list is asked for once per connection: the first time a
// method is not found after New or Reset (the bridge calls Reset when SPDK
// may have restarted, perhaps as another build). Calls that succeed cost
// nothing extra.
type Features struct {
	c spdk.Caller

	mu      sync.Mutex
	methods map[string]bool // nil until asked since the last Reset
}

// NewFeatures wraps c.
func NewFeatures(c spdk.Caller) *Features { return &Features{c: c} }

// Call implements spdk.Caller.
func (f *Features) Call(ctx context.Context, method string, params, result any) error {
	err := f.c.Call(ctx, method, params, result)
	if !spdk.IsCode(err, spdk.CodeMethodNotFound) {
		return err
	}
	have, lerr := f.has(ctx, method)
	if lerr != nil || have {
		// Listed but refused (--rpcs-allowed), or the list is not to be
		// had: SPDK's own answer is all there is to say.
		return err
	}
	return errdefs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf(
		"this SPDK is built without %s: it has no method %s (not in rpc_get_methods): %w", FeatureOf(method), method, err))
}

// Reset forgets the method list: SPDK may have restarted as another build.
func (f *Features) Reset() {
	f.mu.Lock()
	f.methods = nil
	f.mu.Unlock()
}

// has reports whether SPDK lists method, asking rpc_get_methods when the
// list is not known since the last Reset.
func (f *Features) has(ctx context.Context, method string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.methods == nil {
		var names []string
		if err := f.c.Call(ctx, "rpc_get_methods", nil, &names); err != nil {
			return false, err
		}
		f.methods = make(map[string]bool, len(names))
		for _, n := range names {
			f.methods[n] = true
		}
	}
	return f.methods[method], nil
}

// features names the SPDK feature (the module and its configure switch
// where it has one) that registers the methods of each prefix; the longest
// matching prefix wins.
var features = []struct{ prefix, name string }{
	{"vfu_", "vfio-user (emulated PCIe endpoints, configure --with-vfio-user)"},
	{"nvmf_", "the NVMe-oF target"},
	{"bdev_nvme_", "the NVMe bdev module (NVMe-oF initiator)"},
	{"bdev_crypto_", "the crypto bdev module (configure --with-crypto)"},
	{"accel_crypto_", "accel crypto (configure --with-crypto)"},
	{"vhost_", "vhost (configure --with-vhost)"},
	{"bdev_lvol_", "logical volumes (lvol)"},
	{"bdev_aio_", "the AIO bdev module"},
	{"bdev_malloc_", "the malloc bdev module"},
	{"bdev_null_", "the null bdev module"},
	{"bdev_passthru_", "the passthru bdev module"},
	{"keyring_file_", "the keyring file module"},
	{"keyring_", "the keyring"},
	{"ublk_", "ublk (configure --with-ublk)"},
	{"bdev_rbd_", "Ceph RBD (configure --with-rbd)"},
	{"bdev_iscsi_", "the iSCSI bdev (configure --with-iscsi-initiator)"},
	{"bdev_uring_", "io_uring (configure --with-uring)"},
	{"bdev_xnvme_", "xNVMe (configure --with-xnvme)"},
	{"bdev_ocf_", "OCF (configure --with-ocf)"},
	{"bdev_daos_", "DAOS (configure --with-daos)"},
}

// FeatureOf names the SPDK feature that provides method: from the table
// above, else "the SPDK module of <prefix>" from the method's first word
// ("bdev_foo_create" → "the SPDK module of bdev_foo").
func FeatureOf(method string) string {
	best := ""
	name := ""
	for _, f := range features {
		if strings.HasPrefix(method, f.prefix) && len(f.prefix) > len(best) {
			best, name = f.prefix, f.name
		}
	}
	if name != "" {
		return name
	}
	parts := strings.SplitN(method, "_", 3)
	if len(parts) >= 2 && parts[0] == "bdev" {
		return "the SPDK module of " + parts[0] + "_" + parts[1]
	}
	return "the SPDK module of " + parts[0]
}
