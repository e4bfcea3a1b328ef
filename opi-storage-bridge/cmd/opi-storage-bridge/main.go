// Command opi-storage-bridge serves the OPI storage API (opi.storage.v1) on
// SPDK: it keeps the user's intent in its state directory, turns it into
// SPDK JSON-RPC calls on SPDK's unix socket, and replays it whenever SPDK
// or the bridge restarts.
package main

import (
	"context"
	"flag"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-storage-bridge/internal/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/spdk"
)

func main() {
	var socket string
	server.Main(server.Program{
		Name:        "opi-storage-bridge",
		Description: "Serves the storage API on SPDK (NVMe-oF and virtio-blk frontends, volumes, encryption, QoS).",
		Flags: func(fs *flag.FlagSet) {
			fs.StringVar(&socket, "spdk-socket", spdk.DefaultSocketPath, "SPDK JSON-RPC unix socket")
			server.EnvVar(fs, "spdk-socket", "OPI_SPDK_SOCKET")
		},
		Setup: func(ctx context.Context, s *server.Server, cfg server.Config) error {
			b, err := bridge.New(bridge.Config{StateDir: cfg.StateDir, SPDKSocket: socket, Logger: s.Logger()})
			if err != nil {
				return err
			}
			s.Cleanup(b.Close) // after the last call: SPDK's connection, then the store
			for _, svc := range b.Services() {
				s.AddService(svc)
			}
			go func() { _ = b.Run(ctx) }()
			// Serve only once SPDK holds the stored intent, so clients never
			// see resources SPDK lacks; health follows SPDK meanwhile.
			s.Logger().Info("replaying the stored intent into SPDK before serving", "spdk_socket", socket)
			select {
			case <-b.Synced():
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	})
}
