// Package servertest serves a bridge's services in a test through the
// runtime's real interceptor chain (metrics, logging, recovery,
// authorization, validation, redaction, error mapping) on loopback ports,
// so that a bridge's tests see exactly what its clients see. Use it instead
// of a hand-built grpc.Server with part of the chain.
package servertest

import (
	"context"
	"flag"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// Served is a running server and a client connection to it.
type Served struct {
	// Server is the running server.
	Server *server.Server
	// Conn is a plaintext client connection to its gRPC port.
	Conn *grpc.ClientConn
	// HTTP is the base URL of its HTTP port (REST gateway, /metrics,
	// /healthz), e.g. "http://127.0.0.1:40123".
	HTTP string
}

// Config is the plaintext loopback configuration Start uses: kernel-chosen
// ports for gRPC and HTTP.
func Config() server.Config {
	return server.Config{Listen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0", InsecurePlaintext: true, LogLevel: "info"}
}

// Start serves services with Config until the test ends. opts come after
// the test defaults (the test's log output, a 50 ms probe interval, a 2 s
// shutdown timeout), so they can override them.
func Start(t testing.TB, services []server.Service, opts ...server.Option) *Served {
	t.Helper()
	return StartWith(t, Config(), services, opts...)
}

// StartWith is Start with a configuration of the caller's (TLS, roles). The
// returned Conn is plaintext, so with TLS the caller dials its own.
func StartWith(t testing.TB, cfg server.Config, services []server.Service, opts ...server.Option) *Served {
	t.Helper()
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	logger, err := server.NewLogger(t.Output(), cfg.LogLevel)
	if err != nil {
		t.Fatal(err)
	}
	defaults := []server.Option{server.WithLogger(logger), server.WithProbeInterval(50 * time.Millisecond),
		server.WithShutdownTimeout(2 * time.Second)}
	s, err := server.New(cfg, append(defaults, opts...)...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	for _, svc := range services {
		s.AddService(svc)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the server's Run returned %v after shutdown", err)
		}
	})
	if s.Addr() == "" {
		t.Fatalf("the server failed to listen: %v", <-done)
	}
	served := &Served{Server: s}
	if addr := s.HTTPAddr(); addr != "" {
		served.HTTP = "http://" + addr
	}
	if !cfg.InsecurePlaintext {
		return served
	}
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	served.Conn = conn
	return served
}

// StartProgram runs p as server.Main would, in the test: p's own flags
// parsed from args, the server built with cfg (p's name first, then
// opts), p.Setup, then Run until the test ends, when Run must return nil.
// It returns the server once it listens; tests that read spans pass
// server.WithSpanExporter among opts.
func StartProgram(t testing.TB, p server.Program, cfg server.Config, args []string, opts ...server.Option) *server.Server {
	t.Helper()
	fs := flag.NewFlagSet(p.Name, flag.ContinueOnError)
	if p.Flags != nil {
		p.Flags(fs)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "info"
	}
	logger, err := server.NewLogger(t.Output(), cfg.LogLevel)
	if err != nil {
		t.Fatal(err)
	}
	defaults := []server.Option{server.WithName(p.Name), server.WithLogger(logger), server.WithShutdownTimeout(2 * time.Second)}
	s, err := server.New(cfg, append(defaults, opts...)...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := p.Setup(ctx, s, cfg); err != nil {
		cancel()
		t.Fatalf("setting up %s: %v", p.Name, err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: Run returned %v after shutdown", p.Name, err)
		}
	})
	if s.Addr() == "" {
		t.Fatalf("%s did not listen: %v", p.Name, <-done)
	}
	return s
}
