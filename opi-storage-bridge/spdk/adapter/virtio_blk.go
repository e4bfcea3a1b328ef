package adapter

import (
	"context"
	"fmt"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// DefaultCoalescingIopsThreshold is SPDK's IOPS threshold of a new vhost
// controller, sent when the resource leaves the threshold 0.
const DefaultCoalescingIopsThreshold = 60000

// vhostController is one entry of vhost_get_controllers.
type vhostController struct {
	Ctrlr           string `json:"ctrlr"`
	Socket          string `json:"socket"`
	BackendSpecific struct {
		Block struct {
			Bdev string `json:"bdev"`
		} `json:"block"`
	} `json:"backend_specific"`
}

// VirtioBlks realises virtio-blk devices in SPDK, for the vhost-user and
// PCIe transports: a vhost-user block controller
// (vhost_create_blk_controller) or, for a PCIe endpoint, a vfio-user
// virtio-blk endpoint, named after the resource id.
type VirtioBlks struct {
	spdk spdk.Caller
}

// NewVirtioBlks returns the devices on c.
func NewVirtioBlks(c spdk.Caller) *VirtioBlks { return &VirtioBlks{spdk: c} }

// Create makes the device; one that already exists over the same bdev (a
// replay) is success, over another bdev it is AlreadyExists.
func (b *VirtioBlks) Create(ctx context.Context, m *pb.VirtioBlk) error {
	return spdk.Classify(b.create(ctx, m))
}

func (b *VirtioBlks) create(ctx context.Context, m *pb.VirtioBlk) error {
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return err
	}
	ctrlr := VirtioBlkCtrlr(m.GetName())
	if p := m.GetPcie(); p != nil {
		return b.createPcie(ctx, m, ctrlr, bdev)
	}
	params := map[string]any{"ctrlr": ctrlr, "dev_name": bdev}
	if m.GetReadOnly() {
		params["readonly"] = true
	}
	if m.GetPackedRing() {
		params["packed_ring"] = true
	}
	if m.GetCpumask() != "" {
		params["cpumask"] = m.GetCpumask()
	}
	if callErr := b.spdk.Call(ctx, "vhost_create_blk_controller", params, nil); callErr != nil {
		cur, ok, err := b.get(ctx, ctrlr)
		switch {
		case err != nil:
			return err
		case !ok:
			return fmt.Errorf("creating vhost-blk controller %s on %s: %w", ctrlr, bdev, callErr)
		case cur.BackendSpecific.Block.Bdev != bdev:
			return errdefs.AlreadyExistsf("SPDK already has a vhost controller %q over bdev %q that the bridge did not make; choose another id", ctrlr, cur.BackendSpecific.Block.Bdev)
		}
	}
	if m.GetCoalescingDelayUs() != 0 {
		if err := b.setCoalescing(ctx, m); err != nil {
			_ = b.spdk.Call(context.WithoutCancel(ctx), "vhost_delete_controller", map[string]any{"ctrlr": ctrlr}, nil)
			return err
		}
	}
	if cur, ok, err := b.get(ctx, ctrlr); err == nil && ok {
		m.DevicePath = cur.Socket
	}
	return nil
}

func (b *VirtioBlks) createPcie(ctx context.Context, m *pb.VirtioBlk, name, bdev string) error {
	params := map[string]any{"name": name, "bdev_name": bdev}
	if m.GetCpumask() != "" {
		params["cpumask"] = m.GetCpumask()
	}
	if m.GetNumQueues() != 0 {
		params["num_queues"] = m.GetNumQueues()
	}
	if m.GetQueueSize() != 0 {
		params["qsize"] = m.GetQueueSize()
	}
	if m.GetPackedRing() {
		params["packed_ring"] = true
	}
	err := b.spdk.Call(ctx, "vfu_virtio_create_blk_endpoint", params, nil)
	switch {
	case err == nil, vfuExists(err):
		return nil
	case spdk.IsCode(err, spdk.CodeMethodNotFound):
		return fmt.Errorf("this SPDK cannot present virtio-blk PCIe functions (no vfio-user virtio support); use a vhost_user endpoint: %w", err)
	case isMessage(err, "Bad address"):
		return errVfuSocket(name, err)
	}
	return err
}

// Update sets interrupt coalescing, the only mutable setting.
func (b *VirtioBlks) Update(ctx context.Context, old, m *pb.VirtioBlk) error {
	if old.GetCoalescingDelayUs() == m.GetCoalescingDelayUs() && old.GetCoalescingIopsThreshold() == m.GetCoalescingIopsThreshold() {
		return nil
	}
	return spdk.Classify(b.setCoalescing(ctx, m))
}

func (b *VirtioBlks) setCoalescing(ctx context.Context, m *pb.VirtioBlk) error {
	threshold := m.GetCoalescingIopsThreshold()
	if threshold == 0 {
		// SPDK wants a threshold even when coalescing is off (delay 0),
		// and refuses one under 100 IOPS (its rate is checked per 10 ms):
		// send SPDK's own default.
		threshold = DefaultCoalescingIopsThreshold
	}
	return b.spdk.Call(ctx, "vhost_controller_set_coalescing", map[string]any{
		"ctrlr": VirtioBlkCtrlr(m.GetName()), "delay_base_us": m.GetCoalescingDelayUs(), "iops_threshold": threshold,
	}, nil)
}

// Delete removes the device; one SPDK does not have is success.
func (b *VirtioBlks) Delete(ctx context.Context, m *pb.VirtioBlk) error {
	return spdk.Classify(b.delete(ctx, m))
}

func (b *VirtioBlks) delete(ctx context.Context, m *pb.VirtioBlk) error {
	ctrlr := VirtioBlkCtrlr(m.GetName())
	if m.GetPcie() != nil {
		err := b.spdk.Call(ctx, "vfu_virtio_delete_endpoint", map[string]any{"name": ctrlr}, nil)
		if err == nil || vfuMissing(err) || spdk.IsCode(err, spdk.CodeMethodNotFound) {
			return nil
		}
		return err
	}
	callErr := b.spdk.Call(ctx, "vhost_delete_controller", map[string]any{"ctrlr": ctrlr}, nil)
	if callErr == nil {
		return nil
	}
	if _, ok, err := b.get(ctx, ctrlr); err != nil || ok {
		if err == nil {
			err = callErr
		}
		return err
	}
	return nil
}

// get returns SPDK's view of the vhost controller ctrlr.
func (b *VirtioBlks) get(ctx context.Context, ctrlr string) (vhostController, bool, error) {
	var out []vhostController
	err := b.spdk.Call(ctx, "vhost_get_controllers", map[string]any{"name": ctrlr}, &out)
	if err != nil {
		if spdk.IsNotFound(err) || spdk.IsCode(err, spdk.CodeInternalError) {
			return vhostController{}, false, nil // -32603 "No such device" per the contract
		}
		return vhostController{}, false, err
	}
	for _, c := range out {
		if c.Ctrlr == ctrlr {
			return c, true, nil
		}
	}
	return vhostController{}, false, nil
}

// Present lists SPDK's vhost controllers once and reports, from that
// listing, whether a vhost-user device is there (storage.Presence). A PCIe
// endpoint is never reported present: creating it again is cheap and
// idempotent.
func (b *VirtioBlks) Present(ctx context.Context) (func(*pb.VirtioBlk) bool, error) {
	var out []vhostController
	if err := b.spdk.Call(ctx, "vhost_get_controllers", nil, &out); err != nil {
		return nil, spdk.Classify(err)
	}
	have := make(map[string]bool, len(out))
	for _, v := range out {
		have[v.Ctrlr] = true
	}
	return func(m *pb.VirtioBlk) bool { return m.GetPcie() == nil && have[VirtioBlkCtrlr(m.GetName())] }, nil
}
