// Package bridge assembles the storage bridge: the intent store in the state
// directory, every area's collections on it with their SPDK backends, the
// gRPC services, and the reconcile loop that puts SPDK back the way the
// intent says after either side restarts.
package bridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	pb "github.com/opi-suite/opi/opi-api/storage/v1"
	"github.com/opi-suite/opi/opi-kit/reconcile"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/backend"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/service"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
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
	// Store, when set, is used instead of opening StateDir/intent.db
	// (benchmarks use an in-memory store to measure the rest).
	Store store.Store
}

// Bridge is one running storage bridge.
type Bridge struct {
	Store store.Store
	SPDK  *spdk.Client

	Volumes  *backend.VolumeCollections
	Lvols    *backend.LogicalVolumeCollections
	Middle   *backend.MiddleendCollections
	Remote   *backend.NvmeRemoteCollections
	Frontend *backend.FrontendCollections

	logger   *slog.Logger
	stateDir string
	loop     *reconcile.Loop
	owned    bool // Store was opened here
}

// New opens the store (failing fast when another bridge holds it), builds
// every collection and the reconcile loop. Nothing talks to SPDK until Run.
func New(cfg Config) (*Bridge, error) {
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
	b := &Bridge{logger: cfg.Logger, Store: cfg.Store, stateDir: cfg.StateDir}
	if b.Store == nil {
		st, err := store.Open(filepath.Join(cfg.StateDir, "intent.db"))
		if err != nil {
			return nil, fmt.Errorf("opening the intent store in %s: %w", cfg.StateDir, err)
		}
		b.Store, b.owned = st, true
	}
	opts := append([]spdk.Option{
		spdk.WithLogger(cfg.Logger),
		// SPDK may have restarted empty: forget what it had and replay.
		spdk.WithReconnectNotify(b.spdkReconnected),
	}, cfg.SPDKOptions...)
	b.SPDK = spdk.New(cfg.SPDKSocket, opts...)
	if err := b.build(cfg.StateDir); err != nil {
		b.Close()
		return nil, err
	}
	b.loop = reconcile.New(reconcile.Func(b.Reconcile), reconcile.WithInterval(cfg.Interval),
		reconcile.WithBackoff(100*time.Millisecond, 5*time.Second), reconcile.WithLogger(cfg.Logger))
	return b, nil
}

func (b *Bridge) build(stateDir string) error {
	var err error
	c := b.SPDK
	if b.Volumes, err = backend.NewVolumeCollections(b.Store, c); err != nil {
		return err
	}
	if b.Lvols, err = backend.NewLogicalVolumeCollections(b.Store, c); err != nil {
		return err
	}
	if b.Middle, err = backend.NewMiddleendCollections(b.Store, c); err != nil {
		return err
	}
	if b.Remote, err = backend.NewNvmeRemoteCollections(b.Store, c, b.keyDir()); err != nil {
		return err
	}
	b.Frontend, err = backend.NewFrontendCollections(b.Store, c, stateDir)
	return err
}

// keyDir is where PSK files live, for every area that has them.
func (b *Bridge) keyDir() string { return filepath.Join(b.stateDir, "keys") }

func (b *Bridge) spdkReconnected() {
	b.logger.Info("reconnected to SPDK; replaying the intent")
	b.Frontend.Transports.Reset()
	if b.loop != nil {
		b.loop.Kick()
	}
}

// Run runs the reconcile loop until ctx ends.
func (b *Bridge) Run(ctx context.Context) error { return b.loop.Run(ctx) }

// Synced is closed after the first complete reconcile pass.
func (b *Bridge) Synced() <-chan struct{} { return b.loop.Synced() }

// Kick asks for a reconcile pass now.
func (b *Bridge) Kick() { b.loop.Kick() }

// Close releases SPDK's connection and the store (when New opened it).
func (b *Bridge) Close() error {
	err := b.SPDK.Close()
	if b.owned {
		err = errors.Join(err, b.Store.Close())
	}
	return err
}

// Probe reports whether SPDK answers, so health follows SPDK.
func (b *Bridge) Probe(ctx context.Context) error { return b.SPDK.Healthy(ctx) }

// Services lists the gRPC services for server.Main, each probed on SPDK.
func (b *Bridge) Services() []server.Service {
	pcie := service.NewPcieEndpoints(b.Frontend)
	return []server.Service{
		{Desc: &pb.VolumeService_ServiceDesc, Impl: service.NewVolumeService(b.Volumes, b.SPDK),
			Gateway: pb.RegisterVolumeServiceHandler, Probe: b.Probe},
		{Desc: &pb.LogicalVolumeService_ServiceDesc, Impl: service.NewLogicalVolumeService(b.Lvols, b.SPDK),
			Gateway: pb.RegisterLogicalVolumeServiceHandler, Probe: b.Probe},
		{Desc: &pb.MiddleendService_ServiceDesc, Impl: service.NewMiddleendService(b.Middle, b.SPDK),
			Gateway: pb.RegisterMiddleendServiceHandler, Probe: b.Probe},
		{Desc: &pb.BackendNvmeService_ServiceDesc, Impl: service.NewBackendNvmeService(b.Remote, b.SPDK),
			Gateway: pb.RegisterBackendNvmeServiceHandler, Probe: b.Probe},
		{Desc: &pb.FrontendNvmeService_ServiceDesc, Impl: service.NewFrontendNvmeService(b.Frontend, b.SPDK, pcie),
			Gateway: pb.RegisterFrontendNvmeServiceHandler, Probe: b.Probe},
		{Desc: &pb.FrontendVirtioBlkService_ServiceDesc, Impl: service.NewFrontendVirtioBlkService(b.Frontend, pcie),
			Gateway: pb.RegisterFrontendVirtioBlkServiceHandler, Probe: b.Probe},
	}
}
