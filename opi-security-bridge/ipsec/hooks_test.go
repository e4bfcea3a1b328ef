package ipsec

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-kit/errdefs"
)

// selfSigned returns a PEM certificate and the PEM of its private key.
func selfSigned(t *testing.T, cn string) (certPEM, keyPEM string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
}

func TestParseCertificateTakesExactlyOneCertificate(t *testing.T) {
	cert, key := selfSigned(t, "a.opi.test")
	other, _ := selfSigned(t, "b.opi.test")
	for _, tc := range []struct {
		name, pem, wantErr string
	}{
		{name: "one certificate is accepted", pem: cert},
		{name: "surrounding whitespace is accepted", pem: "\n\n" + cert + "\n\n"},
		{name: "a certificate followed by its private key is refused", pem: cert + key, wantErr: `"EC PRIVATE KEY" block follows`},
		{name: "a private key before the certificate is refused", pem: key + cert, wantErr: `"EC PRIVATE KEY" block`},
		{name: "a chain of two certificates is refused", pem: cert + other, wantErr: `"CERTIFICATE" block follows`},
		{name: "text after the certificate is refused", pem: cert + "trailing words\n", wantErr: "text follows"},
		{name: "text before the certificate is refused", pem: "Bag Attributes\n" + cert, wantErr: "text before"},
		{name: "no PEM at all is refused", pem: "junk", wantErr: "not a PEM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseCertificate(tc.pem)
			if tc.wantErr == "" {
				if err != nil || c.Subject.CommonName != "a.opi.test" {
					t.Fatalf("ParseCertificate = %v, %v", c, err)
				}
				return
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want InvalidArgument mentioning %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), strings.Split(key, "\n")[1]) {
				t.Fatalf("the error quotes the private key: %v", err)
			}
		})
	}
}
