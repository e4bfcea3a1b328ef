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

func (b *bdev) info() spdk.BdevInfo {
	in := spdk.BdevInfo{
		Name:               b.name,
		Aliases:            append([]string{}, b.aliases...),
		ProductName:        b.product,
		BlockSize:          b.blockSize,
		NumBlocks:          b.numBlocks,
		UUID:               b.uuid,
		AssignedRateLimits: b.qos,
		Claimed:            b.claim != nil,
		OptimalIOBoundary:  b.optimalIOBnd,
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
	return in
}

func (s *Sim) registerBdevMethods() {
	st := s.st
	s.register(&method{
		name: "bdev_get_bdevs",
		handle: func(a contract.Params) (any, error) {
			name := a.String("name")
			if name == "" {
				out := []spdk.BdevInfo{}
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
			return []spdk.BdevInfo{b.info()}, nil
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
			out := spdk.Iostat{TickRate: tickRate, Ticks: st.ticks(), Bdevs: []spdk.BdevIostat{}}
			for _, b := range list {
				out.Bdevs = append(out.Bdevs, spdk.BdevIostat{Name: b.name})
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
