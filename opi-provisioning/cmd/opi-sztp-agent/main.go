// Command opi-sztp-agent bootstraps a device by secure zero-touch
// provisioning (RFC 8572): it discovers bootstrap servers (DHCPv4 option
// 143, DHCPv6 option 136, DNS, a configured list), verifies what they
// send, and onboards. See the module README for every flag.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp/agent"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// list is a repeatable flag; commas also separate values.
type list []string

func (l *list) String() string { return strings.Join(*l, ",") }
func (l *list) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

type options struct {
	serial, idevidCert, idevidKey, passwordFile     string
	serverAnchors, provisionalRoots, voucherAnchors string
	servers, dhcpIfs, dnsDomains, dnsServers        list
	noDHCPv6, mdns, signedPreferred, nonce, once    bool
	dir, osName, osVersion, hwModel, logLevel       string
	maxRedirects                                    int
	retry, dhcpTimeout                              time.Duration
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("opi-sztp-agent", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.serial, "serial", "", "device serial number (default: the IDevID's subject serialNumber)")
	fs.StringVar(&o.idevidCert, "idevid-cert", "", "PEM file: the IDevID TLS client certificate, then its intermediates")
	fs.StringVar(&o.idevidKey, "idevid-key", "", "PEM file: the IDevID private key")
	fs.StringVar(&o.passwordFile, "password-file", "", "file holding the HTTP basic password (sent to trusted servers only)")
	fs.StringVar(&o.serverAnchors, "server-trust-anchors", "", "PEM file: trust anchors of bootstrap servers")
	fs.StringVar(&o.provisionalRoots, "provisional-roots", "", "PEM file: roots an untrusted server must still chain to, e.g. /etc/ssl/certs/ca-certificates.crt (none: untrusted servers are refused)")
	fs.StringVar(&o.voucherAnchors, "voucher-trust-anchors", "", "PEM file: manufacturer trust anchors for ownership vouchers")
	fs.Var(&o.servers, "bootstrap-server", "a well-known bootstrap server, https://host[:port] (repeatable)")
	fs.Var(&o.dhcpIfs, "dhcp-interface", "interface to ask DHCPv4 (option 143) and DHCPv6 (option 136) on (repeatable)")
	fs.BoolVar(&o.noDHCPv6, "no-dhcpv6", false, "skip DHCPv6")
	fs.Var(&o.dnsDomains, "dns-domain", "domain for DNS discovery (repeatable; DHCP's domain is added)")
	fs.Var(&o.dnsServers, "dns-server", "DNS server host[:port] for DNS discovery (repeatable; DHCP's servers are added)")
	fs.BoolVar(&o.mdns, "mdns", false, "also query multicast DNS (.local) before unicast DNS")
	fs.StringVar(&o.dir, "dir", "/var/lib/opi-sztp", "device directory: config, config.prev, boot-image, staging/")
	fs.StringVar(&o.osName, "os-name", "", "running OS name")
	fs.StringVar(&o.osVersion, "os-version", "", "running OS version")
	fs.StringVar(&o.hwModel, "hw-model", "", "hardware model")
	fs.BoolVar(&o.signedPreferred, "signed-data-preferred", false, "ask for signed data and refuse unsigned onboarding information")
	fs.BoolVar(&o.nonce, "nonce", false, "send a nonce and require it in the voucher")
	fs.IntVar(&o.maxRedirects, "max-redirects", agent.DefaultMaxRedirects, "redirect depth bound")
	fs.BoolVar(&o.once, "once", false, "one pass over the sources; exit 1 if none bootstraps")
	fs.DurationVar(&o.retry, "retry-interval", 30*time.Second, "pause between passes (RFC 8572 section 5.2 loops until it bootstraps)")
	fs.DurationVar(&o.dhcpTimeout, "dhcp-timeout", 15*time.Second, "bound on each DHCP exchange")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		fmt.Fprintln(stderr, "opi-sztp-agent: --log-level:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	cfg, err := o.config(log)
	if err != nil {
		fmt.Fprintln(stderr, "opi-sztp-agent:", err)
		return 2
	}
	a, err := agent.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "opi-sztp-agent:", err)
		return 2
	}
	for {
		res, err := a.Run(ctx, o.sources(ctx, cfg.Serial, log))
		if err == nil {
			_ = json.NewEncoder(stdout).Encode(map[string]any{
				"source": res.Source, "server": res.Server.URL(), "trusted": res.Trusted,
				"signed": res.Signed, "reboot": res.Reboot, "path": res.Path,
			})
			return 0
		}
		log.Error("sztp: bootstrapping failed", "error", err)
		if o.once || ctx.Err() != nil {
			return 1
		}
		select {
		case <-ctx.Done():
			return 1
		case <-time.After(o.retry):
		}
	}
}

func (o *options) config(log *slog.Logger) (agent.Config, error) {
	cfg := agent.Config{
		Serial: o.serial, OSName: o.osName, OSVersion: o.osVersion, HWModel: o.hwModel,
		SignedDataPreferred: o.signedPreferred, Nonce: o.nonce, MaxRedirects: o.maxRedirects,
		Device: &agent.FileDevice{Dir: o.dir}, Logger: log,
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return cfg, err
	}
	if o.idevidCert != "" || o.idevidKey != "" {
		c, err := tls.LoadX509KeyPair(o.idevidCert, o.idevidKey)
		if err != nil {
			return cfg, fmt.Errorf("IDevID: %w", err)
		}
		cfg.IDevID = c
		if cfg.Serial == "" && c.Leaf != nil {
			cfg.Serial = c.Leaf.Subject.SerialNumber
		}
	}
	if o.passwordFile != "" {
		b, err := os.ReadFile(o.passwordFile)
		if err != nil {
			return cfg, err
		}
		cfg.Password = strings.TrimSpace(string(b))
	}
	var err error
	if cfg.ServerTrustAnchors, err = readPEM(o.serverAnchors); err != nil {
		return cfg, err
	}
	if cfg.VoucherTrustAnchors, err = readPEM(o.voucherAnchors); err != nil {
		return cfg, err
	}
	if cfg.ProvisionalRoots, err = readPEM(o.provisionalRoots); err != nil {
		return cfg, err
	}
	if _, err := discovery.ParseConfigured(o.servers); err != nil {
		return cfg, fmt.Errorf("--bootstrap-server: %w", err)
	}
	if len(o.servers) == 0 && len(o.dhcpIfs) == 0 && len(o.dnsDomains) == 0 {
		return cfg, errors.New("no source of bootstrapping data: give --bootstrap-server, --dhcp-interface or --dns-domain")
	}
	return cfg, nil
}

// readPEM reads the certificates of a PEM file; an empty path gives none.
func readPEM(path string) ([]*x509.Certificate, error) {
	if path == "" {
		return nil, nil
	}
	return bootstrap.LoadCertificates(path)
}

// sources gathers the sources of one pass, local ones first (RFC 8572
// section 9.7): DHCPv4 and DHCPv6 on each interface, DNS in the order of
// section 4.2, then the configured list.
func (o *options) sources(ctx context.Context, serial string, log *slog.Logger) []agent.Source {
	var out []agent.Source
	domains := append([]string(nil), o.dnsDomains...)
	servers := append([]string(nil), o.dnsServers...)
	for _, ifname := range o.dhcpIfs {
		dctx, cancel := context.WithTimeout(ctx, o.dhcpTimeout)
		lease, err := (&discovery.Client4{Interface: ifname}).Lease(dctx)
		cancel()
		switch {
		case err != nil:
			log.Warn("sztp: DHCPv4", "interface", ifname, "error", err)
		case lease.SZTPErr != nil:
			log.Warn("sztp: DHCPv4 option 143 discarded", "interface", ifname, "error", lease.SZTPErr)
		default:
			for _, e := range lease.SZTP.Ignored {
				log.Warn("sztp: DHCPv4 option 143 entry ignored", "interface", ifname, "error", e)
			}
			if lease.HasSZTP {
				out = append(out, agent.Source{Name: "dhcpv4 " + ifname, Servers: lease.SZTP.Servers})
			}
		}
		if err == nil {
			if lease.Domain != "" {
				domains = append(domains, lease.Domain)
			}
			for _, d := range lease.DNS {
				servers = append(servers, net.JoinHostPort(d.String(), "53"))
			}
		}
		if o.noDHCPv6 {
			continue
		}
		dctx, cancel = context.WithTimeout(ctx, o.dhcpTimeout)
		info, err := (&discovery.Client6{Interface: ifname}).Info(dctx)
		cancel()
		switch {
		case err != nil:
			log.Warn("sztp: DHCPv6", "interface", ifname, "error", err)
		case info.SZTPErr != nil:
			log.Warn("sztp: DHCPv6 option 136 discarded", "interface", ifname, "error", info.SZTPErr)
		case info.HasSZTP:
			out = append(out, agent.Source{Name: "dhcpv6 " + ifname, Servers: info.SZTP.Servers})
		}
	}
	for i, s := range servers {
		if _, _, err := net.SplitHostPort(s); err != nil {
			servers[i] = net.JoinHostPort(s, strconv.Itoa(53))
		}
	}
	if len(domains) > 0 && (len(servers) > 0 || o.mdns) {
		d := &discovery.DNS{Serial: serial, Domains: domains, Servers: servers, NoMulticast: !o.mdns}
		for _, l := range d.Lookups() {
			ans, err := d.Lookup(ctx, l)
			if err != nil {
				log.Debug("sztp: DNS", "lookup", l.String(), "error", err)
				continue
			}
			out = append(out, agent.Source{Name: "dns " + l.String(), Servers: ans.Servers, Artifacts: ans.Artifacts})
		}
	}
	if len(o.servers) > 0 {
		s, _ := discovery.ParseConfigured(o.servers)
		out = append(out, agent.Source{Name: "configured", Servers: s})
	}
	return out
}
