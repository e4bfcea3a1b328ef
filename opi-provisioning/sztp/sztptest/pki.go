// Package sztptest generates, at test time, the public-key infrastructure
// of secure zero-touch provisioning: a manufacturer CA that issues device
// IDevIDs and the MASA certificate that signs ownership vouchers, an owner
// CA (the voucher's pinned-domain-cert) with the owner certificate that
// signs conveyed information, and a CA for the bootstrap servers' TLS
// certificates. Both the server's and the agent's tests use it, and
// cmd/opi-sztp-pki writes one to files for a demo or an end-to-end stack.
package sztptest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// T is what the package needs of a test: testing.TB has it, and so can a
// tool that makes a PKI outside a test (cmd/opi-sztp-pki).
type T interface {
	Helper()
	Fatal(args ...any)
}

// Algorithm is the key type of generated identities.
type Algorithm int

// Key types.
const (
	ECDSA Algorithm = iota // P-256
	RSA                    // 2048 bits
)

// Algorithms lists every key type, for tests and benchmarks that cover
// each.
var Algorithms = []Algorithm{ECDSA, RSA}

// String names the key type: "ECDSA-P256" or "RSA-2048".
func (a Algorithm) String() string {
	if a == RSA {
		return "RSA-2048"
	}
	return "ECDSA-P256"
}

// Identity is a certificate with its private key and its issuers.
type Identity struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain holds the issuers of Cert, nearest first, ending with the root
	// (empty for a root).
	Chain []*x509.Certificate
}

// TLSCertificate returns the identity as a tls.Certificate with its chain
// (roots left out).
func (id *Identity) TLSCertificate() tls.Certificate {
	c := tls.Certificate{Certificate: [][]byte{id.Cert.Raw}, PrivateKey: id.Key, Leaf: id.Cert}
	for i, p := range id.Chain {
		if i == len(id.Chain)-1 {
			break // the root
		}
		c.Certificate = append(c.Certificate, p.Raw)
	}
	return c
}

// Intermediates returns the issuers of Cert without the root.
func (id *Identity) Intermediates() []*x509.Certificate {
	if len(id.Chain) == 0 {
		return nil
	}
	return id.Chain[:len(id.Chain)-1]
}

// CertPEM returns the certificate followed by its intermediates, PEM-encoded.
func (id *Identity) CertPEM() []byte {
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Raw})
	for _, c := range id.Intermediates() {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// KeyPEM returns the private key, PEM-encoded PKCS#8.
func (id *Identity) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(id.Key)
	if err != nil {
		panic(err) // only keys this package generated
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// WriteFiles writes NAME.crt (CertPEM) and NAME.key (KeyPEM, mode 0600)
// into dir and returns their paths.
func (id *Identity) WriteFiles(t T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	certFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, id.CertPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, id.KeyPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// WritePEM writes certs PEM-encoded into dir/name and returns the path.
func WritePEM(t T, dir, name string, certs ...*x509.Certificate) string {
	t.Helper()
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// PKI is a complete set of test authorities.
type PKI struct {
	Algorithm Algorithm
	// Manufacturer is the manufacturer's root CA: it issues IDevIDs and the
	// MASA certificate, and is the device's trust anchor for vouchers.
	Manufacturer *Identity
	// MASA signs ownership vouchers (issued by Manufacturer).
	MASA *Identity
	// OwnerCA is the owner's root; vouchers pin it (pinned-domain-cert).
	OwnerCA *Identity
	// Owner signs conveyed information (issued by OwnerCA).
	Owner *Identity
	// ServerCA issues bootstrap servers' TLS certificates.
	ServerCA *Identity
}

// New generates a PKI with keys of the given algorithm.
func New(t T, alg Algorithm) *PKI {
	t.Helper()
	p := &PKI{Algorithm: alg}
	p.Manufacturer = p.NewCA(t, "Example Manufacturer Root CA")
	p.MASA = p.Issue(t, p.Manufacturer, Template("Example Manufacturer MASA"))
	p.OwnerCA = p.NewCA(t, "Example Owner Root CA")
	p.Owner = p.Issue(t, p.OwnerCA, Template("Example Owner"))
	p.ServerCA = p.NewCA(t, "Example Bootstrap Server CA")
	return p
}

// Device issues an IDevID for serial: the serial number in the subject's
// serialNumber attribute (802.1AR), issued by Manufacturer, for TLS client
// authentication.
func (p *PKI) Device(t T, serial string) *Identity {
	t.Helper()
	tmpl := Template("device " + serial)
	tmpl.Subject.SerialNumber = serial
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	return p.Issue(t, p.Manufacturer, tmpl)
}

// Server issues a TLS server certificate from ServerCA for hosts (DNS
// names or IP addresses); with none, for localhost, 127.0.0.1 and ::1.
func (p *PKI) Server(t T, hosts ...string) *Identity {
	t.Helper()
	if len(hosts) == 0 {
		hosts = []string{"localhost", "127.0.0.1", "::1"}
	}
	tmpl := Template("bootstrap server " + hosts[0])
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return p.Issue(t, p.ServerCA, tmpl)
}

// Template returns a certificate template for an end entity named cn,
// valid from an hour ago for a day, for digital signatures.
func Template(cn string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		Subject:   pkix.Name{CommonName: cn, Organization: []string{"OPI test"}},
		NotBefore: now.Add(-time.Hour),
		NotAfter:  now.Add(24 * time.Hour),
		KeyUsage:  x509.KeyUsageDigitalSignature,
	}
}

// NewCA generates a self-signed root CA named cn.
func (p *PKI) NewCA(t T, cn string) *Identity {
	t.Helper()
	tmpl := Template(cn)
	tmpl.IsCA = true
	tmpl.BasicConstraintsValid = true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	key := p.newKey(t)
	cert := create(t, tmpl, tmpl, key.Public(), key)
	return &Identity{Cert: cert, Key: key}
}

// Issue generates a key and issues a certificate for it from issuer with
// tmpl (its serial number is filled in).
func (p *PKI) Issue(t T, issuer *Identity, tmpl *x509.Certificate) *Identity {
	t.Helper()
	key := p.newKey(t)
	cert := create(t, tmpl, issuer.Cert, key.Public(), issuer.Key)
	chain := append([]*x509.Certificate{issuer.Cert}, issuer.Chain...)
	return &Identity{Cert: cert, Key: key, Chain: chain}
}

func (p *PKI) newKey(t T) crypto.Signer {
	t.Helper()
	var (
		key crypto.Signer
		err error
	)
	switch p.Algorithm {
	case RSA:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func create(t T, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	t.Helper()
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}
