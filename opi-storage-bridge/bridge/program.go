package bridge

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

// Program is the storage bridge's command for server.Main: the shared
// flags plus --spdk-socket (OPI_SPDK_SOCKET), --aio-dirs (OPI_AIO_DIRS)
// and --upstream-names (OPI_UPSTREAM_NAMES); Setup builds the bridge with
// opts, registers its services and starts the reconcile loop, and the
// bridge serves at once: health and reads answer while the first pass
// checks the stored intent against SPDK (one listing per kind) and makes
// again what SPDK lacks. Until the pass has checked a resource, it reads
// PENDING; a change a client asks for meanwhile is serialized with the
// pass per resource, as with any other pass.
func Program(opts ...Option) server.Program {
	var socket, aioDirs, upstreamNames string
	return server.Program{
		Name:        "opi-storage-bridge",
		Description: "Serves the storage API on SPDK (NVMe-oF and virtio-blk frontends, volumes, encryption, QoS).",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&socket, "spdk-socket", spdk.DefaultSocketPath, "SPDK JSON-RPC unix socket")
			server.EnvVar(fs, "spdk-socket", "OPI_SPDK_SOCKET")
			fs.StringVar(&aioDirs, "aio-dirs", "", "comma-separated directories whose files AIO volumes may open (empty: any but the state directory)")
			server.EnvVar(fs, "aio-dirs", "OPI_AIO_DIRS")
			fs.StringVar(&upstreamNames, "upstream-names", "proto", `names upstream OPI's API answers: "proto" (its protos' patterns) or "volumes" ("volumes/{id}", as upstream's SPDK bridge and godpu's test)`)
			server.EnvVar(fs, "upstream-names", "OPI_UPSTREAM_NAMES")
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
			if upstreamNames != "proto" && upstreamNames != "volumes" {
				return fmt.Errorf(`--upstream-names: %q is neither "proto" nor "volumes"`, upstreamNames)
			}
			b, err := New(Config{StateDir: cfg.StateDir, SPDKSocket: socket, Logger: s.Logger(), AioDirs: dirs,
				UpstreamVolumeNames: upstreamNames == "volumes", probeFirst: true}, opts...)
			if err != nil {
				return err
			}
			if err := s.Registerer().Register(b.Collector()); err != nil {
				return errors.Join(fmt.Errorf("registering the storage metrics: %w", err), b.Close())
			}
			s.AddGatherer(b.Gatherer())
			s.Cleanup(b.Close) // after the last call: SPDK's connection, then the store
			s.DescribeBackend("spdk", b.BackendVersion)
			for _, svc := range b.Services() {
				s.AddService(svc)
			}
			go func() { _ = b.Run(ctx) }()
			s.Logger().Info("serving; checking the stored intent against SPDK (resources read PENDING until checked)", "spdk_socket", socket)
			go func() {
				start := time.Now()
				select {
				case <-b.Synced():
					s.Logger().Info("every stored resource checked against SPDK", "took", time.Since(start).Round(time.Millisecond))
				case <-ctx.Done():
				}
			}()
			return nil
		},
	}
}
