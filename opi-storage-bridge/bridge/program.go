package bridge

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// Program is the storage bridge's command for server.Main: the shared
// flags plus --spdk-socket (OPI_SPDK_SOCKET) and --aio-dirs
// (OPI_AIO_DIRS); Setup builds the bridge with
// opts, registers its services, and serves only once the first reconcile
// pass has put the stored intent into the backend, so that clients never
// see resources SPDK lacks.
func Program(opts ...Option) server.Program {
	var socket, aioDirs string
	return server.Program{
		Name:        "opi-storage-bridge",
		Description: "Serves the storage API on SPDK (NVMe-oF and virtio-blk frontends, volumes, encryption, QoS).",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&socket, "spdk-socket", spdk.DefaultSocketPath, "SPDK JSON-RPC unix socket")
			server.EnvVar(fs, "spdk-socket", "OPI_SPDK_SOCKET")
			fs.StringVar(&aioDirs, "aio-dirs", "", "comma-separated directories whose files AIO volumes may open (empty: any but the state directory)")
			server.EnvVar(fs, "aio-dirs", "OPI_AIO_DIRS")
		},
		Setup: func(ctx context.Context, s *server.Server, cfg server.Config) error {
			var dirs []string
			for _, d := range strings.Split(aioDirs, ",") {
				if d = strings.TrimSpace(d); d != "" {
					if !filepath.IsAbs(d) {
						return fmt.Errorf("--aio-dirs: %q is not an absolute path", d)
					}
					dirs = append(dirs, d)
				}
			}
			b, err := New(Config{StateDir: cfg.StateDir, SPDKSocket: socket, Logger: s.Logger(), AioDirs: dirs}, opts...)
			if err != nil {
				return err
			}
			s.Cleanup(b.Close) // after the last call: SPDK's connection, then the store
			for _, svc := range b.Services() {
				s.AddService(svc)
			}
			go func() { _ = b.Run(ctx) }()
			s.Logger().Info("replaying the stored intent into SPDK before serving", "spdk_socket", socket)
			select {
			case <-b.Synced():
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}
}
