package sim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"unsafe"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
)

// validMDSize lists the metadata sizes SPDK's malloc and null bdevs accept.
func validMDSize(md uint32) bool {
	switch md {
	case 0, 8, 16, 32, 64, 128:
		return true
	}
	return false
}

func isPow2(v uint32) bool { return v != 0 && v&(v-1) == 0 }

func (s *Sim) registerMallocNull() {
	st := s.st
	s.register(&method{
		name: "bdev_malloc_create",
		handle: func(a contract.Params) (any, error) {
			bs, nb := uint32(a.Uint("block_size")), a.Uint("num_blocks")
			pbs := uint32(a.Uint("physical_block_size"))
			md := uint32(a.Uint("md_size"))
			dif := a.Int("dif_type")
			numa := a.Int("numa_id")
			if nb == 0 || bs == 0 || bs%512 != 0 || pbs%512 != 0 || (pbs != 0 && !isPow2(pbs)) ||
				!validMDSize(md) || dif < 0 || dif > 3 || (dif != 0 && md == 0) ||
				(a.Has("numa_id") && numa != -1 && numa != 0) {
				return nil, errnoErr(eINVAL)
			}
			name := a.String("name")
			if name == "" {
				// Only unnamed disks count, as malloc_disk_count in SPDK.
				name = fmt.Sprintf("Malloc%d", st.mallocCount)
				st.mallocCount++
			}
			blk := bs
			if a.Bool("md_interleave") {
				blk += md
			}
			b := &bdev{
				name: name, uuid: a.String("uuid"), product: "Malloc disk", module: "malloc",
				blockSize: blk, numBlocks: nb, physBlock: pbs, mdSize: md,
				mdInterleave: a.Bool("md_interleave"), difType: dif,
				optimalIOBnd: uint32(a.Uint("optimal_io_boundary")), ioTypes: memoryIOTypes,
			}
			if err := st.addBdev(b); err != nil {
				return nil, err
			}
			return name, nil
		},
	})
	s.register(&method{
		name: "bdev_null_create",
		handle: func(a contract.Params) (any, error) {
			bs, nb := uint32(a.Uint("block_size")), a.Uint("num_blocks")
			md := uint32(a.Uint("md_size"))
			dif := a.Int("dif_type")
			pbs := uint32(a.Uint("physical_block_size"))
			// The null bdev keeps metadata interleaved: block_size includes it.
			if nb == 0 || bs <= md || (bs-md)%512 != 0 || !validMDSize(md) || dif < 0 || dif > 3 ||
				(dif != 0 && md == 0) || pbs%512 != 0 || (pbs != 0 && !isPow2(pbs)) {
				return nil, errnoErr(eINVAL)
			}
			b := &bdev{
				name: a.String("name"), uuid: a.String("uuid"), product: "Null disk", module: "null",
				blockSize: bs, numBlocks: nb, physBlock: pbs, mdSize: md, mdInterleave: md != 0,
				difType: dif, ioTypes: nullIOTypes,
			}
			if err := st.addBdev(b); err != nil {
				return nil, err
			}
			return b.name, nil
		},
	})
	s.registerDelete("bdev_malloc_delete", "malloc")
	s.registerDelete("bdev_null_delete", "null")
	s.registerDelete("bdev_aio_delete", "aio")
}

// registerDelete registers a bdev_<module>_delete method: the named bdev
// must exist and belong to the module, else -ENODEV.
func (s *Sim) registerDelete(name, module string) {
	st := s.st
	s.register(&method{
		name: name,
		handle: func(a contract.Params) (any, error) {
			b := st.lookupBdev(a.String("name"))
			if b == nil || b.module != module {
				return nil, errnoErr(eNODEV)
			}
			st.removeBdev(b)
			return true, nil
		},
	})
}

func (s *Sim) registerAio() {
	st := s.st
	s.register(&method{
		name: "bdev_aio_create",
		handle: func(a contract.Params) (any, error) {
			name, file := a.String("name"), a.String("filename")
			if st.lookupBdev(name) != nil {
				return nil, errnoErr(eEXIST)
			}
			bs, count, err := probeAioFile(file, uint32(a.Uint("block_size")), a.Bool("readonly"))
			if err != nil {
				return nil, err
			}
			override := a.Has("block_size") && a.Uint("block_size") != 0
			readonly, falloc := a.Bool("readonly"), a.Bool("fallocate")
			b := &bdev{
				name: name, uuid: a.String("uuid"), product: "AIO disk", module: "aio",
				blockSize: bs, numBlocks: count, ioTypes: fileIOTypes,
				driver: func() map[string]any {
					return map[string]any{"aio": map[string]any{
						"filename": file, "block_size_override": override,
						"readonly": readonly, "fallocate": falloc, "nowait": false,
					}}
				},
			}
			if err := st.addBdev(b); err != nil {
				return nil, err
			}
			return name, nil
		},
	})
}

// probeAioFile opens the file as bdev_aio does and works out its block size
// and block count: a block device reports its logical block size; a regular
// file reports none, so the caller must give one.
func probeAioFile(path string, blockSize uint32, readonly bool) (uint32, uint64, error) {
	flags := os.O_RDWR
	if readonly {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(filepath.Clean(path), flags|syscall.O_DIRECT, 0)
	if errors.Is(err, syscall.EINVAL) {
		f, err = os.OpenFile(filepath.Clean(path), flags, 0) // tmpfs has no O_DIRECT
	}
	if err != nil {
		return 0, 0, errnoErr(errnoOf(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, errnoErr(errnoOf(err))
	}
	var detected uint32
	size := uint64(fi.Size())
	if fi.Mode()&os.ModeDevice != 0 {
		var ssz int32
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), 0x1268 /* BLKSSZGET */, uintptr(unsafe.Pointer(&ssz))); e == 0 {
			detected = uint32(ssz)
		}
		var bytes uint64
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), 0x80081272 /* BLKGETSIZE64 */, uintptr(unsafe.Pointer(&bytes))); e == 0 {
			size = bytes
		}
	}
	if blockSize == 0 {
		if detected == 0 {
			return 0, 0, errnoErr(eINVAL) // "Block size could not be auto-detected"
		}
		blockSize = detected
	} else if blockSize < detected {
		return 0, 0, errnoErr(eINVAL)
	}
	if blockSize < 512 || !isPow2(blockSize) || size%uint64(blockSize) != 0 {
		return 0, 0, errnoErr(eINVAL)
	}
	return blockSize, size / uint64(blockSize), nil
}
