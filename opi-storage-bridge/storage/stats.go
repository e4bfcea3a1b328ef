package storage

import (
	"context"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// PathStatsReader is implemented by a Reader that counts I/O per path of
// a remote controller. A Reader without it (or one whose backend does not
// count per path now) leaves a path's stats unset.
type PathStatsReader interface {
	// PathStats returns the I/O counters of the path of remote controller
	// c through address a, summed over c's namespaces; nil (and no error)
	// when the backend does not count per path.
	PathStats(ctx context.Context, c *pb.NvmeRemoteController, a *pb.NvmeFabricsAddress) (*pb.VolumeStats, error)
}

// RemoteControllerResetter is implemented by a remote fabric's controller
// backend (RemoteFabric.Controllers) that can reset a connected controller.
type RemoteControllerResetter interface {
	// Reset disconnects and reconnects every connected path of c. A
	// controller the backend does not hold now is FailedPrecondition.
	Reset(ctx context.Context, c *pb.NvmeRemoteController) error
}

// NvmeNamespaceStats returns the I/O counters of a namespace's volume.
func (s *Storage) NvmeNamespaceStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	ns, err := s.NvmeNamespaces.c.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.read.VolumeStats(ctx, ns.GetVolume())
}

// VirtioBlkStats returns the I/O counters of a virtio-blk device's volume.
func (s *Storage) VirtioBlkStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	v, err := s.VirtioBlks.c.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	return s.read.VolumeStats(ctx, v.GetVolume())
}

// NvmePathStats returns the state of one path of a remote controller, as
// NvmeRemoteControllerStats reports it, with the path's own counters when
// the backend counts per path.
func (s *Storage) NvmePathStats(ctx context.Context, name string) (*pb.NvmePathState, error) {
	p, err := s.NvmePaths.c.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	parent, err := NvmePathPattern.Parent(name)
	if err != nil {
		return nil, err
	}
	c, err := s.NvmeRemoteControllers.c.Get(ctx, parent)
	if err != nil {
		return nil, err
	}
	connected, err := s.read.ConnectedPaths(ctx, c)
	if err != nil {
		return nil, err
	}
	st := pathState(p.GetName(), p.GetAddress(), connected)
	if r, ok := s.read.(PathStatsReader); ok {
		if st.Stats, err = r.PathStats(ctx, c, p.GetAddress()); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// ResetNvmeRemoteController resets a stored remote controller in the
// backend. Nothing stored changes.
func (s *Storage) ResetNvmeRemoteController(ctx context.Context, name string) error {
	c, err := s.NvmeRemoteControllers.c.Get(ctx, name)
	if err != nil {
		return err
	}
	t := FabricsTransport(c.GetAddress())
	r, ok := s.remoteCtrls[t].(RemoteControllerResetter)
	if !ok {
		return errdefs.Unimplementedf("the backend of remote NVMe controllers over %q cannot reset a controller", t)
	}
	return r.Reset(ctx, c)
}

// pathState is the state of the path name through a, given the addresses
// the backend has connected now.
func pathState(name string, a *pb.NvmeFabricsAddress, connected []*pb.NvmeFabricsAddress) *pb.NvmePathState {
	up := false
	for _, b := range connected {
		up = up || (a.GetTraddr() == b.GetTraddr() && FabricsPort(a) == FabricsPort(b))
	}
	return &pb.NvmePathState{Path: name, Address: a, Connected: up, Accessible: up}
}
