package service

import (
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

// FrontendVirtioBlkService implements opi.storage.v1.FrontendVirtioBlkService
// on the frontend collections.
type FrontendVirtioBlkService struct {
	pb.UnimplementedFrontendVirtioBlkServiceServer
	f    *backend.FrontendCollections
	pcie *PcieEndpoints
}

// NewFrontendVirtioBlkService returns the service. pcie is shared with the
// NVMe frontend service; nil makes a private one.
func NewFrontendVirtioBlkService(f *backend.FrontendCollections, pcie *PcieEndpoints) *FrontendVirtioBlkService {
	if pcie == nil {
		pcie = NewPcieEndpoints(f)
	}
	return &FrontendVirtioBlkService{f: f, pcie: pcie}
}

// CreateVirtioBlk validates the device and creates it.
func (s *FrontendVirtioBlkService) CreateVirtioBlk(ctx context.Context, r *pb.CreateVirtioBlkRequest) (*pb.VirtioBlk, error) {
	out, err := s.create(ctx, r.GetVirtioBlkId(), r.GetVirtioBlk())
	return out, apiStatus(err)
}

func (s *FrontendVirtioBlkService) create(ctx context.Context, id string, in *pb.VirtioBlk) (*pb.VirtioBlk, error) {
	name, err := backend.VirtioBlkPattern.Child("", id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, aip.InvalidArgumentf("virtio_blk is required")
	}
	m := proto.Clone(in).(*pb.VirtioBlk)
	if err := validateVolume(m.GetVolume()); err != nil {
		return nil, err
	}
	if err := validateVirtioBlk(m); err != nil {
		return nil, err
	}
	var out *pb.VirtioBlk
	err = s.pcie.claim(ctx, name, m.GetPcie(), func() error {
		var err error
		out, err = s.f.VirtioBlks.Create(ctx, "", id, m)
		return err
	})
	return out, volumeHint(err, m.GetVolume())
}

func validateVirtioBlk(m *pb.VirtioBlk) error {
	pcie := m.GetPcie() != nil
	switch {
	case !pcie && m.GetVhostUser() == nil:
		return aip.InvalidArgumentf("virtio_blk needs an endpoint: set vhost_user or pcie")
	case m.GetCpumask() != "" && (len(m.GetCpumask()) > maxCpumaskLength || !cpumask.MatchString(m.GetCpumask())):
		return aip.InvalidArgumentf("cpumask %q is not a hexadecimal core mask such as \"0x3\"", m.GetCpumask())
	case pcie && m.GetReadOnly():
		return aip.InvalidArgumentf("read_only is for vhost_user endpoints only")
	case !pcie && (m.GetNumQueues() != 0 || m.GetQueueSize() != 0):
		return aip.InvalidArgumentf("num_queues and queue_size are for pcie endpoints only; with vhost_user the virtual machine monitor chooses them")
	case m.GetNumQueues() > maxVirtioQueues:
		return aip.InvalidArgumentf("num_queues %d is too large: use 1 to %d, or 0 for %d", m.GetNumQueues(), maxVirtioQueues, maxVirtioQueues)
	case m.GetQueueSize() != 0 && (m.GetQueueSize()&(m.GetQueueSize()-1) != 0 || m.GetQueueSize() > 32768):
		return aip.InvalidArgumentf("queue_size %d must be a power of two up to 32768, or 0 for 128", m.GetQueueSize())
	case pcie && (m.GetCoalescingDelayUs() != 0 || m.GetCoalescingIopsThreshold() != 0):
		return aip.InvalidArgumentf("coalescing_delay_us and coalescing_iops_threshold are for vhost_user endpoints only")
	case m.GetCoalescingDelayUs() != 0 && m.GetCoalescingIopsThreshold() == 0:
		return aip.InvalidArgumentf("coalescing_iops_threshold must be set when coalescing_delay_us is set")
	case m.GetCoalescingIopsThreshold() != 0 && m.GetCoalescingIopsThreshold() < minCoalescingIops:
		// SPDK checks the rate per 10 ms interval and refuses one that
		// rounds to 0.
		return aip.InvalidArgumentf("coalescing_iops_threshold %d is too low: SPDK needs at least %d", m.GetCoalescingIopsThreshold(), minCoalescingIops)
	case m.GetCoalescingDelayUs() > maxCoalescingDelayUs:
		return aip.InvalidArgumentf("coalescing_delay_us %d is too large: keep it well under 150", m.GetCoalescingDelayUs())
	}
	return nil
}

// GetVirtioBlk returns one device.
func (s *FrontendVirtioBlkService) GetVirtioBlk(ctx context.Context, r *pb.GetVirtioBlkRequest) (*pb.VirtioBlk, error) {
	out, err := s.f.VirtioBlks.Get(ctx, r.GetName())
	return out, apiStatus(err)
}

// ListVirtioBlks returns one page of devices.
func (s *FrontendVirtioBlkService) ListVirtioBlks(ctx context.Context, r *pb.ListVirtioBlksRequest) (*pb.ListVirtioBlksResponse, error) {
	items, next, err := s.f.VirtioBlks.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, apiStatus(err)
	}
	return &pb.ListVirtioBlksResponse{VirtioBlks: items, NextPageToken: next}, nil
}

// UpdateVirtioBlk changes interrupt coalescing.
func (s *FrontendVirtioBlkService) UpdateVirtioBlk(ctx context.Context, r *pb.UpdateVirtioBlkRequest) (*pb.VirtioBlk, error) {
	m := r.GetVirtioBlk()
	if m == nil {
		return nil, apiStatus(aip.InvalidArgumentf("virtio_blk is required"))
	}
	cur, err := s.f.VirtioBlks.Get(ctx, m.GetName())
	if errors.Is(err, aip.ErrNotFound) && r.GetAllowMissing() {
		id, _ := backend.VirtioBlkPattern.ID(m.GetName())
		out, err := s.create(ctx, id, m)
		return out, apiStatus(err)
	}
	if err != nil {
		return nil, apiStatus(err)
	}
	next := proto.Clone(cur).(*pb.VirtioBlk)
	if err := aip.ApplyFieldMask(next, m, r.GetUpdateMask()); err != nil {
		return nil, apiStatus(err)
	}
	if err := validateVirtioBlk(next); err != nil {
		return nil, apiStatus(err)
	}
	out, err := s.f.VirtioBlks.Update(ctx, m, r.GetUpdateMask(), false)
	return out, apiStatus(err)
}

// DeleteVirtioBlk removes the device; the volume stays.
func (s *FrontendVirtioBlkService) DeleteVirtioBlk(ctx context.Context, r *pb.DeleteVirtioBlkRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, apiStatus(s.f.VirtioBlks.Delete(ctx, r.GetName(), r.GetAllowMissing()))
}
