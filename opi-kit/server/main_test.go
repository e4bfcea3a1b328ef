package server

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
)

// TestMainRunsSetupThenServesUntilTheContextEnds drives Main's body with a
// FlagSet of its own, the way Main drives it with the command line.
func TestMainRunsSetupThenServesUntilTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
	backend := fs.String("backend", "none", "a bridge's own flag")
	var gotCfg Config
	var gotAddr string
	err := run(ctx, "opi-test", "Serves tests.", fs,
		[]string{"--listen=127.0.0.1:0", "--http-listen=", "--insecure-plaintext", "--log-level=error", "--backend=spdk"},
		func(_ context.Context, s *Server, cfg Config) error {
			gotCfg = cfg
			s.AddService(Service{Desc: &inventoryv1.InventoryService_ServiceDesc, Impl: inventoryv1.UnimplementedInventoryServiceServer{}})
			go func() { gotAddr = s.Addr(); cancel() }()
			return nil
		}, nil)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if *backend != "spdk" || gotCfg.Listen != "127.0.0.1:0" || gotCfg.HTTPListen != "" || gotAddr == "" {
		t.Errorf("backend=%q cfg=%+v addr=%q", *backend, gotCfg, gotAddr)
	}
}

func TestHelpNamesTheBridge(t *testing.T) {
	fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	err := run(context.Background(), "opi-test", "Serves tests.", fs, []string{"--help"}, nil, nil)
	if err != flag.ErrHelp {
		t.Fatalf("run --help: %v", err)
	}
	for _, want := range []string{"opi-test: Serves tests.", "Usage: opi-test [flags]", "-tls-ca", "(env OPI_TLS_CA)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestAddrReturnsWhenSetupFails(t *testing.T) {
	fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
	addr := make(chan string, 1)
	err := run(context.Background(), "opi-test", "Serves tests.", fs,
		[]string{"--listen=127.0.0.1:0", "--http-listen=", "--insecure-plaintext", "--log-level=error"},
		func(_ context.Context, s *Server, _ Config) error {
			go func() { addr <- s.Addr() }()
			return errors.New("backend missing")
		}, nil)
	if err == nil || !strings.Contains(err.Error(), "backend missing") {
		t.Fatalf("run: %v, want the setup error", err)
	}
	select {
	case a := <-addr:
		if a != "" {
			t.Errorf("Addr = %q for a server that never ran, want \"\"", a)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Addr still blocks after setup failed: the goroutine waiting on it leaks")
	}
}
