package bootstrap_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// devices is an in-memory registry.
type devices struct {
	mu       sync.Mutex
	bySerial map[string]*bootstrap.Device
	reports  map[string][]sztp.ProgressType
}

func (d *devices) Device(_ context.Context, serial string) (*bootstrap.Device, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dev, ok := d.bySerial[serial]
	if !ok {
		return nil, fmt.Errorf("%w: %s", bootstrap.ErrUnknownDevice, serial)
	}
	return dev, nil
}

func (d *devices) RecordProgress(_ context.Context, serial string, p *sztp.ReportProgressInput, _ time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.reports[serial] = append(d.reports[serial], p.ProgressType)
	return nil
}

// syncBuffer collects the audit log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	pki     *sztptest.PKI
	devices *devices
	audit   *syncBuffer
	url     string
	roots   *x509.CertPool
}

var onboarding = &sztp.ConveyedInformation{Onboarding: &sztp.OnboardingInformation{
	ConfigurationHandling: sztp.Merge, Configuration: []byte(`{"hostname":"dpu"}`)}}

// start runs a bootstrap server over TLS on loopback with devices
// "SN-CERT" (IDevID) and "SN-BASIC" (password "secret").
func start(t testing.TB, alg sztptest.Algorithm, opts ...bootstrap.Option) *fixture {
	t.Helper()
	pki := sztptest.New(t, alg)
	hash, err := bootstrap.HashPassword("secret")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{pki: pki, audit: &syncBuffer{}, devices: &devices{
		bySerial: map[string]*bootstrap.Device{
			"SN-CERT":  {Serial: "SN-CERT", Conveyed: onboarding, Voucher: bootstrap.VoucherPolicy{Validity: time.Hour}},
			"SN-BASIC": {Serial: "SN-BASIC", PasswordHash: hash, Conveyed: onboarding},
		},
		reports: map[string][]sztp.ProgressType{},
	}}
	all := append([]bootstrap.Option{
		bootstrap.WithOwner(&bootstrap.Signer{Cert: pki.Owner.Cert, Key: pki.Owner.Key, Chain: pki.Owner.Chain}),
		bootstrap.WithMASA(&bootstrap.Signer{Cert: pki.MASA.Cert, Key: pki.MASA.Key, Chain: pki.MASA.Chain}),
		bootstrap.WithManufacturers(pki.Manufacturer.Cert),
		bootstrap.WithAudit(slog.New(slog.NewJSONHandler(f.audit, nil))),
	}, opts...)
	srv, err := bootstrap.New(f.devices, all...)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = srv.TLSConfig(pki.Server(t).TLSCertificate())
	ts.StartTLS()
	t.Cleanup(ts.Close)
	f.url = ts.URL
	f.roots = x509.NewCertPool()
	f.roots.AddCert(pki.ServerCA.Cert)
	return f
}

// client returns an HTTPS client trusting the server CA, presenting id's
// certificate when id is not nil.
func (f *fixture) client(id *sztptest.Identity) *http.Client {
	conf := &tls.Config{RootCAs: f.roots, MinVersion: tls.VersionTLS12}
	if id != nil {
		conf.Certificates = []tls.Certificate{id.TLSCertificate()}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: conf, MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
}

type call struct {
	method, path, contentType, accept string
	body                              []byte
	user, password                    string
}

func (f *fixture) do(t testing.TB, c *http.Client, k call) (*http.Response, []byte) {
	t.Helper()
	if k.method == "" {
		k.method = http.MethodPost
	}
	if k.path == "" {
		k.path = sztp.GetBootstrappingDataPath
	}
	req, err := http.NewRequest(k.method, f.url+k.path, bytes.NewReader(k.body))
	if err != nil {
		t.Fatal(err)
	}
	if k.contentType == "" && len(k.body) > 0 {
		k.contentType = sztp.MediaType
	}
	if k.contentType != "" {
		req.Header.Set("Content-Type", k.contentType)
	}
	if k.accept != "" {
		req.Header.Set("Accept", k.accept)
	}
	if k.user != "" {
		req.SetBasicAuth(k.user, k.password)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func fingerprint(c *x509.Certificate) []byte {
	s := sha256.Sum256(c.Raw)
	return s[:]
}
