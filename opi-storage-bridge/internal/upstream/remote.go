package upstream

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/aip"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/store"
	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/opi-suite/opi/opi-storage-bridge/storage"
)

// Upstream and native remote controllers differ in where the address
// is: upstream creates a controller with no address and adds paths, each
// with its own address and subsystem NQN; the native controller is made
// with its first address and subsystem, and its paths add more addresses.
// So the facade keeps what upstream's create says (multipath mode,
// digests, queues, PSK) in a collection of its own, in the bridge's intent
// store, and makes the native controller when the first path is created,
// from that record and the path's address. That first path is recorded
// too (it is the native controller's own address, not a native path);
// later paths are native paths. Deleting the first path deletes the
// native controller (once no other path is left); the upstream record
// stays until the controller is deleted.
const (
	kindUpstreamControllers = "upstream.nvmeRemoteControllers"
	kindUpstreamFirstPaths  = "upstream.nvmePaths"
)

// Remote implements upstream's NvmeRemoteControllerService.
type Remote struct {
	up.UnimplementedNvmeRemoteControllerServiceServer
	s      *storage.Storage
	ctrls  *resource.Collection[*up.NvmeRemoteController]
	firsts *resource.Collection[*up.NvmePath]
	// paths serializes what decides which path is a controller's first
	// (creates and deletes of paths and controllers), so that two
	// concurrent first paths cannot both connect it.
	paths sync.Mutex
}

func newRemote(s *storage.Storage, st store.Store) (*Remote, error) {
	ctrls, err := resource.New[*up.NvmeRemoteController](st, kindUpstreamControllers, storage.NvmeRemoteControllerPattern)
	if err != nil {
		return nil, err
	}
	// No WithParentKind: references are kept by name, and the parent's
	// name is the native controller's too, which would then read as in
	// use by its own first path. The facade checks the parent itself.
	firsts, err := resource.New[*up.NvmePath](st, kindUpstreamFirstPaths, storage.NvmePathPattern)
	if err != nil {
		return nil, err
	}
	return &Remote{s: s, ctrls: ctrls, firsts: firsts}, nil
}

var multipathToNative = map[up.NvmeMultipath]pb.NvmeMultipathMode{
	up.NvmeMultipath_NVME_MULTIPATH_UNSPECIFIED: pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_UNSPECIFIED,
	up.NvmeMultipath_NVME_MULTIPATH_DISABLE:     pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_DISABLE,
	up.NvmeMultipath_NVME_MULTIPATH_FAILOVER:    pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_FAILOVER,
	up.NvmeMultipath_NVME_MULTIPATH_MULTIPATH:   pb.NvmeMultipathMode_NVME_MULTIPATH_MODE_MULTIPATH,
}

// checkController checks what upstream's controller carries, before
// anything is stored.
func checkController(c *up.NvmeRemoteController) error {
	if _, ok := multipathToNative[c.GetMultipath()]; !ok {
		return errdefs.InvalidArgumentf("nvme_remote_controller.multipath %d is not known: use DISABLE, FAILOVER or MULTIPATH", c.GetMultipath())
	}
	if err := refuse(c.GetQueueSize() != 0, "nvme_remote_controller.queue_size", "SPDK sizes the queues of its NVMe-oF host itself"); err != nil {
		return err
	}
	if q := c.GetIoQueuesCount(); q < 0 || q > storage.MaxIOQueues {
		return errdefs.InvalidArgumentf("nvme_remote_controller.io_queues_count %d is out of range: 1 to %d, or 0 for SPDK's default", q, storage.MaxIOQueues)
	}
	return nil
}

// nativeController builds the native controller from upstream's record
// and the first path.
func nativeController(c *up.NvmeRemoteController, p *up.NvmePath, a *pb.NvmeFabricsAddress) *pb.NvmeRemoteController {
	return &pb.NvmeRemoteController{
		Address: a, Subnqn: p.GetFabrics().GetSubnqn(), Hostnqn: p.GetFabrics().GetHostnqn(),
		Psk: string(c.GetTcp().GetPsk()), MultipathMode: multipathToNative[c.GetMultipath()],
		HeaderDigest: c.GetTcp().GetHdgst(), DataDigest: c.GetTcp().GetDdgst(), IoQueues: uint32(c.GetIoQueuesCount()),
	}
}

// controllerFromNative answers a controller made through the native API.
func controllerFromNative(n *pb.NvmeRemoteController) *up.NvmeRemoteController {
	out := &up.NvmeRemoteController{Name: n.GetName(), IoQueuesCount: int64(n.GetIoQueues())}
	for u, m := range multipathToNative {
		if m == n.GetMultipathMode() {
			out.Multipath = u
		}
	}
	if n.GetHeaderDigest() || n.GetDataDigest() {
		out.Tcp = &up.TcpController{Hdgst: n.GetHeaderDigest(), Ddgst: n.GetDataDigest()}
	}
	return out
}

// answer clears the PSK from what a client gets (the runtime does too).
func answer(c *up.NvmeRemoteController) *up.NvmeRemoteController {
	c = proto.Clone(c).(*up.NvmeRemoteController)
	if c.GetTcp() != nil {
		c.Tcp.Psk = nil
	}
	return c
}

// native returns the native controller of name, or nil.
func (a *Remote) native(ctx context.Context, name string) (*pb.NvmeRemoteController, error) {
	n, err := a.s.NvmeRemoteControllers.Get(ctx, name)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, nil
	}
	return n, err
}

// connected returns the native controller of name, nil when name is an
// upstream controller without a path yet, or NOT_FOUND when it is
// neither.
func (a *Remote) connected(ctx context.Context, name string) (*pb.NvmeRemoteController, error) {
	nat, err := a.native(ctx, name)
	if err != nil || nat != nil {
		return nat, err
	}
	_, err = a.ctrls.Get(ctx, name)
	return nil, err
}

// CreateNvmeRemoteController implements upstream's
// NvmeRemoteControllerService: it records the controller; the connection
// is made by its first path.
func (a *Remote) CreateNvmeRemoteController(ctx context.Context, r *up.CreateNvmeRemoteControllerRequest) (*up.NvmeRemoteController, error) {
	id, err := idOrNew(r.GetNvmeRemoteControllerId())
	if err != nil {
		return nil, err
	}
	c := proto.Clone(r.GetNvmeRemoteController()).(*up.NvmeRemoteController)
	if err := checkController(c); err != nil {
		return nil, err
	}
	n := storage.KindNvmeRemoteControllers + "/" + id
	if _, err := a.ctrls.Get(ctx, n); errors.Is(err, errdefs.ErrNotFound) {
		if nat, err := a.native(ctx, n); err != nil || nat != nil {
			if err == nil {
				err = errdefs.AlreadyExistsf("%s already exists (made through the native API)", n)
			}
			return nil, err
		}
	}
	c.Name = ""
	out, err := a.ctrls.Create(ctx, "", id, c)
	if err != nil {
		return nil, err
	}
	return answer(out), nil
}

// DeleteNvmeRemoteController implements upstream's
// NvmeRemoteControllerService: a controller with paths is
// FAILED_PRECONDITION, as in upstream.
func (a *Remote) DeleteNvmeRemoteController(ctx context.Context, r *up.DeleteNvmeRemoteControllerRequest) (*emptypb.Empty, error) {
	a.paths.Lock()
	defer a.paths.Unlock()
	n := name(storage.KindNvmeRemoteControllers, r.GetName())
	if _, err := a.ctrls.Get(ctx, n); errors.Is(err, errdefs.ErrNotFound) {
		// Made through the native API (or missing): the native rules.
		return &emptypb.Empty{}, a.s.NvmeRemoteControllers.Delete(ctx, n, r.GetAllowMissing(), false)
	} else if err != nil {
		return nil, err
	}
	firsts, _, err := a.firsts.List(ctx, n, 1, "")
	if err != nil {
		return nil, err
	}
	if len(firsts) > 0 {
		return nil, errdefs.FailedPreconditionf("%s has paths: delete them first", n)
	}
	// A connection without a first path recorded is a path create that
	// was interrupted: it goes with the controller.
	if err := a.s.NvmeRemoteControllers.Delete(ctx, n, true, false); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, a.ctrls.Delete(ctx, n, r.GetAllowMissing())
}

// UpdateNvmeRemoteController implements upstream's
// NvmeRemoteControllerService. Before its first path a controller's
// fields may change; once connected they are fixed (the native rule).
func (a *Remote) UpdateNvmeRemoteController(ctx context.Context, r *up.UpdateNvmeRemoteControllerRequest) (*up.NvmeRemoteController, error) {
	c := proto.Clone(r.GetNvmeRemoteController()).(*up.NvmeRemoteController)
	c.Name = name(storage.KindNvmeRemoteControllers, c.GetName())
	if err := checkController(c); err != nil {
		return nil, err
	}
	for _, p := range r.GetUpdateMask().GetPaths() {
		switch p {
		case "*", "multipath", "io_queues_count", "queue_size", "tcp", "tcp.hdgst", "tcp.ddgst", "tcp.psk":
		default:
			return nil, errdefs.InvalidArgumentf("update_mask: %q is not a field of a remote controller", p)
		}
	}
	cur, err := a.ctrls.Get(ctx, c.GetName())
	switch {
	case errors.Is(err, errdefs.ErrNotFound) && r.GetAllowMissing():
		id, ierr := storage.NvmeRemoteControllerPattern.ID(c.GetName())
		if ierr != nil {
			return nil, ierr
		}
		return a.CreateNvmeRemoteController(ctx, &up.CreateNvmeRemoteControllerRequest{NvmeRemoteController: c, NvmeRemoteControllerId: id})
	case errors.Is(err, errdefs.ErrNotFound):
		if nat, nerr := a.native(ctx, c.GetName()); nerr == nil && nat != nil {
			return nil, errdefs.FailedPreconditionf("%s was made through the native API: update it there", c.GetName())
		}
		return nil, err
	case err != nil:
		return nil, err
	}
	nat, err := a.native(ctx, c.GetName())
	if err != nil {
		return nil, err
	}
	if nat != nil {
		next := proto.Clone(cur).(*up.NvmeRemoteController)
		if err := aip.ApplyFieldMask(next, c, r.GetUpdateMask()); err != nil {
			return nil, err
		}
		if !proto.Equal(next, cur) {
			return nil, errdefs.InvalidArgumentf("%s is connected: its fields are fixed once it has a path", c.GetName())
		}
		return answer(cur), nil
	}
	out, err := a.ctrls.Update(ctx, c, r.GetUpdateMask(), false)
	if err != nil {
		return nil, err
	}
	return answer(out), nil
}

// ListNvmeRemoteControllers implements upstream's
// NvmeRemoteControllerService: the controllers made through upstream's
// API (those made through the native API are read with Get).
func (a *Remote) ListNvmeRemoteControllers(ctx context.Context, r *up.ListNvmeRemoteControllersRequest) (*up.ListNvmeRemoteControllersResponse, error) {
	items, next, err := a.ctrls.List(ctx, "", r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListNvmeRemoteControllersResponse{NextPageToken: next}
	for _, it := range items {
		out.NvmeRemoteControllers = append(out.NvmeRemoteControllers, answer(it))
	}
	return out, nil
}

// GetNvmeRemoteController implements upstream's
// NvmeRemoteControllerService.
func (a *Remote) GetNvmeRemoteController(ctx context.Context, r *up.GetNvmeRemoteControllerRequest) (*up.NvmeRemoteController, error) {
	n := name(storage.KindNvmeRemoteControllers, r.GetName())
	c, err := a.ctrls.Get(ctx, n)
	if errors.Is(err, errdefs.ErrNotFound) {
		nat, nerr := a.s.NvmeRemoteControllers.Get(ctx, n)
		if nerr != nil {
			return nil, nerr
		}
		return controllerFromNative(nat), nil
	}
	if err != nil {
		return nil, err
	}
	return answer(c), nil
}

// ResetNvmeRemoteController implements upstream's
// NvmeRemoteControllerService: the native reset (SPDK reconnects every
// path). A controller without a path has no connection to reset:
// FAILED_PRECONDITION, as a native controller the backend does not hold.
func (a *Remote) ResetNvmeRemoteController(ctx context.Context, r *up.ResetNvmeRemoteControllerRequest) (*emptypb.Empty, error) {
	n := name(storage.KindNvmeRemoteControllers, r.GetName())
	nat, err := a.connected(ctx, n)
	if err != nil {
		return nil, err
	}
	if nat == nil {
		return nil, errdefs.FailedPreconditionf("%s has no path yet: there is no connection to reset", n)
	}
	return &emptypb.Empty{}, a.s.ResetNvmeRemoteController(ctx, n)
}

// StatsNvmeRemoteController implements upstream's
// NvmeRemoteControllerService: the counters of the controller's
// namespaces; zero before its first path.
func (a *Remote) StatsNvmeRemoteController(ctx context.Context, r *up.StatsNvmeRemoteControllerRequest) (*up.StatsNvmeRemoteControllerResponse, error) {
	n := name(storage.KindNvmeRemoteControllers, r.GetName())
	nat, err := a.connected(ctx, n)
	if err != nil {
		return nil, err
	}
	if nat == nil {
		return &up.StatsNvmeRemoteControllerResponse{Stats: &up.VolumeStats{}}, nil
	}
	st, _, err := a.s.NvmeRemoteControllerStats(ctx, n)
	if err != nil {
		return nil, err
	}
	return &up.StatsNvmeRemoteControllerResponse{Stats: stats(st)}, nil
}

func remoteNsFromNative(in *pb.NvmeRemoteNamespace) *up.NvmeRemoteNamespace {
	eui, _ := strconv.ParseUint(in.GetEui64(), 16, 64)
	return &up.NvmeRemoteNamespace{Name: in.GetName(), Nsid: int32(in.GetNsid()), Nguid: in.GetNguid(), Eui64: int64(eui), Uuid: in.GetUuid()}
}

// ListNvmeRemoteNamespaces implements upstream's
// NvmeRemoteControllerService: none before the first path.
func (a *Remote) ListNvmeRemoteNamespaces(ctx context.Context, r *up.ListNvmeRemoteNamespacesRequest) (*up.ListNvmeRemoteNamespacesResponse, error) {
	parent := name(storage.KindNvmeRemoteControllers, r.GetParent())
	nat, err := a.connected(ctx, parent)
	if err != nil {
		return nil, err
	}
	if nat == nil {
		return &up.ListNvmeRemoteNamespacesResponse{}, nil
	}
	items, next, err := a.s.ListNvmeRemoteNamespaces(ctx, parent, r.GetPageSize(), r.GetPageToken())
	if err != nil {
		return nil, err
	}
	out := &up.ListNvmeRemoteNamespacesResponse{NextPageToken: next}
	for _, it := range items {
		out.NvmeRemoteNamespaces = append(out.NvmeRemoteNamespaces, remoteNsFromNative(it))
	}
	return out, nil
}

// GetNvmeRemoteNamespace implements upstream's
// NvmeRemoteControllerService.
func (a *Remote) GetNvmeRemoteNamespace(ctx context.Context, r *up.GetNvmeRemoteNamespaceRequest) (*up.NvmeRemoteNamespace, error) {
	out, err := a.s.GetNvmeRemoteNamespace(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	return remoteNsFromNative(out), nil
}

// pathAddress reads a path's address. Upstream's PCIe paths (a local
// NVMe drive) and source addresses have no native counterpart.
func pathAddress(p *up.NvmePath) (*pb.NvmeFabricsAddress, error) {
	f := p.GetFabrics()
	if p.GetTrtype() == up.NvmeTransportType_NVME_TRANSPORT_TYPE_PCIE {
		return nil, refuse(true, "nvme_path.trtype PCIE", "the bridge connects to NVMe-oF subsystems only")
	}
	if f == nil {
		return nil, errdefs.InvalidArgumentf("nvme_path.fabrics is required")
	}
	if err := refuse(f.GetSourceTraddr() != "", "nvme_path.fabrics.source_traddr", "the bridge does not bind a source address"); err != nil {
		return nil, err
	}
	if err := refuse(f.GetSourceTrsvcid() != 0, "nvme_path.fabrics.source_trsvcid", "the bridge does not bind a source port"); err != nil {
		return nil, err
	}
	port := ""
	if f.GetTrsvcid() != 0 {
		if f.GetTrsvcid() < 0 || f.GetTrsvcid() > 65535 {
			return nil, errdefs.InvalidArgumentf("nvme_path.fabrics.trsvcid %d is not a port number", f.GetTrsvcid())
		}
		port = strconv.FormatInt(f.GetTrsvcid(), 10)
	}
	return fabricsToNative("nvme_path.fabrics", p.GetTrtype(), p.GetTraddr(), port, f.GetAdrfam())
}

// pathFromNative answers a native path of controller c.
func pathFromNative(name string, a *pb.NvmeFabricsAddress, c *pb.NvmeRemoteController) *up.NvmePath {
	return &up.NvmePath{Name: name, Trtype: trtypeFromNative(a.GetTrtype()), Traddr: a.GetTraddr(), Fabrics: &up.FabricsPath{
		Trsvcid: int64(storage.FabricsPort(a)), Subnqn: c.GetSubnqn(), Adrfam: adrfamFromNative(a.GetAdrfam()), Hostnqn: c.GetHostnqn(),
	}}
}

// CreateNvmePath implements upstream's NvmeRemoteControllerService: the
// first path connects the controller; later ones add native paths, to
// the same subsystem.
func (a *Remote) CreateNvmePath(ctx context.Context, r *up.CreateNvmePathRequest) (*up.NvmePath, error) {
	a.paths.Lock()
	defer a.paths.Unlock()
	id, err := idOrNew(r.GetNvmePathId())
	if err != nil {
		return nil, err
	}
	parent := name(storage.KindNvmeRemoteControllers, r.GetParent())
	p := proto.Clone(r.GetNvmePath()).(*up.NvmePath)
	addr, err := pathAddress(p)
	if err != nil {
		return nil, err
	}
	pname, err := storage.NvmePathPattern.Child(parent, id)
	if err != nil {
		return nil, err
	}
	rec, err := a.ctrls.Get(ctx, parent)
	if errors.Is(err, errdefs.ErrNotFound) {
		rec = nil // perhaps made through the native API
	} else if err != nil {
		return nil, err
	}
	nat, err := a.native(ctx, parent)
	if err != nil {
		return nil, err
	}
	if rec == nil && nat == nil {
		return nil, errdefs.NotFoundf("%s not found", parent)
	}
	if first, err := a.firsts.Get(ctx, pname); err == nil {
		// A retried create: the same path is the same answer.
		if a2, _ := pathAddress(first); proto.Equal(a2, addr) && first.GetFabrics().GetSubnqn() == p.GetFabrics().GetSubnqn() {
			return first, nil
		}
		return nil, errdefs.AlreadyExistsf("%s already exists", pname)
	}
	firsts, _, err := a.firsts.List(ctx, parent, 1, "")
	if err != nil {
		return nil, err
	}
	// A connected controller without a first path recorded is a create
	// interrupted between the two: this path, at that address, is adopted
	// as its first.
	if nat == nil || (len(firsts) == 0 && rec != nil && sameAddr(nat.GetAddress(), addr)) {
		return a.createFirst(ctx, rec, nat, parent, id, p, addr)
	}
	if p.GetFabrics().GetSubnqn() != nat.GetSubnqn() {
		return nil, errdefs.InvalidArgumentf("nvme_path.fabrics.subnqn must be %s's subsystem, %s", parent, nat.GetSubnqn())
	}
	if h := p.GetFabrics().GetHostnqn(); h != "" && h != nat.GetHostnqn() {
		return nil, errdefs.InvalidArgumentf("nvme_path.fabrics.hostnqn must be %s's host NQN, %s", parent, nat.GetHostnqn())
	}
	out, err := a.s.CreateNvmePath(ctx, parent, id, &pb.NvmePath{Address: addr})
	if err != nil {
		return nil, err
	}
	return pathFromNative(out.GetName(), out.GetAddress(), nat), nil
}

func sameAddr(a, b *pb.NvmeFabricsAddress) bool {
	return a.GetTrtype() == b.GetTrtype() && a.GetTraddr() == b.GetTraddr() && storage.FabricsPort(a) == storage.FabricsPort(b)
}

// createFirst connects the controller with its first path and records
// the path. A native controller already there with this address (a
// create interrupted before its record) is adopted.
func (a *Remote) createFirst(ctx context.Context, rec *up.NvmeRemoteController, nat *pb.NvmeRemoteController, parent, id string, p *up.NvmePath, addr *pb.NvmeFabricsAddress) (*up.NvmePath, error) {
	if rec == nil {
		return nil, errdefs.NotFoundf("%s not found", parent)
	}
	if nat == nil {
		cid, err := storage.NvmeRemoteControllerPattern.ID(parent)
		if err != nil {
			return nil, err
		}
		if _, err := a.s.CreateNvmeRemoteController(ctx, cid, nativeController(rec, p, addr)); err != nil {
			return nil, err
		}
	}
	p.Name = ""
	out, err := a.firsts.Create(ctx, parent, id, p)
	if err != nil {
		if nat == nil {
			// Undo the connection so that a retry starts clean.
			err = errors.Join(err, a.s.NvmeRemoteControllers.Delete(ctx, parent, true, false))
		}
		return nil, err
	}
	return out, nil
}

// DeleteNvmePath implements upstream's NvmeRemoteControllerService. The
// first path is the controller's connection: it goes last.
func (a *Remote) DeleteNvmePath(ctx context.Context, r *up.DeleteNvmePathRequest) (*emptypb.Empty, error) {
	a.paths.Lock()
	defer a.paths.Unlock()
	n := r.GetName()
	if _, err := a.firsts.Get(ctx, n); err == nil {
		parent, err := storage.NvmePathPattern.Parent(n)
		if err != nil {
			return nil, err
		}
		others, _, err := a.s.NvmePaths.List(ctx, parent, 1, "")
		if err != nil {
			return nil, err
		}
		if len(others) > 0 {
			return nil, errdefs.FailedPreconditionf("%s is the path %s was connected with: delete its other paths (%s, ...) first", n, parent, others[0].GetName())
		}
		if err := a.s.NvmeRemoteControllers.Delete(ctx, parent, true, false); err != nil {
			return nil, err
		}
		return &emptypb.Empty{}, a.firsts.Delete(ctx, n, true)
	} else if !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	return &emptypb.Empty{}, a.s.NvmePaths.Delete(ctx, n, r.GetAllowMissing(), false)
}

// UpdateNvmePath implements upstream's NvmeRemoteControllerService: a
// path's fields are fixed; with allow_missing a missing path is created.
func (a *Remote) UpdateNvmePath(ctx context.Context, r *up.UpdateNvmePathRequest) (*up.NvmePath, error) {
	p := r.GetNvmePath()
	cur, err := a.GetNvmePath(ctx, &up.GetNvmePathRequest{Name: p.GetName()})
	switch {
	case errors.Is(err, errdefs.ErrNotFound) && r.GetAllowMissing():
		parent, perr := storage.NvmePathPattern.Parent(p.GetName())
		id, ierr := storage.NvmePathPattern.ID(p.GetName())
		if err := errors.Join(perr, ierr); err != nil {
			return nil, err
		}
		return a.CreateNvmePath(ctx, &up.CreateNvmePathRequest{Parent: parent, NvmePathId: id, NvmePath: p})
	case err != nil:
		return nil, err
	}
	addr, err := pathAddress(p)
	if err != nil {
		return nil, err
	}
	curAddr, _ := pathAddress(cur)
	if !proto.Equal(addr, curAddr) || p.GetFabrics().GetSubnqn() != cur.GetFabrics().GetSubnqn() {
		return nil, errdefs.InvalidArgumentf("%s: a path's fields are fixed", p.GetName())
	}
	return cur, nil
}

// ListNvmePaths implements upstream's NvmeRemoteControllerService: the
// first path, then the native paths. A page token of the facade's own
// ("n:" and the native token) goes on with the native paths.
func (a *Remote) ListNvmePaths(ctx context.Context, r *up.ListNvmePathsRequest) (*up.ListNvmePathsResponse, error) {
	parent := name(storage.KindNvmeRemoteControllers, r.GetParent())
	size, err := aip.PageSize(r.GetPageSize())
	if err != nil {
		return nil, err
	}
	out := &up.ListNvmePathsResponse{}
	token := r.GetPageToken()
	if token == "" {
		firsts, _, err := a.firsts.List(ctx, parent, 1, "")
		if err != nil {
			return nil, err
		}
		out.NvmePaths = firsts
	} else {
		var ok bool
		if token, ok = strings.CutPrefix(token, "n:"); !ok || token == "" {
			return nil, errdefs.InvalidArgumentf("page_token is not valid")
		}
	}
	nat, err := a.connected(ctx, parent)
	if err != nil {
		return nil, err
	}
	if nat == nil {
		return out, nil
	}
	left := size - len(out.NvmePaths)
	if left == 0 {
		// The page is the first path alone: the native paths follow from
		// their start ("-").
		if next, _, err := a.s.NvmePaths.List(ctx, parent, 1, ""); err != nil || len(next) == 0 {
			return out, err
		}
		out.NextPageToken = "n:-"
		return out, nil
	}
	if token == "-" {
		token = ""
	}
	items, next, err := a.s.NvmePaths.List(ctx, parent, int32(left), token)
	if err != nil {
		return nil, err
	}
	for _, it := range items {
		out.NvmePaths = append(out.NvmePaths, pathFromNative(it.GetName(), it.GetAddress(), nat))
	}
	if next != "" {
		out.NextPageToken = "n:" + next
	}
	return out, nil
}

// GetNvmePath implements upstream's NvmeRemoteControllerService.
func (a *Remote) GetNvmePath(ctx context.Context, r *up.GetNvmePathRequest) (*up.NvmePath, error) {
	if first, err := a.firsts.Get(ctx, r.GetName()); err == nil {
		return first, nil
	} else if !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	p, err := a.s.NvmePaths.Get(ctx, r.GetName())
	if err != nil {
		return nil, err
	}
	parent, err := storage.NvmePathPattern.Parent(r.GetName())
	if err != nil {
		return nil, err
	}
	nat, err := a.s.NvmeRemoteControllers.Get(ctx, parent)
	if err != nil {
		return nil, err
	}
	return pathFromNative(p.GetName(), p.GetAddress(), nat), nil
}

// StatsNvmePath implements upstream's NvmeRemoteControllerService: the
// path's own counters where the backend counts per path. The first path
// is the native controller's own address: its counters are the
// controller's, less those of its other paths.
func (a *Remote) StatsNvmePath(ctx context.Context, r *up.StatsNvmePathRequest) (*up.StatsNvmePathResponse, error) {
	n := r.GetName()
	if _, err := a.firsts.Get(ctx, n); err == nil {
		parent, err := storage.NvmePathPattern.Parent(n)
		if err != nil {
			return nil, err
		}
		total, _, err := a.s.NvmeRemoteControllerStats(ctx, parent)
		if err != nil {
			return nil, err
		}
		total = proto.Clone(total).(*pb.VolumeStats)
		token := ""
		for {
			others, next, err := a.s.NvmePaths.List(ctx, parent, 0, token)
			if err != nil {
				return nil, err
			}
			for _, o := range others {
				st, err := a.pathStats(ctx, o.GetName())
				if err != nil {
					return nil, err
				}
				subtract(total, st)
			}
			if token = next; token == "" {
				break
			}
		}
		return &up.StatsNvmePathResponse{Stats: stats(total)}, nil
	} else if !errors.Is(err, errdefs.ErrNotFound) {
		return nil, err
	}
	st, err := a.pathStats(ctx, n)
	if err != nil {
		return nil, err
	}
	return &up.StatsNvmePathResponse{Stats: stats(st)}, nil
}

// pathStats returns a native path's counters, or FAILED_PRECONDITION
// when the backend does not count per path now.
func (a *Remote) pathStats(ctx context.Context, name string) (*pb.VolumeStats, error) {
	st, err := a.s.NvmePathStats(ctx, name)
	if err != nil {
		return nil, err
	}
	if st.GetStats() == nil {
		return nil, errdefs.FailedPreconditionf("%s: the backend does not count I/O per path now (SPDK's enable_io_path_stat is off)", name)
	}
	return st.GetStats(), nil
}

// subtract takes b's counters from a's, stopping at zero.
func subtract(a, b *pb.VolumeStats) {
	sub := func(x, y uint64) uint64 {
		if y > x {
			return 0
		}
		return x - y
	}
	a.ReadBytes, a.ReadOps = sub(a.ReadBytes, b.GetReadBytes()), sub(a.ReadOps, b.GetReadOps())
	a.WriteBytes, a.WriteOps = sub(a.WriteBytes, b.GetWriteBytes()), sub(a.WriteOps, b.GetWriteOps())
	a.UnmapBytes, a.UnmapOps = sub(a.UnmapBytes, b.GetUnmapBytes()), sub(a.UnmapOps, b.GetUnmapOps())
	a.ReadLatencyTicks = sub(a.ReadLatencyTicks, b.GetReadLatencyTicks())
	a.WriteLatencyTicks = sub(a.WriteLatencyTicks, b.GetWriteLatencyTicks())
	a.UnmapLatencyTicks = sub(a.UnmapLatencyTicks, b.GetUnmapLatencyTicks())
}
