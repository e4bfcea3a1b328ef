package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	commonv1 "github.com/opi-suite/opi/opi-api/common/v1"
	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// restartMix is what a restart test or benchmark stores: about n
// resources, one NVMe subsystem per 1,000, the rest half malloc (or null)
// volumes, half namespaces on them (one each).
type restartMix struct {
	subsystems, volumes int
	// null makes null volumes instead of malloc ones, which cost a real
	// SPDK no memory.
	null bool
}

func mixOf(n int) restartMix {
	subs := max(1, n/1000)
	return restartMix{subsystems: subs, volumes: (n - subs) / 2}
}

func (m restartMix) total() int { return m.subsystems + 2*m.volumes }

func (m restartMix) volume(i int) string {
	if m.null {
		return fmt.Sprintf("nullVolumes/v%06d", i)
	}
	return fmt.Sprintf("mallocVolumes/v%06d", i)
}

func (m restartMix) subsystem(i int) string { return fmt.Sprintf("rs%03d", i%m.subsystems) }

// seed stores the mix through b's collections (the domain's rules are for
// clients; the collections still make every resource in SPDK), workers at
// once. Subsystem 0 has a host with a PSK, so the keyring is checked too.
func (m restartMix) seed(t testing.TB, b *Bridge, workers int) {
	t.Helper()
	ctx := context.Background()
	s := b.Storage()
	for i := range m.subsystems {
		id := fmt.Sprintf("rs%03d", i)
		sub := &pb.NvmeSubsystem{Nqn: nqn(id), MaxNamespaces: 1000, SerialNumber: fmt.Sprintf("SN%03d", i)}
		if i == 0 {
			sub.Hosts = []*pb.NvmeSubsystemHost{{HostNqn: nqn("host"), Psk: psk(7, 0)}, {HostNqn: nqn("host2")}}
		}
		if _, err := s.NvmeSubsystems.Collection().Create(ctx, "", id, sub); err != nil {
			t.Fatal(err)
		}
	}
	each(t, workers, m.volumes, func(i int) error {
		var err error
		if m.null {
			_, err = s.NullVolumes.Collection().Create(ctx, "", fmt.Sprintf("v%06d", i), &pb.NullVolume{BlockSize: 512, BlockCount: 2048})
		} else {
			_, err = s.MallocVolumes.Collection().Create(ctx, "", fmt.Sprintf("v%06d", i), &pb.MallocVolume{BlockSize: 512, BlockCount: 2048})
		}
		if err != nil {
			return err
		}
		_, err = s.NvmeNamespaces.Collection().Create(ctx, "nvmeSubsystems/"+m.subsystem(i), fmt.Sprintf("ns%06d", i),
			&pb.NvmeNamespace{Volume: m.volume(i)})
		return err
	})
}

// each runs fn(0..n-1) on workers goroutines and fails t on the first
// error.
func each(t testing.TB, workers, n int, fn func(i int) error) {
	t.Helper()
	var next atomic.Int64
	errs := make(chan error, workers)
	for range workers {
		go func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					errs <- nil
					return
				}
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("item %d: %w", i, err)
					return
				}
			}
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// started is a bridge started as Program starts one: its loop running and
// its services served at once.
type started struct {
	b    *Bridge
	conn *grpc.ClientConn
	nvme pb.FrontendNvmeServiceClient
	vols pb.VolumeServiceClient
	stop func()
}

// start builds a bridge on cfg and serves it at once, without waiting for
// its first pass. stop (also run when t ends) ends its loop and closes it.
func start(t testing.TB, cfg Config) *started {
	t.Helper()
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	// No probes: they would add spdk_get_version calls to the counts.
	served := servertest.Start(t, b.Services(), server.WithProbeInterval(time.Hour))
	stop := sync.OnceFunc(func() { cancel(); <-done; b.Close() })
	t.Cleanup(stop)
	return &started{b: b, conn: served.Conn, nvme: pb.NewFrontendNvmeServiceClient(served.Conn),
		vols: pb.NewVolumeServiceClient(served.Conn), stop: stop}
}

// methods counts a bridge's SPDK requests by method; a listing can be
// held until the test releases it.
type methods struct {
	mu     sync.Mutex
	counts map[string]int
	hold   chan struct{} // listings wait for it to close; nil: no wait
}

func (m *methods) observe(method string, params json.RawMessage) {
	m.mu.Lock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[method]++
	hold := m.hold
	m.mu.Unlock()
	// Only whole listings: a client's delete looks up its one bdev.
	if hold != nil && len(params) == 0 && (method == "bdev_get_bdevs" || method == "nvmf_get_subsystems") {
		<-hold
	}
}

func (m *methods) snapshot() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]int{}
	for k, v := range m.counts {
		out[k] = v
	}
	return out
}

// TestARestartedBridgeServesAtOnceAndChecksSPDKInBulk restarts a bridge
// holding 2,000 resources against an SPDK that still holds them all. It
// must answer health and reads while its first pass is held, showing the
// resources PENDING; the pass must read SPDK with one listing per kind and
// create nothing; a client's create and delete during the pass must stay
// correct; and against an SPDK restarted empty everything comes back READY.
// Before, the bridge served only after a pass that sent a create (and a
// get) per volume and subsystem.
func TestARestartedBridgeServesAtOnceAndChecksSPDKInBulk(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, fixtureConfig{memoryStore: true})
	st := f.b.store
	mix := mixOf(2000)
	mix.seed(t, f.b, 64)
	f.b.Close() // the first bridge goes; the fixture's own cleanup tolerates it

	counted := &methods{hold: make(chan struct{})}
	rec := &recorder{}
	cfg := Config{StateDir: f.dir, SPDKSocket: f.sock, Interval: time.Hour, Store: st,
		SPDKOptions: []spdk.Option{spdk.WithObserver(func(m string, p json.RawMessage) { rec.observe(m, p); counted.observe(m, p) })}}
	t.Cleanup(func() { rec.check(t) })
	br := start(t, cfg)

	t.Run("it serves health and reads while its first pass is held, showing PENDING", func(t *testing.T) {
		// The server probes SPDK once as it starts, then reports.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			res, err := healthpb.NewHealthClient(br.conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if err == nil && res.GetStatus() == healthpb.HealthCheckResponse_SERVING {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("health = %v, %v; want SERVING before the first pass ends", res.GetStatus(), err)
			}
		}
		v, err := br.vols.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: mix.volume(7)})
		if err != nil {
			t.Fatal(err)
		}
		if v.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_PENDING {
			t.Errorf("a volume not yet checked reads %v, want PENDING", v.GetStatus())
		}
		list, err := br.nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/" + mix.subsystem(0), PageSize: 50})
		if err != nil || len(list.GetNvmeNamespaces()) != 50 {
			t.Fatalf("list = %d namespaces, %v; want 50", len(list.GetNvmeNamespaces()), err)
		}
		for _, ns := range list.GetNvmeNamespaces() {
			if ns.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_PENDING {
				t.Fatalf("namespace %s reads %v, want PENDING", ns.GetName(), ns.GetStatus())
			}
		}
		select {
		case <-br.b.Synced():
			t.Fatal("the first pass ended although its listing is held")
		default:
		}
	})

	t.Run("a client's create and delete during the pass stay correct", func(t *testing.T) {
		// The listings are still held: the pass has not reached anything.
		created, err := br.vols.CreateMallocVolume(ctx, &pb.CreateMallocVolumeRequest{MallocVolumeId: "during",
			MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048}})
		if err != nil {
			t.Fatal(err)
		}
		if created.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
			t.Errorf("a volume created during the pass reads %v, want READY", created.GetStatus())
		}
		if _, err := br.nvme.DeleteNvmeNamespace(ctx, &pb.DeleteNvmeNamespaceRequest{Name: "nvmeSubsystems/" + mix.subsystem(3) + "/nvmeNamespaces/ns000003"}); err != nil {
			t.Fatal(err)
		}
		if _, err := br.vols.DeleteMallocVolume(ctx, &pb.DeleteMallocVolumeRequest{Name: mix.volume(3)}); err != nil {
			t.Fatal(err)
		}
	})

	before := counted.snapshot()
	close(counted.hold)
	select {
	case <-br.b.Synced():
	case <-time.After(30 * time.Second):
		t.Fatal("the first pass did not end within 30s of its listings being released")
	}

	t.Run("the pass lists each kind once and creates nothing", func(t *testing.T) {
		pass := counted.snapshot()
		for m, n := range before {
			pass[m] -= n
		}
		var creates []string
		for m, n := range pass {
			if n > 0 && (strings.Contains(m, "create") || strings.Contains(m, "_add_")) {
				creates = append(creates, fmt.Sprintf("%s x%d", m, n))
			}
		}
		if len(creates) > 0 {
			t.Errorf("the pass over an SPDK holding everything sent %v; want no create", creates)
		}
		// Volumes and subsystems: one listing each; namespaces: the
		// subsystems once more; the PSK host: the keyring once.
		want := map[string]int{"bdev_get_bdevs": 1, "nvmf_get_subsystems": 2, "keyring_get_keys": 1}
		total := 0
		for m, n := range pass {
			if m == "spdk_get_version" || m == "rpc_get_methods" {
				continue
			}
			total += n
			if n > want[m] {
				t.Errorf("the pass sent %s %d times, want at most %d: one listing per kind, whatever the count", m, n, want[m])
			}
		}
		if total > 4 {
			t.Errorf("the pass sent %d requests for %d stored resources (%v), want 4", total, mix.total(), pass)
		}
	})

	t.Run("every resource reads READY once checked", func(t *testing.T) {
		allReady(t, br, mix)
	})

	t.Run("against an SPDK restarted empty, everything comes back READY", func(t *testing.T) {
		br.stop()
		f.restartSim()
		again := start(t, Config{StateDir: f.dir, SPDKSocket: f.sock, Interval: time.Hour, Store: st, SPDKOptions: []spdk.Option{spdk.WithObserver(rec.observe)}})
		select {
		case <-again.b.Synced():
		case <-time.After(60 * time.Second):
			t.Fatal("the first pass over an empty SPDK did not end within 60s")
		}
		allReady(t, again, mix)
		bdevs := f.bdevs()
		subs := map[string]nvmfView{}
		namespaces := 0
		for n, s := range f.subsystems() {
			if strings.HasPrefix(n, nqn("")) { // not the discovery subsystem
				subs[n] = s
				namespaces += len(s.Namespaces)
			}
		}
		if len(bdevs) != mix.volumes || namespaces != mix.volumes-1 || len(subs) != mix.subsystems {
			t.Errorf("SPDK holds %d bdevs, %d subsystems, %d namespaces; want %d, %d, %d (the deleted volume and namespace not back)",
				len(bdevs), len(subs), namespaces, mix.volumes, mix.subsystems, mix.volumes-1)
		}
		if bdevs["malloc-v000003"] {
			t.Error("the volume deleted during the first pass is back in SPDK")
		}
	})
}

// allReady checks, through the API, that every stored volume and
// namespace reads READY, and that the volumes are those of the mix (one
// deleted and one created during the first pass).
func allReady(t *testing.T, br *started, mix restartMix) {
	t.Helper()
	ctx := context.Background()
	notReady := 0
	token := ""
	volumes := 0
	for {
		res, err := br.vols.ListMallocVolumes(ctx, &pb.ListMallocVolumesRequest{PageSize: 1000, PageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range res.GetMallocVolumes() {
			volumes++
			if v.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
				notReady++
			}
		}
		if token = res.GetNextPageToken(); token == "" {
			break
		}
	}
	for i := range mix.subsystems {
		res, err := br.nvme.ListNvmeNamespaces(ctx, &pb.ListNvmeNamespacesRequest{Parent: "nvmeSubsystems/" + fmt.Sprintf("rs%03d", i), PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		for _, ns := range res.GetNvmeNamespaces() {
			if ns.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_READY {
				notReady++
			}
		}
	}
	if notReady > 0 {
		t.Errorf("%d resources are not READY after the first pass", notReady)
	}
	if volumes != mix.volumes { // one deleted, "during" created
		t.Errorf("%d volumes listed, want %d", volumes, mix.volumes)
	}
}

// TestThePassTakesOnlyAnEqualObjectForAResource gives SPDK, under the
// names of a bridge's resources, objects that differ from them: a bdev of
// another size, a subsystem that lost a host. The listing shows a name the
// resource uses, but the pass must not count that as held: the volume is
// refused (ERROR, naming the difference), the subsystem's host is added
// back.
func TestThePassTakesOnlyAnEqualObjectForAResource(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, fixtureConfig{memoryStore: true})
	f.malloc("v1")
	f.subsystem("s1", &pb.NvmeSubsystemHost{HostNqn: nqn("h1")})
	for _, call := range []struct {
		method string
		params map[string]any
	}{
		{"bdev_malloc_delete", map[string]any{"name": "malloc-v1"}},
		{"bdev_malloc_create", map[string]any{"name": "malloc-v1", "block_size": 512, "num_blocks": 4096}},
		{"nvmf_subsystem_remove_host", map[string]any{"nqn": nqn("s1"), "host": nqn("h1")}},
	} {
		if err := f.direct.Call(ctx, call.method, call.params, nil); err != nil {
			t.Fatalf("%s: %v", call.method, err)
		}
	}
	if err := f.b.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := f.vols.GetMallocVolume(ctx, &pb.GetMallocVolumeRequest{Name: "mallocVolumes/v1"})
	if err != nil {
		t.Fatal(err)
	}
	if v.GetStatus().GetState() != commonv1.ResourceState_RESOURCE_STATE_ERROR || !strings.Contains(v.GetStatus().GetMessage(), "different size") {
		t.Errorf("a volume whose bdev SPDK holds with another size reads %v, want ERROR naming the size", v.GetStatus())
	}
	hosts := f.subsystems()[nqn("s1")].Hosts
	if len(hosts) != 1 || hosts[0].NQN != nqn("h1") {
		t.Errorf("subsystem s1's hosts in SPDK after the pass: %v, want h1 added back", hosts)
	}
}
