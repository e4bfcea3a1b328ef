package server

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Program describes a bridge's command for Main.
type Program struct {
	// Name is the program name, for logs, traces and --help.
	Name string
	// Description is one line for --help.
	Description string
	// Flags binds the bridge's own flags on fs, beside the shared ones
	// (with EnvVar for their OPI_* variables). Optional.
	Flags func(fs *flag.FlagSet)
	// Setup adds the bridge's services to s. What it opens (a store, a
	// backend connection) it hands to s.Cleanup, which releases it once
	// the server stopped serving, or when a later step of Setup fails.
	Setup func(ctx context.Context, s *Server, cfg Config) error
	// Options are passed to New after Main's own WithName and WithLogger,
	// so they can override them.
	Options []Option
}

// Main is a bridge's whole main function: it parses the shared flags and
// the program's own, each with its OPI_* environment variable, builds the
// Server, runs Setup, and serves until SIGTERM or SIGINT; then the
// cleanups Setup registered run in reverse order. On failure it prints the
// error and exits with status 1.
func Main(p Program) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	fs := flag.NewFlagSet(p.Name, flag.ExitOnError)
	err := run(ctx, p, fs, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", p.Name, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, p Program, fs *flag.FlagSet, args []string) error {
	var cfg Config
	cfg.BindFlags(fs)
	if p.Flags != nil {
		p.Flags(fs)
	}
	fs.Usage = usage(fs, p.Name, p.Description)
	if err := cfg.Load(fs, args); err != nil {
		return err
	}
	logger, err := NewLogger(os.Stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	s, err := New(cfg, append([]Option{WithName(p.Name), WithLogger(logger)}, p.Options...)...)
	if err != nil {
		return err
	}
	if p.Setup == nil {
		s.abandon()
		return errors.New("server.Main: the Program has no Setup")
	}
	if err := p.Setup(ctx, s, cfg); err != nil {
		s.abandon() // setup may have started a goroutine waiting on s.Addr
		return errors.Join(fmt.Errorf("setting up %s: %w", p.Name, err), s.runCleanups())
	}
	return s.Run(ctx)
}
