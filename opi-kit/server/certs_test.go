package server_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and client
// certificates, written as PEM files the way an operator would pass them.
type testPKI struct {
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
	clients                   map[string]tls.Certificate // by CN
}

// newTestPKI issues a server certificate and one client certificate per
// entry of clients (CN -> OU; an empty OU gives a certificate without one).
func newTestPKI(t *testing.T, clients map[string]string) *testPKI {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "opi test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &testPKI{
		caFile:   writePEM(t, dir, "ca.pem", "CERTIFICATE", caDER),
		pool:     x509.NewCertPool(),
		clients:  map[string]tls.Certificate{},
		certFile: filepath.Join(dir, "server.pem"),
		keyFile:  filepath.Join(dir, "server-key.pem"),
	}
	p.pool.AddCert(ca)

	serial := int64(2)
	issue := func(subject pkix.Name, usage x509.ExtKeyUsage, ips []net.IP) ([]byte, *ecdsa.PrivateKey) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      subject,
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		serial++
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	der, key := issue(pkix.Name{CommonName: "opi-bridge"}, x509.ExtKeyUsageServerAuth, []net.IP{net.ParseIP("127.0.0.1")})
	writePEM(t, dir, "server.pem", "CERTIFICATE", der)
	writePEM(t, dir, "server-key.pem", "PRIVATE KEY", marshalKey(t, key))
	for cn, ou := range clients {
		subject := pkix.Name{CommonName: cn}
		if ou != "" {
			subject.OrganizationalUnit = []string{ou}
		}
		der, key := issue(subject, x509.ExtKeyUsageClientAuth, nil)
		p.clients[cn] = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	return p
}

// clientTLS is the TLS configuration of a client presenting cn's
// certificate, or none when cn is "".
func (p *testPKI) clientTLS(cn string) *tls.Config {
	tc := &tls.Config{RootCAs: p.pool, MinVersion: tls.VersionTLS12}
	if cn != "" {
		tc.Certificates = []tls.Certificate{p.clients[cn]}
	}
	return tc
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func marshalKey(t *testing.T, key *ecdsa.PrivateKey) []byte {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func writePEM(t *testing.T, dir, name, typ string, der []byte) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
