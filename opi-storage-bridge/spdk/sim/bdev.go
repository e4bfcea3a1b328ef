package sim

import (
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

var (
	memoryIOTypes = spdk.IOTypes{Read: true, Write: true, Unmap: true, WriteZeroes: true, Flush: true, Reset: true}
	nullIOTypes   = spdk.IOTypes{Read: true, Write: true, WriteZeroes: true, Flush: true, Reset: true}
	fileIOTypes   = spdk.IOTypes{Read: true, Write: true, Unmap: true, WriteZeroes: true, Flush: true, Reset: true}
	nvmeIOTypes   = spdk.IOTypes{Read: true, Write: true, Unmap: true, WriteZeroes: true, Flush: true, Reset: true, Compare: true, NVMeAdmin: true, NVMeIO: true}
)

// bdevJSON is one element of bdev_get_bdevs' result as spdk_tgt v26.05
// writes it: the shared wire type (what clients read) plus the members
// only SPDK's own tools read, so that the result has spdk_tgt's shape
// (checked by TestSimMatchesSPDKTarget). Fields declared here shadow the
// embedded ones of the same JSON name.
type bdevJSON struct {
	spdk.BdevInfo
	PreferredWriteAlignment   uint32 `json:"preferred_write_alignment"`
	PreferredWriteGranularity uint32 `json:"preferred_write_granularity"`
	OptimalWriteSize          uint32 `json:"optimal_write_size"`
	PreferredUnmapAlignment   uint32 `json:"preferred_unmap_alignment"`
	PreferredUnmapGranularity uint32 `json:"preferred_unmap_granularity"`
	// NumaID is absent for the modules that set no NUMA node (null, aio).
	NumaID *int `json:"numa_id,omitempty"`
	// OptimalIOBoundary is written only when set.
	OptimalIOBoundary uint32         `json:"optimal_io_boundary,omitempty"`
	SupportedIOTypes  ioTypesJSON    `json:"supported_io_types"`
	MemoryDomains     []memoryDomain `json:"memory_domains,omitempty"`
}

// ioTypesJSON is supported_io_types with every I/O type spdk_tgt lists;
// the wire type keeps the ones clients read.
type ioTypesJSON struct {
	spdk.IOTypes
	NVMeIOMD           bool `json:"nvme_io_md"`
	Zcopy              bool `json:"zcopy"`
	GetZoneInfo        bool `json:"get_zone_info"`
	ZoneManagement     bool `json:"zone_management"`
	ZoneAppend         bool `json:"zone_append"`
	CompareAndWrite    bool `json:"compare_and_write"`
	Abort              bool `json:"abort"`
	SeekHole           bool `json:"seek_hole"`
	SeekData           bool `json:"seek_data"`
	Copy               bool `json:"copy"`
	NVMeIOVMD          bool `json:"nvme_iov_md"`
	NVMeNSSR           bool `json:"nvme_nssr"`
	WriteUncorrectable bool `json:"write_uncorrectable"`
}

// iostatJSON is bdev_get_iostat's result with spdk_tgt's shape.
type iostatJSON struct {
	TickRate uint64           `json:"tick_rate"`
	Ticks    uint64           `json:"ticks"`
	Bdevs    []bdevIostatJSON `json:"bdevs"`
}

// bdevIostatJSON is one bdev's statistics as spdk_tgt writes them: the
// wire type, less the queue-depth members (written only while queue-depth
// sampling is on, which the sim never turns on), plus the members no
// client reads.
type bdevIostatJSON struct {
	spdk.BdevIostat
	QueueDepthPollingPeriod uint64         `json:"queue_depth_polling_period,omitempty"`
	QueueDepth              uint64         `json:"queue_depth,omitempty"`
	IOTime                  uint64         `json:"io_time,omitempty"`
	WeightedIOTime          uint64         `json:"weighted_io_time,omitempty"`
	MaxUnmapLatencyTicks    uint64         `json:"max_unmap_latency_ticks"`
	MinUnmapLatencyTicks    uint64         `json:"min_unmap_latency_ticks"`
	MaxCopyLatencyTicks     uint64         `json:"max_copy_latency_ticks"`
	MinCopyLatencyTicks     uint64         `json:"min_copy_latency_ticks"`
	IOError                 map[string]any `json:"io_error"`
}

// memoryDomain is an element of memory_domains: spdk_tgt lists the DMA
// device of bdevs that have one (lvols and NVMe-oF namespaces).
type memoryDomain struct {
	DMADeviceType string `json:"dma_device_type"`
	DMADeviceID   string `json:"dma_device_id,omitempty"`
}

func (b *bdev) info() bdevJSON {
	in := spdk.BdevInfo{
		Name:               b.name,
		Aliases:            b.allAliases(),
		ProductName:        b.product,
		BlockSize:          b.blockSize,
		NumBlocks:          b.numBlocks,
		UUID:               b.uuid,
		AssignedRateLimits: b.qos,
		Claimed:            b.claim != nil,
		SupportedIOTypes:   b.ioTypes,
		DriverSpecific:     map[string]any{},
	}
	if b.mdSize != 0 {
		md, il, dt := b.mdSize, b.mdInterleave, b.difType
		in.MDSize, in.MDInterleave, in.DIFType = &md, &il, &dt
	}
	if b.claim != nil {
		in.ClaimType = "exclusive_write"
	}
	if b.driver != nil {
		in.DriverSpecific = b.driver()
	}
	out := bdevJSON{BdevInfo: in, OptimalIOBoundary: b.optimalIOBnd, MemoryDomains: b.memoryDomains}
	out.SupportedIOTypes = ioTypesJSON{IOTypes: b.ioTypes, Zcopy: b.module == "malloc", Abort: b.module != "null" && b.module != "aio",
		Copy: b.module == "malloc" || b.module == "nvme"}
	if b.module != "null" && b.module != "aio" {
		numa := -1
		out.NumaID = &numa
	}
	return out
}

// allAliases is what spdk_tgt lists as aliases: the UUID (registered as
// an alias unless it is the name, as for lvols), then the others.
func (b *bdev) allAliases() []string {
	out := []string{}
	if b.uuid != "" && !equalFoldASCII(b.uuid, b.name) {
		out = append(out, b.uuid)
	}
	return append(out, b.aliases...)
}

func (s *Sim) registerBdevMethods() {
	st := s.st
	s.register(&method{
		name: "bdev_get_bdevs",
		handle: func(a contract.Params) (any, error) {
			name := a.String("name")
			if name == "" {
				out := []bdevJSON{}
				for _, b := range st.bdevs {
					out = append(out, b.info())
				}
				return out, nil
			}
			b := st.lookupBdev(name)
			if b == nil && a.Uint("timeout") > 0 {
				b = s.waitBdev(name, time.Duration(a.Uint("timeout"))*time.Millisecond)
			}
			if b == nil {
				return nil, errnoErr(eNODEV)
			}
			return []bdevJSON{b.info()}, nil
		},
	})
	s.register(&method{
		name: "bdev_get_iostat",
		handle: func(a contract.Params) (any, error) {
			var list []*bdev
			if a.Has("names") && len(a.Strings("names")) > 0 {
				for _, n := range a.Strings("names") {
					b := st.lookupBdev(n)
					if b == nil {
						return nil, errnoErr(eNODEV)
					}
					list = append(list, b)
				}
			} else {
				list = st.bdevs
			}
			// The sim moves no data: every counter stays zero.
			out := iostatJSON{TickRate: tickRate, Ticks: st.ticks(), Bdevs: []bdevIostatJSON{}}
			for _, b := range list {
				out.Bdevs = append(out.Bdevs, bdevIostatJSON{BdevIostat: spdk.BdevIostat{Name: b.name}, IOError: map[string]any{}})
			}
			return out, nil
		},
	})
	s.register(&method{
		name: "bdev_set_qos_limit",
		handle: func(a contract.Params) (any, error) {
			b := st.lookupBdev(a.String("name"))
			if b == nil {
				return nil, errnoErr(eNODEV)
			}
			if !a.Has("rw_ios_per_sec") && !a.Has("rw_mbytes_per_sec") && !a.Has("r_mbytes_per_sec") && !a.Has("w_mbytes_per_sec") {
				return nil, errnoMsg(eINVAL, "No rate limits specified")
			}
			if a.Has("rw_ios_per_sec") {
				// SPDK rounds IOPS limits up to a multiple of 1000.
				v := a.Uint("rw_ios_per_sec")
				if r := v % 1000; r != 0 {
					v += 1000 - r
				}
				b.qos.RWIOsPerSec = v
			}
			if a.Has("rw_mbytes_per_sec") {
				b.qos.RWMBytesPerSec = a.Uint("rw_mbytes_per_sec")
			}
			if a.Has("r_mbytes_per_sec") {
				b.qos.RMBytesPerSec = a.Uint("r_mbytes_per_sec")
			}
			if a.Has("w_mbytes_per_sec") {
				b.qos.WMBytesPerSec = a.Uint("w_mbytes_per_sec")
			}
			return true, nil
		},
	})
	s.registerMallocNull()
	s.registerAio()
}

// waitBdev waits up to d for a bdev to appear, releasing the state lock
// meanwhile, as bdev_get_bdevs' timeout does.
func (s *Sim) waitBdev(name string, d time.Duration) *bdev {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
		s.mu.Lock()
		if b := s.st.lookupBdev(name); b != nil {
			return b
		}
	}
	return nil
}

// tickRate is the sim's tick frequency: one tick per nanosecond.
const tickRate = 1_000_000_000

func (st *state) ticks() uint64 { return uint64(time.Since(st.started)) }
