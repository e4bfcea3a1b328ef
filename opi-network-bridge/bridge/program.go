package bridge

import (
	"context"
	"flag"
	"fmt"
	"net/netip"

	"github.com/opi-suite/opi/opi-kit/server"

	"github.com/opi-suite/opi/opi-network-bridge/internal/frr"
	"github.com/opi-suite/opi/opi-network-bridge/internal/kernel"
)

// Program is the network bridge's command for server.Main: the shared
// flags plus the VTEP address and FRR's; Setup builds the bridge with opts
// (the kernel over netlink and FRR unless they replace them), registers its
// services and serves at once: resources read PENDING until the replay
// pass and the routing sync have confirmed them. Nothing is torn down on
// SIGTERM.
func Program(opts ...Option) server.Program {
	var (
		vtep, routerID                string
		useFRR                        bool
		asn                           uint
		vtyDir, confDir, runDir, base string
		vtysh, reload                 string
	)
	return server.Program{
		Name:        "opi-network-bridge",
		Description: "Serves the network API: an EVPN gateway on the Linux kernel (netlink) and FRR.",
		Flags: func(fs *flag.FlagSet) {
			str := func(p *string, name, env, def, usage string) {
				fs.StringVar(p, name, def, usage)
				server.EnvVar(fs, name, env)
			}
			str(&vtep, "vtep-ip", "OPI_VTEP_IP", "", "default local VTEP address of logical bridges and VRFs (an address of this host)")
			fs.BoolVar(&useFRR, "frr", true, "apply the EVPN configuration to FRR (false: local bridges only)")
			server.EnvVar(fs, "frr", "OPI_FRR")
			fs.UintVar(&asn, "bgp-asn", 0, "local BGP AS number, as in the base configuration's router bgp line (required with --frr)")
			server.EnvVar(fs, "bgp-asn", "OPI_BGP_ASN")
			str(&routerID, "router-id", "OPI_ROUTER_ID", "", "BGP router id (default: --vtep-ip)")
			str(&base, "frr-base-config", "OPI_FRR_BASE_CONFIG", "", "the operator's FRR configuration (underlay: router bgp, neighbors), read on every apply; the bridge adds the EVPN part")
			str(&vtyDir, "frr-vty-dir", "OPI_FRR_VTY_DIR", "", "directory of FRR's vty sockets (default FRR's)")
			str(&confDir, "frr-conf-dir", "OPI_FRR_CONF_DIR", "", "FRR's configuration directory (default /etc/frr)")
			str(&runDir, "frr-run-dir", "OPI_FRR_RUN_DIR", "", "directory for candidate configurations (default /var/run/frr)")
			str(&vtysh, "vtysh", "OPI_VTYSH", frr.DefaultVtysh, "vtysh's path")
			str(&reload, "frr-reload", "OPI_FRR_RELOAD", frr.DefaultReload, "frr-reload.py's path")
		},
		Setup: func(ctx context.Context, s *server.Server, cfg server.Config) error {
			var vtepIP, rid netip.Addr
			var err error
			if vtep != "" {
				if vtepIP, err = netip.ParseAddr(vtep); err != nil {
					return fmt.Errorf("--vtep-ip: %q is not an IP address", vtep)
				}
			}
			rid = vtepIP
			if routerID != "" {
				if rid, err = netip.ParseAddr(routerID); err != nil || !rid.Is4() {
					return fmt.Errorf("--router-id: %q is not an IPv4 address", routerID)
				}
			}
			var o options
			for _, opt := range opts {
				opt(&o)
			}
			all := append([]Option(nil), opts...)
			if o.kernel == nil {
				k, err := kernel.New(kernel.Config{DefaultVtepIP: vtepIP, Logger: s.Logger()})
				if err != nil {
					return err
				}
				all = append(all, WithKernel(k))
			}
			switch {
			case o.routing != nil || o.noRouting:
			case !useFRR:
				all = append(all, WithoutRouting())
			default:
				if asn == 0 || asn > 1<<32-1 {
					return fmt.Errorf("--bgp-asn (OPI_BGP_ASN) is required with FRR: the AS number of the base configuration's `router bgp`")
				}
				fo := []frr.Option{frr.WithBinaries(vtysh, reload)}
				for _, o := range []struct {
					set bool
					opt frr.Option
				}{
					{vtyDir != "", frr.WithVtySocketDir(vtyDir)}, {confDir != "", frr.WithConfDir(confDir)},
					{runDir != "", frr.WithRunDir(runDir)}, {rid.IsValid(), frr.WithRouterID(rid)}, {base != "", frr.WithBaseFile(base)},
				} {
					if o.set {
						fo = append(fo, o.opt)
					}
				}
				r, err := frr.New(uint32(asn), fo...)
				if err != nil {
					return err
				}
				all = append(all, WithRouting(r))
			}
			b, err := New(Config{StateDir: cfg.StateDir, VtepIP: vtepIP, Logger: s.Logger()}, all...)
			if err != nil {
				return err
			}
			s.Cleanup(b.Close)
			s.DescribeBackend(b.Backend())
			for _, svc := range b.Services() {
				s.AddService(svc)
			}
			b.Start(ctx)
			s.Registerer().MustRegister(b.Collector())
			f := b.Gateway().Features()
			s.Logger().Info("kernel features", "bridge", f.Bridge, "vxlan", f.VXLAN, "vrf", f.VRF, "vlan", f.VLAN, "vlan_filtering", f.VlanFiltering)
			return nil
		},
	}
}
