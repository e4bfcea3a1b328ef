package server

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Main is a bridge's whole main function: it parses the shared flags (and
// any the bridge registered on flag.CommandLine before calling it) with
// their OPI_* environment variables, builds the Server, lets setup add the
// bridge's services, and runs until SIGTERM or SIGINT. On failure it prints
// the error and exits with status 1.
//
// name is the program name (for logs, traces and --help); description is
// one line for --help. opts are passed to New after Main's own WithName and
// WithLogger, so they can override them.
func Main(name, description string, setup func(ctx context.Context, s *Server, cfg Config) error, opts ...Option) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	err := run(ctx, name, description, flag.CommandLine, os.Args[1:], setup, opts)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(ctx context.Context, name, description string, fs *flag.FlagSet, args []string, setup func(context.Context, *Server, Config) error, opts []Option) error {
	var cfg Config
	cfg.BindFlags(fs)
	fs.Usage = usage(fs, name, description)
	if err := cfg.Load(fs, args); err != nil {
		return err
	}
	logger, err := NewLogger(os.Stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	s, err := New(cfg, append([]Option{WithName(name), WithLogger(logger)}, opts...)...)
	if err != nil {
		return err
	}
	if err := setup(ctx, s, cfg); err != nil {
		s.abandon() // setup may have started a goroutine waiting on s.Addr
		return fmt.Errorf("setting up %s: %w", name, err)
	}
	return s.Run(ctx)
}
