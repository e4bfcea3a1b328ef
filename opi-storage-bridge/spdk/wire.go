package spdk

import "fmt"

// The wire types below are SPDK's JSON shapes that more than one side of
// this module reads or writes: the client and spdk-sim, and the bridge's
// SPDK adapter. They are declared once here so that a shape SPDK changes
// is changed in one place.

// ErrorObject is the error member of a JSON-RPC response as SPDK sends it:
// a code and a message, never "data". The client decodes it into an
// *Error; spdk-sim answers with it.
type ErrorObject struct {
	// Code is the JSON-RPC error code (see the Code constants).
	Code int `json:"code"`
	// Message is SPDK's message, often strerror text.
	Message string `json:"message"`
}

// Error implements error, so that spdk-sim's handlers can return the
// error object they answer with.
func (e *ErrorObject) Error() string { return fmt.Sprintf("%d: %s", e.Code, e.Message) }

// ListenAddress is an NVMe-oF transport address as the nvmf_* methods take
// and report it (listen_address, address, trid).
type ListenAddress struct {
	// Trtype is the transport type: TCP, RDMA, VFIOUSER, FC.
	Trtype string `json:"trtype"`
	// Adrfam is the address family (IPv4, IPv6, IB, FC, INTRA_HOST);
	// SPDK defaults it for IP transports.
	Adrfam string `json:"adrfam,omitempty"`
	// Traddr is the transport address: an IP address, or a vfio-user
	// socket directory.
	Traddr string `json:"traddr"`
	// Trsvcid is the service id: the TCP/RDMA port.
	Trsvcid string `json:"trsvcid,omitempty"`
}

// BdevInfo is one element of bdev_get_bdevs' result.
type BdevInfo struct {
	// Name is the bdev's name.
	Name string `json:"name"`
	// Aliases are the bdev's other names (an lvol's "<lvs>/<lvol>").
	Aliases []string `json:"aliases"`
	// ProductName says what kind of bdev it is ("Malloc disk").
	ProductName string `json:"product_name"`
	// BlockSize is the logical block size in bytes, metadata included
	// when interleaved.
	BlockSize uint32 `json:"block_size"`
	// NumBlocks is the size in blocks.
	NumBlocks uint64 `json:"num_blocks"`
	// UUID is the bdev's UUID.
	UUID string `json:"uuid"`
	// MDSize, MDInterleave and DIFType are reported only for bdevs with
	// metadata.
	MDSize       *uint32 `json:"md_size,omitempty"`
	MDInterleave *bool   `json:"md_interleave,omitempty"`
	DIFType      *int64  `json:"dif_type,omitempty"`
	// AssignedRateLimits is the bdev's QoS.
	AssignedRateLimits RateLimits `json:"assigned_rate_limits"`
	// Claimed says whether a module (lvstore, passthru, namespace) holds
	// the bdev; ClaimType says how.
	Claimed   bool   `json:"claimed"`
	ClaimType string `json:"claim_type,omitempty"`
	// Zoned marks a zoned bdev.
	Zoned bool `json:"zoned"`
	// OptimalIOBoundary is the I/O boundary in blocks, 0 for none.
	OptimalIOBoundary uint32 `json:"optimal_io_boundary"`
	// SupportedIOTypes lists the I/O the bdev serves.
	SupportedIOTypes IOTypes `json:"supported_io_types"`
	// DriverSpecific is the module's own report (aio's filename, nvme's
	// namespace data, lvol's store).
	DriverSpecific map[string]any `json:"driver_specific"`
}

// RateLimits is a bdev's QoS as bdev_get_bdevs reports it and
// bdev_set_qos_limit sets it; 0 is no limit.
type RateLimits struct {
	// RWIOsPerSec limits read and write I/Os per second.
	RWIOsPerSec uint64 `json:"rw_ios_per_sec"`
	// RWMBytesPerSec limits read and write MiB per second.
	RWMBytesPerSec uint64 `json:"rw_mbytes_per_sec"`
	// RMBytesPerSec limits read MiB per second.
	RMBytesPerSec uint64 `json:"r_mbytes_per_sec"`
	// WMBytesPerSec limits write MiB per second.
	WMBytesPerSec uint64 `json:"w_mbytes_per_sec"`
}

// IOTypes is the supported_io_types object of bdev_get_bdevs.
type IOTypes struct {
	// Read and the fields below say whether the bdev serves that I/O type.
	Read        bool `json:"read"`
	Write       bool `json:"write"`
	Unmap       bool `json:"unmap"`
	WriteZeroes bool `json:"write_zeroes"`
	Flush       bool `json:"flush"`
	Reset       bool `json:"reset"`
	Compare     bool `json:"compare"`
	NVMeAdmin   bool `json:"nvme_admin"`
	NVMeIO      bool `json:"nvme_io"`
}

// Iostat is bdev_get_iostat's result.
type Iostat struct {
	// TickRate is how many ticks make a second.
	TickRate uint64 `json:"tick_rate"`
	// Ticks is the tick counter when the statistics were taken.
	Ticks uint64 `json:"ticks"`
	// Bdevs holds one entry per bdev asked for (or every bdev).
	Bdevs []BdevIostat `json:"bdevs"`
}

// BdevIostat is one bdev's I/O statistics in bdev_get_iostat's result:
// byte and operation counters, and latencies in ticks.
type BdevIostat struct {
	// Name is the bdev's name.
	Name string `json:"name"`
	// BytesRead and the fields below are SPDK's counters of the same names.
	BytesRead               uint64 `json:"bytes_read"`
	NumReadOps              uint64 `json:"num_read_ops"`
	BytesWritten            uint64 `json:"bytes_written"`
	NumWriteOps             uint64 `json:"num_write_ops"`
	BytesUnmapped           uint64 `json:"bytes_unmapped"`
	NumUnmapOps             uint64 `json:"num_unmap_ops"`
	BytesCopied             uint64 `json:"bytes_copied"`
	NumCopyOps              uint64 `json:"num_copy_ops"`
	ReadLatencyTicks        uint64 `json:"read_latency_ticks"`
	MaxReadLatencyTicks     uint64 `json:"max_read_latency_ticks"`
	MinReadLatencyTicks     uint64 `json:"min_read_latency_ticks"`
	WriteLatencyTicks       uint64 `json:"write_latency_ticks"`
	MaxWriteLatencyTicks    uint64 `json:"max_write_latency_ticks"`
	MinWriteLatencyTicks    uint64 `json:"min_write_latency_ticks"`
	UnmapLatencyTicks       uint64 `json:"unmap_latency_ticks"`
	CopyLatencyTicks        uint64 `json:"copy_latency_ticks"`
	QueueDepthPollingPeriod uint64 `json:"queue_depth_polling_period"`
	QueueDepth              uint64 `json:"queue_depth"`
	IOTime                  uint64 `json:"io_time"`
	WeightedIOTime          uint64 `json:"weighted_io_time"`
}
