package adapter

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// TransportName is SPDK's trtype of a transport; "" for UNSPECIFIED.
func TransportName(t storagev1.NvmeTransportType) string {
	switch t {
	case storagev1.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP:
		return "tcp"
	case storagev1.NvmeTransportType_NVME_TRANSPORT_TYPE_RDMA:
		return "rdma"
	}
	return ""
}

// AddressFamilyName is SPDK's adrfam of an address, derived from traddr
// when UNSPECIFIED.
func AddressFamilyName(a *storagev1.NvmeFabricsAddress) string {
	switch a.GetAdrfam() {
	case storagev1.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4:
		return "ipv4"
	case storagev1.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV6:
		return "ipv6"
	}
	if strings.Contains(a.GetTraddr(), ":") {
		return "ipv6"
	}
	return "ipv4"
}

// ServiceID is the trsvcid of an address: its port, 4420 when 0.
func ServiceID(a *storagev1.NvmeFabricsAddress) string {
	return strconv.FormatUint(uint64(storage.FabricsPort(a)), 10)
}

// MultipathModeName is SPDK's multipath behaviour; UNSPECIFIED is failover.
func MultipathModeName(m storagev1.NvmeMultipathMode) string {
	switch m {
	case storagev1.NvmeMultipathMode_NVME_MULTIPATH_MODE_DISABLE:
		return "disable"
	case storagev1.NvmeMultipathMode_NVME_MULTIPATH_MODE_MULTIPATH:
		return "multipath"
	}
	return "failover"
}

type multipathOpts struct {
	Policy   string `json:"policy,omitempty"`
	Selector string `json:"selector,omitempty"`
	MinIO    uint32 `json:"min_io,omitempty"`
}

type attachParams struct {
	Name                 string         `json:"name"`
	Trtype               string         `json:"trtype"`
	Traddr               string         `json:"traddr"`
	Adrfam               string         `json:"adrfam"`
	Trsvcid              string         `json:"trsvcid"`
	Subnqn               string         `json:"subnqn"`
	Hostnqn              string         `json:"hostnqn,omitempty"`
	Hdgst                bool           `json:"hdgst,omitempty"`
	Ddgst                bool           `json:"ddgst,omitempty"`
	Multipath            string         `json:"multipath"`
	NumIOQueues          uint32         `json:"num_io_queues,omitempty"`
	CtrlrLossTimeoutSec  int32          `json:"ctrlr_loss_timeout_sec,omitempty"`
	ReconnectDelaySec    uint32         `json:"reconnect_delay_sec,omitempty"`
	FastIOFailTimeoutSec uint32         `json:"fast_io_fail_timeout_sec,omitempty"`
	PSK                  string         `json:"psk,omitempty"`
	MultipathOpts        *multipathOpts `json:"multipath_opts,omitempty"`
}

type detachParams struct {
	Name    string `json:"name"`
	Trtype  string `json:"trtype,omitempty"`
	Traddr  string `json:"traddr,omitempty"`
	Adrfam  string `json:"adrfam,omitempty"`
	Trsvcid string `json:"trsvcid,omitempty"`
	Subnqn  string `json:"subnqn,omitempty"`
}

type policyParams struct {
	Name     string `json:"name"`
	Policy   string `json:"policy"`
	Selector string `json:"selector,omitempty"`
	RrMinIO  uint32 `json:"rr_min_io,omitempty"`
}

// policyOf is the multipath policy of a controller, or nil outside
// MULTIPATH mode (SPDK applies policies only there).
func policyOf(c *storagev1.NvmeRemoteController) *multipathOpts {
	if c.GetMultipathMode() != storagev1.NvmeMultipathMode_NVME_MULTIPATH_MODE_MULTIPATH {
		return nil
	}
	o := &multipathOpts{Policy: "active_passive"}
	if c.GetMultipathPolicy() == storagev1.NvmeMultipathPolicy_NVME_MULTIPATH_POLICY_ACTIVE_ACTIVE {
		o.Policy = "active_active"
		o.Selector = "round_robin"
		if c.GetMultipathSelector() == storagev1.NvmeMultipathSelector_NVME_MULTIPATH_SELECTOR_QUEUE_DEPTH {
			o.Selector = "queue_depth"
		} else {
			o.MinIO = max(c.GetRoundRobinMinIo(), 1)
		}
	}
	return o
}

// attachFor builds the attach request of one path of controller c.
func attachFor(c *storagev1.NvmeRemoteController, addr *storagev1.NvmeFabricsAddress, pskName string) (attachParams, error) {
	name, err := ControllerName(c.GetName())
	if err != nil {
		return attachParams{}, err
	}
	return attachParams{
		Name: name, Trtype: TransportName(addr.GetTrtype()), Traddr: addr.GetTraddr(), Adrfam: AddressFamilyName(addr),
		Trsvcid: ServiceID(addr), Subnqn: c.GetSubnqn(), Hostnqn: c.GetHostnqn(),
		Hdgst: c.GetHeaderDigest(), Ddgst: c.GetDataDigest(), Multipath: MultipathModeName(c.GetMultipathMode()),
		NumIOQueues: c.GetIoQueues(), CtrlrLossTimeoutSec: c.GetControllerLossTimeoutSeconds(),
		ReconnectDelaySec: c.GetReconnectDelaySeconds(), FastIOFailTimeoutSec: c.GetFastIoFailTimeoutSeconds(),
		PSK: pskName, MultipathOpts: policyOf(c),
	}, nil
}

// RemoteControllers attaches remote controllers in SPDK
// (bdev_nvme_attach_controller), under the name nvme-<id>, over TCP or
// RDMA.
type RemoteControllers struct {
	C      spdk.Caller
	KeyDir string // where PSK files go; PSKs are refused when empty
}

// pskName is the keyring name of a controller's PSK; it carries no key
// material.
func pskName(ctrl string) string { return "psk-" + ctrl }

// Create attaches the controller through its first path. A controller of
// that name already attached through the same path is success.
func (b RemoteControllers) Create(ctx context.Context, c *storagev1.NvmeRemoteController) error {
	name, err := ControllerName(c.GetName())
	if err != nil {
		return err
	}
	c.PskConfigured = c.GetPsk() != ""
	psk := ""
	if c.GetPsk() != "" {
		psk = pskName(name)
		if err := b.addKey(ctx, psk, c.GetPsk()); err != nil {
			return err
		}
	}
	p, err := attachFor(c, c.GetAddress(), psk)
	if err != nil {
		return err
	}
	err = b.C.Call(ctx, "bdev_nvme_attach_controller", p, nil)
	if spdk.IsCode(err, spdk.CodeEALREADY) && strings.Contains(err.Error(), "network path") {
		return nil // same name and path: attached before
	}
	if err != nil {
		if psk != "" {
			b.removeKey(ctx, psk)
		}
		return attachError(err, c.GetAddress())
	}
	return nil
}

// attachError classifies a refused bdev_nvme_attach_controller: SPDK
// answers -5 (EIO) when it cannot connect to the remote target, which is
// the target's or the network's state for the client to fix, not an
// internal error of the bridge.
func attachError(err error, a *storagev1.NvmeFabricsAddress) error {
	if spdk.IsCode(err, spdk.CodeEIO) {
		return errdefs.FailedPreconditionf("SPDK could not connect to the remote target %s %s port %s: check that it is up, listens there and exports the subsystem (%w)",
			TransportName(a.GetTrtype()), a.GetTraddr(), ServiceID(a), err)
	}
	return spdk.Classify(err)
}

func (b RemoteControllers) addKey(ctx context.Context, name, psk string) error {
	if b.KeyDir == "" {
		return errdefs.FailedPreconditionf("this bridge has no key directory configured, so it cannot use a PSK")
	}
	path, err := writeKeyFile(b.KeyDir, name, psk)
	if err != nil {
		return err
	}
	// The file may hold a different PSK than a key registered before under
	// the name: register it afresh.
	_ = b.C.Call(ctx, "keyring_file_remove_key", nameParam{name}, nil)
	return spdk.Classify(b.C.Call(ctx, "keyring_file_add_key", keyFileParams{Name: name, Path: path}, nil))
}

type keyFileParams struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

func (b RemoteControllers) removeKey(ctx context.Context, name string) {
	_ = b.C.Call(context.WithoutCancel(ctx), "keyring_file_remove_key", nameParam{name}, nil)
	if b.KeyDir != "" {
		_ = os.Remove(filepath.Join(b.KeyDir, name))
	}
}

// Update applies the multipath policy to every namespace bdev of the
// controller; nothing else can change.
func (b RemoteControllers) Update(ctx context.Context, _, c *storagev1.NvmeRemoteController) error {
	o := policyOf(c)
	if o == nil {
		return nil
	}
	nss, err := remoteNamespaces(ctx, b.C, c.GetName())
	if err != nil {
		return err
	}
	for _, ns := range nss {
		bdev, err := BdevName(ns.GetName())
		if err != nil {
			return err
		}
		p := policyParams{Name: bdev, Policy: o.Policy, Selector: o.Selector, RrMinIO: o.MinIO}
		if err := b.C.Call(ctx, "bdev_nvme_set_multipath_policy", p, nil); err != nil {
			return spdk.Classify(err)
		}
	}
	return nil
}

// Delete detaches the controller (every path) and removes its PSK; a
// controller SPDK does not have is success.
func (b RemoteControllers) Delete(ctx context.Context, c *storagev1.NvmeRemoteController) error {
	name, err := ControllerName(c.GetName())
	if err != nil {
		return err
	}
	if err := b.C.Call(ctx, "bdev_nvme_detach_controller", detachParams{Name: name}, nil); err != nil && !spdk.IsNotFound(err) {
		return spdk.Classify(err)
	}
	if c.GetPsk() != "" {
		b.removeKey(ctx, pskName(name))
	}
	return nil
}

// NvmePaths attaches extra paths of a remote controller: the same SPDK
// controller name, another address.
type NvmePaths struct{ C spdk.Caller }

// Create attaches the path. One already attached is success.
func (b NvmePaths) Create(ctx context.Context, c *storagev1.NvmeRemoteController, p *storagev1.NvmePath) error {
	if c.GetMultipathMode() == storagev1.NvmeMultipathMode_NVME_MULTIPATH_MODE_DISABLE {
		return errdefs.FailedPreconditionf("%s has multipath_mode DISABLE, so it takes no extra paths", c.GetName())
	}
	psk := ""
	if c.GetPskConfigured() || c.GetPsk() != "" {
		name, _ := ControllerName(c.GetName())
		psk = pskName(name)
	}
	a, err := attachFor(c, p.GetAddress(), psk)
	if err != nil {
		return err
	}
	err = b.C.Call(ctx, "bdev_nvme_attach_controller", a, nil)
	if spdk.IsCode(err, spdk.CodeEALREADY) && strings.Contains(err.Error(), "network path") {
		return nil
	}
	if err != nil {
		return attachError(err, p.GetAddress())
	}
	return nil
}

// Update has nothing to do: every field of a path is immutable.
func (NvmePaths) Update(context.Context, *storagev1.NvmeRemoteController, *storagev1.NvmePath, *storagev1.NvmePath) error {
	return nil
}

// Delete detaches this path only; a path (or controller) SPDK does not
// have is success.
func (b NvmePaths) Delete(ctx context.Context, c *storagev1.NvmeRemoteController, p *storagev1.NvmePath) error {
	name, err := ControllerName(c.GetName())
	if err != nil {
		return err
	}
	a := p.GetAddress()
	d := detachParams{Name: name, Trtype: TransportName(a.GetTrtype()), Traddr: a.GetTraddr(), Adrfam: AddressFamilyName(a), Trsvcid: ServiceID(a)}
	if err := b.C.Call(ctx, "bdev_nvme_detach_controller", d, nil); err != nil && !spdk.IsNotFound(err) && !spdk.IsCode(err, spdk.CodeENXIO) {
		return spdk.Classify(err)
	}
	return nil
}

// remoteNamespaces lists, ordered by namespace id, the namespaces SPDK has
// attached for the remote controller named controller (its bdevs
// nvme-<id>n<nsid>).
func remoteNamespaces(ctx context.Context, c spdk.Caller, controller string) ([]*storagev1.NvmeRemoteNamespace, error) {
	ctrl, err := ControllerName(controller)
	if err != nil {
		return nil, err
	}
	bdevs, err := listBdevs(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []*storagev1.NvmeRemoteNamespace
	for i := range bdevs {
		rest, ok := strings.CutPrefix(bdevs[i].Name, ctrl+"n")
		if !ok {
			continue
		}
		nsid, err := strconv.ParseUint(rest, 10, 32)
		if err != nil || nsid == 0 || strconv.FormatUint(nsid, 10) != rest {
			continue // another controller whose name extends ours, e.g. nvme-c1 vs nvme-c1n
		}
		out = append(out, remoteNamespace(controller, uint32(nsid), &bdevs[i]))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetNsid() < out[j].GetNsid() })
	return out, nil
}

func remoteNamespace(controller string, nsid uint32, info *spdk.BdevInfo) *storagev1.NvmeRemoteNamespace {
	return &storagev1.NvmeRemoteNamespace{
		Name:       storage.RemoteNamespaceName(controller, nsid),
		Nsid:       nsid,
		Uuid:       info.UUID,
		BlockSize:  info.BlockSize,
		BlockCount: info.NumBlocks,
	}
}

type controllerInfo struct {
	Name   string `json:"name"`
	Ctrlrs []struct {
		State string `json:"state"`
		Trid  struct {
			Trtype  string `json:"trtype"`
			Traddr  string `json:"traddr"`
			Trsvcid string `json:"trsvcid"`
		} `json:"trid"`
	} `json:"ctrlrs"`
}

// Reset resets the controller in SPDK (bdev_nvme_reset_controller, every
// path of it): SPDK disconnects and reconnects, retrying I/O in flight. A
// controller SPDK has not attached now is FailedPrecondition.
func (b RemoteControllers) Reset(ctx context.Context, c *storagev1.NvmeRemoteController) error {
	name, err := ControllerName(c.GetName())
	if err != nil {
		return err
	}
	err = b.C.Call(ctx, "bdev_nvme_reset_controller", nameParam{name}, nil)
	if spdk.IsNotFound(err) {
		return errdefs.FailedPreconditionf("%s is not attached in SPDK now, so there is nothing to reset; see its status (%w)", c.GetName(), err)
	}
	return spdk.Classify(err)
}
