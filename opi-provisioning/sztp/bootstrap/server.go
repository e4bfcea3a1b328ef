// Package bootstrap is an RFC 8572 bootstrap server: the RESTCONF RPCs
// get-bootstrapping-data and report-progress over HTTPS, in JSON. A device
// authenticates with its IDevID (a TLS client certificate issued by a
// manufacturer CA, the serial number in the subject's serialNumber) or with
// HTTP basic (the serial number as user name); the serial number always
// comes from that identity, never from the request. The server signs the
// conveyed information with the owner's key, conveys the owner certificate
// as a degenerate CMS and issues an ownership voucher (with the device's
// nonce) from the manufacturer's key; it never sends unsigned data to a
// device that prefers signed data, and logs every request and progress
// report to an audit log.
//
// A redirect server is the same server with devices assigned redirect
// information.
package bootstrap

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

// Limits of the HTTP server.
const (
	// MaxBody bounds a request body: the RPC inputs are small.
	MaxBody        = 64 << 10
	MaxHeaderBytes = 16 << 10
)

// Timeouts of the HTTP server (variables so that tests can shorten them).
var (
	// ReadTimeout bounds reading one request, body included, so a slow
	// client cannot hold a connection; ReadHeaderTimeout the headers.
	ReadTimeout       = 30 * time.Second
	ReadHeaderTimeout = 10 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 2 * time.Minute
)

// Device is what the server knows of one device.
type Device struct {
	Serial string
	// PasswordHash (HashPassword) lets the device use HTTP basic; empty,
	// it must present its IDevID.
	PasswordHash string
	// CertificateSHA256, if set, pins the device's IDevID: only that
	// certificate authenticates it.
	CertificateSHA256 []byte
	// Conveyed is the redirect or onboarding information it gets.
	Conveyed *sztp.ConveyedInformation
	// Voucher says how its ownership vouchers are issued.
	Voucher VoucherPolicy
	// ReportingLevel is "minimal", "verbose" or empty (left out).
	ReportingLevel string
}

// VoucherPolicy says how vouchers are issued for a device.
type VoucherPolicy struct {
	// Assertion; empty means voucher.Verified.
	Assertion voucher.Assertion
	// Validity sets expires-on to created-on plus Validity; 0 leaves
	// expires-on out (RFC 8366 allows it for nonceful vouchers).
	Validity time.Duration
}

// ErrUnknownDevice is what Devices.Device returns for a serial number it
// does not hold.
var ErrUnknownDevice = errors.New("unknown device")

// Devices is the device registry the server reads.
type Devices interface {
	// Device returns the device with this serial number, or an error
	// wrapping ErrUnknownDevice.
	Device(ctx context.Context, serial string) (*Device, error)
	// RecordProgress records a progress report of the device.
	RecordProgress(ctx context.Context, serial string, report *sztp.ReportProgressInput, at time.Time) error
}

// Signer is a certificate with its key and issuers (nearest first).
type Signer struct {
	Cert  *x509.Certificate
	Key   crypto.Signer
	Chain []*x509.Certificate
}

// Option configures New.
type Option func(*Server)

// WithOwner signs conveyed information with the owner's key and conveys
// the owner certificate. Without it the server sends only unsigned data,
// and refuses devices that prefer signed data.
func WithOwner(s *Signer) Option { return func(srv *Server) { srv.owner = s } }

// WithMASA issues ownership vouchers with the manufacturer's key.
func WithMASA(s *Signer) Option { return func(srv *Server) { srv.masa = s } }

// WithPinnedDomainCert is the certificate vouchers pin (default: the root
// of the owner's chain, or the owner certificate itself).
func WithPinnedDomainCert(c *x509.Certificate) Option {
	return func(srv *Server) { srv.pinned = c }
}

// WithManufacturers are the trust anchors of IDevIDs.
func WithManufacturers(certs ...*x509.Certificate) Option {
	return func(srv *Server) { srv.manufacturers = certs }
}

// WithAudit sets the audit logger (default slog.Default()).
func WithAudit(l *slog.Logger) Option { return func(srv *Server) { srv.audit = l } }

// WithClock sets the clock (tests).
func WithClock(now func() time.Time) Option { return func(srv *Server) { srv.now = now } }

// Server is the bootstrap server's HTTP handler.
type Server struct {
	devices       Devices
	owner, masa   *Signer
	pinned        *x509.Certificate
	manufacturers []*x509.Certificate
	audit         *slog.Logger
	now           func() time.Time
	ownerCert     []byte // degenerate CMS of the owner certificate and chain
	mux           *http.ServeMux
	passwordSlots chan struct{}
}

// New returns a bootstrap server over devices.
func New(devices Devices, opts ...Option) (*Server, error) {
	s := &Server{devices: devices, audit: slog.Default(), now: time.Now,
		passwordSlots: make(chan struct{}, runtime.GOMAXPROCS(0))}
	for _, o := range opts {
		o(s)
	}
	if s.owner != nil {
		if s.owner.Cert == nil || s.owner.Key == nil {
			return nil, errors.New("bootstrap: owner needs a certificate and a key")
		}
		der, err := cms.Degenerate(append([]*x509.Certificate{s.owner.Cert}, s.owner.Chain...)...)
		if err != nil {
			return nil, err
		}
		s.ownerCert = der
		if s.pinned == nil {
			s.pinned = s.owner.Cert
			if n := len(s.owner.Chain); n > 0 {
				s.pinned = s.owner.Chain[n-1]
			}
		}
		if _, err := cms.VerifyCertificate(s.owner.Cert, s.owner.Chain, []*x509.Certificate{s.pinned}, s.now()); err != nil {
			return nil, fmt.Errorf("bootstrap: the owner certificate does not chain to the pinned domain certificate: %w", err)
		}
	}
	if s.masa != nil && (s.masa.Cert == nil || s.masa.Key == nil) {
		return nil, errors.New("bootstrap: MASA needs a certificate and a key")
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc(sztp.GetBootstrappingDataPath, s.getBootstrappingData)
	s.mux.HandleFunc(sztp.ReportProgressPath, s.reportProgress)
	return s, nil
}

// TLSConfig returns the TLS configuration to serve with cert: TLS 1.2 or
// later, client certificates requested and, when sent, verified against
// the manufacturers' anchors.
func (s *Server) TLSConfig(cert tls.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	for _, c := range s.manufacturers {
		pool.AddCert(c)
	}
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
	}
}

// HTTPServer returns an http.Server for the handler with the package's
// timeouts and header limit, serving TLS with cert.
func (s *Server) HTTPServer(addr string, cert tls.Certificate) *http.Server {
	return &http.Server{
		Addr: addr, Handler: s, TLSConfig: s.TLSConfig(cert),
		ReadHeaderTimeout: ReadHeaderTimeout, ReadTimeout: ReadTimeout,
		WriteTimeout: WriteTimeout, IdleTimeout: IdleTimeout, MaxHeaderBytes: MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(s.audit.Handler(), slog.LevelWarn),
	}
}

// hostMeta is the RESTCONF root resource discovery document (RFC 8040
// section 3.1, RFC 6415): the API is under /restconf.
const hostMeta = `<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0"><Link rel="restconf" href="/restconf"/></XRD>`

// ServeHTTP serves the two RPCs and the root resource discovery document;
// anything else is a RESTCONF 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.well-known/host-meta" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		w.Header().Set("Content-Type", "application/xrd+xml")
		_, _ = io.WriteString(w, hostMeta)
		return
	}
	if r.URL.Path != sztp.GetBootstrappingDataPath && r.URL.Path != sztp.ReportProgressPath {
		s.fail(w, r, caller{}, "unknown", &rpcError{http.StatusNotFound, sztp.TagInvalidValue, "no such resource"})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// rpcError is a RESTCONF error with its HTTP status.
type rpcError struct {
	status int
	tag    string
	msg    string
}

func (e *rpcError) Error() string { return e.msg }

func errorType(tag string) string {
	switch tag {
	case sztp.TagAccessDenied, sztp.TagMalformedMessage, sztp.TagOperationNotSupp:
		return "protocol"
	case sztp.TagTooBig:
		return "transport"
	}
	return "application"
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, c caller, rpc string, e *rpcError) {
	h := w.Header()
	h.Set("Content-Type", sztp.MediaType)
	switch e.status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Basic realm="sztp", charset="UTF-8"`)
	case http.StatusMethodNotAllowed:
		h.Set("Allow", http.MethodPost)
	}
	w.WriteHeader(e.status)
	_, _ = w.Write(sztp.MarshalErrors(sztp.RESTCONFError{ErrorType: errorType(e.tag), ErrorTag: e.tag, ErrorMessage: e.msg}))
	s.audit.LogAttrs(r.Context(), slog.LevelWarn, "sztp request refused",
		slog.String("rpc", rpc), slog.String("serial", c.claimed), slog.String("auth", c.method), slog.String("remote", r.RemoteAddr),
		slog.Int("status", e.status), slog.String("error_tag", e.tag), slog.String("reason", e.msg))
}

// caller is who a request is from: the device once authenticated, the
// method, and the serial number it claimed (for the audit log of refusals).
type caller struct {
	dev     *Device
	method  string // "idevid" or "basic"
	claimed string
	// idevidIssuer is the IDevID's authority key identifier, for the
	// voucher's idevid-issuer (RFC 8366); nil with HTTP basic.
	idevidIssuer []byte
}

// authenticate returns the device the request is from: by IDevID when
// the client presented one, else by HTTP basic. The serial number is the
// identity's, never the request body's.
func (s *Server) authenticate(r *http.Request) (caller, *rpcError) {
	var c caller
	if r.TLS == nil {
		return c, &rpcError{http.StatusForbidden, sztp.TagAccessDenied, "the bootstrap server is served over TLS only"}
	}
	if len(r.TLS.PeerCertificates) > 0 {
		leaf := r.TLS.PeerCertificates[0]
		c.method, c.claimed = "idevid", leaf.Subject.SerialNumber
		if _, err := cms.VerifyCertificate(leaf, r.TLS.PeerCertificates[1:], s.manufacturers, s.now()); err != nil {
			return c, &rpcError{http.StatusUnauthorized, sztp.TagAccessDenied, "client certificate is not an IDevID of a trusted manufacturer"}
		}
		if c.claimed == "" {
			return c, &rpcError{http.StatusForbidden, sztp.TagAccessDenied, "IDevID has no serialNumber in its subject"}
		}
		d, err := s.devices.Device(r.Context(), c.claimed)
		if err != nil {
			return c, s.lookupError(err, c.claimed)
		}
		if len(d.CertificateSHA256) > 0 {
			sum := sha256.Sum256(leaf.Raw)
			if subtle.ConstantTimeCompare(sum[:], d.CertificateSHA256) != 1 {
				return c, &rpcError{http.StatusForbidden, sztp.TagAccessDenied, "IDevID is not the one registered for this device"}
			}
		}
		c.dev, c.idevidIssuer = d, leaf.AuthorityKeyId
		return c, nil
	}
	user, password, ok := r.BasicAuth()
	if !ok {
		return c, &rpcError{http.StatusUnauthorized, sztp.TagAccessDenied, "authentication required: an IDevID client certificate or HTTP basic"}
	}
	c.method, c.claimed = "basic", user
	wrong := &rpcError{http.StatusUnauthorized, sztp.TagAccessDenied, "wrong serial number or password"}
	d, err := s.devices.Device(r.Context(), user)
	if err != nil && !errors.Is(err, ErrUnknownDevice) {
		return c, s.lookupError(err, user)
	}
	hash := dummyHash() // an unknown device costs as much as a wrong password
	if err == nil && d.PasswordHash != "" {
		hash = d.PasswordHash
	}
	match, rerr := s.verifyPassword(r, hash, password)
	switch {
	case rerr != nil:
		return c, rerr
	case err != nil || d.PasswordHash == "" || !match:
		return c, wrong
	}
	c.dev = d
	return c, nil
}

// verifyPassword runs the deliberately slow hash comparison in one of a
// bounded number of slots, so that a flood of guesses cannot take every
// CPU from the devices that authenticate by certificate.
func (s *Server) verifyPassword(r *http.Request, hash, password string) (bool, *rpcError) {
	select {
	case s.passwordSlots <- struct{}{}:
	case <-r.Context().Done():
		return false, &rpcError{http.StatusServiceUnavailable, sztp.TagOperationFailed, "too many password checks at once"}
	}
	defer func() { <-s.passwordSlots }()
	return checkPassword(hash, password), nil
}

func (s *Server) lookupError(err error, serial string) *rpcError {
	if errors.Is(err, ErrUnknownDevice) {
		return &rpcError{http.StatusForbidden, sztp.TagAccessDenied, "no bootstrapping data for this device"}
	}
	s.audit.Error("sztp device registry", slog.String("serial", serial), slog.String("error", err.Error()))
	return &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed, "device registry unavailable"}
}

// admit checks the method, media types and declared size, authenticates
// the device (before reading a body: an unknown client gets nothing read),
// then reads the bounded body.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, bodyRequired bool) (caller, []byte, *rpcError) {
	if r.Method != http.MethodPost {
		return caller{}, nil, &rpcError{http.StatusMethodNotAllowed, sztp.TagOperationNotSupp, "RPCs are invoked with POST"}
	}
	if !acceptable(r.Header.Values("Accept")) {
		return caller{}, nil, &rpcError{http.StatusNotAcceptable, sztp.TagInvalidValue, "the reply is " + sztp.MediaType}
	}
	if r.ContentLength > MaxBody {
		return caller{}, nil, &rpcError{http.StatusRequestEntityTooLarge, sztp.TagTooBig, fmt.Sprintf("request body over %d bytes", MaxBody)}
	}
	c, rerr := s.authenticate(r)
	if rerr != nil {
		return c, nil, rerr
	}
	body, rerr := readBody(w, r, bodyRequired)
	return c, body, rerr
}

// readBody reads at most MaxBody bytes of a yang-data+json body.
func readBody(w http.ResponseWriter, r *http.Request, bodyRequired bool) ([]byte, *rpcError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &rpcError{http.StatusRequestEntityTooLarge, sztp.TagTooBig, fmt.Sprintf("request body over %d bytes", MaxBody)}
		}
		return nil, &rpcError{http.StatusBadRequest, sztp.TagMalformedMessage, "reading the request body failed"}
	}
	if len(body) == 0 {
		if bodyRequired {
			return nil, &rpcError{http.StatusBadRequest, sztp.TagMalformedMessage, "the RPC needs input"}
		}
		return nil, nil
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != sztp.MediaType && mt != "application/json") {
		return nil, &rpcError{http.StatusUnsupportedMediaType, sztp.TagInvalidValue, "request body must be " + sztp.MediaType}
	}
	return body, nil
}

// acceptable says whether the Accept headers admit a yang-data+json reply.
func acceptable(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || params["q"] == "0" {
				continue
			}
			switch mt {
			case "*/*", "application/*", sztp.MediaType, "application/json":
				return true
			}
		}
	}
	return false
}

func (s *Server) getBootstrappingData(w http.ResponseWriter, r *http.Request) {
	const rpc = "get-bootstrapping-data"
	c, body, rerr := s.admit(w, r, false)
	if rerr != nil {
		s.fail(w, r, c, rpc, rerr)
		return
	}
	dev := c.dev
	in, err := sztp.ParseGetBootstrappingDataInput(body)
	if err != nil {
		s.fail(w, r, c, rpc, &rpcError{http.StatusBadRequest, sztp.TagInvalidValue, err.Error()})
		return
	}
	out, kind, vouchered, rerr := s.respond(c, in)
	if rerr != nil {
		s.fail(w, r, c, rpc, rerr)
		return
	}
	reply, err := out.Marshal()
	if err != nil {
		s.fail(w, r, c, rpc, &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed, "encoding the reply failed"})
		return
	}
	w.Header().Set("Content-Type", sztp.MediaType)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(reply)
	s.audit.LogAttrs(r.Context(), slog.LevelInfo, "sztp bootstrapping data sent",
		slog.String("rpc", rpc), slog.String("serial", dev.Serial), slog.String("auth", c.method),
		slog.String("remote", r.RemoteAddr), slog.Int("status", http.StatusOK),
		slog.String("information", kind), slog.Bool("signed", s.owner != nil),
		slog.Bool("signed_data_preferred", in.SignedDataPreferred), slog.Bool("voucher", vouchered),
		slog.Bool("nonce", in.Nonce != nil), slog.String("hw_model", in.HWModel),
		slog.String("os_name", in.OSName), slog.String("os_version", in.OSVersion))
}

// respond builds the reply for dev: signed when the server holds the
// owner's key, with the owner certificate and a fresh voucher.
func (s *Server) respond(c caller, in *sztp.GetBootstrappingDataInput) (*sztp.GetBootstrappingDataOutput, string, bool, *rpcError) {
	dev := c.dev
	if dev.Conveyed == nil {
		return nil, "", false, &rpcError{http.StatusForbidden, sztp.TagAccessDenied, "no bootstrapping data assigned to this device"}
	}
	kind := "onboarding"
	if dev.Conveyed.Redirect != nil {
		kind = "redirect"
	}
	doc, err := dev.Conveyed.Marshal()
	if err != nil {
		return nil, kind, false, &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed, "the device's conveyed information is invalid"}
	}
	out := &sztp.GetBootstrappingDataOutput{ReportingLevel: dev.ReportingLevel}
	if s.owner == nil {
		if in.SignedDataPreferred {
			return nil, kind, false, &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed,
				"the device prefers signed data and this server holds no owner key"}
		}
		if out.ConveyedInformation, err = cms.Encapsulate(cms.OIDConveyedInfoJSON, doc); err != nil {
			return nil, kind, false, &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed, "encoding failed"}
		}
		return out, kind, false, nil
	}
	if s.masa == nil {
		// Signed data without a voucher cannot be verified by a device.
		return nil, kind, false, &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed,
			"this server holds no manufacturer key to issue an ownership voucher"}
	}
	if out.ConveyedInformation, err = sztp.SignConveyedInformation(doc, s.owner.Cert, s.owner.Key, s.owner.Chain...); err != nil {
		return nil, kind, false, &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed, "signing failed"}
	}
	now := s.now().UTC().Truncate(time.Second)
	v := &voucher.Voucher{
		CreatedOn: now, Assertion: dev.Voucher.Assertion, SerialNumber: dev.Serial,
		PinnedDomainCert: s.pinned.Raw, Nonce: in.Nonce, IDevIDIssuer: c.idevidIssuer,
	}
	if v.Assertion == "" {
		v.Assertion = voucher.Verified
	}
	if dev.Voucher.Validity > 0 {
		v.ExpiresOn = now.Add(dev.Voucher.Validity)
	}
	if out.OwnershipVoucher, err = voucher.Sign(v, s.masa.Cert, s.masa.Key, s.masa.Chain...); err != nil {
		return nil, kind, false, &rpcError{http.StatusInternalServerError, sztp.TagOperationFailed, "issuing the voucher failed"}
	}
	out.OwnerCertificate = s.ownerCert
	return out, kind, true, nil
}

func (s *Server) reportProgress(w http.ResponseWriter, r *http.Request) {
	const rpc = "report-progress"
	c, body, rerr := s.admit(w, r, true)
	if rerr != nil {
		s.fail(w, r, c, rpc, rerr)
		return
	}
	dev := c.dev
	in, err := sztp.ParseReportProgressInput(body)
	if err != nil {
		s.fail(w, r, c, rpc, &rpcError{http.StatusBadRequest, sztp.TagInvalidValue, err.Error()})
		return
	}
	if err := s.devices.RecordProgress(r.Context(), dev.Serial, in, s.now()); err != nil {
		s.fail(w, r, c, rpc, s.lookupError(err, dev.Serial))
		return
	}
	w.WriteHeader(http.StatusNoContent)
	hostKeys, anchors := 0, 0
	if in.SSHHostKeys != nil {
		hostKeys = len(in.SSHHostKeys.SSHHostKey)
	}
	if in.TrustAnchorCerts != nil {
		anchors = len(in.TrustAnchorCerts.TrustAnchorCert)
	}
	s.audit.LogAttrs(r.Context(), slog.LevelInfo, "sztp progress report",
		slog.String("rpc", rpc), slog.String("serial", dev.Serial), slog.String("auth", c.method),
		slog.String("remote", r.RemoteAddr), slog.Int("status", http.StatusNoContent),
		slog.String("progress_type", string(in.ProgressType)), slog.String("message", truncate(in.Message, 512)),
		slog.Int("ssh_host_keys", hostKeys), slog.Int("trust_anchor_certs", anchors))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
