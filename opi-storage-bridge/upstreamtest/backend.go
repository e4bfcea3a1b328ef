package upstreamtest

import (
	"testing"

	up "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// remoteControllers connects, through upstream's API, to a subsystem the
// same bridge exports on 127.0.0.1: the controller first (no address in
// upstream's API), then its first path, which connects it.
func remoteControllers(t *testing.T, c *clients) {
	ctx := ctxT(t)
	// Export a volume through upstream's frontend.
	vol := c.volume(t, c.id("rvol"))
	ss := c.subsystem(t, c.id("rsub"))
	ok[*up.NvmeNamespace](t, "export namespace")(c.nvme.CreateNvmeNamespace(ctx, &up.CreateNvmeNamespaceRequest{Parent: ss, NvmeNamespaceId: c.id("rns"),
		NvmeNamespace: &up.NvmeNamespace{Spec: &up.NvmeNamespaceSpec{VolumeNameRef: vol, HostNsid: 1,
			Uuid: "6f1b1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b", Nguid: "6F1B1A2C3D4E4F508A6B7C8D9E0F1A2B"}}}))
	t.Cleanup(func() {
		_, _ = c.nvme.DeleteNvmeNamespace(ctxT(t), &up.DeleteNvmeNamespaceRequest{Name: ss + "/nvmeNamespaces/" + c.id("rns"), AllowMissing: true})
	})
	port := c.cfg.Port(t)
	ctl := ok[*up.NvmeController](t, "listen")(c.nvme.CreateNvmeController(ctx, &up.CreateNvmeControllerRequest{Parent: ss, NvmeControllerId: c.id("rl"),
		NvmeController: &up.NvmeController{Spec: tcpSpec(port)}}))
	t.Cleanup(func() {
		_, _ = c.nvme.DeleteNvmeController(ctxT(t), &up.DeleteNvmeControllerRequest{Name: ctl.GetName(), AllowMissing: true})
	})

	// The controller without an id, then with one.
	anon := ok[*up.NvmeRemoteController](t, "create without id")(c.remote.CreateNvmeRemoteController(ctx, &up.CreateNvmeRemoteControllerRequest{
		NvmeRemoteController: &up.NvmeRemoteController{Multipath: up.NvmeMultipath_NVME_MULTIPATH_FAILOVER}}))
	checkName(t, anon.GetName(), "nvmeRemoteControllers", "")
	rc := &up.NvmeRemoteController{Multipath: up.NvmeMultipath_NVME_MULTIPATH_MULTIPATH, Tcp: &up.TcpController{Hdgst: true}}
	r := ok[*up.NvmeRemoteController](t, "create")(c.remote.CreateNvmeRemoteController(ctx, &up.CreateNvmeRemoteControllerRequest{
		NvmeRemoteControllerId: c.id("rc"), NvmeRemoteController: rc}))
	checkName(t, r.GetName(), "nvmeRemoteControllers", c.id("rc"))
	t.Cleanup(func() {
		_, _ = c.remote.DeleteNvmeRemoteController(ctxT(t), &up.DeleteNvmeRemoteControllerRequest{Name: r.GetName(), AllowMissing: true})
	})
	code[*up.NvmeRemoteController](t, "a queue size", codes.InvalidArgument)(c.remote.CreateNvmeRemoteController(ctx, &up.CreateNvmeRemoteControllerRequest{
		NvmeRemoteControllerId: c.id("rq"), NvmeRemoteController: &up.NvmeRemoteController{Multipath: up.NvmeMultipath_NVME_MULTIPATH_DISABLE, QueueSize: 64}}))
	// Before a path: fields may change, there is nothing to read.
	u := ok[*up.NvmeRemoteController](t, "update before a path")(c.remote.UpdateNvmeRemoteController(ctx, &up.UpdateNvmeRemoteControllerRequest{
		UpdateMask:           &fieldmaskpb.FieldMask{Paths: []string{"io_queues_count"}},
		NvmeRemoteController: &up.NvmeRemoteController{Name: r.GetName(), IoQueuesCount: 2}}))
	if u.GetIoQueuesCount() != 2 || u.GetMultipath() != up.NvmeMultipath_NVME_MULTIPATH_MULTIPATH {
		t.Errorf("updated %v, want 2 I/O queues and the multipath mode kept", u)
	}
	l0 := ok[*up.ListNvmeRemoteNamespacesResponse](t, "namespaces before a path")(c.remote.ListNvmeRemoteNamespaces(ctx, &up.ListNvmeRemoteNamespacesRequest{Parent: r.GetName()}))
	if len(l0.GetNvmeRemoteNamespaces()) != 0 {
		t.Errorf("namespaces before a path: %v, want none", l0)
	}
	code[*emptypb.Empty](t, "a reset before a path", codes.FailedPrecondition)(c.remote.ResetNvmeRemoteController(ctx, &up.ResetNvmeRemoteControllerRequest{Name: r.GetName()}))
	ok[*up.StatsNvmeRemoteControllerResponse](t, "stats before a path")(c.remote.StatsNvmeRemoteController(ctx, &up.StatsNvmeRemoteControllerRequest{Name: r.GetName()}))

	// The first path connects it.
	path := &up.NvmePath{Trtype: up.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1",
		Fabrics: &up.FabricsPath{Trsvcid: int64(port), Subnqn: nqn(c.id("rsub")), Adrfam: up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4}}
	p := ok[*up.NvmePath](t, "create the first path")(c.remote.CreateNvmePath(ctx, &up.CreateNvmePathRequest{Parent: r.GetName(), NvmePathId: c.id("p1"), NvmePath: path}))
	checkName(t, p.GetName(), r.GetName()+"/nvmePaths", c.id("p1"))
	again := ok[*up.NvmePath](t, "a retried create of the path")(c.remote.CreateNvmePath(ctx, &up.CreateNvmePathRequest{Parent: r.GetName(), NvmePathId: c.id("p1"), NvmePath: path}))
	if !proto.Equal(again, p) {
		t.Errorf("retried path %v, want %v", again, p)
	}
	code[*up.NvmePath](t, "a path with a source address", codes.InvalidArgument)(c.remote.CreateNvmePath(ctx, &up.CreateNvmePathRequest{Parent: r.GetName(), NvmePathId: c.id("p2"),
		NvmePath: &up.NvmePath{Trtype: up.NvmeTransportType_NVME_TRANSPORT_TYPE_TCP, Traddr: "127.0.0.1",
			Fabrics: &up.FabricsPath{Trsvcid: int64(port), Subnqn: nqn(c.id("rsub")), Adrfam: up.NvmeAddressFamily_NVME_ADDRESS_FAMILY_IPV4, SourceTraddr: "127.0.0.2"}}}))
	code[*up.NvmeRemoteController](t, "an update of a connected controller", codes.InvalidArgument)(c.remote.UpdateNvmeRemoteController(ctx, &up.UpdateNvmeRemoteControllerRequest{
		UpdateMask:           &fieldmaskpb.FieldMask{Paths: []string{"io_queues_count"}},
		NvmeRemoteController: &up.NvmeRemoteController{Name: r.GetName(), IoQueuesCount: 4}}))
	l := ok[*up.ListNvmeRemoteNamespacesResponse](t, "remote namespaces")(c.remote.ListNvmeRemoteNamespaces(ctx, &up.ListNvmeRemoteNamespacesRequest{Parent: r.GetName()}))
	if len(l.GetNvmeRemoteNamespaces()) != 1 || l.GetNvmeRemoteNamespaces()[0].GetNsid() != 1 {
		t.Fatalf("remote namespaces %v, want the one exported, nsid 1", l)
	}
	rns := l.GetNvmeRemoteNamespaces()[0]
	got := ok[*up.NvmeRemoteNamespace](t, "get remote namespace")(c.remote.GetNvmeRemoteNamespace(ctx, &up.GetNvmeRemoteNamespaceRequest{Name: rns.GetName()}))
	if !proto.Equal(got, rns) {
		t.Errorf("get %v, want %v", got, rns)
	}
	ok[*up.StatsNvmeRemoteControllerResponse](t, "stats")(c.remote.StatsNvmeRemoteController(ctx, &up.StatsNvmeRemoteControllerRequest{Name: r.GetName()}))
	ok[*up.StatsNvmePathResponse](t, "stats of the first path")(c.remote.StatsNvmePath(ctx, &up.StatsNvmePathRequest{Name: p.GetName()}))
	// godpu resets the controller it made; it reconnects.
	ok[*emptypb.Empty](t, "reset")(c.remote.ResetNvmeRemoteController(ctx, &up.ResetNvmeRemoteControllerRequest{Name: r.GetName()}))
	gp := ok[*up.NvmePath](t, "get path")(c.remote.GetNvmePath(ctx, &up.GetNvmePathRequest{Name: p.GetName()}))
	if !proto.Equal(gp, p) {
		t.Errorf("get path %v, want %v", gp, p)
	}
	ok[*up.NvmePath](t, "update path with the same fields")(c.remote.UpdateNvmePath(ctx, &up.UpdateNvmePathRequest{
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, NvmePath: p}))
	listed := pages(t, "list paths", func(tok string) ([]string, string, error) {
		r, err := c.remote.ListNvmePaths(ctx, &up.ListNvmePathsRequest{Parent: r.GetName(), PageSize: 1, PageToken: tok})
		return namesOf(r.GetNvmePaths()), r.GetNextPageToken(), err
	})
	if len(listed) != 1 || listed[0] != p.GetName() {
		t.Errorf("listed paths %v, want [%s]", listed, p.GetName())
	}
	ctrls := pages(t, "list controllers", func(tok string) ([]string, string, error) {
		r, err := c.remote.ListNvmeRemoteControllers(ctx, &up.ListNvmeRemoteControllersRequest{PageSize: 1, PageToken: tok})
		return namesOf(r.GetNvmeRemoteControllers()), r.GetNextPageToken(), err
	})
	contains(t, "listed remote controllers", ctrls, r.GetName(), anon.GetName())
	code[*emptypb.Empty](t, "deleting a controller with a path", codes.FailedPrecondition)(c.remote.DeleteNvmeRemoteController(ctx, &up.DeleteNvmeRemoteControllerRequest{Name: r.GetName()}))

	ok[*emptypb.Empty](t, "delete path")(c.remote.DeleteNvmePath(ctx, &up.DeleteNvmePathRequest{Name: p.GetName()}))
	code[*up.NvmeRemoteNamespace](t, "a namespace after the last path went", codes.NotFound)(c.remote.GetNvmeRemoteNamespace(ctx, &up.GetNvmeRemoteNamespaceRequest{Name: rns.GetName()}))
	gone(t, p.GetName(), func() error {
		_, err := c.remote.GetNvmePath(ctx, &up.GetNvmePathRequest{Name: p.GetName()})
		return err
	}, func(am bool) error {
		_, err := c.remote.DeleteNvmePath(ctx, &up.DeleteNvmePathRequest{Name: p.GetName(), AllowMissing: am})
		return err
	})
	for _, n := range []string{r.GetName(), anon.GetName()} {
		ok[*emptypb.Empty](t, "delete controller")(c.remote.DeleteNvmeRemoteController(ctx, &up.DeleteNvmeRemoteControllerRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.remote.GetNvmeRemoteController(ctx, &up.GetNvmeRemoteControllerRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.remote.DeleteNvmeRemoteController(ctx, &up.DeleteNvmeRemoteControllerRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

func mallocVolumes(t *testing.T, c *clients) {
	ctx := ctxT(t)
	var made []string
	for _, id := range []string{c.id("m"), ""} {
		v := ok[*up.MallocVolume](t, "create")(c.malloc.CreateMallocVolume(ctx, &up.CreateMallocVolumeRequest{MallocVolumeId: id,
			MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 64}}))
		checkName(t, v.GetName(), "mallocVolumes", id)
		if v.GetBlockSize() != 512 || v.GetBlocksCount() != 64 || !uuidRE.MatchString(v.GetUuid()) {
			t.Errorf("created %v, want 64 blocks of 512 bytes and a UUID", v)
		}
		made = append(made, v.GetName())
		ok[*up.MallocVolume](t, "update with *")(c.malloc.UpdateMallocVolume(ctx, &up.UpdateMallocVolumeRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, MallocVolume: v}))
		code[*up.MallocVolume](t, "a resize", codes.InvalidArgument)(c.malloc.UpdateMallocVolume(ctx, &up.UpdateMallocVolumeRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"blocks_count"}}, MallocVolume: &up.MallocVolume{Name: v.GetName(), BlockSize: 512, BlocksCount: 128}}))
		got := ok[*up.MallocVolume](t, "get")(c.malloc.GetMallocVolume(ctx, &up.GetMallocVolumeRequest{Name: v.GetName()}))
		if !proto.Equal(got, v) {
			t.Errorf("get %v, want %v", got, v)
		}
		ok[*up.StatsMallocVolumeResponse](t, "stats")(c.malloc.StatsMallocVolume(ctx, &up.StatsMallocVolumeRequest{Name: v.GetName()}))
	}
	code[*up.MallocVolume](t, "metadata", codes.InvalidArgument)(c.malloc.CreateMallocVolume(ctx, &up.CreateMallocVolumeRequest{MallocVolumeId: c.id("md"),
		MallocVolume: &up.MallocVolume{BlockSize: 512, BlocksCount: 64, MetadataSize: 8}}))
	// allow_missing on an update creates.
	mk := ok[*up.MallocVolume](t, "update with allow_missing")(c.malloc.UpdateMallocVolume(ctx, &up.UpdateMallocVolumeRequest{AllowMissing: true,
		MallocVolume: &up.MallocVolume{Name: "mallocVolumes/" + c.id("am"), BlockSize: 512, BlocksCount: 64}}))
	made = append(made, mk.GetName())
	listed := pages(t, "list", func(tok string) ([]string, string, error) {
		r, err := c.malloc.ListMallocVolumes(ctx, &up.ListMallocVolumesRequest{PageSize: 1, PageToken: tok})
		return namesOf(r.GetMallocVolumes()), r.GetNextPageToken(), err
	})
	contains(t, "listed", listed, made...)
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.malloc.DeleteMallocVolume(ctx, &up.DeleteMallocVolumeRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.malloc.GetMallocVolume(ctx, &up.GetMallocVolumeRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.malloc.DeleteMallocVolume(ctx, &up.DeleteMallocVolumeRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

func nullVolumes(t *testing.T, c *clients) {
	ctx := ctxT(t)
	var made []string
	for _, id := range []string{c.id("n"), ""} {
		v := ok[*up.NullVolume](t, "create")(c.null.CreateNullVolume(ctx, &up.CreateNullVolumeRequest{NullVolumeId: id,
			NullVolume: &up.NullVolume{BlockSize: 512, BlocksCount: 64}}))
		checkName(t, v.GetName(), "nullVolumes", id)
		made = append(made, v.GetName())
		ok[*up.NullVolume](t, "update with *")(c.null.UpdateNullVolume(ctx, &up.UpdateNullVolumeRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"*"}}, NullVolume: v}))
		got := ok[*up.NullVolume](t, "get")(c.null.GetNullVolume(ctx, &up.GetNullVolumeRequest{Name: v.GetName()}))
		if !proto.Equal(got, v) {
			t.Errorf("get %v, want %v", got, v)
		}
		ok[*up.StatsNullVolumeResponse](t, "stats")(c.null.StatsNullVolume(ctx, &up.StatsNullVolumeRequest{Name: v.GetName()}))
	}
	code[*up.NullVolume](t, "a negative block count", codes.InvalidArgument)(c.null.CreateNullVolume(ctx, &up.CreateNullVolumeRequest{NullVolumeId: c.id("neg"),
		NullVolume: &up.NullVolume{BlockSize: 512, BlocksCount: -1}}))
	listed := pages(t, "list", func(tok string) ([]string, string, error) {
		r, err := c.null.ListNullVolumes(ctx, &up.ListNullVolumesRequest{PageSize: 1, PageToken: tok})
		return namesOf(r.GetNullVolumes()), r.GetNextPageToken(), err
	})
	contains(t, "listed", listed, made...)
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.null.DeleteNullVolume(ctx, &up.DeleteNullVolumeRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.null.GetNullVolume(ctx, &up.GetNullVolumeRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.null.DeleteNullVolume(ctx, &up.DeleteNullVolumeRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}

func aioVolumes(t *testing.T, c *clients) {
	if c.cfg.AioFile == "" {
		t.Skip("no file for an AIO volume (Config.AioFile)")
	}
	ctx := ctxT(t)
	var made []string
	for _, id := range []string{c.id("a"), ""} {
		v := ok[*up.AioVolume](t, "create")(c.aio.CreateAioVolume(ctx, &up.CreateAioVolumeRequest{AioVolumeId: id,
			AioVolume: &up.AioVolume{BlockSize: 512, Filename: c.cfg.AioFile}}))
		checkName(t, v.GetName(), "aioVolumes", id)
		if v.GetBlocksCount() == 0 || v.GetFilename() != c.cfg.AioFile {
			t.Errorf("created %v, want the file's size in blocks", v)
		}
		made = append(made, v.GetName())
		// godpu's update: the file again.
		ok[*up.AioVolume](t, "update with *")(c.aio.UpdateAioVolume(ctx, &up.UpdateAioVolumeRequest{
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"filename"}}, AioVolume: &up.AioVolume{Name: v.GetName(), Filename: c.cfg.AioFile}}))
		got := ok[*up.AioVolume](t, "get")(c.aio.GetAioVolume(ctx, &up.GetAioVolumeRequest{Name: v.GetName()}))
		if !proto.Equal(got, v) {
			t.Errorf("get %v, want %v", got, v)
		}
		ok[*up.StatsAioVolumeResponse](t, "stats")(c.aio.StatsAioVolume(ctx, &up.StatsAioVolumeRequest{Name: v.GetName()}))
	}
	listed := pages(t, "list", func(tok string) ([]string, string, error) {
		r, err := c.aio.ListAioVolumes(ctx, &up.ListAioVolumesRequest{PageSize: 1, PageToken: tok})
		return namesOf(r.GetAioVolumes()), r.GetNextPageToken(), err
	})
	contains(t, "listed", listed, made...)
	for _, n := range made {
		ok[*emptypb.Empty](t, "delete")(c.aio.DeleteAioVolume(ctx, &up.DeleteAioVolumeRequest{Name: n}))
		gone(t, n, func() error {
			_, err := c.aio.GetAioVolume(ctx, &up.GetAioVolumeRequest{Name: n})
			return err
		}, func(am bool) error {
			_, err := c.aio.DeleteAioVolume(ctx, &up.DeleteAioVolumeRequest{Name: n, AllowMissing: am})
			return err
		})
	}
}
