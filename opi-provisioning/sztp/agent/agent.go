// Package agent is the device side of secure zero-touch provisioning
// (RFC 8572): it tries each source of bootstrapping data in order,
// follows redirect information within the limits of section 5.3,
// validates signed data as section 5.4 requires (ownership voucher,
// owner certificate, conveyed information), and onboards (boot image,
// scripts, configuration) with progress reports to trusted servers only.
package agent

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

// DefaultMaxRedirects is the redirect bound; RFC 8572 section 5.3 says it
// SHOULD be no more than ten.
const DefaultMaxRedirects = 10

// Config is the device's preconfigured state (RFC 8572 section 5.1).
type Config struct {
	// Serial is the device's serial number, as in its IDevID.
	Serial string
	// IDevID is the TLS client certificate with its intermediates.
	IDevID tls.Certificate
	// Password, when set, is sent with HTTP basic authentication (user
	// Serial) to trusted bootstrap servers only.
	Password string
	// ServerTrustAnchors authenticate well-known bootstrap servers (item 4).
	ServerTrustAnchors []*x509.Certificate
	// ProvisionalRoots authenticate the TLS certificate of a server the
	// device does not trust for bootstrapping (see session); empty means
	// such servers are refused.
	ProvisionalRoots []*x509.Certificate
	// VoucherTrustAnchors authenticate ownership vouchers (item 5).
	VoucherTrustAnchors []*x509.Certificate
	// AcceptAssertions are the voucher assertions accepted; default all.
	AcceptAssertions []voucher.Assertion
	// HWModel, OSName and OSVersion describe the device to trusted
	// servers; OSName and OSVersion also say which boot image it runs.
	HWModel, OSName, OSVersion string
	// SignedDataPreferred makes the device ask for signed data and refuse
	// unsigned onboarding information even from a trusted server.
	SignedDataPreferred bool
	// Nonce makes the device send a fresh nonce and require it in the
	// voucher (RFC 8366 section 5.3).
	Nonce bool
	// MaxRedirects bounds the redirect depth; DefaultMaxRedirects if 0.
	MaxRedirects int
	// RequestTimeout bounds each HTTPS request; 30 s if 0.
	RequestTimeout time.Duration
	// MaxResponse bounds a bootstrap server's answer; 16 MiB if 0.
	MaxResponse int64
	// Device applies onboarding information.
	Device Device
	// Now is the device's clock; time.Now if nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// Agent runs the bootstrapping algorithm.
type Agent struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns an agent.
func New(cfg Config) (*Agent, error) {
	switch {
	case cfg.Serial == "":
		return nil, errors.New("agent: a serial number is required")
	case cfg.Device == nil:
		return nil, errors.New("agent: a Device to onboard is required")
	case len(cfg.IDevID.Certificate) == 0 && cfg.Password == "":
		return nil, errors.New("agent: an IDevID client certificate or a password is required (RFC 8572 section 5.3)")
	}
	if cfg.IDevID.Leaf == nil && len(cfg.IDevID.Certificate) > 0 {
		leaf, err := x509.ParseCertificate(cfg.IDevID.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("agent: IDevID: %w", err)
		}
		cfg.IDevID.Leaf = leaf
	}
	if l := cfg.IDevID.Leaf; l != nil && l.Subject.SerialNumber != "" && l.Subject.SerialNumber != cfg.Serial {
		// RFC 8572 section 5.3: a TLS client certificate and HTTP basic
		// must both identify the same serial number.
		return nil, fmt.Errorf("agent: serial number %q is not the IDevID's %q", cfg.Serial, l.Subject.SerialNumber)
	}
	if cfg.MaxRedirects <= 0 {
		cfg.MaxRedirects = DefaultMaxRedirects
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Agent{cfg: cfg, log: log}, nil
}

func (a *Agent) now() time.Time {
	if a.cfg.Now != nil {
		return a.cfg.Now()
	}
	return time.Now()
}

func (a *Agent) requestTimeout() time.Duration {
	if a.cfg.RequestTimeout > 0 {
		return a.cfg.RequestTimeout
	}
	return 30 * time.Second
}

// Source is one source of bootstrapping data: a list of bootstrap servers
// (configured, DHCP, DNS SRV) or artifacts found directly (DNS TXT).
type Source struct {
	Name      string
	Servers   []discovery.Server
	Artifacts *discovery.Artifacts
}

// Result is a successful bootstrap.
type Result struct {
	Source  string           // the source that led to it
	Server  discovery.Server // the server that gave the onboarding information; zero for DNS
	Trusted bool             // whether that server was trusted (progress reports were sent)
	Signed  bool             // whether the onboarding information was signed
	Reboot  bool             // a boot image was installed; the device must reboot
	Path    []string         // the servers visited, redirects included
}

// Run tries each source in order (RFC 8572 section 5.2) and returns the
// first bootstrap; when none succeeds the error joins every reason.
func (a *Agent) Run(ctx context.Context, sources []Source) (*Result, error) {
	var errs []error
	for _, src := range sources {
		res, err := a.runSource(ctx, src)
		if err == nil {
			res.Source = src.Name
			return res, nil
		}
		a.log.Warn("sztp: source did not bootstrap", "source", src.Name, "error", err)
		errs = append(errs, fmt.Errorf("%s: %w", src.Name, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("%w: %w", ErrNoBootstrap, errors.Join(errs...))
}

func (a *Agent) runSource(ctx context.Context, src Source) (*Result, error) {
	if src.Artifacts != nil {
		// Artifacts found in DNS come from an untrusted source: only
		// signed data or unsigned redirect information will do.
		art := artifacts{conveyed: src.Artifacts.ConveyedInformation, ownerCert: src.Artifacts.OwnerCertificate, voucher: src.Artifacts.OwnershipVoucher}
		v, err := a.verifyArtifacts(art, nil)
		if err != nil {
			return nil, err
		}
		return a.process(ctx, v, nil, &walk{})
	}
	if len(src.Servers) == 0 {
		return nil, errors.New("no bootstrap server")
	}
	// A server list from a source is redirect information from an
	// untrusted source: no trust anchors come with it.
	return a.redirect(ctx, redirectTargets(src.Servers), false, &walk{})
}

// walk is the state of one chain of redirects: its depth and the servers
// on it, to refuse loops.
type walk struct {
	depth int
	path  []string
}

func (w *walk) with(s discovery.Server) (*walk, error) {
	key := s.URL()
	for _, p := range w.path {
		if p == key {
			return nil, fmt.Errorf("%w: redirect loop: %s is already on the path %v", ErrRedirect, key, w.path)
		}
	}
	return &walk{depth: w.depth, path: append(append([]string(nil), w.path...), key)}, nil
}

type target struct {
	server discovery.Server
	anchor []*x509.Certificate
}

func redirectTargets(servers []discovery.Server) []target {
	out := make([]target, len(servers))
	for i, s := range servers {
		out[i] = target{server: s}
	}
	return out
}

// redirect steps through a list of bootstrap servers until one
// bootstraps the device (RFC 8572 section 5.5). Trust anchors are used
// only when the redirect information is trusted.
func (a *Agent) redirect(ctx context.Context, targets []target, trusted bool, w *walk) (*Result, error) {
	var errs []error
	for _, t := range targets {
		w2, err := w.with(t.server)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var learned []*x509.Certificate
		if trusted {
			learned = t.anchor
		}
		res, err := a.fromServer(ctx, t.server, learned, w2)
		if err == nil {
			return res, nil
		}
		a.log.Info("sztp: bootstrap server did not bootstrap the device", "server", t.server.URL(), "error", err)
		errs = append(errs, fmt.Errorf("%s: %w", t.server, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

func (a *Agent) fromServer(ctx context.Context, s discovery.Server, learned []*x509.Certificate, w *walk) (*Result, error) {
	var nonce []byte
	if a.cfg.Nonce {
		nonce = make([]byte, sztp.MaxNonce)
		_, _ = rand.Read(nonce)
	}
	sess, out, err := a.open(ctx, s, learned, nonce)
	if err != nil {
		return nil, err
	}
	art := artifacts{conveyed: out.ConveyedInformation, ownerCert: out.OwnerCertificate, voucher: out.OwnershipVoucher}
	v, err := a.verifyArtifacts(art, nonce)
	if err != nil {
		if sess.trusted && errors.Is(err, ErrConveyedInfo) {
			_ = sess.report(ctx, "parsing-error", err.Error())
		}
		return nil, err
	}
	return a.process(ctx, v, &serverContext{sess: sess, verbose: out.ReportingLevel == "verbose"}, w)
}

// serverContext is the bootstrap server the conveyed information came
// from, nil for DNS.
type serverContext struct {
	sess    *session
	verbose bool
}

// process acts on verified conveyed information with the trust-state of
// RFC 8572 section 5.3: TRUE when it came from a trusted server or was
// signed and validated.
func (a *Agent) process(ctx context.Context, v *verified, from *serverContext, w *walk) (*Result, error) {
	trustState := v.signed || (from != nil && from.sess.trusted)
	switch {
	case v.info.Redirect != nil:
		if w.depth >= a.cfg.MaxRedirects {
			return nil, fmt.Errorf("%w: more than %d redirects", ErrRedirect, a.cfg.MaxRedirects)
		}
		targets := make([]target, 0, len(v.info.Redirect.BootstrapServers))
		for _, b := range v.info.Redirect.BootstrapServers {
			s, err := discovery.ParseServerURI("https://" + net.JoinHostPort(b.Address, strconv.Itoa(int(b.PortOrDefault()))))
			if err != nil {
				a.log.Warn("sztp: redirect entry ignored", "address", b.Address, "error", err)
				continue
			}
			t := target{server: s}
			if trustState && b.TrustAnchor != nil {
				certs, err := cms.ParseDegenerate(b.TrustAnchor)
				if err != nil {
					return nil, fmt.Errorf("%w: trust anchor of %s: %v", ErrRedirect, s, err)
				}
				t.anchor = certs
			}
			targets = append(targets, t)
		}
		if len(targets) == 0 {
			return nil, fmt.Errorf("%w: no usable bootstrap server in the redirect information", ErrRedirect)
		}
		return a.redirect(ctx, targets, trustState, &walk{depth: w.depth + 1, path: w.path})
	case v.info.Onboarding != nil:
		if !trustState {
			return nil, fmt.Errorf("%w: onboarding information from an untrusted source must be signed", ErrUnsignedRefused)
		}
		if !v.signed && a.cfg.SignedDataPreferred {
			return nil, fmt.Errorf("%w: the device prefers signed data and the onboarding information is unsigned", ErrUnsignedRefused)
		}
		res := &Result{Signed: v.signed, Path: w.path}
		var rep reporter = noReports{}
		if from != nil {
			res.Server, res.Trusted = from.sess.server, from.sess.trusted
			if from.sess.trusted {
				rep = &progress{sess: from.sess, isVerbose: from.verbose}
			}
		}
		reboot, err := a.onboard(ctx, v.info.Onboarding, rep)
		if err != nil {
			return nil, err
		}
		res.Reboot = reboot
		return res, nil
	}
	return nil, fmt.Errorf("%w: neither redirect nor onboarding information", ErrConveyedInfo)
}
