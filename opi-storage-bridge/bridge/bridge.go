// Package bridge assembles the storage bridge: the intent store in the
// state directory, the storage domain on it, the SPDK adapter (or a
// vendor's backend for any piece of it) behind the domain, the gRPC
// services, and the reconcile loop that puts the backend back the way the
// intent says after either side restarts. A vendor's main is
//
//	server.Main(bridge.Program(bridge.WithNvmeTransport(storage.TransportPCIe, newMyControllers)))
//
// and keeps everything else: validation, naming, the other backends.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/reconcile"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/api"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/upstream"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk/adapter"
	"github.com/opi-suite/opi/opi-storage-bridge/storage"
	upstreampb "github.com/opi-suite/opi/opi-upstream/storage/v1"
	"github.com/prometheus/client_golang/prometheus"
)

// Config is what New needs.
type Config struct {
	// StateDir holds the intent store (intent.db), PSK files (keys/) and
	// vfio-user socket directories (vfio-user/). Required.
	StateDir string
	// SPDKSocket is SPDK's JSON-RPC unix socket; empty means
	// spdk.DefaultSocketPath.
	SPDKSocket string
	// Logger receives reconcile problems; nil discards them.
	Logger *slog.Logger
	// Interval is the time between reconcile passes that repair drift
	// nobody reported; 0 means one minute.
	Interval time.Duration
	// SPDKOptions are passed to spdk.New after the bridge's own (tests add
	// spdk.WithObserver to record every request).
	SPDKOptions []spdk.Option
	// AioDirs, when set, are the only directories whose files AIO volumes
	// may open; StateDir is refused always.
	AioDirs []string
	// Store, when set, is used instead of opening StateDir/intent.db
	// (benchmarks use an in-memory store to measure the rest).
	Store store.Store
	// UpstreamVolumeNames makes upstream's API answer the names of
	// volumes, virtio-blk devices and virtio-SCSI targets, controllers
	// and LUNs as upstream's SPDK bridge does, "volumes/{id}" (godpu's
	// test expects it), instead of the patterns upstream's protos declare.
	UpstreamVolumeNames bool

	// storageOptions are added to the domain's (benchmarks replay as the
	// bridge did before bulk verification).
	storageOptions []storage.Option
	// probeFirst makes Run wait (up to firstProbeWait) for the server's
	// first health probe before the first pass (Program sets it).
	probeFirst bool
}

// firstProbeWait bounds how long the first pass waits for the server's
// first health probe.
const firstProbeWait = 2 * time.Second

// Bridge is one storage bridge: its store, domain, backends and
// reconcile loop.
type Bridge struct {
	store store.Store
	owned bool // the store was opened here
	spdk  *spdk.Client
	probe *spdk.Client // health's own connection
	// probed is closed after the first successful health probe; the
	// first pass waits for it when probeFirst is set.
	probed     chan struct{}
	probedOnce sync.Once
	probeFirst bool
	adapter    *adapter.Adapter
	storage    *storage.Storage
	upstream   *upstream.Facade
	pass       resource.Step
	loop       *reconcile.Loop
	logger     *slog.Logger
	metrics    *metrics
}

// New opens the store (failing fast when another bridge holds it), builds
// the domain on the SPDK adapter with opts applied, and the reconcile
// loop. Nothing talks to the backend until Run.
func New(cfg Config, opts ...Option) (*Bridge, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("a state directory is required (--state-dir): the bridge keeps the user's intent there")
	}
	if cfg.SPDKSocket == "" {
		cfg.SPDKSocket = spdk.DefaultSocketPath
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Minute
	}
	b := &Bridge{logger: cfg.Logger, store: cfg.Store, probed: make(chan struct{}), probeFirst: cfg.probeFirst}
	b.metrics = newMetrics(b)
	if b.store == nil {
		st, err := store.Open(filepath.Join(cfg.StateDir, "intent.db"))
		if err != nil {
			return nil, fmt.Errorf("opening the intent store in %s: %w", cfg.StateDir, err)
		}
		b.store, b.owned = st, true
	}
	b.spdk = spdk.New(cfg.SPDKSocket, append([]spdk.Option{
		spdk.WithLogger(cfg.Logger),
		// SPDK may have restarted empty: forget what it had and replay.
		spdk.WithReconnectNotify(b.spdkReconnected),
		spdk.WithCallDone(b.metrics.callDone),
	}, cfg.SPDKOptions...)...)
	// Health has a connection of its own: on the shared one its answer
	// would wait behind a replay's listing of every bdev (megabytes at
	// 100,000 resources). It is also what notices first that SPDK
	// restarted, so it kicks the replay too.
	b.probe = spdk.New(cfg.SPDKSocket, append([]spdk.Option{
		spdk.WithLogger(cfg.Logger),
		spdk.WithReconnectNotify(b.spdkReconnected),
		spdk.WithCallDone(b.metrics.callDone),
	}, cfg.SPDKOptions...)...)
	b.adapter = adapter.New(b.spdk, cfg.StateDir)
	backends := b.adapter.Backends()
	env := Env{SPDK: b.spdk, Adapter: b.adapter, StateDir: cfg.StateDir, Logger: cfg.Logger}
	for _, o := range opts {
		o.apply(env, &backends)
	}
	var err error
	if b.storage, err = storage.New(b.store, backends, append([]storage.Option{
		storage.WithAioDirectories(cfg.AioDirs...), storage.WithPrivateDirectory(cfg.StateDir)}, cfg.storageOptions...)...); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	if b.upstream, err = upstream.New(b.storage, b.store, upstream.WithNames(upstreamNames(cfg.UpstreamVolumeNames))); err != nil {
		return nil, errors.Join(err, b.Close())
	}
	b.pass = b.replay()
	b.loop = reconcile.New(reconcile.Func(b.Reconcile), reconcile.WithInterval(cfg.Interval),
		reconcile.WithBackoff(100*time.Millisecond, 5*time.Second), reconcile.WithLogger(cfg.Logger))
	return b, nil
}

func (b *Bridge) spdkReconnected() {
	b.logger.Info("reconnected to SPDK; replaying the intent")
	b.adapter.Reset()
	// SPDK may hold nothing now: what the pass has not checked reads
	// PENDING, not READY.
	if b.storage != nil {
		b.storage.Unverify()
	}
	if b.loop != nil {
		b.loop.Kick()
	}
}

// Storage is the bridge's domain, for tools and tests that work on it
// directly.
func (b *Bridge) Storage() *storage.Storage { return b.storage }

// Run runs the reconcile loop until ctx ends.
//
// Served by Program, the first pass starts once the server's first health
// probe has answered (or after two seconds): its listings of every bdev
// and subsystem keep SPDK busy for a while at 100,000 resources, and the
// bridge reports SERVING from the start, not after them.
func (b *Bridge) Run(ctx context.Context) error {
	if b.probeFirst {
		t := time.NewTimer(firstProbeWait)
		select {
		case <-b.probed:
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
	}
	return b.loop.Run(ctx)
}

// Synced is closed after the first complete reconcile pass: every stored
// resource has been checked against SPDK (and made again where SPDK
// lacked it). The bridge serves before that; until then, what the pass
// has not reached reads PENDING.
func (b *Bridge) Synced() <-chan struct{} { return b.loop.Synced() }

// Kick asks for a reconcile pass now.
func (b *Bridge) Kick() { b.loop.Kick() }

// Reconcile runs one replay pass (see replay); it fails, to be retried,
// only when the backend cannot be reached.
func (b *Bridge) Reconcile(ctx context.Context) error {
	start := time.Now()
	_, err := b.pass(ctx)
	b.metrics.replayed(time.Since(start), err)
	return err
}

// Collector is the bridge's own metrics (SPDK calls, replay passes, the
// intent store's size; each volume's I/O counters are Gatherer's) for a Prometheus
// registry; Program registers it on the server's. The README lists them.
func (b *Bridge) Collector() prometheus.Collector { return b.metrics }

// Gatherer serves the volumes' I/O counters (opi_storage_volume_*), read
// from SPDK at most once a second and rendered once per read, for
// server.AddGatherer; Program adds it. The README lists them.
func (b *Bridge) Gatherer() server.RenderedGatherer { return volumeGatherer{b.metrics} }

// Close releases SPDK's connection and the store (when New opened it).
func (b *Bridge) Close() error {
	err := errors.Join(b.spdk.Close(), b.probe.Close())
	if b.owned {
		err = errors.Join(err, b.store.Close())
	}
	return err
}

// Probe reports whether SPDK answers, so health follows SPDK.
func (b *Bridge) Probe(ctx context.Context) error {
	err := b.probe.Healthy(ctx)
	if err == nil {
		b.probedOnce.Do(func() { close(b.probed) })
	}
	return err
}

// BackendVersion is SPDK's version as spdk_get_version reports it, for the
// telemetry resource (server.DescribeBackend).
func (b *Bridge) BackendVersion(ctx context.Context) (string, error) { return b.probe.Version(ctx) }

// upstreamNames is the facade's name style for Config.UpstreamVolumeNames.
func upstreamNames(volumes bool) upstream.NameStyle {
	if volumes {
		return upstream.VolumeNames
	}
	return upstream.ProtoNames
}

// Services lists the gRPC services for the server, each probed on SPDK.
func (b *Bridge) Services() []server.Service {
	s, u := b.storage, b.upstream
	return []server.Service{
		{Desc: &pb.VolumeService_ServiceDesc, Impl: api.NewVolumeService(s),
			Gateway: pb.RegisterVolumeServiceHandler, Probe: b.Probe},
		{Desc: &pb.LogicalVolumeService_ServiceDesc, Impl: api.NewLogicalVolumeService(s),
			Gateway: pb.RegisterLogicalVolumeServiceHandler, Probe: b.Probe},
		{Desc: &pb.MiddleendService_ServiceDesc, Impl: api.NewMiddleendService(s),
			Gateway: pb.RegisterMiddleendServiceHandler, Probe: b.Probe},
		{Desc: &pb.BackendNvmeService_ServiceDesc, Impl: api.NewBackendNvmeService(s),
			Gateway: pb.RegisterBackendNvmeServiceHandler, Probe: b.Probe},
		{Desc: &pb.FrontendNvmeService_ServiceDesc, Impl: api.NewFrontendNvmeService(s),
			Gateway: pb.RegisterFrontendNvmeServiceHandler, Probe: b.Probe},
		{Desc: &pb.FrontendVirtioBlkService_ServiceDesc, Impl: api.NewFrontendVirtioBlkService(s),
			Gateway: pb.RegisterFrontendVirtioBlkServiceHandler, Probe: b.Probe},
		{Desc: &pb.FrontendVirtioScsiService_ServiceDesc, Impl: api.NewFrontendVirtioScsiService(s),
			Gateway: pb.RegisterFrontendVirtioScsiServiceHandler, Probe: b.Probe},
		// Upstream OPI's storage API over the same domain, gRPC only: its
		// REST paths are the native ones.
		{Desc: u.ServiceDesc(&upstreampb.FrontendNvmeService_ServiceDesc), Impl: u.FrontendNvme, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.FrontendVirtioBlkService_ServiceDesc), Impl: u.VirtioBlks, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.FrontendVirtioScsiService_ServiceDesc), Impl: u.VirtioScsi, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.NvmeRemoteControllerService_ServiceDesc), Impl: u.Remote, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.AioVolumeService_ServiceDesc), Impl: u.AioVolumes, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.MallocVolumeService_ServiceDesc), Impl: u.MallocVolumes, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.NullVolumeService_ServiceDesc), Impl: u.NullVolumes, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.MiddleendEncryptionService_ServiceDesc), Impl: u.EncryptedVolumes, Probe: b.Probe},
		{Desc: u.ServiceDesc(&upstreampb.MiddleendQosVolumeService_ServiceDesc), Impl: u.QosVolumes, Probe: b.Probe},
	}
}
