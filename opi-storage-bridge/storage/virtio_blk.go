package storage

import (
	"context"
	"errors"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// CreateVirtioBlk validates the device, checks its volume is stored and
// its PCIe endpoint free, and creates it.
func (s *Storage) CreateVirtioBlk(ctx context.Context, id string, in *pb.VirtioBlk) (*pb.VirtioBlk, error) {
	name, err := VirtioBlkPattern.Child("", id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, errdefs.InvalidArgumentf("virtio_blk is required")
	}
	m := proto.Clone(in).(*pb.VirtioBlk)
	if err := validateVolume(m.GetVolume()); err != nil {
		return nil, err
	}
	if err := validateVirtioBlk(m); err != nil {
		return nil, err
	}
	if err := s.requireVolume(ctx, m.GetVolume()); err != nil {
		return nil, err
	}
	var out *pb.VirtioBlk
	err = s.claimPcie(ctx, name, m.GetPcie(), func() error {
		var err error
		out, err = s.VirtioBlks.create(ctx, "", id, m)
		return err
	})
	return out, err
}

func validateVirtioBlk(m *pb.VirtioBlk) error {
	pcie := m.GetPcie() != nil
	switch {
	case !pcie && m.GetVhostUser() == nil:
		return errdefs.InvalidArgumentf("virtio_blk needs an endpoint: set vhost_user or pcie")
	case m.GetCpumask() != "" && (len(m.GetCpumask()) > maxCpumaskLength || !cpumask.MatchString(m.GetCpumask())):
		return errdefs.InvalidArgumentf("cpumask %q is not a hexadecimal core mask such as \"0x3\"", m.GetCpumask())
	case pcie && m.GetReadOnly():
		return errdefs.InvalidArgumentf("read_only is for vhost_user endpoints only")
	case !pcie && (m.GetNumQueues() != 0 || m.GetQueueSize() != 0):
		return errdefs.InvalidArgumentf("num_queues and queue_size are for pcie endpoints only; with vhost_user the virtual machine monitor chooses them")
	case m.GetNumQueues() > maxVirtioQueues:
		return errdefs.InvalidArgumentf("num_queues %d is too large: use 1 to %d, or 0 for %d", m.GetNumQueues(), maxVirtioQueues, maxVirtioQueues)
	case m.GetQueueSize() != 0 && (m.GetQueueSize()&(m.GetQueueSize()-1) != 0 || m.GetQueueSize() > 32768):
		return errdefs.InvalidArgumentf("queue_size %d must be a power of two up to 32768, or 0 for 128", m.GetQueueSize())
	case pcie && (m.GetCoalescingDelayUs() != 0 || m.GetCoalescingIopsThreshold() != 0):
		return errdefs.InvalidArgumentf("coalescing_delay_us and coalescing_iops_threshold are for vhost_user endpoints only")
	case m.GetCoalescingDelayUs() != 0 && m.GetCoalescingIopsThreshold() == 0:
		return errdefs.InvalidArgumentf("coalescing_iops_threshold must be set when coalescing_delay_us is set")
	case m.GetCoalescingIopsThreshold() != 0 && m.GetCoalescingIopsThreshold() < minCoalescingIops:
		// SPDK checks the rate per 10 ms interval and refuses one that
		// rounds to 0.
		return errdefs.InvalidArgumentf("coalescing_iops_threshold %d is too low: SPDK needs at least %d", m.GetCoalescingIopsThreshold(), minCoalescingIops)
	case m.GetCoalescingDelayUs() > maxCoalescingDelayUs:
		return errdefs.InvalidArgumentf("coalescing_delay_us %d is too large: keep it well under 150", m.GetCoalescingDelayUs())
	}
	return nil
}

// UpdateVirtioBlk changes interrupt coalescing, or creates the device with
// allowMissing. The device the update leaves is validated under its lock,
// so two updates at once (one setting coalescing_delay_us, the other
// clearing coalescing_iops_threshold) cannot store a pair neither was
// checked against.
func (s *Storage) UpdateVirtioBlk(ctx context.Context, m *pb.VirtioBlk, mask *fieldmaskpb.FieldMask, allowMissing bool) (*pb.VirtioBlk, error) {
	if m == nil {
		return nil, errdefs.InvalidArgumentf("virtio_blk is required")
	}
	err := s.VirtioBlks.exists(ctx, m.GetName())
	if errors.Is(err, errdefs.ErrNotFound) && allowMissing {
		id, _ := VirtioBlkPattern.ID(m.GetName())
		return s.CreateVirtioBlk(ctx, id, m)
	}
	if err != nil {
		return nil, err
	}
	return s.VirtioBlks.updateChecked(ctx, m, mask, false, validateVirtioBlk)
}
