// Command opi-security-bridge serves the OPI security API: IPsec on
// strongSwan through VICI (opi.security.v1.IpsecService) and a firewall in
// XDP (opi.security.v1.FirewallService). Both keep their intent in one
// store under --state-dir: IPsec is loaded into charon again whenever
// charon restarts, and the firewall's pinned XDP programs keep enforcing
// while the bridge is down and are re-adopted when it starts.
package main

import (
	"context"
	"errors"
	"flag"
	"path/filepath"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-security-bridge/internal/firewallapi"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ipsecapi"
)

func main() {
	var (
		viciSocket, bpffs   *string
		ipsecOn, firewallOn bool
	)
	server.Main(server.Program{
		Name:        "opi-security-bridge",
		Description: "Serves IPsec on strongSwan (VICI) and a firewall in XDP (eBPF).",
		Flags: func(fs *flag.FlagSet) {
			viciSocket = ipsecapi.BindFlags(fs)
			bpffs = firewallapi.BindFlags(fs)
			fs.BoolVar(&ipsecOn, "ipsec", true, "serve IPsec on strongSwan")
			server.EnvVar(fs, "ipsec", "OPI_IPSEC")
			fs.BoolVar(&firewallOn, "firewall", true, "serve the XDP firewall; needs CAP_NET_ADMIN and CAP_SYS_ADMIN")
			server.EnvVar(fs, "firewall", "OPI_FIREWALL")
		},
		Setup: func(ctx context.Context, s *server.Server, cfg server.Config) error {
			if !ipsecOn && !firewallOn {
				return errors.New("both --ipsec and --firewall are off: nothing to serve")
			}
			if cfg.StateDir == "" {
				return errors.New("--state-dir (OPI_STATE_DIR) is required: the bridge keeps its intent there")
			}
			st, err := store.Open(filepath.Join(cfg.StateDir, "intent.db"))
			if err != nil {
				return err
			}
			// Cleanups run once the last call has finished, in reverse:
			// the backends first, then the store they write to.
			s.Cleanup(st.Close)
			if ipsecOn {
				done, err := ipsecapi.Setup(ctx, s, st, *viciSocket, s.Logger())
				if err != nil {
					return err
				}
				s.Cleanup(done)
			}
			if firewallOn {
				done, err := firewallapi.Setup(ctx, s, st, *bpffs, s.Logger())
				if err != nil {
					return err
				}
				s.Cleanup(done)
			}
			return nil
		},
	})
}
