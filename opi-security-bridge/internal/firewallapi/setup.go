package firewallapi

import (
	"context"
	"flag"
	"log/slog"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/reconcile"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"

	"github.com/opi-suite/opi/opi-security-bridge/internal/firewall"
	"github.com/opi-suite/opi/opi-security-bridge/internal/xdp"
)

// DefaultBPFFS is where the firewall pins its maps and links by default.
const DefaultBPFFS = "/sys/fs/bpf/opi"

// BindFlags adds --bpffs (environment OPI_BPFFS) to fs and returns where its
// value lands.
func BindFlags(fs *flag.FlagSet) *string {
	dir := fs.String("bpffs", DefaultBPFFS, "bpffs directory for the firewall's pinned maps and XDP links; mounted if it is not on a bpffs")
	server.EnvVar(fs, "bpffs", "OPI_BPFFS")
	return dir
}

// Setup adds the firewall service to s: policies kept in st, enforced in
// XDP with maps and links pinned under bpffsDir. Before it returns, every
// stored policy is enforced again (pinned ones are re-adopted without a
// gap); a policy the kernel refuses is served with status ERROR and
// retried by a reconcile loop that runs until ctx ends.
//
// The returned release waits for that loop to end and then closes the
// process's handles; the pins stay, so the kernel keeps enforcing while
// the bridge is down. Call it only after the server has stopped serving:
// ctx ends when shutdown starts, and calls still draining during the
// graceful stop need the handles.
func Setup(ctx context.Context, s *server.Server, st store.Store, bpffsDir string, logger *slog.Logger) (release func() error, err error) {
	if err := xdp.MountBPFFS(bpffsDir); err != nil {
		return nil, err
	}
	host := xdp.NewHost(bpffsDir)
	policies, err := firewall.New(st, host, logger)
	if err != nil {
		return nil, err
	}
	if err := policies.Converge(ctx); err != nil {
		logger.WarnContext(ctx, "firewall: not every policy could be enforced; retrying in the background", "error", err)
	}
	loop := reconcile.New(reconcile.Func(policies.Converge), reconcile.WithInterval(time.Minute), reconcile.WithLogger(logger))
	loopDone := make(chan struct{})
	go func() { defer close(loopDone); _ = loop.Run(ctx) }()
	s.AddService(server.Service{
		Desc:    &securityv1.FirewallService_ServiceDesc,
		Impl:    NewService(policies),
		Gateway: securityv1.RegisterFirewallServiceHandler,
		Probe:   host.Probe,
	})
	return func() error { <-loopDone; return host.Close() }, nil
}
