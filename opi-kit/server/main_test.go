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
	var backend string
	var gotCfg Config
	var gotAddr string
	var released []string
	err := run(ctx, Program{
		Name: "opi-test", Description: "Serves tests.",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&backend, "backend", "none", "a bridge's own flag")
			EnvVar(fs, "backend", "OPI_TEST_BACKEND")
		},
		Setup: func(_ context.Context, s *Server, cfg Config) error {
			gotCfg = cfg
			s.AddService(Service{Desc: &inventoryv1.InventoryService_ServiceDesc, Impl: inventoryv1.UnimplementedInventoryServiceServer{}})
			s.Cleanup(func() error { released = append(released, "store"); return nil })
			s.Cleanup(func() error { released = append(released, "backend"); return nil })
			go func() { gotAddr = s.Addr(); cancel() }()
			return nil
		},
	}, fs, []string{"--listen=127.0.0.1:0", "--http-listen=", "--insecure-plaintext", "--log-level=error", "--backend=spdk"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if backend != "spdk" || gotCfg.Listen != "127.0.0.1:0" || gotCfg.HTTPListen != "" || gotAddr == "" {
		t.Errorf("backend=%q cfg=%+v addr=%q", backend, gotCfg, gotAddr)
	}
	if strings.Join(released, ",") != "backend,store" {
		t.Errorf("cleanups ran as %v, want backend then store (reverse order of registration)", released)
	}
}

func TestCleanupsRunWhenSetupFailsAndTheirErrorsAreReported(t *testing.T) {
	fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
	var released []string
	err := run(context.Background(), Program{
		Name: "opi-test", Description: "Serves tests.",
		Setup: func(_ context.Context, s *Server, _ Config) error {
			s.Cleanup(func() error { released = append(released, "store"); return errors.New("store: sync failed") })
			return errors.New("backend missing")
		},
	}, fs, []string{"--listen=127.0.0.1:0", "--http-listen=", "--insecure-plaintext", "--log-level=error"})
	if err == nil || !strings.Contains(err.Error(), "backend missing") || !strings.Contains(err.Error(), "store: sync failed") {
		t.Fatalf("run: %v, want the setup error and the cleanup error", err)
	}
	if len(released) != 1 {
		t.Errorf("cleanups ran %d times, want 1", len(released))
	}
}

func TestHelpNamesTheBridge(t *testing.T) {
	fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
	var out strings.Builder
	fs.SetOutput(&out)
	err := run(context.Background(), Program{Name: "opi-test", Description: "Serves tests.",
		Flags: func(fs *flag.FlagSet) { fs.String("backend", "", "a bridge's own flag") }}, fs, []string{"--help"})
	if err != flag.ErrHelp {
		t.Fatalf("run --help: %v", err)
	}
	for _, want := range []string{"opi-test: Serves tests.", "Usage: opi-test [flags]", "-tls-ca", "(env OPI_TLS_CA)", "-backend"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}

func TestAddrReturnsWhenSetupFails(t *testing.T) {
	fs := flag.NewFlagSet("opi-test", flag.ContinueOnError)
	addr := make(chan string, 1)
	err := run(context.Background(), Program{Name: "opi-test", Description: "Serves tests.",
		Setup: func(_ context.Context, s *Server, _ Config) error {
			go func() { addr <- s.Addr() }()
			return errors.New("backend missing")
		}}, fs, []string{"--listen=127.0.0.1:0", "--http-listen=", "--insecure-plaintext", "--log-level=error"})
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
