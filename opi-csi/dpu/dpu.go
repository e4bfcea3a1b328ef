// Package dpu realises CSI volumes through the OPI storage API: "a volume
// for this CSI volume name, exposed to this host" becomes a backing volume
// (a logical volume in a store, or an AIO volume on a file), and, when a
// node needs it, an NVMe subsystem with one namespace and a controller
// (NVMe/TCP or an emulated PCIe function) or a virtio-blk device.
//
// Every resource id is derived from the CSI volume name, so each call is
// idempotent: a retry after a timeout or a crash finds what the previous
// try made and finishes it. A call that fails half-way deletes what it
// made itself before returning. Calls for one volume are serialised
// inside a Client; calls for different volumes run concurrently.
//
// Errors are opi-kit errdefs classes (errors.Is(err, errdefs.ErrNotFound));
// those the storage API returned keep its gRPC status as their cause.
package dpu

import (
	"crypto/sha256"
	"encoding/hex"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-csi/internal/keyed"
	"google.golang.org/grpc"
)

// Client makes CSI volumes through one storage API connection.
type Client struct {
	vols    pb.VolumeServiceClient
	lvols   pb.LogicalVolumeServiceClient
	nvme    pb.FrontendNvmeServiceClient
	virtio  pb.FrontendVirtioBlkServiceClient
	backing Backing
	cfg     config
	locks   keyed.Mutex
}

// New returns a client of the storage API served on conn that backs
// volumes as b says. conn is typically opi-cli's client.Dial, which
// carries the suite's mutual TLS.
func New(conn grpc.ClientConnInterface, b Backing, opts ...Option) *Client {
	cfg := config{nqnPrefix: "nqn.2022-09.io.opiproject:csi"}
	for _, o := range opts {
		o.apply(&cfg)
	}
	return &Client{
		vols:    pb.NewVolumeServiceClient(conn),
		lvols:   pb.NewLogicalVolumeServiceClient(conn),
		nvme:    pb.NewFrontendNvmeServiceClient(conn),
		virtio:  pb.NewFrontendVirtioBlkServiceClient(conn),
		backing: b,
		cfg:     cfg,
	}
}

type config struct {
	nqnPrefix string
	hooks     hooks
}

// Option configures a Client.
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithNQNPrefix sets the prefix of the subsystem NQNs (and host NQNs) the
// client derives: "<prefix>:<volume id>" and "<prefix>:host:<node id>".
// The default is "nqn.2022-09.io.opiproject:csi".
func WithNQNPrefix(p string) Option { return optionFunc(func(c *config) { c.nqnPrefix = p }) }

// hooks let the package's tests stop a call between two steps, as a crash
// would.
type hooks struct {
	// afterStep runs after each storage API call that made something;
	// an error returned aborts the call there, leaving what was made.
	afterStep func(step string) error
}

func (c *Client) step(name string) error {
	if c.cfg.hooks.afterStep != nil {
		return c.cfg.hooks.afterStep(name)
	}
	return nil
}

// VolumeID is the id of the volume a CSI CreateVolume of name makes:
// "csi-" and 32 hex digits of the name's SHA-256, a valid resource id
// (AIP-122) whatever the CSI name is, and the same on every retry.
func VolumeID(name string) string {
	sum := sha256.Sum256([]byte(name))
	return "csi-" + hex.EncodeToString(sum[:16])
}

// HostNQN is the NQN a node uses as its host NQN, derived from its CSI
// node id so that the controller can allow it without asking the node.
func (c *Client) HostNQN(nodeID string) string {
	sum := sha256.Sum256([]byte(nodeID))
	return c.cfg.nqnPrefix + ":host:" + hex.EncodeToString(sum[:16])
}

// SubsystemNQN is the NQN of the subsystem that exposes volume id.
func (c *Client) SubsystemNQN(id string) string { return c.cfg.nqnPrefix + ":" + id }
