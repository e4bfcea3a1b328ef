package adapter

import (
	"context"
	"errors"
	"strings"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// ClearMethodName is SPDK's name of a clear method; "" leaves SPDK's
// default (unmap).
func ClearMethodName(m storagev1.LogicalVolumeClearMethod) string {
	switch m {
	case storagev1.LogicalVolumeClearMethod_LOGICAL_VOLUME_CLEAR_METHOD_NONE:
		return "none"
	case storagev1.LogicalVolumeClearMethod_LOGICAL_VOLUME_CLEAR_METHOD_UNMAP:
		return "unmap"
	case storagev1.LogicalVolumeClearMethod_LOGICAL_VOLUME_CLEAR_METHOD_WRITE_ZEROES:
		return "write_zeroes"
	}
	return ""
}

// LogicalVolumeStores makes logical volume stores exist in SPDK (bdev_lvol_*_lvstore).
type LogicalVolumeStores struct{ C spdk.Caller }

type lvsParams struct {
	BdevName    string `json:"bdev_name"`
	LvsName     string `json:"lvs_name"`
	ClusterSize uint32 `json:"cluster_sz,omitempty"`
	ClearMethod string `json:"clear_method,omitempty"`
}

type lvsNameParam struct {
	LvsName string `json:"lvs_name"`
}

type lvsInfo struct {
	UUID              string `json:"uuid"`
	Name              string `json:"name"`
	BaseBdev          string `json:"base_bdev"`
	FreeClusters      uint64 `json:"free_clusters"`
	ClusterSize       uint64 `json:"cluster_size"`
	TotalDataClusters uint64 `json:"total_data_clusters"`
	BlockSize         uint32 `json:"block_size"`
}

// Create formats the base volume as store lvs-<id> and records the store's
// UUID and geometry. An existing store of that name on the same base bdev
// (a replay, or a store SPDK found again on a persistent base) is success.
func (b LogicalVolumeStores) Create(ctx context.Context, s *storagev1.LogicalVolumeStore) error {
	lvs, err := LvsName(s.GetName())
	if err != nil {
		return err
	}
	base, err := BdevName(s.GetVolume())
	if err != nil {
		return err
	}
	info, err := getLvs(ctx, b.C, lvs)
	if err != nil {
		return err
	}
	if info == nil {
		if _, err := requireFreeBase(ctx, b.C, s.GetVolume()); err != nil {
			return err
		}
		p := lvsParams{BdevName: base, LvsName: lvs, ClusterSize: s.GetClusterSizeBytes(), ClearMethod: ClearMethodName(s.GetClearMethod())}
		if err := b.C.Call(ctx, "bdev_lvol_create_lvstore", p, nil); err != nil {
			return spdk.Classify(err)
		}
		if info, err = getLvs(ctx, b.C, lvs); err != nil {
			return err
		}
		if info == nil {
			return errdefs.Unavailablef("SPDK created logical volume store %s but does not list it", lvs)
		}
	}
	if info.BaseBdev != base && !b.isAlias(ctx, info.BaseBdev, base) {
		return errdefs.AlreadyExistsf("SPDK already has logical volume store %s on bdev %s, not on %s; delete it in SPDK or choose another id", lvs, info.BaseBdev, base)
	}
	fillLvs(s, info)
	return nil
}

// isAlias reports whether bdev name is also known as alias (an lvol base
// is listed by its UUID name).
func (b LogicalVolumeStores) isAlias(ctx context.Context, name, alias string) bool {
	info, err := getBdev(ctx, b.C, alias)
	return err == nil && info != nil && info.Name == name
}

// Update has nothing to do: every field of a store is immutable.
func (LogicalVolumeStores) Update(context.Context, *storagev1.LogicalVolumeStore, *storagev1.LogicalVolumeStore) error {
	return nil
}

// Delete destroys the store; a missing one is success.
func (b LogicalVolumeStores) Delete(ctx context.Context, s *storagev1.LogicalVolumeStore) error {
	lvs, err := LvsName(s.GetName())
	if err != nil {
		return err
	}
	info, err := getLvs(ctx, b.C, lvs)
	if err != nil || info == nil {
		return err
	}
	if err := b.C.Call(ctx, "bdev_lvol_delete_lvstore", lvsNameParam{lvs}, nil); err != nil && !isGone(err) {
		return spdk.Classify(err)
	}
	return nil
}

func fillLvs(s *storagev1.LogicalVolumeStore, info *lvsInfo) {
	s.Uuid = info.UUID
	s.BlockSize = info.BlockSize
	s.TotalClusters = info.TotalDataClusters
	s.FreeClusters = info.FreeClusters
}

// getLvs returns the store named lvs, or nil when SPDK has none.
func getLvs(ctx context.Context, c spdk.Caller, lvs string) (*lvsInfo, error) {
	var out []lvsInfo
	err := c.Call(ctx, "bdev_lvol_get_lvstores", lvsNameParam{lvs}, &out)
	if isGone(err) || (err == nil && len(out) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, spdk.Classify(err)
	}
	return &out[0], nil
}

// isGone reports SPDK saying an object does not exist: -19/-2, or the
// lvol and keyring handlers' -32602 with that text.
func isGone(err error) bool {
	if spdk.IsNotFound(err) {
		return true
	}
	var e *spdk.Error
	if !errors.As(err, &e) || e.Code != spdk.CodeInvalidParams {
		return false
	}
	msg := strings.ToLower(e.Message)
	return strings.Contains(msg, "no such device") || strings.Contains(msg, "not found") || strings.Contains(msg, "no key object found")
}

// LogicalVolumes makes logical volumes exist in SPDK (bdev_lvol_*).
type LogicalVolumes struct{ C spdk.Caller }

type lvolCreateParams struct {
	LvolName      string `json:"lvol_name"`
	SizeInMiB     uint64 `json:"size_in_mib"`
	ThinProvision bool   `json:"thin_provision,omitempty"`
	LvsName       string `json:"lvs_name"`
	ClearMethod   string `json:"clear_method,omitempty"`
}

type lvolResizeParams struct {
	Name      string `json:"name"`
	SizeInMiB uint64 `json:"size_in_mib"`
}

// Create creates lvol <id> in store lvs-<store> (bdev alias
// lvs-<store>/<id>) and records its UUID. An existing lvol of that alias is
// success, grown to the asked size when smaller.
func (b LogicalVolumes) Create(ctx context.Context, v *storagev1.LogicalVolume) error {
	alias, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	lvs, lvol, _ := strings.Cut(alias, "/")
	info, err := getBdev(ctx, b.C, alias)
	if err != nil {
		return err
	}
	if info != nil {
		if info.NumBlocks*uint64(info.BlockSize) < v.GetSizeMib()<<20 {
			if err := b.resize(ctx, alias, v.GetSizeMib()); err != nil {
				return err
			}
		}
		v.Uuid = info.UUID
		return nil
	}
	p := lvolCreateParams{LvolName: lvol, SizeInMiB: v.GetSizeMib(), ThinProvision: v.GetThinProvisioned(), LvsName: lvs, ClearMethod: ClearMethodName(v.GetClearMethod())}
	var uuid string
	if err := b.C.Call(ctx, "bdev_lvol_create", p, &uuid); err != nil {
		if isGone(err) {
			return errdefs.FailedPreconditionf("logical volume store %s is not ready in SPDK; check its status", strings.TrimPrefix(lvs, lvsPrefix))
		}
		return lvolError(err, lvs, v.GetSizeMib())
	}
	v.Uuid = uuid
	return nil
}

// lvolError classifies an SPDK error of bdev_lvol_create or
// bdev_lvol_resize. SPDK reports a store without enough free clusters as
// -32602 "No space left on device" (from the create callback), which
// spdk.Classify would call InvalidArgument: the request is fine, the store is full, so it is
// ResourceExhausted, with what to do about it.
func lvolError(err error, lvs string, mib uint64) error {
	var e *spdk.Error
	if errors.As(err, &e) && e.Code == spdk.CodeInvalidParams && e.Message == "No space left on device" {
		return errdefs.ResourceExhaustedf(
			"logical volume store %s has too few free clusters for %d MiB: free space in the store, grow its base volume, or make the volume thin-provisioned",
			strings.TrimPrefix(lvs, lvsPrefix), mib)
	}
	return spdk.Classify(err)
}

// Update resizes the lvol when size_mib changed; nothing else can change.
func (b LogicalVolumes) Update(ctx context.Context, old, v *storagev1.LogicalVolume) error {
	if old.GetSizeMib() == v.GetSizeMib() {
		return nil
	}
	alias, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	return b.resize(ctx, alias, v.GetSizeMib())
}

func (b LogicalVolumes) resize(ctx context.Context, alias string, mib uint64) error {
	err := b.C.Call(ctx, "bdev_lvol_resize", lvolResizeParams{Name: alias, SizeInMiB: mib}, nil)
	if err == nil {
		return nil
	}
	lvs, _, _ := strings.Cut(alias, "/")
	return lvolError(err, lvs, mib)
}

// Delete destroys the lvol; a missing one is success.
func (b LogicalVolumes) Delete(ctx context.Context, v *storagev1.LogicalVolume) error {
	alias, err := BdevName(v.GetName())
	if err != nil {
		return err
	}
	if err := b.C.Call(ctx, "bdev_lvol_delete", nameParam{alias}, nil); err != nil && !isGone(err) {
		return spdk.Classify(err)
	}
	return nil
}
