package bridge

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/opi-suite/opi/opi-kit/server"
)

// BindFlags registers the bridge's own flags on fs, each with its OPI_*
// variable (the flag beats the variable, which beats the default):
// --ipsec (OPI_IPSEC), --vici-socket (OPI_VICI_SOCKET), --firewall
// (OPI_FIREWALL) and --bpffs (OPI_BPFFS). It sets their defaults in c.
func (c *Config) BindFlags(fs *flag.FlagSet) {
	fs.BoolVar(&c.IPsec, "ipsec", true, "serve IPsec on strongSwan")
	server.EnvVar(fs, "ipsec", "OPI_IPSEC")
	fs.StringVar(&c.VICISocket, "vici-socket", DefaultVICISocket, "strongSwan VICI socket: unix:///path, an absolute path or tcp://host:port")
	server.EnvVar(fs, "vici-socket", "OPI_VICI_SOCKET")
	fs.BoolVar(&c.Firewall, "firewall", true, "serve the XDP firewall; needs CAP_NET_ADMIN and CAP_SYS_ADMIN")
	server.EnvVar(fs, "firewall", "OPI_FIREWALL")
	fs.StringVar(&c.BPFFS, "bpffs", DefaultBPFFS, "bpffs directory for the firewall's pinned maps and XDP links; mounted if it is not on a bpffs")
	server.EnvVar(fs, "bpffs", "OPI_BPFFS")
}

// Program is the opi-security-bridge command for server.Main: the shared
// flags plus the bridge's own (Config.BindFlags), and a Setup that builds
// the bridge with opts, adds its services, starts its loops and hands
// Close to the server's cleanups, which run once the last call finished.
func Program(opts ...Option) server.Program {
	var cfg Config
	return server.Program{
		Name:        "opi-security-bridge",
		Description: "Serves IPsec on strongSwan (VICI) and a firewall in XDP (eBPF).",
		Flags:       cfg.BindFlags,
		Setup: func(ctx context.Context, s *server.Server, sc server.Config) error {
			c := cfg
			c.StateDir, c.Logger = sc.StateDir, s.Logger()
			b, err := New(c, opts...)
			if err != nil {
				return err
			}
			if err := s.Registerer().Register(b.Collector()); err != nil {
				return errors.Join(fmt.Errorf("registering the security metrics: %w", err), b.Close())
			}
			s.Cleanup(b.Close)
			s.DescribeBackend(b.Backend())
			for _, svc := range b.Services() {
				s.AddService(svc)
			}
			b.Start(ctx)
			return nil
		},
	}
}
