package sztp_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// The shape of RFC 8572 section 6.2's examples.
const redirectExample = `{
  "ietf-sztp-conveyed-info:redirect-information" : {
    "bootstrap-server" : [
      { "address" : "sztp1.example.com", "port" : 8443 },
      { "address" : "192.0.2.1" }
    ]
  }
}`

const onboardingExample = `{
  "ietf-sztp-conveyed-info:onboarding-information" : {
    "boot-image" : {
      "os-name" : "VendorOS",
      "os-version" : "17.2R1.6",
      "download-uri" : [ "http://example.com/path/to/image/file" ],
      "image-verification" : [
        {
          "hash-algorithm" : "ietf-sztp-conveyed-info:sha-256",
          "hash-value" : "ba:ec:cf:a5:67:82:b4:10:77:c6:67:a6:22:ab:7d:50:04:a7:8b:8f:0e:db:02:8b:f4:75:55:fb:c1:13:b2:33"
        }
      ]
    },
    "configuration-handling" : "merge",
    "pre-configuration-script" : "cHJlCg==",
    "configuration" : "Y29uZmlnCg==",
    "post-configuration-script" : "cG9zdAo="
  }
}`

func TestParseRFCExamples(t *testing.T) {
	r, err := sztp.ParseConveyedInformation([]byte(redirectExample))
	if err != nil {
		t.Fatal(err)
	}
	if r.Onboarding != nil || len(r.Redirect.BootstrapServers) != 2 ||
		r.Redirect.BootstrapServers[0].PortOrDefault() != 8443 || r.Redirect.BootstrapServers[1].PortOrDefault() != 443 {
		t.Fatalf("redirect parsed as %+v", r.Redirect)
	}
	o, err := sztp.ParseConveyedInformation([]byte(onboardingExample))
	if err != nil {
		t.Fatal(err)
	}
	on := o.Onboarding
	if on.ConfigurationHandling != sztp.Merge || string(on.Configuration) != "config\n" ||
		string(on.PreConfigurationScript) != "pre\n" || string(on.PostConfigurationScript) != "post\n" {
		t.Fatalf("onboarding parsed as %+v", on)
	}
	if h := on.BootImage.SHA256(); len(h) != 32 || h[0] != 0xba || h[31] != 0x33 {
		t.Fatalf("hash %x", h)
	}
}

func TestConveyedRoundTrip(t *testing.T) {
	pki := sztptest.New(t, sztptest.ECDSA)
	anchor, err := cms.Degenerate(pki.ServerCA.Cert)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("image"))
	for name, c := range map[string]*sztp.ConveyedInformation{
		"redirect": {Redirect: &sztp.RedirectInformation{BootstrapServers: []sztp.BootstrapServer{
			{Address: "bootstrap.example.com", Port: 8443, TrustAnchor: anchor}, {Address: "10.0.0.1"}}}},
		"onboarding": {Onboarding: &sztp.OnboardingInformation{
			BootImage: &sztp.BootImage{OSName: "Debian", OSVersion: "12", DownloadURI: []string{"https://x/image"},
				ImageVerification: []sztp.ImageVerification{{HashAlgorithm: sztp.HashSHA256, HashValue: sum[:]}}},
			ConfigurationHandling: sztp.Replace, Configuration: []byte("{}"),
			PreConfigurationScript: []byte("#!/bin/sh\n"), PostConfigurationScript: []byte("#!/bin/sh\n")}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte(`{"ietf-sztp-conveyed-info:`)) {
				t.Fatalf("not module-qualified: %s", b)
			}
			der, err := sztp.SignConveyedInformation(b, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sztp.VerifyConveyedInformation(der, pki.Owner.Cert)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := got.Marshal()
			if !bytes.Equal(again, b) {
				t.Fatalf("round trip changed\n%s\n%s", b, again)
			}
			// Signed by another certificate of the same owner CA: not the owner certificate.
			other := pki.Issue(t, pki.OwnerCA, sztptest.Template("someone else"))
			der2, _ := sztp.SignConveyedInformation(b, other.Cert, other.Key, other.Chain...)
			if _, err := sztp.VerifyConveyedInformation(der2, pki.Owner.Cert); !errors.Is(err, cms.ErrUntrusted) {
				t.Fatalf("signature by another certificate: %v", err)
			}
		})
	}
}

func TestParseConveyedRefuses(t *testing.T) {
	for _, tc := range []struct{ name, json string }{
		{"an unqualified top-level member", `{"redirect-information":{"bootstrap-server":[{"address":"a"}]}}`},
		{"both kinds at once", `{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"address":"a"}]},"ietf-sztp-conveyed-info:onboarding-information":{}}`},
		{"neither kind", `{}`},
		{"an empty server list", `{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[]}}`},
		{"a server without address", `{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"port":1}]}}`},
		{"a duplicate server", `{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"address":"a"},{"address":"a"}]}}`},
		{"a URL as address", `{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"address":"https://a/"}]}}`},
		{"a port out of range", `{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"address":"a","port":70000}]}}`},
		{"a trust anchor that is not CMS", `{"ietf-sztp-conveyed-info:redirect-information":{"bootstrap-server":[{"address":"a","trust-anchor":"AAAA"}]}}`},
		{"an unknown leaf", `{"ietf-sztp-conveyed-info:onboarding-information":{"colour":"red"}}`},
		{"configuration without handling", `{"ietf-sztp-conveyed-info:onboarding-information":{"configuration":"YQ=="}}`},
		{"an unknown handling", `{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"append","configuration":"YQ=="}}`},
		{"configuration that is not base64", `{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"merge","configuration":"!!"}}`},
		{"a boot image without version", `{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"os-name":"x"}}}`},
		{"a short sha-256", `{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"os-name":"x","os-version":"1","download-uri":["http://a"],"image-verification":[{"hash-algorithm":"sha-256","hash-value":"ab:cd"}]}}}`},
		{"a malformed hex-string", `{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"os-name":"x","os-version":"1","download-uri":["http://a"],"image-verification":[{"hash-algorithm":"sha-256","hash-value":"abcd"}]}}}`},
		{"a hash without a URI", `{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"os-name":"x","os-version":"1","image-verification":[{"hash-algorithm":"sha-256","hash-value":"ab"}]}}}`},
		{"a relative download URI", `{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"os-name":"x","os-version":"1","download-uri":["image.bin"]}}}`},
		{"trailing data", redirectExample + "{}"},
		{"not JSON", `<redirect-information/>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if c, err := sztp.ParseConveyedInformation([]byte(tc.json)); !errors.Is(err, sztp.ErrInvalidConveyedInformation) {
				t.Fatalf("got %+v, %v", c, err)
			}
		})
	}
	big := `{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"merge","configuration":"` + strings.Repeat("A", sztp.MaxConveyedInformation) + `"}}`
	if _, err := sztp.ParseConveyedInformation([]byte(big)); !errors.Is(err, sztp.ErrInvalidConveyedInformation) {
		t.Fatalf("oversized document: %v", err)
	}
}

func TestUnqualifiedHashIdentityIsQualified(t *testing.T) {
	c, err := sztp.ParseConveyedInformation([]byte(`{"ietf-sztp-conveyed-info:onboarding-information":{"boot-image":{"os-name":"x","os-version":"1","download-uri":["http://a"],"image-verification":[{"hash-algorithm":"sha-256","hash-value":"` + strings.TrimSuffix(strings.Repeat("00:", 32), ":") + `"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Onboarding.BootImage.SHA256() == nil {
		t.Fatal("sha-256 not found under its qualified name")
	}
}

func TestGetBootstrappingDataInput(t *testing.T) {
	nonce := bytes.Repeat([]byte{7}, 16)
	in := &sztp.GetBootstrappingDataInput{SignedDataPreferred: true, HWModel: "m", OSName: "n", OSVersion: "v", Nonce: nonce}
	b, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if string(raw["ietf-sztp-bootstrap-server:input"]["signed-data-preferred"]) != "[null]" {
		t.Fatalf("signed-data-preferred encoded as %s", b)
	}
	got, err := sztp.ParseGetBootstrappingDataInput(b)
	if err != nil {
		t.Fatal(err)
	}
	if !got.SignedDataPreferred || got.HWModel != "m" || got.OSName != "n" || got.OSVersion != "v" || !bytes.Equal(got.Nonce, nonce) {
		t.Fatalf("got %+v", got)
	}
	empty, err := sztp.ParseGetBootstrappingDataInput(nil)
	if err != nil || empty.SignedDataPreferred {
		t.Fatalf("empty input: %+v %v", empty, err)
	}
	for _, bad := range []string{
		`{"ietf-sztp-bootstrap-server:input":{"signed-data-preferred":true}}`,
		`{"ietf-sztp-bootstrap-server:input":{"nonce":"AAAA"}}`,
		`{"ietf-sztp-bootstrap-server:input":{"serial-number":"X"}}`,
		`{"input":{}}`,
	} {
		if _, err := sztp.ParseGetBootstrappingDataInput([]byte(bad)); !errors.Is(err, sztp.ErrInvalidInput) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestReportProgressInput(t *testing.T) {
	in := &sztp.ReportProgressInput{ProgressType: "bootstrap-complete", Message: "done",
		SSHHostKeys: &sztp.SSHHostKeys{SSHHostKey: []sztp.SSHHostKey{{Algorithm: "ssh-ed25519", KeyData: []byte{1}}}}}
	b, _ := in.Marshal()
	got, err := sztp.ParseReportProgressInput(b)
	if err != nil || got.ProgressType != in.ProgressType || got.SSHHostKeys.SSHHostKey[0].Algorithm != "ssh-ed25519" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := sztp.ParseReportProgressInput([]byte(`{"ietf-sztp-bootstrap-server:input":{"progress-type":"done"}}`)); !errors.Is(err, sztp.ErrInvalidInput) {
		t.Fatalf("unknown progress type: %v", err)
	}
}

func TestRESTCONFErrors(t *testing.T) {
	body := sztp.MarshalErrors(sztp.RESTCONFError{ErrorType: "protocol", ErrorTag: sztp.TagAccessDenied, ErrorMessage: "no"})
	if !bytes.HasPrefix(body, []byte(`{"ietf-restconf:errors":{"error":[{"error-type":"protocol","error-tag":"access-denied"`)) {
		t.Fatalf("%s", body)
	}
	e := sztp.ParseErrors(403, body)
	if e.Status != 403 || e.ErrorTag != sztp.TagAccessDenied {
		t.Fatalf("%+v", e)
	}
	if e := sztp.ParseErrors(502, []byte("<html>")); e.Status != 502 {
		t.Fatalf("%+v", e)
	}
}
