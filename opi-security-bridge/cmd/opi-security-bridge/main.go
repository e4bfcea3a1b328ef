// Command opi-security-bridge serves the OPI security API: IPsec on
// strongSwan through VICI (opi.security.v1.IpsecService). Its intent is
// kept in --state-dir and loaded into charon again whenever charon
// restarts.
package main

import (
	"context"
	"errors"
	"flag"
	"path/filepath"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ipsecapi"
)

func main() {
	viciSocket := ipsecapi.BindFlags(flag.CommandLine)
	server.Main("opi-security-bridge", "Serves IPsec on strongSwan (VICI).",
		func(ctx context.Context, s *server.Server, cfg server.Config) error {
			if cfg.StateDir == "" {
				return errors.New("--state-dir is required: the bridge keeps its intent there")
			}
			st, err := store.Open(filepath.Join(cfg.StateDir, "intent.db"))
			if err != nil {
				return err
			}
			go func() { <-ctx.Done(); st.Close() }()
			return ipsecapi.Setup(ctx, s, st, *viciSocket, s.Logger())
		})
}
