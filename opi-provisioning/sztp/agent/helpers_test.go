package agent

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

const serial = "SN-0001"

// fixture is a PKI generated for the test, a device with its IDevID, and
// the device's directory.
type fixture struct {
	pki    *sztptest.PKI
	device *sztptest.Identity
	dir    string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p := sztptest.New(t, sztptest.ECDSA)
	return &fixture{pki: p, device: p.Device(t, serial), dir: t.TempDir()}
}

// config is a device that trusts the fixture's bootstrap-server CA and
// manufacturer, with a FileDevice on its directory.
func (f *fixture) config() Config {
	return Config{
		Serial:              serial,
		IDevID:              f.device.TLSCertificate(),
		ServerTrustAnchors:  []*x509.Certificate{f.pki.ServerCA.Cert},
		VoucherTrustAnchors: []*x509.Certificate{f.pki.Manufacturer.Cert},
		OSName:              "opi-dpu-os",
		OSVersion:           "1.0",
		HWModel:             "opi-dpu",
		Device:              &FileDevice{Dir: f.dir},
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
}

func (f *fixture) agent(t *testing.T, mutate func(*Config)) *Agent {
	t.Helper()
	c := f.config()
	if mutate != nil {
		mutate(&c)
	}
	a, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// onboarding is onboarding information whose scripts leave marker files
// in the device directory, so a test can see what ran.
func onboarding() *sztp.OnboardingInformation {
	return &sztp.OnboardingInformation{
		PreConfigurationScript:  []byte("echo pre > \"$SZTP_DIR/pre-ran\"\n"),
		ConfigurationHandling:   sztp.Replace,
		Configuration:           []byte("hostname dpu-1\n"),
		PostConfigurationScript: []byte("echo post > \"$SZTP_DIR/post-ran\"\n"),
	}
}

func marshal(t *testing.T, ci *sztp.ConveyedInformation) []byte {
	t.Helper()
	b, err := ci.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// unsigned is conveyed information as unsigned CMS (RFC 8572 section 3.1).
func unsigned(t *testing.T, ci *sztp.ConveyedInformation) *sztp.GetBootstrappingDataOutput {
	t.Helper()
	der, err := cms.Encapsulate(cms.OIDConveyedInfoJSON, marshal(t, ci))
	if err != nil {
		t.Fatal(err)
	}
	return &sztp.GetBootstrappingDataOutput{ConveyedInformation: der}
}

// signedOpts changes one thing of otherwise valid signed data.
type signedOpts struct {
	voucher  func(*voucher.Voucher)
	signWith func(content []byte) []byte
	pinned   *x509.Certificate
}

// signed is conveyed information signed by the owner, with the owner
// certificate artifact and a voucher from the manufacturer's MASA that
// pins the owner CA; in carries the device's nonce.
func (f *fixture) signed(t *testing.T, ci *sztp.ConveyedInformation, in *sztp.GetBootstrappingDataInput, o signedOpts) *sztp.GetBootstrappingDataOutput {
	t.Helper()
	content := marshal(t, ci)
	var der []byte
	var err error
	if o.signWith != nil {
		der = o.signWith(content)
	} else if der, err = sztp.SignConveyedInformation(content, f.pki.Owner.Cert, f.pki.Owner.Key); err != nil {
		t.Fatal(err)
	}
	oc, err := cms.Degenerate(f.pki.Owner.Cert)
	if err != nil {
		t.Fatal(err)
	}
	pinned := f.pki.OwnerCA.Cert
	if o.pinned != nil {
		pinned = o.pinned
	}
	v := &voucher.Voucher{
		CreatedOn:        time.Now().Add(-time.Minute).Truncate(time.Second),
		ExpiresOn:        time.Now().Add(time.Hour).Truncate(time.Second),
		Assertion:        voucher.Verified,
		SerialNumber:     serial,
		PinnedDomainCert: pinned.Raw,
	}
	if in != nil {
		v.Nonce = in.Nonce
	}
	if o.voucher != nil {
		o.voucher(v)
	}
	ov, err := voucher.Sign(v, f.pki.MASA.Cert, f.pki.MASA.Key, f.pki.MASA.Chain...)
	if err != nil {
		t.Fatal(err)
	}
	return &sztp.GetBootstrappingDataOutput{ConveyedInformation: der, OwnerCertificate: oc, OwnershipVoucher: ov}
}

// testServer is a minimal bootstrap server built from the library: mutual
// TLS with the manufacturer as client CA, the serial taken from the
// client certificate, and report-progress answered 204.
type testServer struct {
	t      *testing.T
	srv    *httptest.Server
	answer func(in *sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput

	mu      sync.Mutex
	gets    []*sztp.GetBootstrappingDataInput
	reports []sztp.ProgressType
	basic   []string
}

func (f *fixture) newServer(t *testing.T, id *sztptest.Identity, answer func(*sztp.GetBootstrappingDataInput) *sztp.GetBootstrappingDataOutput) *testServer {
	t.Helper()
	ts := &testServer{t: t, answer: answer}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+sztp.GetBootstrappingDataPath, func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.SerialNumber != serial {
			http.Error(w, "unknown device", http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		in, err := sztp.ParseGetBootstrappingDataInput(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write(sztp.MarshalErrors(sztp.RESTCONFError{ErrorType: "protocol", ErrorTag: sztp.TagMalformedMessage, ErrorMessage: err.Error()}))
			return
		}
		ts.mu.Lock()
		ts.gets = append(ts.gets, in)
		if u, _, ok := r.BasicAuth(); ok {
			ts.basic = append(ts.basic, u)
		}
		ts.mu.Unlock()
		out := ts.answer(in)
		if out == nil {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write(sztp.MarshalErrors(sztp.RESTCONFError{ErrorType: "application", ErrorTag: sztp.TagDataMissing, ErrorMessage: "no bootstrapping data"}))
			return
		}
		b, _ := out.Marshal()
		w.Header().Set("Content-Type", sztp.MediaType)
		_, _ = w.Write(b)
	})
	mux.HandleFunc("POST "+sztp.ReportProgressPath, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		in, err := sztp.ParseReportProgressInput(body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ts.mu.Lock()
		ts.reports = append(ts.reports, in.ProgressType)
		ts.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	ts.srv = httptest.NewUnstartedServer(mux)
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(f.pki.Manufacturer.Cert)
	ts.srv.TLS = &tls.Config{Certificates: []tls.Certificate{id.TLSCertificate()}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs}
	ts.srv.StartTLS()
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *testServer) server() discovery.Server {
	u, _ := url.Parse(ts.srv.URL)
	s, err := discovery.ParseServerURI("https://" + u.Host)
	if err != nil {
		ts.t.Fatal(err)
	}
	return s
}

func (ts *testServer) address() (string, uint16) {
	s := ts.server()
	return s.Host, s.Port
}

func (ts *testServer) seen() (gets int, reports []sztp.ProgressType) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.gets), append([]sztp.ProgressType(nil), ts.reports...)
}

// redirectTo is redirect information to servers; with anchors, each entry
// carries the degenerate CMS of anchor.
func redirectTo(t *testing.T, anchor *x509.Certificate, servers ...*testServer) *sztp.ConveyedInformation {
	t.Helper()
	r := &sztp.RedirectInformation{}
	for _, s := range servers {
		host, port := s.address()
		b := sztp.BootstrapServer{Address: host, Port: port}
		if anchor != nil {
			der, err := cms.Degenerate(anchor)
			if err != nil {
				t.Fatal(err)
			}
			b.TrustAnchor = der
		}
		r.BootstrapServers = append(r.BootstrapServers, b)
	}
	return &sztp.ConveyedInformation{Redirect: r}
}

// imageServer serves a boot image over plain HTTP: the hash, not the
// transport, is what the device trusts.
func imageServer(t *testing.T, image []byte) string {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", strconv.Itoa(len(image)))
		_, _ = w.Write(image)
	}))
	t.Cleanup(s.Close)
	return s.URL + "/image.bin"
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

// applied lists what onboarding left in the device directory.
func (f *fixture) applied(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, name := range []string{"config", "pre-ran", "post-ran", "boot-image"} {
		if _, err := os.Stat(filepath.Join(f.dir, name)); err == nil {
			out = append(out, name)
		}
	}
	return out
}

type x509Cert = x509.Certificate

// serverTemplate is a loopback TLS server certificate's template.
func serverTemplate() *x509.Certificate {
	tmpl := sztptest.Template("bootstrap server")
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames = []string{"localhost"}
	tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	return tmpl
}
