package bridge

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/telemetry"
)

// Program is the AI bridge's command for server.Main: the shared flags
// plus the inference proxy's address and the sysfs root; Setup builds the
// bridge with opts, registers its services, starts scraping the stored
// pools and serves the inference proxy.
func Program(opts ...Option) server.Program {
	var inferenceListen, sysfsRoot string
	return server.Program{
		Name:        "opi-ai-bridge",
		Description: "Serves the AI API: the accelerators on the PCI bus and inference pools behind an OpenAI-compatible proxy with a load- and prefix-aware endpoint picker.",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&inferenceListen, "inference-listen", ":8080", "address of the OpenAI-compatible inference proxy (empty: no proxy)")
			server.EnvVar(fs, "inference-listen", "OPI_INFERENCE_LISTEN")
			fs.StringVar(&sysfsRoot, "sysfs-root", "/sys", "where PCI sysfs is read (a container may mount the host's elsewhere)")
			server.EnvVar(fs, "sysfs-root", "OPI_SYSFS_ROOT")
		},
		Setup: func(ctx context.Context, s *server.Server, cfg server.Config) error {
			b, err := New(Config{StateDir: cfg.StateDir, SysfsRoot: sysfsRoot, Logger: s.Logger()}, opts...)
			if err != nil {
				return err
			}
			s.Cleanup(b.Close)
			// Accelerators and the fabric are read from sysfs and set
			// through tc: the kernel is the backend.
			s.DescribeBackend("linux", telemetry.KernelRelease)
			for _, svc := range b.Services() {
				s.AddService(svc)
			}
			if err := b.Start(ctx); err != nil {
				return err
			}
			if inferenceListen == "" {
				return nil
			}
			ln, err := net.Listen("tcp", inferenceListen)
			if err != nil {
				return fmt.Errorf("--inference-listen: %w", err)
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				if err := ServeProxy(ctx, ln, b.Proxy(), 10*time.Second); err != nil {
					s.Logger().Error("inference proxy stopped", "error", err)
				}
			}()
			s.Cleanup(func() error { <-done; return nil })
			s.Logger().Info("inference proxy listening", "address", ln.Addr().String())
			return nil
		},
	}
}
