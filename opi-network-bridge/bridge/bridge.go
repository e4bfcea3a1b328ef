// Package bridge assembles the network bridge: one intent store, the EVPN
// gateway (domain network) on its two components, the kernel (netlink) and
// FRR, the replay pass and reconcile loop, the routing sync and the drift
// watch, and the gRPC services over them.
//
// A bridge is also a library: a vendor's main replaces a component and
// keeps the rest (validation, naming, stored intent, replay, the API):
//
//	func main() {
//		server.Main(bridge.Program(bridge.WithKernel(nic.NewKernel())))
//	}
package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	networkv1 "github.com/opi-suite/opi/opi-api/network/v1"
	"github.com/opi-suite/opi/opi-kit/reconcile"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	evpngwv1alpha1 "github.com/opi-suite/opi/opi-upstream/network/evpngw/v1alpha1"
	opinetcommonv1alpha1 "github.com/opi-suite/opi/opi-upstream/network/opinetcommon/v1alpha1"

	"github.com/opi-suite/opi/opi-network-bridge/internal/api"
	"github.com/opi-suite/opi/opi-network-bridge/internal/upstream"
	"github.com/opi-suite/opi/opi-network-bridge/network"
)

// ReplayInterval is how often the replay pass runs besides the passes that
// drift and restarts trigger.
const ReplayInterval = 30 * time.Second

// Config is what the bridge needs beside its components.
type Config struct {
	// StateDir holds the intent store, intent.db. Required.
	StateDir string
	// VtepIP is the default local VTEP address.
	VtepIP netip.Addr
	// RoutingInterval: see network.Config.
	RoutingInterval time.Duration
	// Logger, default slog.Default().
	Logger *slog.Logger
}

// An Option replaces a piece of the bridge.
type Option func(*options)

type options struct {
	kernel    network.Kernel
	routing   network.Routing
	noRouting bool
	store     store.Store
}

// WithKernel makes the gateway drive k instead of the Linux kernel over
// netlink. If k is an io.Closer, Close closes it.
func WithKernel(k network.Kernel) Option { return func(o *options) { o.kernel = k } }

// WithRouting makes the gateway apply its routing configuration through r
// instead of FRR. If r is an io.Closer, Close closes it.
func WithRouting(r network.Routing) Option { return func(o *options) { o.routing = r } }

// WithoutRouting runs the gateway with no routing component: logical
// bridges are local (no EVPN).
func WithoutRouting() Option { return func(o *options) { o.noRouting = true } }

// WithStore uses st (not closed by Close) instead of opening
// StateDir/intent.db.
func WithStore(st store.Store) Option { return func(o *options) { o.store = st } }

// Bridge is an assembled network bridge.
type Bridge struct {
	logger  *slog.Logger
	st      store.Store
	ownedSt bool
	gw      *network.Gateway
	loop    *reconcile.Loop
	closers []func() error
	wg      sync.WaitGroup
	routing network.Routing // the routing component, unwrapped
}

// New opens the store and builds the gateway on its components: the ones
// options give (a kernel is required: the default one is wired by
// Program), or none for routing with WithoutRouting.
func New(cfg Config, opts ...Option) (_ *Bridge, err error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	b := &Bridge{logger: cfg.Logger}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.Close())
		}
	}()
	b.own(o.kernel)
	b.own(o.routing)
	if o.kernel == nil {
		return nil, errors.New("network bridge: no kernel component")
	}
	if o.routing == nil && !o.noRouting {
		return nil, errors.New("network bridge: no routing component (use WithoutRouting for none)")
	}
	switch {
	case o.store != nil:
		b.st = o.store
	case cfg.StateDir == "":
		return nil, errors.New("--state-dir (OPI_STATE_DIR) is required: the bridge keeps its intent there")
	default:
		if b.st, err = store.Open(filepath.Join(cfg.StateDir, "intent.db")); err != nil {
			return nil, err
		}
		b.ownedSt = true
	}
	b.routing = o.routing
	var routing network.Routing
	if o.routing != nil {
		routing = tracedRouting{o.routing}
	}
	b.gw, err = network.New(network.Config{
		Store: b.st, Kernel: tracedKernel{o.kernel}, Routing: routing, DefaultVtepIP: cfg.VtepIP,
		RoutingInterval: cfg.RoutingInterval, Logger: b.logger,
	})
	if err != nil {
		return nil, err
	}
	report := func(err error) {
		b.logger.Warn("an interrupted change could not be finished; the next pass tries again", "error", err)
	}
	step := b.gw.Replay(report)
	b.loop = reconcile.New(reconcile.Func(func(ctx context.Context) error {
		refused, err := step(ctx)
		if err == nil && refused > 0 {
			err = fmt.Errorf("the kernel refused %d resources; their status says why", refused)
		}
		return err
	}), reconcile.WithInterval(ReplayInterval), reconcile.WithLogger(b.logger))
	return b, nil
}

func (b *Bridge) own(c any) {
	if c, ok := c.(io.Closer); ok {
		b.closers = append(b.closers, c.Close)
	}
}

// Gateway returns the domain, for tests and embedders.
func (b *Bridge) Gateway() *network.Gateway { return b.gw }

// Services returns the gRPC services.
func (b *Bridge) Services() []server.Service {
	ulbs, uports, uvrfs, usvis := upstream.Services(b.gw)
	return []server.Service{
		{Desc: &networkv1.LogicalBridgeService_ServiceDesc, Impl: api.NewLogicalBridges(b.gw), Gateway: networkv1.RegisterLogicalBridgeServiceHandler},
		{Desc: &networkv1.BridgePortService_ServiceDesc, Impl: api.NewBridgePorts(b.gw), Gateway: networkv1.RegisterBridgePortServiceHandler},
		{Desc: &networkv1.VrfService_ServiceDesc, Impl: api.NewVrfs(b.gw), Gateway: networkv1.RegisterVrfServiceHandler},
		{Desc: &networkv1.SviService_ServiceDesc, Impl: api.NewSvis(b.gw), Gateway: networkv1.RegisterSviServiceHandler},
		{Desc: &networkv1.NetInterfaceService_ServiceDesc, Impl: api.NewNetInterfaces(b.gw), Gateway: networkv1.RegisterNetInterfaceServiceHandler},
		// Upstream OPI's EVPN gateway API over the same domain, gRPC only:
		// its REST paths are the native ones.
		{Desc: &evpngwv1alpha1.LogicalBridgeService_ServiceDesc, Impl: ulbs},
		{Desc: &evpngwv1alpha1.BridgePortService_ServiceDesc, Impl: uports},
		{Desc: &evpngwv1alpha1.VrfService_ServiceDesc, Impl: uvrfs},
		{Desc: &evpngwv1alpha1.SviService_ServiceDesc, Impl: usvis},
		{Desc: &opinetcommonv1alpha1.NetInterfaceService_ServiceDesc, Impl: upstream.NewNetInterfaces(b.gw)},
	}
}

// Start runs, until ctx ends: the replay loop (once at start, on drift, and
// every ReplayInterval), the routing sync and the drift watch. It does not
// wait: the bridge serves at once, and resources read PENDING until their
// components have confirmed them.
func (b *Bridge) Start(ctx context.Context) {
	b.wg.Add(3)
	go func() { defer b.wg.Done(); _ = b.loop.Run(ctx) }()
	go func() { defer b.wg.Done(); b.gw.RunRouting(ctx) }()
	go func() {
		defer b.wg.Done()
		if err := b.gw.WatchDrift(ctx, b.loop.Kick); err != nil && ctx.Err() == nil {
			b.logger.Error("kernel: the drift watch stopped; drift is repaired only by the periodic pass", "error", err)
		}
	}()
}

// Synced is closed after the first complete replay pass.
func (b *Bridge) Synced() <-chan struct{} { return b.loop.Synced() }

// Kick asks for a replay pass now.
func (b *Bridge) Kick() { b.loop.Kick() }

// Close waits for what Start started (it ends with Start's ctx), then
// closes the components and the store. It never removes anything from the
// kernel or FRR: a restarted bridge finds them as they were.
func (b *Bridge) Close() error {
	b.wg.Wait()
	var err error
	for i := len(b.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, b.closers[i]())
	}
	if b.ownedSt && b.st != nil {
		err = errors.Join(err, b.st.Close())
	}
	return err
}
