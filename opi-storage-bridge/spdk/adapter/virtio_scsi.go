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

// VirtioScsiCtrlr is the SPDK name of a virtio-scsi target
// ("virtioScsiTargets/t" -> "scsi.t"): its vhost-user SCSI controller,
// which also names the vhost-user socket, or for a PCIe target its
// vfio-user virtio-scsi endpoint. The dot, which no resource id has, keeps
// it apart from every virtio-blk controller and endpoint (named by the
// bare id). That matters beyond names: spdk_tgt v26.05 takes a virtio-blk
// endpoint handed to vfu_virtio_scsi_remove_target for a virtio-scsi one
// and stops answering (measured).
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

// vhostScsiController returns SPDK's vhost controller ctrlr, if it has
// one. An SPDK built without vhost has none.
func vhostScsiController(ctx context.Context, c spdk.Caller, ctrlr string) (scsiController, bool, error) {
	have, err := scsiControllers(ctx, c, ctrlr)
	switch {
	case errors.Is(err, errdefs.ErrFailedPrecondition):
		return scsiController{}, false, nil
	case err != nil:
		return scsiController{}, false, err
	}
	cur, ok := have[ctrlr]
	return cur, ok, nil
}

// vfio-user answers every refusal with -32602 and strerror's text; these
// tell the two that idempotent calls accept.

// errVfuSocket is spdk_tgt's "Bad address" to a vfio-user endpoint
// create, which is what it answers when it cannot make the endpoint's
// socket: one left by an earlier SPDK run (spdk_tgt v26.05 does not
// replace it), or a directory it may not write.
func errVfuSocket(endpoint string, err error) error {
	return errdefs.FailedPreconditionf("SPDK cannot make the vfio-user socket of endpoint %s in its vfio-user directory "+
		"(vfu_tgt_set_base_path, else its working directory): a socket an earlier SPDK run left there, or a directory it may not write; "+
		"start SPDK with that directory empty (%w)", endpoint, err)
}

// vfuExists reports a vfio-user create refused because its endpoint (or
// SCSI target number) is taken: "File exists".
func vfuExists(err error) bool { return spdk.IsAlreadyExists(err) || isMessage(err, "File exists") }

// vfuMissing reports a vfio-user call on an endpoint (or SCSI target
// number) that is not there: "No such file or directory".
func vfuMissing(err error) bool {
	return spdk.IsNotFound(err) || isMessage(err, "No such file or directory")
}

// VirtioScsiTargets realises virtio-scsi targets in SPDK, named
// VirtioScsiCtrlr: a vhost-user SCSI controller
// (vhost_create_scsi_controller) or, for a PCIe endpoint, a vfio-user
// virtio-scsi endpoint (vfu_virtio_create_scsi_endpoint).
type VirtioScsiTargets struct{ C spdk.Caller }

// Create makes the controller; one of that name already there (a replay)
// is success. It fills device_path with the socket SPDK reports.
func (b VirtioScsiTargets) Create(ctx context.Context, m *pb.VirtioScsiTarget) error {
	ctrlr := VirtioScsiCtrlr(m.GetName())
	if m.GetPcie() != nil {
		return b.createPcie(ctx, m, ctrlr)
	}
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

// createPcie makes the vfio-user endpoint. SPDK lists no vfio-user
// endpoints, so one of that name already there ("File exists") counts as
// this target's: the name is the bridge's own (VirtioScsiCtrlr).
func (b VirtioScsiTargets) createPcie(ctx context.Context, m *pb.VirtioScsiTarget, ctrlr string) error {
	params := map[string]any{"name": ctrlr}
	if m.GetCpumask() != "" {
		params["cpumask"] = m.GetCpumask()
	}
	err := b.C.Call(ctx, "vfu_virtio_create_scsi_endpoint", params, nil)
	switch {
	case err == nil, vfuExists(err):
		m.DevicePath = ""
		return nil
	case errors.Is(err, errdefs.ErrFailedPrecondition):
		return err // this SPDK lacks vfio-user (Features)
	case isMessage(err, "Bad address"):
		return errVfuSocket(ctrlr, err)
	}
	return spdk.Classify(fmt.Errorf("creating vfio-user virtio-scsi endpoint %s: %w", ctrlr, err))
}

// Update changes nothing: every field of a target is fixed.
func (VirtioScsiTargets) Update(context.Context, *pb.VirtioScsiTarget, *pb.VirtioScsiTarget) error {
	return nil
}

// Delete removes the controller or endpoint; one SPDK does not have is
// success.
func (b VirtioScsiTargets) Delete(ctx context.Context, m *pb.VirtioScsiTarget) error {
	if m.GetPcie() != nil {
		err := b.C.Call(ctx, "vfu_virtio_delete_endpoint", map[string]any{"name": VirtioScsiCtrlr(m.GetName())}, nil)
		if err == nil || vfuMissing(err) || spdk.IsCode(err, spdk.CodeMethodNotFound) {
			return nil
		}
		return spdk.Classify(err)
	}
	err := b.C.Call(ctx, "vhost_delete_controller", map[string]any{"ctrlr": VirtioScsiCtrlr(m.GetName())}, nil)
	if err == nil || spdk.IsNotFound(err) || spdk.IsCode(err, spdk.CodeInvalidParams) && isNoDevice(err) {
		return nil
	}
	return spdk.Classify(err)
}

// Present lists SPDK's vhost controllers once (storage.Presence). SPDK
// lists no vfio-user endpoints, so a PCIe target is never reported
// present: its create is repeated, which is cheap and idempotent.
func (b VirtioScsiTargets) Present(ctx context.Context) (func(*pb.VirtioScsiTarget) bool, error) {
	have, err := vhostScsiControllers(ctx, b.C)
	if err != nil {
		return nil, err
	}
	return func(m *pb.VirtioScsiTarget) bool {
		_, ok := have[VirtioScsiCtrlr(m.GetName())]
		return ok && m.GetPcie() == nil
	}, nil
}

// vhostScsiControllers lists SPDK's vhost controllers; an SPDK built
// without vhost has none.
func vhostScsiControllers(ctx context.Context, c spdk.Caller) (map[string]scsiController, error) {
	have, err := scsiControllers(ctx, c, "")
	if errors.Is(err, errdefs.ErrFailedPrecondition) {
		return map[string]scsiController{}, nil
	}
	return have, err
}

// VirtioScsiLuns realises virtio-scsi LUNs as SCSI targets of their
// target's SPDK device at the LUN's target_number, the volume's bdev as
// LUN 0: vhost_scsi_controller_add_target on a vhost-user SCSI controller,
// vfu_virtio_scsi_add_target on a vfio-user endpoint (a PCIe target). A
// LUN names only its target, so the target's transport is learnt from
// SPDK: a target that is not a vhost controller is a vfio-user endpoint.
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
	if callErr == nil {
		return nil
	}
	cur, ok, err := vhostScsiController(ctx, b.C, ctrlr)
	switch {
	case err != nil:
		return err
	case !ok:
		return b.createPcie(ctx, m, ctrlr, bdev)
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

// createPcie adds the SCSI target to the target's vfio-user endpoint.
// SPDK lists neither the endpoints nor their SCSI targets, so a number
// already taken ("File exists") counts as this LUN's (a replay): the
// bridge records each number and gives it to one LUN of the target.
func (b VirtioScsiLuns) createPcie(ctx context.Context, m *pb.VirtioScsiLun, ctrlr, bdev string) error {
	err := b.C.Call(ctx, "vfu_virtio_scsi_add_target",
		map[string]any{"name": ctrlr, "scsi_target_num": m.GetTargetNumber(), "bdev_name": bdev}, nil)
	switch {
	case err == nil, vfuExists(err):
		return nil
	case vfuMissing(err) || spdk.IsCode(err, spdk.CodeMethodNotFound):
		return errdefs.FailedPreconditionf("%s is not in SPDK now (no vhost controller or vfio-user endpoint %s); see its status (%w)", m.GetTarget(), ctrlr, err)
	case isMessage(err, "Bad address"):
		return errdefs.FailedPreconditionf("volume %s is not in SPDK now (no bdev %s); see its status (%w)", m.GetVolume(), bdev, err)
	}
	return spdk.Classify(fmt.Errorf("adding %s to vfio-user virtio-scsi endpoint %s at %d: %w", bdev, ctrlr, m.GetTargetNumber(), err))
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
	cur, ok, err := vhostScsiController(ctx, b.C, ctrlr)
	switch {
	case err != nil:
		return err
	case !ok:
		return b.deletePcie(ctx, ctrlr, n)
	case cur.slot(n) != bdev:
		return nil
	}
	callErr := b.C.Call(ctx, "vhost_scsi_controller_remove_target", map[string]any{"ctrlr": ctrlr, "scsi_target_num": n}, nil)
	if callErr == nil {
		return nil
	}
	// SPDK removes a SCSI target asynchronously and answers a second
	// removal "busy" while the first completes: gone from the listing is
	// success.
	if cur, _, err = vhostScsiController(ctx, b.C, ctrlr); err == nil && cur.slot(n) != bdev {
		return nil
	}
	return spdk.Classify(callErr)
}

// deletePcie removes SCSI target number n of a vfio-user endpoint; an
// endpoint or number that is not there is success.
func (b VirtioScsiLuns) deletePcie(ctx context.Context, ctrlr string, n uint32) error {
	err := b.C.Call(ctx, "vfu_virtio_scsi_remove_target", map[string]any{"name": ctrlr, "scsi_target_num": n}, nil)
	if err == nil || vfuMissing(err) || spdk.IsCode(err, spdk.CodeMethodNotFound) {
		return nil
	}
	return spdk.Classify(err)
}

// Present lists SPDK's vhost controllers once and reports a LUN present
// when its number holds its bdev (storage.Presence). A LUN on a PCIe
// target is never reported present (SPDK lists no vfio-user endpoints):
// its create is repeated, which is idempotent.
func (b VirtioScsiLuns) Present(ctx context.Context) (func(*pb.VirtioScsiLun) bool, error) {
	have, err := vhostScsiControllers(ctx, b.C)
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
func isNoDevice(err error) bool { return isMessage(err, "No such device") }

// isMessage reports an SPDK answer with the given text.
func isMessage(err error, text string) bool {
	var e *spdk.Error
	return errors.As(err, &e) && e.Message == text
}
