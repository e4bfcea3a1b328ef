// Package bridge assembles the security bridge: one intent store, the IPsec
// area (domain ipsec on a Backend, by default strongSwan over VICI) and the
// firewall area (domain firewall on a Backend, by default XDP), their
// replay passes and reconcile loops, and the gRPC services over them.
//
// A bridge is also a library: a vendor's main replaces one backend and
// keeps the rest (validation, naming, stored intent, replay, the API):
//
//	func main() {
//		server.Main(bridge.Program(bridge.WithFirewallBackend(nic.NewFirewall())))
//	}
package bridge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/reconcile"
	"github.com/opi-suite/opi/opi-kit/resource"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-kit/telemetry"
	upstreampb "github.com/opi-suite/opi/opi-upstream/security/v1"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opi-suite/opi/opi-security-bridge/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/api"
	"github.com/opi-suite/opi/opi-security-bridge/internal/upstream"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici"
	"github.com/opi-suite/opi/opi-security-bridge/internal/xdp"
	"github.com/opi-suite/opi/opi-security-bridge/ipsec"
)

// Defaults of Config.
const (
	// DefaultVICISocket is charon's VICI socket in a default installation.
	DefaultVICISocket = vici.DefaultSocket
	// DefaultBPFFS is where the XDP firewall pins its maps and links.
	DefaultBPFFS = "/sys/fs/bpf/opi"
)

// How often each area's replay pass runs besides the passes its events
// trigger: IPsec also after every reconnection to charon (which may have
// restarted empty); the firewall's pinned programs keep enforcing on their
// own, so its pass only repairs drift.
const (
	IPsecReplayInterval    = 30 * time.Second
	FirewallReplayInterval = time.Minute
)

// Config is what the bridge needs beside its backends.
type Config struct {
	// StateDir holds the intent store, intent.db. Required.
	StateDir string
	// IPsec serves IpsecService.
	IPsec bool
	// VICISocket is charon's VICI socket for the default IPsec backend.
	VICISocket string
	// Firewall serves FirewallService.
	Firewall bool
	// BPFFS is the bpffs directory of the default (XDP) firewall backend;
	// it is mounted if it is not on a bpffs.
	BPFFS string
	// Logger receives the replay passes' reports (default slog.Default()).
	Logger *slog.Logger
}

// An Option replaces a piece of the bridge.
type Option func(*options)

type options struct {
	ipsec    ipsec.Backend
	firewall firewall.Backend
}

// WithIPsecBackend makes the IPsec area drive b instead of strongSwan over
// VICI (Config.VICISocket is then unused). If b is an io.Closer, the
// bridge closes it in Close.
func WithIPsecBackend(b ipsec.Backend) Option { return func(o *options) { o.ipsec = b } }

// WithFirewallBackend makes the firewall area enforce its policies through
// b instead of XDP (Config.BPFFS is then unused). If b is an io.Closer,
// the bridge closes it in Close.
func WithFirewallBackend(b firewall.Backend) Option { return func(o *options) { o.firewall = b } }

// Bridge is an assembled security bridge. New builds it, Services are
// added to a server, Start starts its replay loops, and Close releases
// everything once the server stopped serving.
type Bridge struct {
	logger *slog.Logger
	st     store.Store

	ipsec        *ipsec.Manager
	ipsecBackend ipsec.Backend
	policies     *firewall.Policies

	closers []func() error // backends, in the order they were opened
	loops   sync.WaitGroup
}

// Collector is the bridge's own metrics (firewall counters per policy and
// rule, attach state per interface, IKE SAs by state, child SA traffic),
// read from the backends on scrape, for a Prometheus registry; Program
// registers it on the server's. The README lists them.
func (b *Bridge) Collector() prometheus.Collector { return newMetrics(b) }

// Backend names the bridge's backend and how to ask its version, for the
// telemetry resource (server.DescribeBackend): strongSwan's daemon and
// version over VICI when IPsec is on, else the kernel release the XDP
// firewall runs on.
func (b *Bridge) Backend() (string, func(context.Context) (string, error)) {
	if b.ipsecBackend == nil {
		return "linux-xdp", telemetry.KernelRelease
	}
	return "strongswan", func(ctx context.Context) (string, error) {
		v, err := b.ipsecBackend.Version(ctx)
		if err != nil {
			return "", err
		}
		return strings.TrimSpace(v.Daemon + " " + v.Version), nil
	}
}

// New opens the store and builds the areas cfg turns on, each on its
// backend: the one an option gives, or the default (VICI, XDP). It does
// not wait for any backend: charon may start later.
func New(cfg Config, opts ...Option) (b *Bridge, err error) {
	if !cfg.IPsec && !cfg.Firewall {
		return nil, errors.New("both --ipsec and --firewall are off: nothing to serve")
	}
	if cfg.StateDir == "" {
		return nil, errors.New("--state-dir (OPI_STATE_DIR) is required: the bridge keeps its intent there")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	b = &Bridge{logger: cfg.Logger}
	if b.logger == nil {
		b.logger = slog.Default()
	}
	if b.st, err = store.Open(filepath.Join(cfg.StateDir, "intent.db")); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, b.Close())
		}
	}()
	if cfg.IPsec {
		if err := b.newIPsec(cfg, o.ipsec); err != nil {
			return nil, err
		}
	}
	if cfg.Firewall {
		if err := b.newFirewall(cfg, o.firewall); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func (b *Bridge) newIPsec(cfg Config, backend ipsec.Backend) error {
	if backend == nil {
		client, err := vici.New(cfg.VICISocket)
		if err != nil {
			return err
		}
		backend = client
	}
	b.own(backend)
	m, err := ipsec.New(b.st, backend, b.logger.With("service", "ipsec"))
	if err != nil {
		return err
	}
	b.ipsec, b.ipsecBackend = m, backend
	return nil
}

func (b *Bridge) newFirewall(cfg Config, backend firewall.Backend) error {
	if backend == nil {
		if err := xdp.MountBPFFS(cfg.BPFFS); err != nil {
			return err
		}
		backend = xdp.NewHost(cfg.BPFFS)
	}
	b.own(backend)
	p, err := firewall.New(b.st, backend, b.logger.With("service", "firewall"))
	if err != nil {
		return err
	}
	b.policies = p
	return nil
}

// own makes Close close backend, if it can be closed.
func (b *Bridge) own(backend any) {
	if c, ok := backend.(io.Closer); ok {
		b.closers = append(b.closers, c.Close)
	}
}

// Services returns the gRPC services of the areas turned on, each with a
// health probe that follows its backend.
func (b *Bridge) Services() []server.Service {
	var out []server.Service
	if b.ipsec != nil {
		out = append(out, server.Service{
			Desc:    &securityv1.IpsecService_ServiceDesc,
			Impl:    api.NewIPsec(b.ipsec),
			Gateway: securityv1.RegisterIpsecServiceHandler,
			Probe:   b.ipsec.Probe,
		})
		// Upstream OPI's IPsec API over the same domain, gRPC only.
		out = append(out, server.Service{
			Desc:  &upstreampb.IPsecService_ServiceDesc,
			Impl:  upstream.NewIPsec(b.ipsec),
			Probe: b.ipsec.Probe,
		})
	}
	if b.policies != nil {
		out = append(out, server.Service{
			Desc:    &securityv1.FirewallService_ServiceDesc,
			Impl:    api.NewFirewall(b.policies),
			Gateway: securityv1.RegisterFirewallServiceHandler,
			Probe:   b.policies.Probe,
		})
	}
	return out
}

// Start runs the firewall's replay pass once, so that every stored policy
// is enforced again before the bridge serves (a policy the backend refuses
// is served with status ERROR and retried), and starts until ctx ends: each
// area's replay loop, the firewall's interface watch (which triggers a
// firewall pass when interfaces appear or vanish), the IPsec event watch, which passes SA events to
// watchers and triggers a replay pass whenever the backend reconnects, and
// the IPsec revival of connections that went down and should be up
// (ipsec.Manager.Revive).
// IPsec does not wait for charon: the first pass loads the stored intent
// as soon as it answers.
func (b *Bridge) Start(ctx context.Context) {
	if b.policies != nil {
		pass := firewallReplay(b.policies, b.report("firewall"))
		if err := loopError(pass)(ctx); err != nil {
			b.logger.WarnContext(ctx, "firewall: not every policy could be enforced; retrying in the background", "error", err)
		}
		loop := reconcile.New(loopError(pass), reconcile.WithInterval(FirewallReplayInterval), reconcile.WithLogger(b.logger))
		b.run(ctx, loop)
		// An interface that vanishes takes its XDP program with it: replay
		// at once, so the policy's status says so and a re-created
		// interface is attached again, not a minute later.
		b.loops.Add(1)
		go func() { defer b.loops.Done(); b.policies.WatchInterfaces(ctx, loop.Kick) }()
	}
	if b.ipsec != nil {
		loop := reconcile.New(loopError(ipsecReplay(b.ipsec, b.report("ipsec"))),
			reconcile.WithInterval(IPsecReplayInterval), reconcile.WithLogger(b.logger))
		b.ipsec.SetKick(loop.Kick)
		b.run(ctx, loop)
		b.loops.Add(1)
		go func() { defer b.loops.Done(); b.ipsecBackend.Watch(ctx, b.ipsec.HandleEvent) }()
		b.loops.Add(1)
		go func() { defer b.loops.Done(); b.ipsec.RunRevive(ctx) }()
	}
}

func (b *Bridge) run(ctx context.Context, loop *reconcile.Loop) {
	b.loops.Add(1)
	go func() { defer b.loops.Done(); _ = loop.Run(ctx) }()
}

// report logs what a replay pass's recovery could not finish; it stays in
// the journal for the next pass.
func (b *Bridge) report(area string) func(error) {
	return func(err error) {
		b.logger.Warn("an interrupted change could not be finished; the next pass tries again", "service", area, "error", err)
	}
}

// loopError adapts a replay pass to the reconcile loop, for which a pass
// with refusals failed: the loop retries it with backoff.
func loopError(step resource.Step) reconcile.Func {
	return func(ctx context.Context) error {
		refused, err := step(ctx)
		if err == nil && refused > 0 {
			err = fmt.Errorf("the backend refused %d resources; their status says why", refused)
		}
		return err
	}
}

// Close waits for the loops and the watch Start started (they end with
// its ctx), then closes the backends and the store. Call it only after the
// server stopped serving: calls still draining during the graceful stop
// need the backends. The XDP firewall's pins stay, so the kernel keeps
// enforcing while the bridge is down.
func (b *Bridge) Close() error {
	b.loops.Wait()
	var errs []error
	for i := len(b.closers) - 1; i >= 0; i-- {
		errs = append(errs, b.closers[i]())
	}
	b.closers = nil
	if b.st != nil {
		errs = append(errs, b.st.Close())
		b.st = nil
	}
	return errors.Join(errs...)
}
