package ipsecapi

import (
	"context"
	"flag"
	"log/slog"
	"sync"
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
	socket := fs.String("vici-socket", vici.DefaultSocket, "strongSwan VICI socket: unix:///path, an absolute path or tcp://host:port")
	server.EnvVar(fs, "vici-socket", SocketEnv)
	return socket
}

// ReconcileInterval is how often the IPsec reconcile pass runs besides the
// passes charon's reconnections trigger.
const ReconcileInterval = 30 * time.Second

// Setup adds the IPsec service to s: the domain on st, the VICI backend on
// viciSocket, a reconcile loop and an event watch that live as long as
// ctx, and a health probe that follows charon. It does not wait for
// charon: the service is NOT_SERVING until charon answers, and the first
// reconcile pass loads the stored intent as soon as it does.
//
// The returned release waits for the loop and the watch to end (they end
// with ctx) and then closes the VICI sessions. Call it only after the
// server has stopped serving: ctx ends when shutdown starts, and calls
// still draining during the graceful stop need the sessions.
func Setup(ctx context.Context, s *server.Server, st store.Store, viciSocket string, logger *slog.Logger) (release func() error, err error) {
	if logger == nil {
		logger = s.Logger()
	}
	logger = logger.With("service", "ipsec")
	client, err := vici.New(viciSocket)
	if err != nil {
		return nil, err
	}
	m, err := ipsec.New(st, client, logger)
	if err != nil {
		return nil, err
	}
	loop := reconcile.New(m, reconcile.WithInterval(ReconcileInterval), reconcile.WithLogger(logger))
	m.SetKick(loop.Kick)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = loop.Run(ctx) }()
	go func() { defer wg.Done(); client.Watch(ctx, m.HandleEvent) }()
	s.AddService(server.Service{
		Desc:    &securityv1.IpsecService_ServiceDesc,
		Impl:    NewService(m),
		Gateway: securityv1.RegisterIpsecServiceHandler,
		Probe:   m.Probe,
	})
	return func() error { wg.Wait(); return client.Close() }, nil
}
