package bridge_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"google.golang.org/grpc"

	"github.com/opi-suite/opi/opi-security-bridge/bridge"
)

// running is a bridge served through the runtime's real interceptor chain.
type running struct {
	conn *grpc.ClientConn
	b    *bridge.Bridge
	// stop takes the bridge down as its command does at shutdown: its
	// loops end and its backends and store are closed. The server stays
	// until the test ends, but nothing behind it is usable any more.
	stop func()
}

// serve builds a bridge with cfg and opts, starts it and serves its
// services with servertest; everything stops when the test ends.
func serve(t testing.TB, cfg bridge.Config, opts ...bridge.Option) *running {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if testing.Verbose() {
			cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
		}
	}
	b, err := bridge.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := b.Close(); err != nil {
				t.Errorf("closing the bridge: %v", err)
			}
		})
	}
	// Registered before servertest's: cleanups run in reverse, so the
	// server has stopped serving when the bridge closes, as in the command.
	t.Cleanup(stop)
	b.Start(ctx)
	served := servertest.Start(t, b.Services())
	return &running{conn: served.Conn, b: b, stop: stop}
}
