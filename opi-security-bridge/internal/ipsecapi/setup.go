package ipsecapi

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-kit/reconcile"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ipsec"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici"
)

// SocketEnv is the environment variable behind --vici-socket.
const SocketEnv = "OPI_VICI_SOCKET"

// BindFlags registers --vici-socket on fs and returns where its value
// lands. The flag beats $OPI_VICI_SOCKET, which beats vici.DefaultSocket.
func BindFlags(fs *flag.FlagSet) *string {
	def := vici.DefaultSocket
	if v, ok := os.LookupEnv(SocketEnv); ok {
		def = v
	}
	return fs.String("vici-socket", def, "strongSwan VICI socket: unix:///path, an absolute path or tcp://host:port (env "+SocketEnv+")")
}

// ReconcileInterval is how often the IPsec reconcile pass runs besides the
// passes charon's reconnections trigger.
const ReconcileInterval = 30 * time.Second

// Setup adds the IPsec service to s: the domain on st, the VICI backend on
// viciSocket, a reconcile loop and an event watch that live as long as
// ctx, and a health probe that follows charon. It does not wait for
// charon: the service is NOT_SERVING until charon answers, and the first
// reconcile pass loads the stored intent as soon as it does.
func Setup(ctx context.Context, s *server.Server, st store.Store, viciSocket string, logger *slog.Logger) error {
	if logger == nil {
		logger = s.Logger()
	}
	logger = logger.With("service", "ipsec")
	client, err := vici.New(viciSocket)
	if err != nil {
		return err
	}
	m, err := ipsec.New(st, client, logger)
	if err != nil {
		return err
	}
	loop := reconcile.New(m, reconcile.WithInterval(ReconcileInterval), reconcile.WithLogger(logger))
	m.SetKick(loop.Kick)
	go func() {
		_ = loop.Run(ctx)
		client.Close()
	}()
	go client.Watch(ctx, m.HandleEvent)
	s.AddService(server.Service{
		Desc:    &securityv1.IpsecService_ServiceDesc,
		Impl:    NewService(m),
		Gateway: securityv1.RegisterIpsecServiceHandler,
		Probe:   m.Probe,
	})
	return nil
}
