package bootstrap_test

import (
	"bytes"
	"crypto/x509"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

func input(t testing.TB, in *sztp.GetBootstrappingDataInput) []byte {
	b, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifyReply runs the device's checks of RFC 8572 section 5 on a reply.
func verifyReply(t *testing.T, pki *sztptest.PKI, body []byte, serial string, nonce []byte) *sztp.ConveyedInformation {
	t.Helper()
	out, err := sztp.ParseGetBootstrappingDataOutput(body)
	if err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	v, err := voucher.Verify(out.OwnershipVoucher, []*x509.Certificate{pki.Manufacturer.Cert}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Check(serial, nonce, time.Now()); err != nil {
		t.Fatal(err)
	}
	if nonce != nil && !bytes.Equal(v.Nonce, nonce) {
		t.Fatalf("nonce %x not copied into the voucher (%x)", nonce, v.Nonce)
	}
	pinned, _ := v.PinnedCertificate()
	owners, err := cms.ParseDegenerate(out.OwnerCertificate)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cms.VerifyCertificate(owners[0], owners[1:], []*x509.Certificate{pinned}, time.Now()); err != nil {
		t.Fatalf("owner certificate not under the pinned certificate: %v", err)
	}
	ci, err := sztp.VerifyConveyedInformation(out.ConveyedInformation, owners[0])
	if err != nil {
		t.Fatal(err)
	}
	return ci
}

func TestBootstrapSignedWithIDevID(t *testing.T) {
	for name, alg := range map[string]sztptest.Algorithm{"ECDSA": sztptest.ECDSA, "RSA": sztptest.RSA} {
		t.Run(name, func(t *testing.T) {
			f := start(t, alg)
			nonce := bytes.Repeat([]byte{0x5a}, 24)
			resp, body := f.do(t, f.client(f.pki.Device(t, "SN-CERT")), call{body: input(t, &sztp.GetBootstrappingDataInput{
				SignedDataPreferred: true, HWModel: "dpu-1", Nonce: nonce})})
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != sztp.MediaType {
				t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			ci := verifyReply(t, f.pki, body, "SN-CERT", nonce)
			if string(ci.Onboarding.Configuration) != `{"hostname":"dpu"}` {
				t.Fatalf("conveyed %+v", ci.Onboarding)
			}
			out, _ := sztp.ParseGetBootstrappingDataOutput(body)
			v, _ := voucher.Verify(out.OwnershipVoucher, []*x509.Certificate{f.pki.Manufacturer.Cert}, time.Now())
			idev := f.pki.Device(t, "SN-CERT")
			if !bytes.Equal(v.IDevIDIssuer, idev.Cert.AuthorityKeyId) || len(v.IDevIDIssuer) == 0 {
				t.Fatalf("idevid-issuer %x, want the IDevID's authority key id %x", v.IDevIDIssuer, idev.Cert.AuthorityKeyId)
			}
			if v.ExpiresOn.Sub(v.CreatedOn) != time.Hour || v.Assertion != voucher.Verified {
				t.Fatalf("voucher policy not applied: %+v", v)
			}
		})
	}
}

func TestBootstrapWithBasicAuth(t *testing.T) {
	f := start(t, sztptest.ECDSA)
	c := f.client(nil)
	resp, body := f.do(t, c, call{user: "SN-BASIC", password: "secret"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d: %s", resp.StatusCode, body)
	}
	verifyReply(t, f.pki, body, "SN-BASIC", nil)
	if resp, _ := f.do(t, c, call{user: "SN-BASIC", password: "guessed"}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a wrong password got %d", resp.StatusCode)
	}
	if !strings.Contains(f.audit.String(), `"msg":"sztp request refused","rpc":"get-bootstrapping-data","serial":"SN-BASIC","auth":"basic"`) {
		t.Fatalf("the refusal does not name the claimed serial:\n%s", f.audit.String())
	}
	if strings.Contains(f.audit.String(), "secret") || strings.Contains(f.audit.String(), "guessed") {
		t.Fatalf("the audit log holds the password:\n%s", f.audit.String())
	}
}

// The serial number is the authenticated identity's: an IDevID wins over
// basic credentials for another device, and the body cannot name one.
func TestSerialComesFromTheIdentity(t *testing.T) {
	f := start(t, sztptest.ECDSA)
	c := f.client(f.pki.Device(t, "SN-CERT"))
	resp, body := f.do(t, c, call{user: "SN-BASIC", password: "secret"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d: %s", resp.StatusCode, body)
	}
	verifyReply(t, f.pki, body, "SN-CERT", nil)
	resp, body = f.do(t, c, call{body: []byte(`{"ietf-sztp-bootstrap-server:input":{"serial-number":"SN-BASIC"}}`)})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a serial number in the body: %d %s", resp.StatusCode, body)
	}
}

func TestUnsignedOnlyWhenNotPreferred(t *testing.T) {
	f := start(t, sztptest.ECDSA, bootstrap.WithOwner(nil), bootstrap.WithMASA(nil))
	c := f.client(f.pki.Device(t, "SN-CERT"))
	resp, body := f.do(t, c, call{body: input(t, &sztp.GetBootstrappingDataInput{SignedDataPreferred: true})})
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(string(body), `"error-tag":"operation-failed"`) {
		t.Fatalf("signed preferred, no owner key: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, c, call{})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	out, err := sztp.ParseGetBootstrappingDataOutput(body)
	if err != nil {
		t.Fatal(err)
	}
	if out.OwnerCertificate != nil || out.OwnershipVoucher != nil {
		t.Fatal("unsigned reply carries owner certificate or voucher")
	}
	ct, content, err := cms.Decapsulate(out.ConveyedInformation)
	if err != nil || !ct.Equal(cms.OIDConveyedInfoJSON) {
		t.Fatalf("%v %v", ct, err)
	}
	if _, err := sztp.ParseConveyedInformation(content); err != nil {
		t.Fatal(err)
	}
}

func TestRequestsRefused(t *testing.T) {
	f := start(t, sztptest.ECDSA)
	other := sztptest.New(t, sztptest.ECDSA)
	dev := f.client(f.pki.Device(t, "SN-CERT"))
	anon := f.client(nil)
	pinned := f.pki.Device(t, "SN-PINNED")
	f.devices.bySerial["SN-PINNED"] = &bootstrap.Device{Serial: "SN-PINNED", Conveyed: onboarding, CertificateSHA256: fingerprint(pinned.Cert)}
	f.devices.bySerial["SN-NOTHING"] = &bootstrap.Device{Serial: "SN-NOTHING"}
	for _, tc := range []struct {
		name   string
		client *http.Client
		call   call
		status int
		tag    string
	}{
		{"no credentials are unauthorized", anon, call{}, 401, sztp.TagAccessDenied},
		{"a wrong password is unauthorized", anon, call{user: "SN-BASIC", password: "guess"}, 401, sztp.TagAccessDenied},
		{"an unknown serial with a password is unauthorized", anon, call{user: "SN-NONE", password: "secret"}, 401, sztp.TagAccessDenied},
		{"a device without a password cannot use basic", anon, call{user: "SN-CERT", password: ""}, 401, sztp.TagAccessDenied},
		{"an unregistered IDevID is forbidden", f.client(f.pki.Device(t, "SN-OTHER")), call{}, 403, sztp.TagAccessDenied},
		{"another IDevID than the pinned one is forbidden", f.client(f.pki.Device(t, "SN-PINNED")), call{}, 403, sztp.TagAccessDenied},
		{"a device with nothing assigned is forbidden", f.client(f.pki.Device(t, "SN-NOTHING")), call{}, 403, sztp.TagAccessDenied},
		{"GET is not allowed", dev, call{method: http.MethodGet}, 405, sztp.TagOperationNotSupp},
		{"an unknown operation is not found", dev, call{path: "/restconf/operations/ietf-sztp-bootstrap-server:get-everything"}, 404, sztp.TagInvalidValue},
		{"an XML body is unsupported", dev, call{body: []byte("<input/>"), contentType: "application/yang-data+xml"}, 415, sztp.TagInvalidValue},
		{"an XML reply is not acceptable", dev, call{accept: "application/yang-data+xml"}, 406, sztp.TagInvalidValue},
		{"malformed JSON is a bad request", dev, call{body: []byte(`{"ietf-sztp-bootstrap-server:input":`)}, 400, sztp.TagInvalidValue},
		{"a short nonce is a bad request", dev, call{body: []byte(`{"ietf-sztp-bootstrap-server:input":{"nonce":"AAAA"}}`)}, 400, sztp.TagInvalidValue},
		{"a body over the limit is too big", dev, call{body: bytes.Repeat([]byte(" "), bootstrap.MaxBody+1)}, 413, sztp.TagTooBig},
		{"progress without input is a bad request", dev, call{path: sztp.ReportProgressPath}, 400, sztp.TagMalformedMessage},
		{"an unknown progress type is a bad request", dev, call{path: sztp.ReportProgressPath, body: []byte(`{"ietf-sztp-bootstrap-server:input":{"progress-type":"done"}}`)}, 400, sztp.TagInvalidValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := f.do(t, tc.client, tc.call)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, body)
			}
			if resp.Header.Get("Content-Type") != sztp.MediaType {
				t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
			}
			e := sztp.ParseErrors(resp.StatusCode, body)
			if e.ErrorTag != tc.tag || e.ErrorMessage == "" {
				t.Fatalf("error %+v from %s", e, body)
			}
			if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			if tc.status == 405 && resp.Header.Get("Allow") != http.MethodPost {
				t.Fatal("405 without Allow: POST")
			}
		})
	}
	// An IDevID of another manufacturer fails the TLS handshake.
	req, _ := http.NewRequest(http.MethodPost, f.url+sztp.GetBootstrappingDataPath, nil)
	if resp, err := f.client(other.Device(t, "SN-CERT")).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a foreign IDevID got %d", resp.StatusCode)
	}
	if n := strings.Count(f.audit.String(), `"msg":"sztp request refused"`); n < 16 {
		t.Fatalf("%d refusals audited, want every one:\n%s", n, f.audit.String())
	}
}

func TestReportProgress(t *testing.T) {
	f := start(t, sztptest.ECDSA)
	c := f.client(f.pki.Device(t, "SN-CERT"))
	for _, p := range []sztp.ProgressType{"bootstrap-initiated", "bootstrap-complete"} {
		b, _ := (&sztp.ReportProgressInput{ProgressType: p, Message: "m"}).Marshal()
		resp, body := f.do(t, c, call{path: sztp.ReportProgressPath, body: b})
		if resp.StatusCode != http.StatusNoContent || len(body) != 0 {
			t.Fatalf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	if got := f.devices.reports["SN-CERT"]; len(got) != 2 || got[1] != "bootstrap-complete" {
		t.Fatalf("recorded %v", got)
	}
	if !strings.Contains(f.audit.String(), `"progress_type":"bootstrap-complete"`) {
		t.Fatalf("progress not audited:\n%s", f.audit.String())
	}
}

// Concurrent requests get the same answers as serial ones.
func TestConcurrentBootstraps(t *testing.T) {
	f := start(t, sztptest.ECDSA)
	c := f.client(f.pki.Device(t, "SN-CERT"))
	var wg sync.WaitGroup
	errs := make(chan string, 32)
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nonce := bytes.Repeat([]byte{byte(i)}, 16)
			resp, body := f.do(t, c, call{body: input(t, &sztp.GetBootstrappingDataInput{SignedDataPreferred: true, Nonce: nonce})})
			if resp.StatusCode != 200 {
				errs <- string(body)
				return
			}
			out, _ := sztp.ParseGetBootstrappingDataOutput(body)
			v, err := voucher.Verify(out.OwnershipVoucher, []*x509.Certificate{f.pki.Manufacturer.Cert}, time.Now())
			if err != nil || !bytes.Equal(v.Nonce, nonce) {
				errs <- "voucher nonce crossed between requests"
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestHTTPServerBounds(t *testing.T) {
	f := start(t, sztptest.ECDSA)
	srv, err := bootstrap.New(f.devices, bootstrap.WithManufacturers(f.pki.Manufacturer.Cert))
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer("127.0.0.1:0", f.pki.Server(t).TLSCertificate())
	if hs.ReadTimeout == 0 || hs.ReadHeaderTimeout == 0 || hs.WriteTimeout == 0 || hs.IdleTimeout == 0 || hs.MaxHeaderBytes == 0 {
		t.Fatalf("unbounded server: %+v", hs)
	}
	if hs.TLSConfig.MinVersion < 0x0303 || hs.TLSConfig.ClientCAs == nil {
		t.Fatal("TLS config without minimum version or client CAs")
	}
}

func TestOwnerMustChainToPinned(t *testing.T) {
	pki := sztptest.New(t, sztptest.ECDSA)
	_, err := bootstrap.New(nil,
		bootstrap.WithOwner(&bootstrap.Signer{Cert: pki.Owner.Cert, Key: pki.Owner.Key, Chain: pki.Owner.Chain}),
		bootstrap.WithPinnedDomainCert(pki.ServerCA.Cert))
	if err == nil {
		t.Fatal("an owner certificate outside the pinned domain certificate was accepted")
	}
}

// RESTCONF root resource discovery points at /restconf, where the RPCs are.
func TestRootResourceDiscovery(t *testing.T) {
	f := start(t, sztptest.ECDSA)
	resp, body := f.do(t, f.client(nil), call{method: http.MethodGet, path: "/.well-known/host-meta"})
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/xrd+xml" ||
		!strings.Contains(string(body), `<Link rel="restconf" href="/restconf"/>`) {
		t.Fatalf("%d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if !strings.HasPrefix(sztp.GetBootstrappingDataPath, "/restconf/") {
		t.Fatal("the RPCs are not under the discovered root")
	}
}
