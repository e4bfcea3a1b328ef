// Package driver is a CSI driver on the OPI storage API: the Identity,
// Controller and Node services of the CSI specification, on the dpu
// library (volumes and their exports) and an Attacher (how a node reaches
// an exported volume).
package driver

import (
	"context"
	"errors"
	"log/slog"

	"github.com/container-storage-interface/spec/lib/go/csi"
	"github.com/opi-suite/opi/opi-csi/dpu"
	"github.com/opi-suite/opi/opi-csi/internal/keyed"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultName is the driver's name in Kubernetes (CSIDriver, StorageClass
// provisioner).
const DefaultName = "csi.opi.dev"

// TopologyKey is the topology segment's key: volumes are reachable from
// the nodes whose segment names the same storage domain (the DPUs served
// by one storage API).
const TopologyKey = "topology.opi.dev/storage-domain"

// Version is the driver's version, reported by GetPluginInfo.
var Version = "v0.1.0"

// Config says what the driver serves.
type Config struct {
	// Name is the driver name (DefaultName when empty).
	Name string
	// Controller serves the Controller service (needs Client).
	Controller bool
	// Node serves the Node service (needs NodeID, StateDir, Attacher).
	Node bool
	// Client makes volumes and exports through the storage API.
	Client *dpu.Client
	// Target is where exports appear (ControllerPublishVolume).
	Target dpu.Target
	// StorageDomain is the topology value of TopologyKey ("default" when
	// empty).
	StorageDomain string
	// NodeID is this node's id, the name the controller allows it by.
	NodeID string
	// StateDir holds a record of each staged volume, so that unstage and
	// stats work after the node plugin restarts.
	StateDir string
	// Attacher reaches exported volumes from this node.
	Attacher Attacher
	// MaxVolumesPerNode is reported by NodeGetInfo (0: no limit).
	MaxVolumesPerNode int64
	// Expandable tells a node plugin without a Client that volumes can
	// grow, so that it resizes file systems (NodeExpandVolume).
	Expandable bool
	// Logger logs each call's failure (slog.Default when nil).
	Logger *slog.Logger
}

// Driver is the CSI driver.
type Driver struct {
	csi.UnimplementedIdentityServer
	csi.UnimplementedControllerServer
	csi.UnimplementedNodeServer
	cfg   Config
	locks keyed.Mutex
}

// New returns a driver serving what cfg says.
func New(cfg Config) (*Driver, error) {
	if cfg.Name == "" {
		cfg.Name = DefaultName
	}
	if cfg.StorageDomain == "" {
		cfg.StorageDomain = "default"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	switch {
	case !cfg.Controller && !cfg.Node:
		return nil, errors.New("driver: serve the controller, the node or both")
	case cfg.Controller && cfg.Client == nil:
		return nil, errors.New("driver: the controller needs a storage API client")
	case cfg.Node && (cfg.NodeID == "" || cfg.StateDir == "" || cfg.Attacher == nil):
		return nil, errors.New("driver: the node needs a node id, a state directory and an attacher")
	}
	return &Driver{cfg: cfg}, nil
}

// Register adds the driver's services to s, with the interceptor that
// turns errors into CSI's codes installed by Serve.
func (d *Driver) Register(s *grpc.Server) {
	csi.RegisterIdentityServer(s, d)
	if d.cfg.Controller {
		csi.RegisterControllerServer(s, d)
	}
	if d.cfg.Node {
		csi.RegisterNodeServer(s, d)
	}
}

// Interceptor maps the errors the driver's methods return to gRPC status
// codes: dpu.ErrOutOfRange to OUT_OF_RANGE, errdefs classes with opi-kit's
// errgrpc, statuses unchanged. It also logs failures.
func (d *Driver) Interceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		resp, err := h(ctx, req)
		if err == nil {
			return resp, nil
		}
		if errors.Is(err, dpu.ErrOutOfRange) {
			err = status.Error(codes.OutOfRange, errgrpc.Message(err))
		} else {
			err = errgrpc.ToStatus(err)
		}
		d.cfg.Logger.Info("call failed", "method", info.FullMethod, "error", err)
		return resp, err
	}
}

// GetPluginInfo names the driver.
func (d *Driver) GetPluginInfo(context.Context, *csi.GetPluginInfoRequest) (*csi.GetPluginInfoResponse, error) {
	return &csi.GetPluginInfoResponse{Name: d.cfg.Name, VendorVersion: Version}, nil
}

// GetPluginCapabilities says the driver has a controller and constrains
// volume accessibility by storage domain.
func (d *Driver) GetPluginCapabilities(context.Context, *csi.GetPluginCapabilitiesRequest) (*csi.GetPluginCapabilitiesResponse, error) {
	svc := func(t csi.PluginCapability_Service_Type) *csi.PluginCapability {
		return &csi.PluginCapability{Type: &csi.PluginCapability_Service_{Service: &csi.PluginCapability_Service{Type: t}}}
	}
	caps := []*csi.PluginCapability{
		svc(csi.PluginCapability_Service_CONTROLLER_SERVICE),
		svc(csi.PluginCapability_Service_VOLUME_ACCESSIBILITY_CONSTRAINTS),
	}
	if d.expandable() {
		caps = append(caps, &csi.PluginCapability{Type: &csi.PluginCapability_VolumeExpansion_{
			VolumeExpansion: &csi.PluginCapability_VolumeExpansion{Type: csi.PluginCapability_VolumeExpansion_ONLINE}}})
	}
	return &csi.GetPluginCapabilitiesResponse{Capabilities: caps}, nil
}

// Probe answers ready: the storage API is reached per call, and its
// failures are UNAVAILABLE there.
func (d *Driver) Probe(context.Context, *csi.ProbeRequest) (*csi.ProbeResponse, error) {
	return &csi.ProbeResponse{}, nil
}

// expandable reports whether volumes can grow: logical volumes can, AIO
// files cannot. A node plugin alone says so when configured to
// (Config.Expandable).
func (d *Driver) expandable() bool {
	if d.cfg.Client != nil {
		return d.cfg.Client.CanExpand()
	}
	return d.cfg.Expandable
}

func (d *Driver) topology() *csi.Topology {
	return &csi.Topology{Segments: map[string]string{TopologyKey: d.cfg.StorageDomain}}
}
