// Command spdk-sim is a stand-in for SPDK's spdk_tgt: it serves SPDK's
// JSON-RPC API on a unix socket with in-memory state, for tests, demos and
// the compose stack on machines where SPDK cannot run. It is not SPDK: no
// I/O path exists behind its bdevs, subsystems or controllers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/opi-suite/opi/opi-storage-bridge/spdk/sim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(argv []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("spdk-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		socket   string
		interval time.Duration
		level    string
	)
	fs.StringVar(&socket, "r", "/var/tmp/spdk.sock", "RPC listen address (unix socket path), as spdk_tgt's -r")
	fs.StringVar(&socket, "rpc-socket", "/var/tmp/spdk.sock", "RPC listen address (unix socket path), as spdk_tgt's --rpc-socket")
	fs.DurationVar(&interval, "poll-interval", 4*time.Millisecond, "period of the RPC poller, as SPDK's 4 ms: each tick accepts at most one connection, sends queued responses and reads requests (0: no poller, answer at once)")
	fs.DurationVar(&interval, "accept-interval", 4*time.Millisecond, "former name of --poll-interval")
	fs.StringVar(&level, "log-level", "info", "log level: debug, info, warn or error")
	if err := fs.Parse(argv); err != nil {
		return 2
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		fmt.Fprintf(stderr, "spdk-sim: bad --log-level %q\n", level)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	s := sim.New(sim.WithPollInterval(interval), sim.WithLogger(logger))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- s.ListenAndServe(socket) }()
	logger.Info("spdk-sim serving SPDK JSON-RPC (a stand-in, not SPDK)", "socket", socket, "poll_interval", interval)
	select {
	case err := <-errc:
		logger.Error("serve", "err", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	if err := s.Close(); err != nil {
		logger.Error("close", "err", err)
		return 1
	}
	if err := <-errc; err != nil && !errors.Is(err, sim.ErrClosed) {
		logger.Error("serve", "err", err)
		return 1
	}
	return 0
}
