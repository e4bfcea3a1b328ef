package sim

import (
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

const (
	defaultClusterSize = 4 * 1024 * 1024
	mib                = 1024 * 1024
	blobPageSize       = 4096
)

// lvstore is a logical volume store on a base bdev it claims.
type lvstore struct {
	name          string
	uuid          string
	base          *bdev
	clusterSize   uint64
	totalClusters uint64
	blockSize     uint32
	lvols         []*lvol
}

// lvol is a logical volume; its bdev is named by the lvol's UUID with the
// alias "<lvs_name>/<lvol_name>", as SPDK names them.
type lvol struct {
	name     string
	uuid     string
	lvs      *lvstore
	clusters uint64
	thin     bool
	bdev     *bdev
}

func (l *lvstore) freeClusters() uint64 {
	used := uint64(0)
	for _, v := range l.lvols {
		if !v.thin {
			used += v.clusters
		}
	}
	if used > l.totalClusters {
		return 0
	}
	return l.totalClusters - used
}

func validClearMethod(m string) bool {
	return m == "" || m == "none" || m == "unmap" || m == "write_zeroes"
}

// findLvstore resolves an lvstore by uuid xor name as SPDK's
// vbdev_get_lvol_store_by_uuid_xor_name: both or neither -EINVAL, none
// found -ENODEV.
func (st *state) findLvstore(uuid, name string) (*lvstore, error) {
	if (uuid == "") == (name == "") {
		return nil, errnoErr(eINVAL)
	}
	for _, l := range st.lvstores {
		if (uuid != "" && l.uuid == uuid) || (name != "" && l.name == name) {
			return l, nil
		}
	}
	return nil, errnoErr(eNODEV)
}

// unloadLvstore drops an lvstore and its volumes, as when its base bdev is
// hot-removed or the store deleted.
func (st *state) unloadLvstore(l *lvstore) {
	for _, v := range append([]*lvol(nil), l.lvols...) {
		if v.bdev != nil {
			st.removeBdev(v.bdev)
		}
	}
	l.lvols = nil
	for i, x := range st.lvstores {
		if x == l {
			st.lvstores = append(st.lvstores[:i], st.lvstores[i+1:]...)
			break
		}
	}
	if l.base != nil && l.base.claim != nil && l.base.claim.module == "lvol" {
		l.base.release()
	}
}

type lvstoreInfo struct {
	UUID              string `json:"uuid"`
	BaseBdev          string `json:"base_bdev"`
	FreeClusters      uint64 `json:"free_clusters"`
	ClusterSize       uint64 `json:"cluster_size"`
	TotalDataClusters uint64 `json:"total_data_clusters"`
	BlockSize         uint32 `json:"block_size"`
	Name              string `json:"name"`
	MaxGrowableSize   uint64 `json:"max_growable_size"`
}

type lvolInfo struct {
	Alias             string `json:"alias"`
	UUID              string `json:"uuid"`
	Name              string `json:"name"`
	IsThinProvisioned bool   `json:"is_thin_provisioned"`
	IsSnapshot        bool   `json:"is_snapshot"`
	IsClone           bool   `json:"is_clone"`
	IsEsnapClone      bool   `json:"is_esnap_clone"`
	IsDegraded        bool   `json:"is_degraded"`
	LVS               struct {
		Name string `json:"name"`
		UUID string `json:"uuid"`
	} `json:"lvs"`
}

func (s *Sim) registerLvol() {
	st := s.st
	s.register(&method{
		name: "bdev_lvol_create_lvstore",
		handle: func(a contract.Params) (any, error) {
			if !validClearMethod(a.String("clear_method")) {
				return nil, errnoMsg(eINVAL, "Invalid clear_method parameter")
			}
			base := st.lookupBdev(a.String("bdev_name"))
			if base == nil {
				return nil, errnoErr(eNODEV)
			}
			name := a.String("lvs_name")
			for _, l := range st.lvstores {
				if l.name == name {
					return nil, errnoErr(eEXIST)
				}
			}
			if base.claim != nil {
				// spdk_tgt: the claim fails in bdev_open, -EPERM.
				return nil, errnoErr(ePERM)
			}
			cs := uint64(defaultClusterSize)
			if a.Has("cluster_sz") && a.Uint("cluster_sz") != 0 {
				cs = a.Uint("cluster_sz")
			}
			ratio := uint64(100)
			if a.Has("num_md_pages_per_cluster_ratio") && a.Uint("num_md_pages_per_cluster_ratio") != 0 {
				ratio = a.Uint("num_md_pages_per_cluster_ratio")
			}
			size := uint64(base.blockSize) * base.numBlocks
			// The blobstore rejects clusters that are not whole pages, or
			// a device too small for its metadata, in its init callback.
			if cs < blobPageSize || cs%blobPageSize != 0 || cs%uint64(base.blockSize) != 0 {
				return nil, errnoErr(eINVAL) // spdk_lvs_init refuses it before the blobstore starts
			}
			total := size / cs
			mdPages := 1 + 3*((total+blobPageSize*8-1)/(blobPageSize*8)+1) + (total*ratio+99)/100
			mdClusters := (mdPages*blobPageSize + cs - 1) / cs
			if total <= mdClusters {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOSPC))
			}
			_ = base.claimBy("lvol")
			l := &lvstore{
				name: name, uuid: newUUID(), base: base, clusterSize: cs,
				totalClusters: total - mdClusters, blockSize: base.blockSize,
			}
			st.lvstores = append(st.lvstores, l)
			return l.uuid, nil
		},
	})
	s.register(&method{
		name: "bdev_lvol_delete_lvstore",
		handle: func(a contract.Params) (any, error) {
			l, err := st.findLvstore(a.String("uuid"), a.String("lvs_name"))
			if err != nil {
				return nil, err
			}
			st.unloadLvstore(l)
			return true, nil
		},
	})
	s.register(&method{
		name: "bdev_lvol_get_lvstores",
		handle: func(a contract.Params) (any, error) {
			list := st.lvstores
			if a.String("uuid") != "" || a.String("lvs_name") != "" {
				l, err := st.findLvstore(a.String("uuid"), a.String("lvs_name"))
				if err != nil {
					return nil, err
				}
				list = []*lvstore{l}
			}
			out := []lvstoreInfo{}
			for _, l := range list {
				out = append(out, lvstoreInfo{
					UUID: l.uuid, BaseBdev: l.base.name, FreeClusters: l.freeClusters(),
					ClusterSize: l.clusterSize, TotalDataClusters: l.totalClusters,
					BlockSize: l.blockSize, Name: l.name,
					MaxGrowableSize: uint64(l.base.blockSize) * l.base.numBlocks,
				})
			}
			return out, nil
		},
	})
	s.register(&method{
		name: "bdev_lvol_create",
		handle: func(a contract.Params) (any, error) {
			l, err := st.findLvstore(a.String("uuid"), a.String("lvs_name"))
			if err != nil {
				return nil, err
			}
			if !validClearMethod(a.String("clear_method")) {
				return nil, errnoMsg(eINVAL, "Invalid clean_method option")
			}
			name := a.String("lvol_name")
			for _, v := range l.lvols {
				if v.name == name {
					return nil, errnoErr(eEXIST)
				}
			}
			clusters := (a.Uint("size_in_mib")*mib + l.clusterSize - 1) / l.clusterSize
			thin := a.Bool("thin_provision")
			if !thin && clusters > l.freeClusters() {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOSPC))
			}
			v := &lvol{name: name, uuid: newUUID(), lvs: l, clusters: clusters, thin: thin}
			v.bdev = &bdev{
				name: v.uuid, aliases: []string{l.name + "/" + name}, uuid: v.uuid,
				product: "Logical Volume", module: "lvol", blockSize: l.blockSize,
				numBlocks: clusters * l.clusterSize / uint64(l.blockSize), ioTypes: memoryIOTypes,
				// What spdk_tgt reports for an lvol (the blobstore's DMA
				// and accel memory domains).
				memoryDomains: []memoryDomain{{DMADeviceType: "DMA"}, {DMADeviceType: "ACCEL"}},
				driver: func() map[string]any {
					allocated := v.clusters
					if v.thin {
						allocated = 0
					}
					return map[string]any{"lvol": map[string]any{
						"lvol_store_uuid": l.uuid, "base_bdev": l.base.name, "thin_provision": v.thin,
						"num_allocated_clusters": allocated, "snapshot": false, "clone": false,
						"esnap_clone": false,
					}}
				},
			}
			if err := st.addBdev(v.bdev); err != nil {
				return nil, err
			}
			l.lvols = append(l.lvols, v)
			return v.uuid, nil
		},
	})
	s.register(&method{
		// As SPDK: an unknown bdev is -19, a bdev that is not an lvol -22,
		// and a resize the store cannot back is reported by the resize
		// callback as -32602 with strerror (thin volumes only reserve
		// clusters when written, so they always fit). Shrinking is allowed.
		name: "bdev_lvol_resize",
		handle: func(a contract.Params) (any, error) {
			b := st.lookupBdev(a.String("name"))
			if b == nil {
				return nil, errnoErr(eNODEV)
			}
			v := st.lvolOf(b)
			if v == nil {
				return nil, errnoErr(eINVAL)
			}
			l := v.lvs
			clusters := (a.Uint("size_in_mib")*mib + l.clusterSize - 1) / l.clusterSize
			if !v.thin && clusters > v.clusters && clusters-v.clusters > l.freeClusters() {
				return nil, newErr(spdk.CodeInvalidParams, "%s", strerror(eNOSPC))
			}
			v.clusters = clusters
			b.numBlocks = clusters * l.clusterSize / uint64(l.blockSize)
			return true, nil
		},
	})
	s.register(&method{
		name: "bdev_lvol_delete",
		handle: func(a contract.Params) (any, error) {
			b := st.lookupBdev(a.String("name"))
			v := st.lvolOf(b)
			if v == nil {
				return nil, errnoErr(eNODEV)
			}
			st.removeBdev(b)
			return true, nil
		},
	})
	s.register(&method{
		name: "bdev_lvol_get_lvols",
		handle: func(a contract.Params) (any, error) {
			list := st.lvstores
			if a.String("lvs_uuid") != "" || a.String("lvs_name") != "" {
				l, err := st.findLvstore(a.String("lvs_uuid"), a.String("lvs_name"))
				if err != nil {
					return nil, err
				}
				list = []*lvstore{l}
			}
			out := []lvolInfo{}
			for _, l := range list {
				for _, v := range l.lvols {
					in := lvolInfo{Alias: l.name + "/" + v.name, UUID: v.uuid, Name: v.name, IsThinProvisioned: v.thin}
					in.LVS.Name, in.LVS.UUID = l.name, l.uuid
					out = append(out, in)
				}
			}
			return out, nil
		},
	})
}

// lvolOf returns the volume behind an lvol bdev, nil for any other bdev.
func (st *state) lvolOf(b *bdev) *lvol {
	if b == nil || b.module != "lvol" {
		return nil
	}
	for _, l := range st.lvstores {
		for _, v := range l.lvols {
			if v.bdev == b {
				return v
			}
		}
	}
	return nil
}
