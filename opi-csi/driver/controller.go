package driver

import (
	"context"
	"strconv"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ControllerGetCapabilities lists what the controller does.
func (d *Driver) ControllerGetCapabilities(context.Context, *csi.ControllerGetCapabilitiesRequest) (*csi.ControllerGetCapabilitiesResponse, error) {
	rpcs := []csi.ControllerServiceCapability_RPC_Type{
		csi.ControllerServiceCapability_RPC_CREATE_DELETE_VOLUME,
		csi.ControllerServiceCapability_RPC_PUBLISH_UNPUBLISH_VOLUME,
		csi.ControllerServiceCapability_RPC_LIST_VOLUMES,
		csi.ControllerServiceCapability_RPC_GET_CAPACITY,
		csi.ControllerServiceCapability_RPC_GET_VOLUME,
		csi.ControllerServiceCapability_RPC_SINGLE_NODE_MULTI_WRITER,
	}
	if d.expandable() {
		rpcs = append(rpcs, csi.ControllerServiceCapability_RPC_EXPAND_VOLUME)
	}
	caps := make([]*csi.ControllerServiceCapability, len(rpcs))
	for i, t := range rpcs {
		caps[i] = &csi.ControllerServiceCapability{Type: &csi.ControllerServiceCapability_Rpc{Rpc: &csi.ControllerServiceCapability_RPC{Type: t}}}
	}
	return &csi.ControllerGetCapabilitiesResponse{Capabilities: caps}, nil
}

// checkCapabilities refuses access modes the driver cannot honour: many
// nodes writing one file system would corrupt it (block is the user's
// business, as with any shared disk).
func checkCapabilities(caps []*csi.VolumeCapability) error {
	if len(caps) == 0 {
		return errdefs.InvalidArgumentf("volume capabilities are required")
	}
	for _, c := range caps {
		if c == nil {
			return errdefs.InvalidArgumentf("a volume capability is required")
		}
		if c.GetAccessMode() == nil {
			return errdefs.InvalidArgumentf("a volume capability needs an access mode")
		}
		if c.GetBlock() == nil && c.GetMount() == nil {
			return errdefs.InvalidArgumentf("a volume capability needs an access type, block or mount")
		}
		if c.GetMount() != nil && c.GetAccessMode().GetMode() == csi.VolumeCapability_AccessMode_MULTI_NODE_MULTI_WRITER {
			return errdefs.InvalidArgumentf("a file system volume cannot be written by several nodes; use a block volume")
		}
	}
	return nil
}

func capacity(r *csi.CapacityRange) dpu.Capacity {
	return dpu.Capacity{Required: r.GetRequiredBytes(), Limit: r.GetLimitBytes()}
}

func (d *Driver) csiVolume(v *dpu.Volume) *csi.Volume {
	return &csi.Volume{VolumeId: v.ID, CapacityBytes: v.CapacityBytes, AccessibleTopology: []*csi.Topology{d.topology()}}
}

// CreateVolume makes the backing volume for req's name (the same one on
// a retry).
func (d *Driver) CreateVolume(ctx context.Context, req *csi.CreateVolumeRequest) (*csi.CreateVolumeResponse, error) {
	if req.GetName() == "" {
		return nil, errdefs.InvalidArgumentf("a volume name is required")
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return nil, err
	}
	if req.GetVolumeContentSource() != nil {
		return nil, errdefs.InvalidArgumentf("volumes from snapshots or clones are not supported: the storage API has no snapshots")
	}
	for _, t := range req.GetAccessibilityRequirements().GetRequisite() {
		if v, ok := t.GetSegments()[TopologyKey]; ok && v != d.cfg.StorageDomain {
			return nil, errdefs.ResourceExhaustedf("this controller serves storage domain %q, not %q", d.cfg.StorageDomain, v)
		}
	}
	v, err := d.cfg.Client.CreateVolume(ctx, req.GetName(), capacity(req.GetCapacityRange()))
	if err != nil {
		return nil, err
	}
	return &csi.CreateVolumeResponse{Volume: d.csiVolume(v)}, nil
}

// DeleteVolume deletes the volume and its exports; an unknown id is
// success.
func (d *Driver) DeleteVolume(ctx context.Context, req *csi.DeleteVolumeRequest) (*csi.DeleteVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	}
	return &csi.DeleteVolumeResponse{}, d.cfg.Client.DeleteVolume(ctx, req.GetVolumeId())
}

// ControllerPublishVolume exposes the volume to the node and returns, as
// the publish context, what the node needs to find it.
func (d *Driver) ControllerPublishVolume(ctx context.Context, req *csi.ControllerPublishVolumeRequest) (*csi.ControllerPublishVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetNodeId() == "":
		return nil, errdefs.InvalidArgumentf("a node id is required")
	}
	if err := checkCapabilities([]*csi.VolumeCapability{req.GetVolumeCapability()}); err != nil {
		return nil, err
	}
	if isSingleNode(req.GetVolumeCapability().GetAccessMode().GetMode()) {
		nodes, err := d.cfg.Client.ExposedTo(ctx, req.GetVolumeId())
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			if n != d.cfg.Client.HostNQN(req.GetNodeId()) {
				return nil, errdefs.FailedPreconditionf("volume %s is published to another node, and its access mode allows one", req.GetVolumeId())
			}
		}
	}
	exp, err := d.cfg.Client.Expose(ctx, req.GetVolumeId(), req.GetNodeId(), d.cfg.Target)
	if err != nil {
		return nil, err
	}
	return &csi.ControllerPublishVolumeResponse{PublishContext: exp.Context()}, nil
}

func isSingleNode(m csi.VolumeCapability_AccessMode_Mode) bool {
	switch m {
	case csi.VolumeCapability_AccessMode_SINGLE_NODE_WRITER, csi.VolumeCapability_AccessMode_SINGLE_NODE_READER_ONLY,
		csi.VolumeCapability_AccessMode_SINGLE_NODE_SINGLE_WRITER, csi.VolumeCapability_AccessMode_SINGLE_NODE_MULTI_WRITER:
		return true
	}
	return false
}

// ControllerUnpublishVolume withdraws the volume from the node (from
// every node when the node id is empty); what is gone is success.
func (d *Driver) ControllerUnpublishVolume(ctx context.Context, req *csi.ControllerUnpublishVolumeRequest) (*csi.ControllerUnpublishVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	}
	var err error
	if req.GetNodeId() == "" {
		err = d.cfg.Client.UnexposeAll(ctx, req.GetVolumeId())
	} else {
		err = d.cfg.Client.Unexpose(ctx, req.GetVolumeId(), req.GetNodeId())
	}
	return &csi.ControllerUnpublishVolumeResponse{}, err
}

// ValidateVolumeCapabilities confirms the capabilities the driver honours.
func (d *Driver) ValidateVolumeCapabilities(ctx context.Context, req *csi.ValidateVolumeCapabilitiesRequest) (*csi.ValidateVolumeCapabilitiesResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	}
	if len(req.GetVolumeCapabilities()) == 0 {
		return nil, errdefs.InvalidArgumentf("volume capabilities are required")
	}
	if _, err := d.cfg.Client.GetVolume(ctx, req.GetVolumeId()); err != nil {
		return nil, err
	}
	if err := checkCapabilities(req.GetVolumeCapabilities()); err != nil {
		return &csi.ValidateVolumeCapabilitiesResponse{Message: err.Error()}, nil
	}
	return &csi.ValidateVolumeCapabilitiesResponse{Confirmed: &csi.ValidateVolumeCapabilitiesResponse_Confirmed{
		VolumeContext: req.GetVolumeContext(), VolumeCapabilities: req.GetVolumeCapabilities(), Parameters: req.GetParameters(),
	}}, nil
}

// ListVolumes pages through the driver's volumes; the token is the index
// of the next entry in the list sorted by id.
func (d *Driver) ListVolumes(ctx context.Context, req *csi.ListVolumesRequest) (*csi.ListVolumesResponse, error) {
	start := 0
	if t := req.GetStartingToken(); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return nil, abortedf("starting token %q is not one this driver gave", t)
		}
		start = n
	}
	if req.GetMaxEntries() < 0 {
		return nil, errdefs.InvalidArgumentf("max_entries must not be negative")
	}
	vs, err := d.cfg.Client.ListVolumes(ctx)
	if err != nil {
		return nil, err
	}
	if start > len(vs) {
		return nil, abortedf("starting token %d is past the end of the list (%d volumes)", start, len(vs))
	}
	end := len(vs)
	if n := int(req.GetMaxEntries()); n > 0 && start+n < end {
		end = start + n
	}
	resp := &csi.ListVolumesResponse{}
	for _, v := range vs[start:end] {
		resp.Entries = append(resp.Entries, &csi.ListVolumesResponse_Entry{Volume: d.csiVolume(v)})
	}
	if end < len(vs) {
		resp.NextToken = strconv.Itoa(end)
	}
	return resp, nil
}

// abortedf is CSI's ABORTED, which ListVolumes returns for a token it
// did not give (errdefs has no such class).
func abortedf(format string, args ...any) error {
	return status.Errorf(codes.Aborted, format, args...)
}

// ControllerGetVolume reports one volume.
func (d *Driver) ControllerGetVolume(ctx context.Context, req *csi.ControllerGetVolumeRequest) (*csi.ControllerGetVolumeResponse, error) {
	if req.GetVolumeId() == "" {
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	}
	v, err := d.cfg.Client.GetVolume(ctx, req.GetVolumeId())
	if err != nil {
		return nil, err
	}
	return &csi.ControllerGetVolumeResponse{Volume: d.csiVolume(v), Status: &csi.ControllerGetVolumeResponse_VolumeStatus{}}, nil
}

// GetCapacity reports the free space new volumes can take: the logical
// volume store's free clusters, or the AIO directory's free bytes.
func (d *Driver) GetCapacity(ctx context.Context, req *csi.GetCapacityRequest) (*csi.GetCapacityResponse, error) {
	if v, ok := req.GetAccessibleTopology().GetSegments()[TopologyKey]; ok && v != d.cfg.StorageDomain {
		return &csi.GetCapacityResponse{}, nil
	}
	n, err := d.cfg.Client.Capacity(ctx)
	if err != nil {
		return nil, err
	}
	return &csi.GetCapacityResponse{AvailableCapacity: n}, nil
}

// ControllerExpandVolume grows a logical volume; the node grows its file
// system.
func (d *Driver) ControllerExpandVolume(ctx context.Context, req *csi.ControllerExpandVolumeRequest) (*csi.ControllerExpandVolumeResponse, error) {
	switch {
	case req.GetVolumeId() == "":
		return nil, errdefs.InvalidArgumentf("a volume id is required")
	case req.GetCapacityRange() == nil:
		return nil, errdefs.InvalidArgumentf("a capacity range is required")
	}
	v, err := d.cfg.Client.ExpandVolume(ctx, req.GetVolumeId(), capacity(req.GetCapacityRange()))
	if err != nil {
		return nil, err
	}
	return &csi.ControllerExpandVolumeResponse{CapacityBytes: v.CapacityBytes,
		NodeExpansionRequired: req.GetVolumeCapability().GetBlock() == nil}, nil
}
