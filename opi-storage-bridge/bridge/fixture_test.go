package bridge

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/contract"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
	"google.golang.org/grpc"
)

// recorder keeps every request a bridge sends to SPDK, for the conformance
// check each fixture runs when its test ends.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method string
	params json.RawMessage
}

func (r *recorder) observe(method string, params json.RawMessage) {
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{method, append(json.RawMessage(nil), params...)})
	r.mu.Unlock()
}

// count is how many requests were sent so far.
func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

// check validates every recorded request against SPDK's contract.
func (r *recorder) check(t testing.TB) {
	t.Helper()
	c, err := contract.Load()
	if err != nil {
		t.Fatalf("loading the SPDK contract: %v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	for _, q := range r.reqs {
		if err := c.ValidateRequest(q.method, q.params); err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			t.Errorf("the bridge sent a request SPDK would reject: %s %s: %v", q.method, q.params, err)
		}
	}
	conformance.add(r.reqs)
}

// conformanceLog counts, per method, what the whole package sent and
// had validated.
type conformanceLog struct {
	mu      sync.Mutex
	methods map[string]int
}

var conformance conformanceLog

func (c *conformanceLog) add(reqs []recorded) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.methods == nil {
		c.methods = map[string]int{}
	}
	for _, q := range reqs {
		c.methods[q.method]++
	}
}

// fixture is a bridge wired as in production (bbolt store in a temporary
// state directory, real SPDK client, real in-process spdk-sim on a unix
// socket) serving its services through the runtime's real interceptor
// chain (servertest: validation, redaction, error mapping) on loopback.
type fixture struct {
	t      testing.TB
	dir    string
	sock   string
	sim    *sim.Sim
	b      *Bridge
	rec    *recorder
	direct *spdk.Client // a client of the bridge's own, to look at SPDK
	nvme   pb.FrontendNvmeServiceClient
	virtio pb.FrontendVirtioBlkServiceClient
	vols   pb.VolumeServiceClient
	lvols  pb.LogicalVolumeServiceClient
	mid    pb.MiddleendServiceClient
	remote pb.BackendNvmeServiceClient
	conn   *grpc.ClientConn
	ctx    context.Context
	poll   time.Duration // spdk-sim's poll interval
}

type fixtureConfig struct {
	memoryStore bool
	// pollInterval is spdk-sim's poller period; tests leave it 0 (answers
	// at once), benchmarks set SPDK's 4 ms so that SPDK calls cost what
	// they cost against spdk_tgt.
	pollInterval time.Duration
	// opts replace pieces of the bridge's backend.
	opts []Option
	// store, when set, is the intent store (memoryStore is then ignored).
	store store.Store
	// aioDirs are Config.AioDirs.
	aioDirs []string
	// upstreamVolumeNames is Config.UpstreamVolumeNames.
	upstreamVolumeNames bool
}

func newFixture(t testing.TB, cfgs ...fixtureConfig) *fixture {
	t.Helper()
	var fc fixtureConfig
	if len(cfgs) > 0 {
		fc = cfgs[0]
	}
	// Unix socket paths must stay short (108 bytes); test names can be long.
	sockDir, err := os.MkdirTemp("", "sb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	f := &fixture{t: t, dir: t.TempDir(), sock: filepath.Join(sockDir, "spdk.sock"), rec: &recorder{}, poll: fc.pollInterval}
	f.startSim()
	t.Cleanup(func() { f.sim.Close() })

	cfg := Config{StateDir: f.dir, SPDKSocket: f.sock, Interval: time.Hour,
		SPDKOptions: []spdk.Option{spdk.WithObserver(f.rec.observe)}}
	if fc.memoryStore {
		cfg.Store = store.NewMemory()
	}
	if fc.store != nil {
		cfg.Store = fc.store
	}
	cfg.AioDirs = fc.aioDirs
	cfg.UpstreamVolumeNames = fc.upstreamVolumeNames
	if f.b, err = New(cfg, fc.opts...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.ctx = ctx
	done := make(chan struct{})
	go func() { defer close(done); _ = f.b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; f.b.Close(); f.rec.check(t) })
	select {
	case <-f.b.Synced():
	case <-time.After(10 * time.Second):
		t.Fatal("the bridge did not finish its first reconcile pass within 10s")
	}

	// Health probes (spdk_get_version) would add SPDK calls to every count
	// and poller tick the tests and benchmarks measure.
	conn := servertest.Start(t, f.b.Services(), server.WithProbeInterval(time.Hour)).Conn
	f.conn = conn
	f.nvme = pb.NewFrontendNvmeServiceClient(conn)
	f.virtio = pb.NewFrontendVirtioBlkServiceClient(conn)
	f.vols = pb.NewVolumeServiceClient(conn)
	f.lvols = pb.NewLogicalVolumeServiceClient(conn)
	f.mid = pb.NewMiddleendServiceClient(conn)
	f.remote = pb.NewBackendNvmeServiceClient(conn)
	f.direct = spdk.New(f.sock)
	t.Cleanup(func() { f.direct.Close() })
	return f
}

// startSim starts an empty spdk-sim on the fixture's socket, as a
// restarted spdk_tgt would be.
func (f *fixture) startSim() {
	f.t.Helper()
	f.sim = sim.New(sim.WithPollInterval(f.poll))
	l, err := net.Listen("unix", f.sock)
	if err != nil {
		f.t.Fatal(err)
	}
	go func() { _ = f.sim.Serve(l) }()
}

// restartSim replaces the sim with an empty one.
func (f *fixture) restartSim() {
	f.t.Helper()
	f.sim.Close()
	os.Remove(f.sock)
	f.startSim()
}

// subsystems returns SPDK's subsystems by NQN, straight from the sim.
func (f *fixture) subsystems() map[string]nvmfView {
	f.t.Helper()
	var out []nvmfView
	if err := f.direct.Call(context.Background(), "nvmf_get_subsystems", nil, &out); err != nil {
		f.t.Fatal(err)
	}
	m := map[string]nvmfView{}
	for _, s := range out {
		m[s.NQN] = s
	}
	return m
}

// bdevs returns the names of SPDK's bdevs.
func (f *fixture) bdevs() map[string]bool {
	f.t.Helper()
	var out []struct {
		Name string `json:"name"`
	}
	if err := f.direct.Call(context.Background(), "bdev_get_bdevs", nil, &out); err != nil {
		f.t.Fatal(err)
	}
	m := map[string]bool{}
	for _, b := range out {
		m[b.Name] = true
	}
	return m
}

type nvmfView struct {
	NQN             string `json:"nqn"`
	AllowAnyHost    bool   `json:"allow_any_host"`
	SerialNumber    string `json:"serial_number"`
	ListenAddresses []struct {
		Trtype  string `json:"trtype"`
		Traddr  string `json:"traddr"`
		Trsvcid string `json:"trsvcid"`
	} `json:"listen_addresses"`
	Hosts []struct {
		NQN string `json:"nqn"`
		PSK string `json:"psk"`
	} `json:"hosts"`
	Namespaces []struct {
		NSID     uint32 `json:"nsid"`
		BdevName string `json:"bdev_name"`
		Name     string `json:"name"`
	} `json:"namespaces"`
}

// malloc creates the malloc volume id (1 MiB).
func (f *fixture) malloc(id string) {
	f.t.Helper()
	if _, err := f.vols.CreateMallocVolume(context.Background(), &pb.CreateMallocVolumeRequest{
		MallocVolumeId: id, MallocVolume: &pb.MallocVolume{BlockSize: 512, BlockCount: 2048},
	}); err != nil {
		f.t.Fatalf("creating malloc volume %s: %v", id, err)
	}
}

// subsystem creates nvmeSubsystems/id with NQN nqn.2022-09.io.opi:<id>.
func (f *fixture) subsystem(id string, hosts ...*pb.NvmeSubsystemHost) *pb.NvmeSubsystem {
	f.t.Helper()
	s, err := f.nvme.CreateNvmeSubsystem(context.Background(), &pb.CreateNvmeSubsystemRequest{
		NvmeSubsystemId: id, NvmeSubsystem: &pb.NvmeSubsystem{Nqn: nqn(id), Hosts: hosts},
	})
	if err != nil {
		f.t.Fatalf("creating subsystem %s: %v", id, err)
	}
	return s
}

func nqn(id string) string { return "nqn.2022-09.io.opi:" + id }
