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
	"fmt"
	"os"
	"path/filepath"

	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/store"
	"github.com/opi-suite/opi/opi-security-bridge/internal/firewallapi"
	"github.com/opi-suite/opi/opi-security-bridge/internal/ipsecapi"
)

func main() {
	viciSocket := ipsecapi.BindFlags(flag.CommandLine)
	bpffs := firewallapi.BindFlags(flag.CommandLine)
	ipsecOn := flag.Bool("ipsec", true, "serve IPsec on strongSwan")
	server.EnvVar(flag.CommandLine, "ipsec", "OPI_IPSEC")
	firewallOn := flag.Bool("firewall", true, "serve the XDP firewall; needs CAP_NET_ADMIN and CAP_SYS_ADMIN")
	server.EnvVar(flag.CommandLine, "firewall", "OPI_FIREWALL")
	// What Setup opened, released in reverse order only after server.Main
	// returns. The ctx given to setup ends when shutdown starts, while
	// calls are still draining (GracefulStop): closing the store or the
	// backends then would fail calls that were about to succeed.
	var release []func() error
	server.Main("opi-security-bridge", "Serves IPsec on strongSwan (VICI) and a firewall in XDP (eBPF).",
		func(ctx context.Context, s *server.Server, cfg server.Config) error {
			if !*ipsecOn && !*firewallOn {
				return errors.New("both --ipsec and --firewall are off: nothing to serve")
			}
			if cfg.StateDir == "" {
				return errors.New("--state-dir (OPI_STATE_DIR) is required: the bridge keeps its intent there")
			}
			st, err := store.Open(filepath.Join(cfg.StateDir, "intent.db"))
			if err != nil {
				return err
			}
			release = append(release, st.Close)
			if *ipsecOn {
				done, err := ipsecapi.Setup(ctx, s, st, *viciSocket, s.Logger())
				if err != nil {
					return err
				}
				release = append(release, done)
			}
			if *firewallOn {
				done, err := firewallapi.Setup(ctx, s, st, *bpffs, s.Logger())
				if err != nil {
					return err
				}
				release = append(release, done)
			}
			return nil
		})
	// server.Main returns (it exits on errors) once the server stopped
	// serving: the backends first, then the store they write to.
	var errs []error
	for i := len(release) - 1; i >= 0; i-- {
		errs = append(errs, release[i]())
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(os.Stderr, "opi-security-bridge: closing: %v\n", err)
		os.Exit(1)
	}
}
