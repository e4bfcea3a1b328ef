package dpu

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/errdefs/errgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// Transport is how a volume is exposed to a host.
type Transport string

const (
	// NvmeTCP exposes a volume as a namespace of an NVMe subsystem with an
	// NVMe/TCP listener; the host connects with nvme-cli.
	NvmeTCP Transport = "nvme-tcp"
	// NvmePCIe exposes it as a namespace behind an NVMe PCIe function the
	// DPU emulates towards its host.
	NvmePCIe Transport = "nvme-pcie"
	// VirtioBlkPCIe exposes it as an emulated virtio-blk PCIe function.
	VirtioBlkPCIe Transport = "virtio-blk-pcie"
)

// Target says where exposed volumes appear.
type Target struct {
	Transport Transport
	// Addr and Port are the NVMe/TCP listener (NvmeTCP): an IP address of
	// the DPU and a TCP port (0 is 4420). Every volume's subsystem
	// listens there; hosts tell them apart by NQN.
	Addr string
	Port uint32
	// PCIe is the function (NvmePCIe, VirtioBlkPCIe): with emulated PCIe
	// each volume needs a function of its own. Either the caller picks it
	// (PCIe), or Expose takes a free one from Functions.
	PCIe      *pb.PcieEndpoint
	Functions *Functions
}

// Functions are the emulated PCIe functions volumes may take: virtual
// functions FirstVF to LastVF (0 is the physical function itself) of
// physical function PF on host-facing port Port.
type Functions struct {
	Port, PF, FirstVF, LastVF uint32
}

// Validate says what is wrong with f, or nil.
func (f *Functions) Validate() error {
	if f.LastVF < f.FirstVF {
		return errdefs.InvalidArgumentf("PCIe functions: virtual functions %d-%d: the last is before the first", f.FirstVF, f.LastVF)
	}
	return nil
}

// order returns f's functions, starting at one chosen by volume id (so
// that concurrent exposes of different volumes seldom try the same one
// first), wrapping around.
func (f *Functions) order(id string) []*pb.PcieEndpoint {
	n := f.LastVF - f.FirstVF + 1
	h := fnv.New32a()
	h.Write([]byte(id))
	start := h.Sum32() % n
	out := make([]*pb.PcieEndpoint, 0, n)
	for i := range n {
		out = append(out, &pb.PcieEndpoint{PortId: f.Port, PhysicalFunction: f.PF, VirtualFunction: f.FirstVF + (start+i)%n})
	}
	return out
}

// onFunction runs create on t's PCIe function, or on each of
// t.Functions in turn while the storage API answers that the function is
// taken (ALREADY_EXISTS: it refuses a second device on one function). The
// caller has checked that the device it creates does not exist yet, so
// ALREADY_EXISTS means the function, not the device.
func onFunction[T any](t Target, what string, create func(*pb.PcieEndpoint) (T, error)) (T, error) {
	if t.Functions == nil {
		return create(t.PCIe)
	}
	var zero T
	for _, ep := range t.Functions.order(what) {
		r, err := create(ep)
		if status.Code(err) == codes.AlreadyExists {
			continue
		}
		return r, err
	}
	f := t.Functions
	return zero, errdefs.ResourceExhaustedf("every PCIe function of port %d, physical function %d (virtual functions %d-%d) is taken", f.Port, f.PF, f.FirstVF, f.LastVF)
}

// Export is what a node needs to find an exposed volume: the CSI
// publish_context (Context) carries it from the controller to the node.
type Export struct {
	Transport Transport
	// NQN is the subsystem's, HostNQN the one the node must connect as.
	NQN, HostNQN string
	// Addr and Port are the NVMe/TCP listener.
	Addr string
	Port uint32
	// File is the backing file of an AIO volume (the test attacher's).
	File string
	// DevicePath is what the storage API reports for an emulated function.
	DevicePath string
}

// Context is e as a CSI publish_context.
func (e *Export) Context() map[string]string {
	m := map[string]string{"transport": string(e.Transport)}
	put := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	put("nqn", e.NQN)
	put("hostNQN", e.HostNQN)
	put("addr", e.Addr)
	if e.Port != 0 {
		m["port"] = strconv.FormatUint(uint64(e.Port), 10)
	}
	put("file", e.File)
	put("devicePath", e.DevicePath)
	return m
}

// ExportFromContext reads an Export back from a publish_context.
func ExportFromContext(m map[string]string) (*Export, error) {
	e := &Export{Transport: Transport(m["transport"]), NQN: m["nqn"], HostNQN: m["hostNQN"], Addr: m["addr"], File: m["file"], DevicePath: m["devicePath"]}
	if p := m["port"]; p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return nil, errdefs.InvalidArgumentf("publish context: port %q: %v", p, err)
		}
		e.Port = uint32(n)
	}
	if e.Transport == "" {
		return nil, errdefs.InvalidArgumentf("publish context: no transport: was the volume published by this driver?")
	}
	return e, nil
}

const (
	namespaceID  = "ns"
	controllerID = "ctrl"
)

func subsystemName(id string) string { return "nvmeSubsystems/" + id }

// Expose makes volume id reachable from node nodeID through t: for NVMe a
// subsystem (allowing the node's HostNQN), a namespace and a controller,
// all named after the volume id; for virtio-blk a device. A second node
// is added to the subsystem's hosts. What the call made is deleted again
// when a later step fails.
func (c *Client) Expose(ctx context.Context, id, nodeID string, t Target) (_ *Export, err error) {
	defer c.locks.Lock(id)()
	v, err := c.GetVolume(ctx, id)
	if err != nil {
		return nil, err
	}
	exp := &Export{Transport: t.Transport, File: v.File}
	if t.Transport == VirtioBlkPCIe {
		d, err := c.virtio.GetVirtioBlk(ctx, &pb.GetVirtioBlkRequest{Name: "virtioBlks/" + id})
		if err = errgrpc.ToError(err); errors.Is(err, errdefs.ErrNotFound) {
			d, err = onFunction(t, id, func(ep *pb.PcieEndpoint) (*pb.VirtioBlk, error) {
				return c.virtio.CreateVirtioBlk(ctx, &pb.CreateVirtioBlkRequest{VirtioBlkId: id, VirtioBlk: &pb.VirtioBlk{
					Volume: v.Name, Endpoint: &pb.VirtioBlk_Pcie{Pcie: ep},
				}})
			})
		}
		if err != nil {
			return nil, fromAPI("creating virtio-blk device "+id, err)
		}
		exp.DevicePath = d.GetDevicePath()
		return exp, c.step("virtio-blk")
	}
	if t.Transport != NvmeTCP && t.Transport != NvmePCIe {
		return nil, errdefs.InvalidArgumentf("unknown transport %q", t.Transport)
	}
	host := c.HostNQN(nodeID)
	exp.NQN, exp.HostNQN = c.SubsystemNQN(id), host

	// Undo, in reverse, what this call made, if it fails.
	var undo []func(context.Context)
	defer func() {
		if err != nil {
			cctx := context.WithoutCancel(ctx)
			for _, u := range slices.Backward(undo) {
				u(cctx)
			}
		}
	}()

	sub, err := c.nvme.GetNvmeSubsystem(ctx, &pb.GetNvmeSubsystemRequest{Name: subsystemName(id)})
	switch err = errgrpc.ToError(err); {
	case errors.Is(err, errdefs.ErrNotFound):
		want := &pb.NvmeSubsystem{Nqn: exp.NQN, MaxNamespaces: 1}
		if t.Transport == NvmePCIe {
			want.AllowAnyHost = true // the DPU's own host, behind the function
		} else {
			want.Hosts = []*pb.NvmeSubsystemHost{{HostNqn: host}}
		}
		if _, err = c.nvme.CreateNvmeSubsystem(ctx, &pb.CreateNvmeSubsystemRequest{NvmeSubsystemId: id, NvmeSubsystem: want}); err != nil {
			return nil, fromAPI("creating NVMe subsystem "+id, err)
		}
		undo = append(undo, func(ctx context.Context) {
			_, _ = c.nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: subsystemName(id), AllowMissing: true, Force: true})
		})
	case err != nil:
		return nil, fromAPI("reading NVMe subsystem "+id, err)
	case !sub.GetAllowAnyHost() && !hasHost(sub, host):
		old := sub.GetHosts()
		if err = c.setHosts(ctx, id, append(slices.Clone(old), &pb.NvmeSubsystemHost{HostNqn: host})); err != nil {
			return nil, err
		}
		undo = append(undo, func(ctx context.Context) { _ = c.setHosts(ctx, id, old) })
	}
	if err = c.step("subsystem"); err != nil {
		return nil, err
	}

	// The same create again is success (the storage API's idempotency),
	// so a retry after a crash between the steps finishes the job.
	if _, err = c.nvme.CreateNvmeNamespace(ctx, &pb.CreateNvmeNamespaceRequest{
		Parent: subsystemName(id), NvmeNamespaceId: namespaceID,
		NvmeNamespace: &pb.NvmeNamespace{Volume: v.Name, Nsid: 1},
	}); err != nil {
		return nil, fromAPI("creating NVMe namespace of "+id, err)
	}
	if err = c.step("namespace"); err != nil {
		return nil, err
	}
	ctrl := &pb.NvmeController{}
	if t.Transport == NvmeTCP {
		exp.Addr, exp.Port = t.Addr, t.Port
		if exp.Port == 0 {
			exp.Port = 4420
		}
		ctrl.Endpoint = &pb.NvmeController_Fabrics{Fabrics: &pb.NvmeFabricsAddress{
			Trtype: pb.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: t.Addr, Trsvcid: exp.Port,
		}}
	}
	create := func(ep *pb.PcieEndpoint) (*pb.NvmeController, error) {
		if ep != nil {
			ctrl.Endpoint = &pb.NvmeController_Pcie{Pcie: ep}
		}
		return c.nvme.CreateNvmeController(ctx, &pb.CreateNvmeControllerRequest{Parent: subsystemName(id), NvmeControllerId: controllerID, NvmeController: ctrl})
	}
	var got *pb.NvmeController
	if t.Transport == NvmeTCP {
		got, err = create(nil)
	} else {
		// The function a retry's controller already has, else a free one.
		got, err = c.nvme.GetNvmeController(ctx, &pb.GetNvmeControllerRequest{Name: subsystemName(id) + "/nvmeControllers/" + controllerID})
		if err = errgrpc.ToError(err); errors.Is(err, errdefs.ErrNotFound) {
			got, err = onFunction(t, id, create)
		}
	}
	if err != nil {
		return nil, fromAPI("creating NVMe controller of "+id, err)
	}
	exp.DevicePath = got.GetDevicePath()
	return exp, c.step("controller")
}

func hasHost(s *pb.NvmeSubsystem, nqn string) bool {
	return slices.ContainsFunc(s.GetHosts(), func(h *pb.NvmeSubsystemHost) bool { return h.GetHostNqn() == nqn })
}

func (c *Client) setHosts(ctx context.Context, id string, hosts []*pb.NvmeSubsystemHost) error {
	_, err := c.nvme.UpdateNvmeSubsystem(ctx, &pb.UpdateNvmeSubsystemRequest{
		NvmeSubsystem: &pb.NvmeSubsystem{Name: subsystemName(id), Hosts: hosts},
		UpdateMask:    &fieldmaskpb.FieldMask{Paths: []string{"hosts"}},
	})
	return fromAPI("updating the hosts of NVMe subsystem "+id, err)
}

// Unexpose withdraws volume id from node nodeID: the node's host NQN
// leaves the subsystem, and the subsystem (with its namespace and
// controller) or the virtio-blk device goes when no node is left. What is
// already gone is success.
func (c *Client) Unexpose(ctx context.Context, id, nodeID string) error {
	defer c.locks.Lock(id)()
	sub, err := c.nvme.GetNvmeSubsystem(ctx, &pb.GetNvmeSubsystemRequest{Name: subsystemName(id)})
	switch err = errgrpc.ToError(err); {
	case errors.Is(err, errdefs.ErrNotFound):
		return c.deleteVirtioBlk(ctx, id)
	case err != nil:
		return fromAPI("reading NVMe subsystem "+id, err)
	}
	host := c.HostNQN(nodeID)
	rest := slices.DeleteFunc(slices.Clone(sub.GetHosts()), func(h *pb.NvmeSubsystemHost) bool { return h.GetHostNqn() == host })
	if len(rest) > 0 && !sub.GetAllowAnyHost() {
		if len(rest) == len(sub.GetHosts()) {
			return nil // not this node's
		}
		return c.setHosts(ctx, id, rest)
	}
	return c.deleteSubsystem(ctx, id)
}

// ExposedTo returns the host NQNs volume id is exposed to (none for a
// volume that is not exposed, or exposed to any host).
func (c *Client) ExposedTo(ctx context.Context, id string) ([]string, error) {
	sub, err := c.nvme.GetNvmeSubsystem(ctx, &pb.GetNvmeSubsystemRequest{Name: subsystemName(id)})
	switch err = errgrpc.ToError(err); {
	case errors.Is(err, errdefs.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, fromAPI("reading NVMe subsystem "+id, err)
	}
	var out []string
	for _, h := range sub.GetHosts() {
		out = append(out, h.GetHostNqn())
	}
	return out, nil
}

// UnexposeAll withdraws volume id from every node.
func (c *Client) UnexposeAll(ctx context.Context, id string) error {
	defer c.locks.Lock(id)()
	return c.unexposeAll(ctx, id)
}

// unexposeAll removes every way volume id is exposed.
func (c *Client) unexposeAll(ctx context.Context, id string) error {
	if err := c.deleteSubsystem(ctx, id); err != nil {
		return err
	}
	return c.deleteVirtioBlk(ctx, id)
}

func (c *Client) deleteSubsystem(ctx context.Context, id string) error {
	_, err := c.nvme.DeleteNvmeSubsystem(ctx, &pb.DeleteNvmeSubsystemRequest{Name: subsystemName(id), AllowMissing: true, Force: true})
	return fromAPI("deleting NVMe subsystem "+id, err)
}

func (c *Client) deleteVirtioBlk(ctx context.Context, id string) error {
	_, err := c.virtio.DeleteVirtioBlk(ctx, &pb.DeleteVirtioBlkRequest{Name: "virtioBlks/" + id, AllowMissing: true})
	return fromAPI("deleting virtio-blk device "+id, err)
}
