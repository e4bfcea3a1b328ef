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

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
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

func TestATextKeyWithALineBreakIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		secret []byte
		refuse bool
	}{
		{name: "a text key read with its file's newline is refused", secret: []byte("a-shared-secret-of-32-bytes-long\n"), refuse: true},
		{name: "a text key with a CRLF line end is refused", secret: []byte("a-shared-secret-of-32-bytes-long\r\n"), refuse: true},
		{name: "a text key with spaces and tabs inside is taken", secret: []byte("correct horse\tbattery staple")},
		{name: "a text key without a line break is taken", secret: []byte("a-shared-secret-of-32-bytes-long")},
		{name: "a binary key whose last byte is 0x0a is taken", secret: append([]byte{0x00, 0xff, 0x13, 0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0b, 0x0c, 0x0e}, '\n')},
		{name: "a binary key that is not UTF-8 is taken", secret: append([]byte("\xff\xfe-sixteen-bytes-and-more"), '\n')},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pskBackend{}.Create(t.Context(), &securityv1.PreSharedKey{Secret: tc.secret})
			if tc.refuse != (err != nil) {
				t.Fatalf("Create = %v, want refused: %v", err, tc.refuse)
			}
			if tc.refuse && (!errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "secret: ") || strings.Contains(err.Error(), "a-shared")) {
				t.Fatalf("error = %v, want InvalidArgument naming the field and not quoting the key", err)
			}
		})
	}
}
