package driver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"golang.org/x/sys/unix"
)

// staged is the node's record of a staged volume, kept in the state
// directory from before the attach until after the detach, so that an
// unstage (also after the node plugin restarted, also of a stage that
// failed half-way) knows what to undo.
type staged struct {
	VolumeID    string     `json:"volumeId"`
	StagingPath string     `json:"stagingPath"`
	Block       bool       `json:"block"`
	Device      string     `json:"device,omitempty"`
	Export      dpu.Export `json:"export"`
	// Targets are the paths the volume is published on, and
	// SingleWriter whether one of them took it SINGLE_NODE_SINGLE_WRITER
	// (then it is the only one).
	Targets      []string `json:"targets,omitempty"`
	SingleWriter bool     `json:"singleWriter,omitempty"`
}

func (d *Driver) recordPath(volumeID string) string {
	sum := sha256.Sum256([]byte(volumeID))
	return filepath.Join(d.cfg.StateDir, hex.EncodeToString(sum[:16])+".json")
}

func (d *Driver) readRecord(volumeID string) (*staged, error) {
	b, err := os.ReadFile(d.recordPath(volumeID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, errdefs.Wrap(errdefs.ErrInternal, err)
	}
	var s staged
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, errdefs.Internalf("the record of volume %s is unreadable: %v", volumeID, err)
	}
	return &s, nil
}

// writeRecord writes s atomically (a crash leaves the old record or the
// new one).
func (d *Driver) writeRecord(s *staged) error {
	b, err := json.Marshal(s)
	if err != nil {
		return errdefs.Wrap(errdefs.ErrInternal, err)
	}
	if err := os.MkdirAll(d.cfg.StateDir, 0o700); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	tmp := d.recordPath(s.VolumeID) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	if err := os.Rename(tmp, d.recordPath(s.VolumeID)); err != nil {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return nil
}

// NodeGetCapabilities: staging, stats, and expansion where volumes grow.
func (d *Driver) NodeGetCapabilities(context.Context, *csi.NodeGetCapabilitiesRequest) (*csi.NodeGetCapabilitiesResponse, error) {
	rpcs := []csi.NodeServiceCapability_RPC_Type{
		csi.NodeServiceCapability_RPC_STAGE_UNSTAGE_VOLUME,
		csi.NodeServiceCapability_RPC_GET_VOLUME_STATS,
		csi.NodeServiceCapability_RPC_SINGLE_NODE_MULTI_WRITER,
	}
	if d.expandable() {
		rpcs = append(rpcs, csi.NodeServiceCapability_RPC_EXPAND_VOLUME)
	}
	caps := make([]*csi.NodeServiceCapability, len(rpcs))
	for i, t := range rpcs {
		caps[i] = &csi.NodeServiceCapability{Type: &csi.NodeServiceCapability_Rpc{Rpc: &csi.NodeServiceCapability_RPC{Type: t}}}
	}
	return &csi.NodeGetCapabilitiesResponse{Capabilities: caps}, nil
}

// NodeGetInfo names the node, its attach limit and its topology.
func (d *Driver) NodeGetInfo(context.Context, *csi.NodeGetInfoRequest) (*csi.NodeGetInfoResponse, error) {
	return &csi.NodeGetInfoResponse{NodeId: d.cfg.NodeID, MaxVolumesPerNode: d.cfg.MaxVolumesPerNode, AccessibleTopology: d.topology()}, nil
}

// NodeStageVolume attaches the exported volume and, for a file system,
// formats it if empty and mounts it on the staging path.
func (d *Driver) NodeStageVolume(ctx context.Context, req *csi.NodeStageVolumeRequest) (_ *csi.NodeStageVolumeResponse, err error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetStagingTargetPath() == "":
		return nil, errdefs.InvalidArgumentf("a staging target path is required")
	}
	if err := checkCapabilities([]*csi.VolumeCapability{req.GetVolumeCapability()}); err != nil {
		return nil, err
	}
	defer d.locks.Lock(req.GetVolumeId())()
	rec, err := d.readRecord(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	block := req.GetVolumeCapability().GetBlock() != nil
	if rec != nil && (rec.StagingPath != req.GetStagingTargetPath() || rec.Block != block) {
		return nil, errdefs.AlreadyExistsf("volume %s is staged at %s (block %v)", req.GetVolumeId(), rec.StagingPath, rec.Block)
	}
	exp, err := dpu.ExportFromContext(req.GetPublishContext())
	if err != nil {
		return nil, err
	}
	fresh := rec == nil
	if fresh {
		rec = &staged{VolumeID: req.GetVolumeId(), StagingPath: req.GetStagingTargetPath(), Block: block, Export: *exp}
		if err := d.writeRecord(rec); err != nil {
			return nil, err
		}
	}
	// A stage that fails undoes itself when this call began it; a retried
	// one leaves the rest to the unstage the CO will send.
	defer func() {
		if err != nil && fresh {
			_ = d.unstage(context.WithoutCancel(ctx), rec)
		}
	}()
	dev, err := d.cfg.Attacher.Attach(ctx, exp)
	if err != nil {
		return nil, err
	}
	if rec.Device != dev {
		rec.Device = dev
		if err := d.writeRecord(rec); err != nil {
			return nil, err
		}
	}
	if block {
		return &csi.NodeStageVolumeResponse{}, nil
	}
	if err := os.MkdirAll(rec.StagingPath, 0o750); err != nil {
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	if m, err := mounted(rec.StagingPath); err != nil || m {
		return &csi.NodeStageVolumeResponse{}, err
	}
	mnt := req.GetVolumeCapability().GetMount()
	if err := formatAndMount(ctx, dev, rec.StagingPath, mnt.GetFsType(), mnt.GetMountFlags()); err != nil {
		return nil, err
	}
	return &csi.NodeStageVolumeResponse{}, nil
}

// NodeUnstageVolume unmounts and detaches; what is not staged is success.
func (d *Driver) NodeUnstageVolume(ctx context.Context, req *csi.NodeUnstageVolumeRequest) (*csi.NodeUnstageVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetStagingTargetPath() == "":
		return nil, errdefs.InvalidArgumentf("a staging target path is required")
	}
	defer d.locks.Lock(req.GetVolumeId())()
	rec, err := d.readRecord(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return &csi.NodeUnstageVolumeResponse{}, unmount(req.GetStagingTargetPath())
	}
	return &csi.NodeUnstageVolumeResponse{}, d.unstage(ctx, rec)
}

func (d *Driver) unstage(ctx context.Context, rec *staged) error {
	if err := unmount(rec.StagingPath); err != nil {
		return err
	}
	if err := d.cfg.Attacher.Detach(ctx, &rec.Export, rec.Device); err != nil {
		return err
	}
	if err := os.Remove(d.recordPath(rec.VolumeID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return nil
}

// NodePublishVolume bind-mounts the staged file system (or the device,
// for a block volume) on the target path.
func (d *Driver) NodePublishVolume(ctx context.Context, req *csi.NodePublishVolumeRequest) (*csi.NodePublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetTargetPath() == "":
		return nil, errdefs.InvalidArgumentf("a target path is required")
	case req.GetStagingTargetPath() == "":
		return nil, errdefs.InvalidArgumentf("a staging target path is required: the driver stages volumes")
	}
	if err := checkCapabilities([]*csi.VolumeCapability{req.GetVolumeCapability()}); err != nil {
		return nil, err
	}
	defer d.locks.Lock(req.GetVolumeId())()
	rec, err := d.readRecord(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.StagingPath != req.GetStagingTargetPath() {
		return nil, errdefs.FailedPreconditionf("volume %s is not staged at %s", req.GetVolumeId(), req.GetStagingTargetPath())
	}
	target := req.GetTargetPath()
	if m, err := mounted(target); err != nil || m {
		return &csi.NodePublishVolumeResponse{}, err
	}
	// SINGLE_NODE_SINGLE_WRITER: one target path on the node at a time;
	// SINGLE_NODE_MULTI_WRITER (and the rest): as many as asked.
	single := req.GetVolumeCapability().GetAccessMode().GetMode() == csi.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER
	if others := slices.DeleteFunc(slices.Clone(rec.Targets), func(p string) bool { return p == target }); len(others) > 0 && (single || rec.SingleWriter) {
		return nil, errdefs.FailedPreconditionf("volume %s is published single-writer at %s: it cannot also be published at %s", req.GetVolumeId(), others[0], target)
	}
	if !slices.Contains(rec.Targets, target) || rec.SingleWriter != single {
		// Recorded before the mount, so an unpublish after a crash
		// in between still finds it.
		if !slices.Contains(rec.Targets, target) {
			rec.Targets = append(rec.Targets, target)
		}
		rec.SingleWriter = single
		if err := d.writeRecord(rec); err != nil {
			return nil, err
		}
	}
	src := rec.StagingPath
	if rec.Block {
		src = rec.Device
		if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
			return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
		}
		f, err := os.OpenFile(target, os.O_CREATE|os.O_RDONLY, 0o640)
		if err != nil {
			return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
		}
		f.Close()
	} else if err := os.MkdirAll(target, 0o750); err != nil {
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	return &csi.NodePublishVolumeResponse{}, bindMount(src, target, req.GetReadonly())
}

// NodeUnpublishVolume unmounts the target path and removes it; what is not
// there is success.
func (d *Driver) NodeUnpublishVolume(ctx context.Context, req *csi.NodeUnpublishVolumeRequest) (*csi.NodeUnpublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetTargetPath() == "":
		return nil, errdefs.InvalidArgumentf("a target path is required")
	}
	defer d.locks.Lock(req.GetVolumeId())()
	if err := unmount(req.GetTargetPath()); err != nil {
		return nil, err
	}
	if err := os.Remove(req.GetTargetPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	rec, err := d.readRecord(req.GetVolumeId())
	if err != nil || rec == nil || !slices.Contains(rec.Targets, req.GetTargetPath()) {
		return &csi.NodeUnpublishVolumeResponse{}, err
	}
	rec.Targets = slices.DeleteFunc(rec.Targets, func(p string) bool { return p == req.GetTargetPath() })
	if len(rec.Targets) == 0 {
		rec.SingleWriter = false
	}
	return &csi.NodeUnpublishVolumeResponse{}, d.writeRecord(rec)
}

// NodeGetVolumeStats reports a published volume's usage: bytes and inodes
// of its file system, or the size of a block device.
func (d *Driver) NodeGetVolumeStats(ctx context.Context, req *csi.NodeGetVolumeStatsRequest) (*csi.NodeGetVolumeStatsResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetVolumePath() == "":
		return nil, errdefs.InvalidArgumentf("a volume path is required")
	}
	rec, err := d.readRecord(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, errdefs.NotFoundf("volume %s is not staged on this node", req.GetVolumeId())
	}
	if m, err := mounted(req.GetVolumePath()); err != nil || !m {
		return nil, errdefs.NotFoundf("volume %s is not published at %s", req.GetVolumeId(), req.GetVolumePath())
	}
	if rec.Block {
		size, err := deviceSize(rec.Device)
		if err != nil {
			return nil, err
		}
		return &csi.NodeGetVolumeStatsResponse{Usage: []*csi.VolumeUsage{{Unit: csi.VolumeUsage_BYTES, Total: size}}}, nil
	}
	var st unix.Statfs_t
	if err := unix.Statfs(req.GetVolumePath(), &st); err != nil {
		return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	bs := st.Bsize
	return &csi.NodeGetVolumeStatsResponse{Usage: []*csi.VolumeUsage{
		{Unit: csi.VolumeUsage_BYTES, Total: int64(st.Blocks) * bs, Available: int64(st.Bavail) * bs, Used: int64(st.Blocks-st.Bfree) * bs},
		{Unit: csi.VolumeUsage_INODES, Total: int64(st.Files), Available: int64(st.Ffree), Used: int64(st.Files - st.Ffree)},
	}}, nil
}

func deviceSize(dev string) (int64, error) {
	f, err := os.Open(dev)
	if err != nil {
		return 0, errdefs.Wrap(errdefs.ErrFailedPrecondition, err)
	}
	defer f.Close()
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, errdefs.Wrap(errdefs.ErrInternal, err)
	}
	return n, nil
}

// NodeExpandVolume grows the file system to the device's new size (a
// block volume needs nothing).
func (d *Driver) NodeExpandVolume(ctx context.Context, req *csi.NodeExpandVolumeRequest) (*csi.NodeExpandVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetVolumePath() == "":
		return nil, errdefs.InvalidArgumentf("a volume path is required")
	}
	rec, err := d.readRecord(req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, errdefs.NotFoundf("volume %s is not staged on this node", req.GetVolumeId())
	}
	if r, ok := d.cfg.Attacher.(Resizer); ok {
		if err := r.Resize(ctx, &rec.Export, rec.Device); err != nil {
			return nil, err
		}
	}
	size, err := deviceSize(rec.Device)
	if err != nil {
		return nil, err
	}
	if !rec.Block {
		fs, _ := run(ctx, "blkid", "-p", "-s", "TYPE", "-o", "value", rec.Device)
		grow := []string{"resize2fs", rec.Device}
		if fs == "xfs" {
			grow = []string{"xfs_growfs", req.GetVolumePath()} // XFS grows mounted, by mount point
		}
		if _, err := run(ctx, grow[0], grow[1:]...); err != nil {
			if strings.HasPrefix(fs, "ext") && !hasCapability(capSysResource) {
				// The kernel's online resize ioctl (EXT4_IOC_RESIZE_FS)
				// wants CAP_SYS_RESOURCE, even from root.
				return nil, errdefs.FailedPreconditionf("growing the mounted %s file system needs CAP_SYS_RESOURCE, which this node plugin lacks (give its container the capability, or run it privileged on a host whose bounding set has it): %v", fs, err)
			}
			return nil, errdefs.Wrap(errdefs.ErrFailedPrecondition, fmt.Errorf("growing the %s file system: %w", fs, err))
		}
	}
	return &csi.NodeExpandVolumeResponse{CapacityBytes: size}, nil
}

// capSysResource is CAP_SYS_RESOURCE's number (linux/capability.h).
const capSysResource = 24

// hasCapability reports whether this process's effective set has
// capability n, from /proc/self/status.
func hasCapability(n uint) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<n) != 0
		}
	}
	return false
}
