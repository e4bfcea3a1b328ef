package cms_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp/cms"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

var content = []byte(`{"ietf-sztp-conveyed-info:onboarding-information":{"configuration-handling":"merge","configuration":"YQ=="}}`)

func algorithms(t *testing.T) map[string]*sztptest.PKI {
	return map[string]*sztptest.PKI{
		"ECDSA": sztptest.New(t, sztptest.ECDSA),
		"RSA":   sztptest.New(t, sztptest.RSA),
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for name, pki := range algorithms(t) {
		t.Run(name, func(t *testing.T) {
			der, err := cms.Sign(cms.OIDConveyedInfoJSON, content, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := cms.Verify(der, cms.OIDConveyedInfoJSON, []*x509.Certificate{pki.OwnerCA.Cert}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sd.Content, content) || !sd.ContentType.Equal(cms.OIDConveyedInfoJSON) || !bytes.Equal(sd.Signer.Raw, pki.Owner.Cert.Raw) {
				t.Fatalf("got type %v signer %q content %q", sd.ContentType, sd.Signer.Subject, sd.Content)
			}
			// The signer itself may be the anchor (a pinned end-entity).
			if _, err := sd.VerifyChain([]*x509.Certificate{pki.Owner.Cert}, time.Now()); err != nil {
				t.Fatalf("signer as its own anchor: %v", err)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	pki := sztptest.New(t, sztptest.ECDSA)
	other := sztptest.New(t, sztptest.ECDSA)
	anchors := []*x509.Certificate{pki.OwnerCA.Cert}
	good, err := cms.Sign(cms.OIDConveyedInfoJSON, content, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...)
	if err != nil {
		t.Fatal(err)
	}
	voucherType, err := cms.Sign(cms.OIDVoucherJSON, content, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := cms.Sign(cms.OIDConveyedInfoJSON, content, other.Owner.Cert, other.Owner.Key, other.Owner.Chain...)
	if err != nil {
		t.Fatal(err)
	}
	tamperedContent := bytes.Replace(good, []byte(`"merge"`), []byte(`"mergE"`), 1)
	if bytes.Equal(tamperedContent, good) {
		t.Fatal("content not found in the DER")
	}
	tamperedSig := bytes.Clone(good)
	tamperedSig[len(tamperedSig)-3] ^= 0x01 // inside the signature, the last field
	degenerate, err := cms.Degenerate(pki.Owner.Cert)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		der  []byte
		at   time.Time
		want error
	}{
		{"another content type is refused", voucherType, time.Now(), cms.ErrContentType},
		{"a changed content is refused", tamperedContent, time.Now(), cms.ErrSignature},
		{"a changed signature is refused", tamperedSig, time.Now(), cms.ErrSignature},
		{"a signer of another owner is untrusted", foreign, time.Now(), cms.ErrUntrusted},
		{"an expired signer is untrusted", good, time.Now().Add(48 * time.Hour), cms.ErrUntrusted},
		{"a degenerate structure has nothing signed", degenerate, time.Now(), cms.ErrMalformed},
		{"garbage is malformed", []byte("not CMS"), time.Now(), cms.ErrMalformed},
		{"trailing bytes are malformed", append(bytes.Clone(good), 0), time.Now(), cms.ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cms.Verify(tc.der, cms.OIDConveyedInfoJSON, anchors, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDegenerateRoundTrip(t *testing.T) {
	pki := sztptest.New(t, sztptest.ECDSA)
	der, err := cms.Degenerate(pki.Owner.Cert, pki.OwnerCA.Cert)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := cms.ParseDegenerate(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 || !certs[0].Equal(pki.Owner.Cert) || !certs[1].Equal(pki.OwnerCA.Cert) {
		t.Fatalf("got %d certificates", len(certs))
	}
	signed, _ := cms.Sign(cms.OIDConveyedInfoJSON, content, pki.Owner.Cert, pki.Owner.Key)
	if _, err := cms.ParseDegenerate(signed); !errors.Is(err, cms.ErrMalformed) {
		t.Fatalf("a signed structure parsed as degenerate: %v", err)
	}
}

func openssl(t *testing.T) string {
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is required under CI")
		}
		t.Skip("openssl not installed")
	}
	return p
}

// OpenSSL's cms -verify accepts what Sign produces, with the content type
// and content intact.
func TestOpenSSLVerifiesOurSignature(t *testing.T) {
	bin := openssl(t)
	for name, pki := range algorithms(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			der, err := cms.Sign(cms.OIDConveyedInfoJSON, content, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...)
			if err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, "signed.der")
			os.WriteFile(in, der, 0o644)
			ca := sztptest.WritePEM(t, dir, "ca.pem", pki.OwnerCA.Cert)
			out := filepath.Join(dir, "content")
			cmd := exec.Command(bin, "cms", "-verify", "-binary", "-inform", "DER", "-in", in, "-CAfile", ca, "-purpose", "any", "-out", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -verify: %v\n%s", err, b)
			}
			got, _ := os.ReadFile(out)
			if !bytes.Equal(got, content) {
				t.Fatalf("openssl extracted %q", got)
			}
			b, err := exec.Command(bin, "cms", "-cmsout", "-print", "-inform", "DER", "-in", in).CombinedOutput()
			if err != nil {
				t.Fatalf("openssl cms -print: %v\n%s", err, b)
			}
			if !bytes.Contains(b, []byte("eContentType: undefined (1.2.840.113549.1.9.16.1.43)")) {
				t.Fatalf("eContentType not id-ct-sztpConveyedInfoJSON:\n%s", b)
			}
			// And refuses it under another CA, so the check above means something.
			other := sztptest.WritePEM(t, dir, "other.pem", pki.ServerCA.Cert)
			if b, err := exec.Command(bin, "cms", "-verify", "-binary", "-inform", "DER", "-in", in, "-CAfile", other, "-purpose", "any", "-out", out).CombinedOutput(); err == nil {
				t.Fatalf("openssl accepted a signature under an unrelated CA:\n%s", b)
			}
		})
	}
}

// Data signed by `openssl cms -sign` with the conveyed-information content
// type verifies here.
func TestOurVerifyAcceptsOpenSSLSignature(t *testing.T) {
	bin := openssl(t)
	for name, pki := range algorithms(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			certFile, keyFile := pki.Owner.WriteFiles(t, dir, "owner")
			in := filepath.Join(dir, "content")
			os.WriteFile(in, content, 0o644)
			out := filepath.Join(dir, "signed.der")
			cmd := exec.Command(bin, "cms", "-sign", "-binary", "-nodetach", "-outform", "DER",
				"-econtent_type", "1.2.840.113549.1.9.16.1.43", "-md", "sha256",
				"-signer", certFile, "-inkey", keyFile, "-in", in, "-out", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("openssl cms -sign: %v\n%s", err, b)
			}
			der, _ := os.ReadFile(out)
			sd, err := cms.Verify(der, cms.OIDConveyedInfoJSON, []*x509.Certificate{pki.OwnerCA.Cert}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(sd.Content, content) {
				t.Fatalf("content %q", sd.Content)
			}
			if _, err := cms.Verify(der, cms.OIDVoucherJSON, []*x509.Certificate{pki.OwnerCA.Cert}, time.Now()); !errors.Is(err, cms.ErrContentType) {
				t.Fatalf("expected a content type mismatch, got %v", err)
			}
		})
	}
}

func BenchmarkSign(b *testing.B) {
	for _, alg := range sztptest.Algorithms {
		pki := sztptest.New(b, alg)
		b.Run(alg.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := cms.Sign(cms.OIDConveyedInfoJSON, content, pki.Owner.Cert, pki.Owner.Key, pki.Owner.Chain...); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestEncapsulateRoundTrip(t *testing.T) {
	der, err := cms.Encapsulate(cms.OIDConveyedInfoJSON, content)
	if err != nil {
		t.Fatal(err)
	}
	if ct, err := cms.ContentType(der); err != nil || !ct.Equal(cms.OIDConveyedInfoJSON) {
		t.Fatalf("content type %v, %v", ct, err)
	}
	ct, got, err := cms.Decapsulate(der)
	if err != nil || !ct.Equal(cms.OIDConveyedInfoJSON) || !bytes.Equal(got, content) {
		t.Fatalf("%v %q %v", ct, got, err)
	}
	// Unsigned content is not a SignedData, and the other way round.
	if _, err := cms.Parse(der); !errors.Is(err, cms.ErrMalformed) {
		t.Fatalf("unsigned parsed as signed: %v", err)
	}
	pki := sztptest.New(t, sztptest.ECDSA)
	signed, _ := cms.Sign(cms.OIDConveyedInfoJSON, content, pki.Owner.Cert, pki.Owner.Key)
	if ct, _ := cms.ContentType(signed); !ct.Equal(cms.OIDSignedData) {
		t.Fatalf("signed content type %v", ct)
	}
	if _, _, err := cms.Decapsulate(signed); !errors.Is(err, cms.ErrMalformed) {
		t.Fatalf("signed decapsulated: %v", err)
	}
}
