package adapter

import (
	"context"
	"strconv"
	"strings"

	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// Reader is the SPDK side of storage.Reader: I/O counters from
// bdev_get_iostat, remote namespaces from the bdevs of attached
// controllers, connections from bdev_nvme_get_controllers and
// nvmf_subsystem_get_controllers, store usage from
// bdev_lvol_get_lvstores.
type Reader struct{ C spdk.Caller }

// VolumeStats sums the I/O counters of the volumes' bdevs.
func (r Reader) VolumeStats(ctx context.Context, volumes ...string) (*storagev1.VolumeStats, error) {
	bdevs := make([]string, 0, len(volumes))
	for _, v := range volumes {
		b, err := BdevName(v)
		if err != nil {
			return nil, err
		}
		bdevs = append(bdevs, b)
	}
	return bdevStats(ctx, r.C, bdevs...)
}

// RemoteNamespaces lists, ordered by namespace id, the namespaces SPDK has
// attached for the remote controller c (its bdevs nvme-<id>n<nsid>).
func (r Reader) RemoteNamespaces(ctx context.Context, c *storagev1.NvmeRemoteController) ([]*storagev1.NvmeRemoteNamespace, error) {
	out, err := remoteNamespaces(ctx, r.C, c.GetName())
	return out, spdk.Classify(err)
}

// ConnectedPaths returns the addresses of the remote controller c that
// SPDK has enabled now.
func (r Reader) ConnectedPaths(ctx context.Context, c *storagev1.NvmeRemoteController) ([]*storagev1.NvmeFabricsAddress, error) {
	ctrl, err := ControllerName(c.GetName())
	if err != nil {
		return nil, err
	}
	var out []controllerInfo
	err = r.C.Call(ctx, "bdev_nvme_get_controllers", nameParam{ctrl}, &out)
	if spdk.IsCode(err, spdk.CodeEINVAL) || spdk.IsNotFound(err) {
		return nil, nil // not attached now
	}
	if err != nil {
		return nil, spdk.Classify(err)
	}
	var paths []*storagev1.NvmeFabricsAddress
	for _, ci := range out {
		for _, p := range ci.Ctrlrs {
			port, err := strconv.ParseUint(p.Trid.Trsvcid, 10, 16)
			if p.State == "enabled" && err == nil {
				paths = append(paths, &storagev1.NvmeFabricsAddress{Traddr: p.Trid.Traddr, Trsvcid: uint32(port)})
			}
		}
	}
	return paths, nil
}

// hostController is one entry of nvmf_subsystem_get_controllers.
type hostController struct {
	Cntlid        uint32 `json:"cntlid"`
	Hostnqn       string `json:"hostnqn"`
	Hostid        string `json:"hostid"`
	NumIOQpairs   uint32 `json:"num_io_qpairs"`
	ListenAddress *struct {
		Traddr  string `json:"traddr"`
		Trsvcid string `json:"trsvcid"`
	} `json:"listen_address"`
}

// HostConnections lists the host controllers of subsystem s, only those
// that came through ctrl when it is given (and SPDK says which listener).
func (r Reader) HostConnections(ctx context.Context, s *storagev1.NvmeSubsystem, ctrl *storagev1.NvmeController) ([]*storagev1.NvmeHostConnection, error) {
	var hcs []hostController
	if err := r.C.Call(ctx, "nvmf_subsystem_get_controllers", map[string]any{"nqn": s.GetNqn()}, &hcs); err != nil {
		return nil, spdk.Classify(err)
	}
	out := []*storagev1.NvmeHostConnection{}
	for _, h := range hcs {
		if ctrl != nil && h.ListenAddress != nil {
			want, err := ListenAddress(ctrl, "")
			if err != nil || want.Traddr != h.ListenAddress.Traddr || !strings.EqualFold(want.Trsvcid, h.ListenAddress.Trsvcid) {
				continue
			}
		}
		out = append(out, &storagev1.NvmeHostConnection{ControllerId: h.Cntlid, HostNqn: h.Hostnqn, HostId: h.Hostid, IoQueuePairs: h.NumIOQpairs})
	}
	return out, nil
}

// RefreshStoreUsage fills the store's output fields (free clusters change
// as volumes are allocated) from SPDK. A store SPDK does not have is left
// as stored: its status tells the caller.
func (r Reader) RefreshStoreUsage(ctx context.Context, s *storagev1.LogicalVolumeStore) {
	lvs, err := LvsName(s.GetName())
	if err != nil {
		return
	}
	if info, err := getLvs(ctx, r.C, lvs); err == nil && info != nil {
		fillLvs(s, info)
	}
}

type iostatParams struct {
	Names []string `json:"names"`
}

// bdevStats returns the I/O counters of the named bdevs, summed. A bdev
// SPDK does not have is FailedPrecondition (the resource is stored but not
// in the backend: see its status).
func bdevStats(ctx context.Context, c spdk.Caller, bdevs ...string) (*storagev1.VolumeStats, error) {
	out := &storagev1.VolumeStats{}
	if len(bdevs) == 0 {
		return out, nil
	}
	var st spdk.Iostat
	err := c.Call(ctx, "bdev_get_iostat", iostatParams{Names: bdevs}, &st)
	if spdk.IsNotFound(err) {
		return nil, errdefs.FailedPreconditionf("SPDK has no bdev among %s; the resource is not in the backend now, see its status", strings.Join(bdevs, ", "))
	}
	if err != nil {
		return nil, spdk.Classify(err)
	}
	out.TickRate = st.TickRate
	for _, b := range st.Bdevs {
		addStats(out, &storagev1.VolumeStats{
			ReadBytes: b.BytesRead, ReadOps: b.NumReadOps, WriteBytes: b.BytesWritten, WriteOps: b.NumWriteOps,
			UnmapBytes: b.BytesUnmapped, UnmapOps: b.NumUnmapOps, ReadLatencyTicks: b.ReadLatencyTicks,
			WriteLatencyTicks: b.WriteLatencyTicks, UnmapLatencyTicks: b.UnmapLatencyTicks,
		})
	}
	return out, nil
}

func addStats(dst, s *storagev1.VolumeStats) {
	dst.ReadBytes += s.GetReadBytes()
	dst.ReadOps += s.GetReadOps()
	dst.WriteBytes += s.GetWriteBytes()
	dst.WriteOps += s.GetWriteOps()
	dst.UnmapBytes += s.GetUnmapBytes()
	dst.UnmapOps += s.GetUnmapOps()
	dst.ReadLatencyTicks += s.GetReadLatencyTicks()
	dst.WriteLatencyTicks += s.GetWriteLatencyTicks()
	dst.UnmapLatencyTicks += s.GetUnmapLatencyTicks()
}

// lvolAlias is the part of a bdev_lvol_get_lvols entry that maps a logical
// volume's bdev (named by its UUID) to its alias "<lvs>/<lvol>".
type lvolAlias struct {
	Alias string `json:"alias"`
	UUID  string `json:"uuid"`
}

// EachVolumeStats reads the counters of every bdev in one bdev_get_iostat
// (naming thousands of bdevs would not fit in one request) and returns
// those of the given volumes. Logical volumes' bdevs are named by UUID, so
// when there are any, one bdev_lvol_get_lvols maps them to their aliases.
func (r Reader) EachVolumeStats(ctx context.Context, volumes []string) (map[string]*storagev1.VolumeStats, error) {
	byBdev := make(map[string]string, len(volumes))
	lvols := false
	for _, v := range volumes {
		b, err := BdevName(v)
		if err != nil {
			return nil, err
		}
		byBdev[b] = v
		lvols = lvols || strings.HasPrefix(b, lvsPrefix)
	}
	var st spdk.Iostat
	if err := r.C.Call(ctx, "bdev_get_iostat", nil, &st); err != nil {
		return nil, spdk.Classify(err)
	}
	var aliases map[string]string // bdev UUID -> alias
	if lvols {
		var ls []lvolAlias
		if err := r.C.Call(ctx, "bdev_lvol_get_lvols", nil, &ls); err != nil {
			return nil, spdk.Classify(err)
		}
		aliases = make(map[string]string, len(ls))
		for _, l := range ls {
			aliases[l.UUID] = l.Alias
		}
	}
	out := make(map[string]*storagev1.VolumeStats, len(volumes))
	for _, b := range st.Bdevs {
		v, ok := byBdev[b.Name]
		if !ok {
			if v, ok = byBdev[aliases[b.Name]]; !ok {
				continue
			}
		}
		out[v] = &storagev1.VolumeStats{
			ReadBytes: b.BytesRead, ReadOps: b.NumReadOps, WriteBytes: b.BytesWritten, WriteOps: b.NumWriteOps,
			UnmapBytes: b.BytesUnmapped, UnmapOps: b.NumUnmapOps, ReadLatencyTicks: b.ReadLatencyTicks,
			WriteLatencyTicks: b.WriteLatencyTicks, UnmapLatencyTicks: b.UnmapLatencyTicks, TickRate: st.TickRate,
		}
	}
	return out, nil
}

// SubsystemLoad counts the host controllers connected to the subsystem
// nqn (nvmf_subsystem_get_controllers) and their queue pairs, admin and
// I/O, in every state (nvmf_subsystem_get_qpairs).
func (r Reader) SubsystemLoad(ctx context.Context, nqn string) (controllers, qpairs int, err error) {
	var hcs []hostController
	if err := r.C.Call(ctx, "nvmf_subsystem_get_controllers", map[string]any{"nqn": nqn}, &hcs); err != nil {
		return 0, 0, spdk.Classify(err)
	}
	var qps []struct {
		State string `json:"state"`
	}
	if err := r.C.Call(ctx, "nvmf_subsystem_get_qpairs", map[string]any{"nqn": nqn}, &qps); err != nil {
		return 0, 0, spdk.Classify(err)
	}
	return len(hcs), len(qps), nil
}
