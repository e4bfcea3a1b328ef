package cli

import (
	storagev1 "github.com/opi-suite/opi/opi-api/storage/v1"
)

// blockVolume is a volume sized in blocks: malloc and null volumes.
type blockVolume interface {
	resourceMessage
	GetBlockSize() uint32
	GetBlockCount() uint64
	GetUuid() string
}

// volumeSize is block size times count, counting an unset block size as
// 512 bytes, the service's default.
func volumeSize(blockSize uint32, count uint64) string {
	if count == 0 {
		return ""
	}
	if blockSize == 0 {
		blockSize = 512
	}
	return byteSize(int64(uint64(blockSize) * count))
}

// memoryVolumeKind describes malloc and null volumes, which have the same
// fields: fields returns where v keeps them.
func memoryVolumeKind[T blockVolume](use, noun, example string, fields func(v T) (blockSize *uint32, blockCount *uint64, uuid *string)) resourceKind[T] {
	return resourceKind[T]{
		use: use, noun: noun, group: "volumes", example: example,
		columns: []string{"SIZE", "BLOCK SIZE", "UUID"},
		row: func(v T) []string {
			return []string{volumeSize(v.GetBlockSize(), v.GetBlockCount()), nonZero(v.GetBlockSize()), v.GetUuid()}
		},
		spec: func(s *specFlags, v T) {
			blockSize, blockCount, uuid := fields(v)
			s.u32(blockSize, "block-size", "block_size", "logical block size in bytes, a multiple of 512 (default 512)")
			s.u64(blockCount, "block-count", "block_count", "number of blocks")
			s.str(uuid, "uuid", "uuid", "UUID of the volume (default: the service picks one)")
		},
	}
}

func mallocVolumeKind() resourceKind[*storagev1.MallocVolume] {
	return memoryVolumeKind("malloc-volume", "malloc volume", `  opi storage malloc-volume create m1 --block-count 262144    # 128 MiB in the backend's memory
  opi storage malloc-volume stats m1`,
		func(v *storagev1.MallocVolume) (*uint32, *uint64, *string) {
			return &v.BlockSize, &v.BlockCount, &v.Uuid
		})
}

func nullVolumeKind() resourceKind[*storagev1.NullVolume] {
	return memoryVolumeKind("null-volume", "null volume", `  opi storage null-volume create bench --block-count 2097152 --block-size 4096`,
		func(v *storagev1.NullVolume) (*uint32, *uint64, *string) { return &v.BlockSize, &v.BlockCount, &v.Uuid })
}

func aioVolumeKind() resourceKind[*storagev1.AioVolume] {
	return resourceKind[*storagev1.AioVolume]{
		use: "aio-volume", noun: "AIO volume", group: "volumes",
		example: `  opi storage aio-volume create disk0 --filename /dev/nvme0n1
  opi storage aio-volume create img --filename /var/lib/opi/disk0.img --read-only`,
		columns: []string{"FILENAME", "SIZE", "BLOCK SIZE", "READ-ONLY", "UUID"},
		row: func(v *storagev1.AioVolume) []string {
			return []string{v.GetFilename(), volumeSize(v.GetBlockSize(), v.GetBlockCount()), nonZero(v.GetBlockSize()), yes(v.GetReadOnly()), v.GetUuid()}
		},
		spec: func(s *specFlags, v *storagev1.AioVolume) {
			s.str(&v.Filename, "filename", "filename", "absolute path of the file or block device on the DPU")
			s.u32(&v.BlockSize, "block-size", "block_size", "logical block size in bytes (default: the device's)")
			s.boolean(&v.ReadOnly, "read-only", "read_only", "refuse writes")
			s.str(&v.Uuid, "uuid", "uuid", "UUID of the volume (default: the service picks one)")
		},
	}
}

func lvsKind() resourceKind[*storagev1.LogicalVolumeStore] {
	return resourceKind[*storagev1.LogicalVolumeStore]{
		use: "lvs", noun: "logical volume store", group: "middleend",
		example: `  opi storage lvs create pool --volume aioVolumes/disk0 --clear-method none`,
		columns: []string{"VOLUME", "CLUSTER SIZE", "FREE CLUSTERS", "TOTAL CLUSTERS"},
		row: func(v *storagev1.LogicalVolumeStore) []string {
			return []string{v.GetVolume(), byteSize(int64(v.GetClusterSizeBytes())), u64(v.GetFreeClusters()), u64(v.GetTotalClusters())}
		},
		spec: func(s *specFlags, v *storagev1.LogicalVolumeStore) {
			volumeFlag(s, &v.Volume, "the base volume, which the store formats and claims")
			s.u32(&v.ClusterSizeBytes, "cluster-size-bytes", "cluster_size_bytes", "allocation unit in bytes, a multiple of 4096 (default 4 MiB)")
			enumFlag(s, &v.ClearMethod, "clear-method", "clear_method", "how the base volume is cleared when the store is created")
		},
	}
}

func lvolKind() resourceKind[*storagev1.LogicalVolume] {
	return resourceKind[*storagev1.LogicalVolume]{
		use: "lvol", noun: "logical volume", group: "middleend",
		parentFlag: "store", parentNoun: "logical volume store",
		example: `  opi storage lvol create vol1 --store pool --size-mib 1024 --thin-provisioned
  opi storage lvol update vol1 --store pool --size-mib 2048`,
		columns: []string{"SIZE", "THIN", "UUID"},
		row: func(v *storagev1.LogicalVolume) []string {
			return []string{byteSize(int64(v.GetSizeMib()) << 20), yes(v.GetThinProvisioned()), v.GetUuid()}
		},
		spec: func(s *specFlags, v *storagev1.LogicalVolume) {
			s.u64(&v.SizeMib, "size-mib", "size_mib", "size in MiB, rounded up to whole clusters (can change: growing keeps the data, shrinking cuts it)")
			s.boolean(&v.ThinProvisioned, "thin-provisioned", "thin_provisioned", "allocate clusters on first write, not at creation")
			enumFlag(s, &v.ClearMethod, "clear-method", "clear_method", "how clusters are cleared on delete or shrink")
		},
	}
}

func encryptedVolumeKind() resourceKind[*storagev1.EncryptedVolume] {
	return resourceKind[*storagev1.EncryptedVolume]{
		use: "encrypted-volume", noun: "encrypted volume", group: "middleend",
		example: `  head -c 32 /dev/urandom > data.key; head -c 32 /dev/urandom > tweak.key
  opi storage encrypted-volume create enc1 --volume mallocVolumes/m1 --cipher aes-xts --key-file data.key --key2-file tweak.key`,
		columns: []string{"VOLUME", "CIPHER", "TWEAK MODE"},
		row: func(v *storagev1.EncryptedVolume) []string {
			return []string{v.GetVolume(), enumWord(v.GetCipher()), enumWord(v.GetTweakMode())}
		},
		spec: func(s *specFlags, v *storagev1.EncryptedVolume) {
			volumeFlag(s, &v.Volume, "the base volume, which receives the ciphertext")
			enumFlag(s, &v.Cipher, "cipher", "cipher", "block cipher")
			s.secretFile("key-file", "key", "data key: 16 or 32 raw bytes", func(b []byte) { v.Key = b })
			s.secretFile("key2-file", "key2", "aes-xts tweak key: raw bytes, as long as the data key", func(b []byte) { v.Key2 = b })
			enumFlag(s, &v.TweakMode, "tweak-mode", "tweak_mode", "aes-xts: how the tweak comes from the block address")
		},
	}
}

func qosVolumeKind() resourceKind[*storagev1.QosVolume] {
	return resourceKind[*storagev1.QosVolume]{
		use: "qos-volume", noun: "QoS volume", group: "middleend",
		example: `  opi storage qos-volume create q1 --volume mallocVolumes/m1 --rw-ios-per-sec 10000
  opi storage qos-volume update q1 --w-mbytes-per-sec 100`,
		columns: []string{"VOLUME", "RW IOPS", "RW MiB/s", "R MiB/s", "W MiB/s"},
		row: func(v *storagev1.QosVolume) []string {
			l := v.GetLimits()
			return []string{v.GetVolume(), nonZero(l.GetRwIosPerSec()), nonZero(l.GetRwMbytesPerSec()), nonZero(l.GetRMbytesPerSec()), nonZero(l.GetWMbytesPerSec())}
		},
		spec: func(s *specFlags, v *storagev1.QosVolume) {
			volumeFlag(s, &v.Volume, "the base volume whose I/O to limit")
			v.Limits = &storagev1.QosLimits{}
			s.u64(&v.Limits.RwIosPerSec, "rw-ios-per-sec", "limits.rw_ios_per_sec", "read and write operations per second (0: no limit)")
			s.u64(&v.Limits.RwMbytesPerSec, "rw-mbytes-per-sec", "limits.rw_mbytes_per_sec", "read and write MiB per second (0: no limit)")
			s.u64(&v.Limits.RMbytesPerSec, "r-mbytes-per-sec", "limits.r_mbytes_per_sec", "read MiB per second (0: no limit)")
			s.u64(&v.Limits.WMbytesPerSec, "w-mbytes-per-sec", "limits.w_mbytes_per_sec", "write MiB per second (0: no limit)")
		},
	}
}

// volumeFlag binds --volume, a reference to a volume of any kind.
func volumeFlag(s *specFlags, p *string, usage string) {
	s.str(p, "volume", "volume", usage+": the full name of a volume of any kind, such as mallocVolumes/m1 or logicalVolumeStores/pool/logicalVolumes/v1")
}
