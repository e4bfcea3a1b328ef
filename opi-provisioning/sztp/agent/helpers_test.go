package agent

import (
	"crypto/sha256"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/agent/agenttest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/discovery"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
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

func unsigned(t *testing.T, ci *sztp.ConveyedInformation) *sztp.GetBootstrappingDataOutput {
	return agenttest.Unsigned(t, ci)
}

type signedOpts = agenttest.SignOptions

// signed is valid signed data for the fixture's device; in carries the
// device's nonce.
func (f *fixture) signed(t *testing.T, ci *sztp.ConveyedInformation, in *sztp.GetBootstrappingDataInput, o signedOpts) *sztp.GetBootstrappingDataOutput {
	var nonce []byte
	if in != nil {
		nonce = in.Nonce
	}
	return agenttest.Signed(t, f.pki, serial, ci, nonce, o)
}

// testServer is the minimal bootstrap server of agenttest, trusting the
// fixture's manufacturer for client certificates.
type testServer struct {
	*agenttest.Server
	t *testing.T
}

func (f *fixture) newServer(t *testing.T, id *sztptest.Identity, answer agenttest.Answer) *testServer {
	t.Helper()
	return &testServer{Server: agenttest.New(t, id, f.pki.Manufacturer.Cert, serial, answer), t: t}
}

func (ts *testServer) server() discovery.Server {
	s, err := discovery.ParseServerURI("https://" + ts.Addr().String())
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
	return len(ts.Gets()), ts.Reports()
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

// voucherContent is the JSON a signed voucher carries.
func voucherContent(t *testing.T, der []byte) []byte {
	t.Helper()
	sd, err := cms.Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	return sd.Content
}

// algorithms are the key types every PKI-wide test runs with.
var algorithms = []struct {
	name string
	alg  sztptest.Algorithm
}{{"ECDSA-P256", sztptest.ECDSA}, {"RSA-2048", sztptest.RSA}}
