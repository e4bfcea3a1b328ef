package adapter

import (
	"context"
	"errors"
	"fmt"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// VirtioScsiCtrlr is the SPDK vhost controller name of a virtio-scsi
// target ("virtioScsiTargets/t" -> "scsi.t"), which also names its
// vhost-user socket. The dot, which no resource id has, keeps it apart
// from every virtio-blk controller (named by the bare id).
func VirtioScsiCtrlr(target string) string {
	id, err := storage.VirtioScsiTargetPattern.ID(target)
	if err != nil {
		return target
	}
	return "scsi." + id
}

// scsiController is one vhost-user SCSI entry of vhost_get_controllers.
type scsiController struct {
	Ctrlr           string `json:"ctrlr"`
	Socket          string `json:"socket"`
	BackendSpecific struct {
		Scsi []struct {
			ScsiDevNum uint32 `json:"scsi_dev_num"`
			Luns       []struct {
				ID       uint32 `json:"id"`
				BdevName string `json:"bdev_name"`
			} `json:"luns"`
		} `json:"scsi"`
	} `json:"backend_specific"`
}

// slot returns the bdev on SCSI target number n (LUN 0), "" when none.
func (c scsiController) slot(n uint32) string {
	for _, d := range c.BackendSpecific.Scsi {
		if d.ScsiDevNum == n && len(d.Luns) > 0 {
			return d.Luns[0].BdevName
		}
	}
	return ""
}

// scsiControllers lists SPDK's vhost controllers, or the one named ctrlr,
// by name.
func scsiControllers(ctx context.Context, c spdk.Caller, ctrlr string) (map[string]scsiController, error) {
	var params any
	if ctrlr != "" {
		params = map[string]any{"name": ctrlr}
	}
	var out []scsiController
	err := c.Call(ctx, "vhost_get_controllers", params, &out)
	if err != nil && ctrlr != "" && (spdk.IsNotFound(err) || spdk.IsCode(err, spdk.CodeInternalError)) {
		return map[string]scsiController{}, nil // -32603 "No such device" per the contract
	}
	if err != nil {
		return nil, spdk.Classify(err)
	}
	m := make(map[string]scsiController, len(out))
	for _, v := range out {
		m[v.Ctrlr] = v
	}
	return m, nil
}

// VirtioScsiTargets realises virtio-scsi targets as SPDK vhost-user SCSI
// controllers (vhost_create_scsi_controller), named VirtioScsiCtrlr.
type VirtioScsiTargets struct{ C spdk.Caller }

// Create makes the controller; one of that name already there (a replay)
// is success. It fills device_path with the socket SPDK reports.
func (b VirtioScsiTargets) Create(ctx context.Context, m *pb.VirtioScsiTarget) error {
	ctrlr := VirtioScsiCtrlr(m.GetName())
	params := map[string]any{"ctrlr": ctrlr}
	if m.GetCpumask() != "" {
		params["cpumask"] = m.GetCpumask()
	}
	callErr := b.C.Call(ctx, "vhost_create_scsi_controller", params, nil)
	if errors.Is(callErr, errdefs.ErrFailedPrecondition) {
		return callErr // this SPDK lacks vhost (Features)
	}
	have, err := scsiControllers(ctx, b.C, ctrlr)
	if err != nil {
		return err
	}
	cur, ok := have[ctrlr]
	if callErr != nil && !ok {
		return spdk.Classify(fmt.Errorf("creating vhost-scsi controller %s: %w", ctrlr, callErr))
	}
	if !ok {
		return errdefs.Internalf("SPDK created vhost-scsi controller %s but does not list it", ctrlr)
	}
	m.DevicePath = cur.Socket
	return nil
}

// Update changes nothing: every field of a target is fixed.
func (VirtioScsiTargets) Update(context.Context, *pb.VirtioScsiTarget, *pb.VirtioScsiTarget) error {
	return nil
}

// Delete removes the controller; one SPDK does not have is success.
func (b VirtioScsiTargets) Delete(ctx context.Context, m *pb.VirtioScsiTarget) error {
	err := b.C.Call(ctx, "vhost_delete_controller", map[string]any{"ctrlr": VirtioScsiCtrlr(m.GetName())}, nil)
	if err == nil || spdk.IsNotFound(err) || spdk.IsCode(err, spdk.CodeInvalidParams) && isNoDevice(err) {
		return nil
	}
	return spdk.Classify(err)
}

// Present lists SPDK's vhost controllers once (storage.Presence).
func (b VirtioScsiTargets) Present(ctx context.Context) (func(*pb.VirtioScsiTarget) bool, error) {
	have, err := scsiControllers(ctx, b.C, "")
	if err != nil {
		return nil, err
	}
	return func(m *pb.VirtioScsiTarget) bool {
		c, ok := have[VirtioScsiCtrlr(m.GetName())]
		if ok {
			m.DevicePath = c.Socket
		}
		return ok
	}, nil
}

// VirtioScsiLuns realises virtio-scsi LUNs as SCSI targets of their
// target's vhost-user SCSI controller (vhost_scsi_controller_add_target at
// the LUN's target_number, the volume's bdev as LUN 0).
type VirtioScsiLuns struct{ C spdk.Caller }

// Create adds the SCSI target. The same bdev at that number already (a
// replay) is success; another bdev there is AlreadyExists; a target
// controller or a bdev SPDK does not have is FailedPrecondition.
func (b VirtioScsiLuns) Create(ctx context.Context, m *pb.VirtioScsiLun) error {
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return err
	}
	ctrlr, n := VirtioScsiCtrlr(m.GetTarget()), m.GetTargetNumber()
	callErr := b.C.Call(ctx, "vhost_scsi_controller_add_target",
		map[string]any{"ctrlr": ctrlr, "scsi_target_num": n, "bdev_name": bdev}, nil)
	if callErr == nil || errors.Is(callErr, errdefs.ErrFailedPrecondition) {
		return callErr
	}
	have, err := scsiControllers(ctx, b.C, ctrlr)
	if err != nil {
		return err
	}
	cur, ok := have[ctrlr]
	switch {
	case !ok:
		return errdefs.FailedPreconditionf("%s is not in SPDK now (no vhost controller %s); see its status (%w)", m.GetTarget(), ctrlr, callErr)
	case cur.slot(n) == bdev:
		return nil
	case cur.slot(n) != "":
		return errdefs.AlreadyExistsf("SCSI target number %d of %s holds bdev %s in SPDK, not %s (%w)", n, m.GetTarget(), cur.slot(n), bdev, callErr)
	}
	if info, err := getBdev(ctx, b.C, bdev); err == nil && info == nil {
		return errdefs.FailedPreconditionf("volume %s is not in SPDK now (no bdev %s); see its status (%w)", m.GetVolume(), bdev, callErr)
	}
	return spdk.Classify(fmt.Errorf("adding %s to vhost-scsi controller %s at %d: %w", bdev, ctrlr, n, callErr))
}

// Update changes nothing: every field of a LUN is fixed.
func (VirtioScsiLuns) Update(context.Context, *pb.VirtioScsiLun, *pb.VirtioScsiLun) error { return nil }

// Delete removes the SCSI target when it holds the LUN's bdev; a
// controller or number SPDK does not have, or one holding another bdev,
// is success (nothing of this LUN is there).
func (b VirtioScsiLuns) Delete(ctx context.Context, m *pb.VirtioScsiLun) error {
	bdev, err := BdevName(m.GetVolume())
	if err != nil {
		return err
	}
	ctrlr, n := VirtioScsiCtrlr(m.GetTarget()), m.GetTargetNumber()
	have, err := scsiControllers(ctx, b.C, ctrlr)
	if err != nil {
		return err
	}
	if cur, ok := have[ctrlr]; !ok || cur.slot(n) != bdev {
		return nil
	}
	callErr := b.C.Call(ctx, "vhost_scsi_controller_remove_target", map[string]any{"ctrlr": ctrlr, "scsi_target_num": n}, nil)
	if callErr == nil {
		return nil
	}
	// SPDK removes a SCSI target asynchronously and answers a second
	// removal "busy" while the first completes: gone from the listing is
	// success.
	if have, err = scsiControllers(ctx, b.C, ctrlr); err == nil && have[ctrlr].slot(n) != bdev {
		return nil
	}
	return spdk.Classify(callErr)
}

// Present lists SPDK's vhost controllers once and reports a LUN present
// when its number holds its bdev (storage.Presence).
func (b VirtioScsiLuns) Present(ctx context.Context) (func(*pb.VirtioScsiLun) bool, error) {
	have, err := scsiControllers(ctx, b.C, "")
	if err != nil {
		return nil, err
	}
	return func(m *pb.VirtioScsiLun) bool {
		bdev, err := BdevName(m.GetVolume())
		c, ok := have[VirtioScsiCtrlr(m.GetTarget())]
		return err == nil && ok && c.slot(m.GetTargetNumber()) == bdev
	}, nil
}

// isNoDevice reports SPDK's "No such device" text on a -32602 answer.
func isNoDevice(err error) bool {
	var e *spdk.Error
	return errors.As(err, &e) && e.Message == "No such device"
}
