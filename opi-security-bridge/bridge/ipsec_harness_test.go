package bridge_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	securityv1 "github.com/opi-suite/opi/opi-api/security/v1"
	"github.com/opi-suite/opi/opi-security-bridge/bridge"
	"github.com/opi-suite/opi/opi-security-bridge/internal/vici/vicitest"
	"google.golang.org/protobuf/types/known/durationpb"
)

// startIPsec serves the IPsec API for charon d, with its intent in a fresh
// store, and returns a client of it.
func startIPsec(t testing.TB, d *vicitest.Daemon) securityv1.IpsecServiceClient {
	t.Helper()
	api, _ := startIPsecBridge(t, d)
	return api
}

// startIPsecBridge is startIPsec that also returns the bridge.
func startIPsecBridge(t testing.TB, d *vicitest.Daemon) (securityv1.IpsecServiceClient, *bridge.Bridge) {
	t.Helper()
	r := serve(t, bridge.Config{StateDir: t.TempDir(), IPsec: true, VICISocket: d.Socket})
	return securityv1.NewIpsecServiceClient(r.conn), r.b
}

// side is one end of a tunnel as the API sees it.
type side struct {
	api            securityv1.IpsecServiceClient
	b              *bridge.Bridge
	d              *vicitest.Daemon
	addr, peer     string
	inner, innerTo string
}

func sides(t testing.TB, p *vicitest.Pair) (a, b side) {
	a = side{d: p.A, addr: p.AddrA, peer: p.AddrB, inner: p.InnerA, innerTo: p.InnerB}
	a.api, a.b = startIPsecBridge(t, p.A)
	b = side{d: p.B, addr: p.AddrB, peer: p.AddrA, inner: p.InnerB, innerTo: p.InnerA}
	b.api, b.b = startIPsecBridge(t, p.B)
	return a, b
}

// connection is the IkeConnection of one side of the test tunnel.
func (s side) connection(local, remote *securityv1.Authentication) *securityv1.IkeConnection {
	return &securityv1.IkeConnection{
		Version:    securityv1.IkeVersion_IKE_VERSION_IKEV2,
		LocalAddrs: []string{s.addr}, RemoteAddrs: []string{s.peer},
		Proposals:             []string{"aes128-sha256-modp2048"},
		ForceUdpEncapsulation: true, // kernel-libipsec: ESP in UDP
		DpdDelay:              durationpb.New(30 * time.Second),
		LocalAuth:             local, RemoteAuth: remote,
		Children: []*securityv1.ChildSaConfig{{
			Name: "net", LocalTs: []string{s.inner + "/32"}, RemoteTs: []string{s.innerTo + "/32"},
			EspProposals: []string{"aes128gcm16"},
		}},
	}
}

func pskAuth() *securityv1.Authentication {
	return &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PSK, PreSharedKey: "preSharedKeys/site-psk"}
}

// setupPSK creates the pre-shared key and the connection "site" on s.
func setupPSK(t testing.TB, ctx context.Context, s side) {
	t.Helper()
	if _, err := s.api.CreatePreSharedKey(ctx, &securityv1.CreatePreSharedKeyRequest{
		PreSharedKeyId: "site-psk", PreSharedKey: &securityv1.PreSharedKey{Secret: []byte("a-shared-secret-of-32-bytes-long")},
	}); err != nil {
		t.Fatalf("CreatePreSharedKey: %v", err)
	}
	if _, err := s.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{
		IkeConnectionId: "site", IkeConnection: s.connection(pskAuth(), pskAuth()),
	}); err != nil {
		t.Fatalf("CreateIkeConnection: %v", err)
	}
}

// waitUp polls the API until connection site has an ESTABLISHED IKE SA
// with an INSTALLED child, and returns it.
func waitUp(t testing.TB, ctx context.Context, s side, within time.Duration) *securityv1.IkeSa {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := s.api.ListIkeSas(ctx, &securityv1.ListIkeSasRequest{IkeConnection: "ikeConnections/site"})
		if err == nil {
			for _, sa := range resp.GetIkeSas() {
				if sa.GetState() == securityv1.IkeSaState_IKE_SA_STATE_ESTABLISHED && len(sa.GetChildSas()) > 0 &&
					sa.GetChildSas()[0].GetState() == securityv1.ChildSaState_CHILD_SA_STATE_INSTALLED {
					return sa
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no ESTABLISHED/INSTALLED SA of site within %v (last: %v, %v)\n%s", s.d.NS, within, resp, err, s.d.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ping sends one ICMP echo through the tunnel, from s's inner address.
func ping(t testing.TB, s side) {
	t.Helper()
	var out string
	var err error
	for range 3 { // the first packet can race the policy install on the peer
		if out, err = s.d.Exec("ping", "-c1", "-W2", "-I", s.inner, s.innerTo); err == nil {
			return
		}
	}
	t.Fatalf("ping %s -> %s through the tunnel: %v\n%s", s.inner, s.innerTo, err, out)
}

// pki is a CA and one certificate and key per side, made in the test.
type pki struct {
	caPEM        string
	certA, certB string
	keyA, keyB   []byte
}

func newPKI(t testing.TB) pki {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "OPI test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(cn string, serial int64) (string, []byte) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn, Organization: []string{"OPI"}},
			DNSNames:  []string{cn},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, _ := x509.MarshalECPrivateKey(key)
		return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	}
	p := pki{caPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))}
	p.certA, p.keyA = leaf("a.opi.test", 2)
	p.certB, p.keyB = leaf("b.opi.test", 3)
	return p
}

// setupX509 creates CA, certificate, private key and connection "site" on s.
func setupX509(t testing.TB, ctx context.Context, s side, caPEM, certPEM string, keyPEM []byte) {
	t.Helper()
	for id, c := range map[string]string{"ca": caPEM, "own": certPEM} {
		if _, err := s.api.CreateCertificate(ctx, &securityv1.CreateCertificateRequest{CertificateId: id, Certificate: &securityv1.Certificate{Pem: c}}); err != nil {
			t.Fatalf("CreateCertificate %s: %v", id, err)
		}
	}
	if _, err := s.api.CreatePrivateKey(ctx, &securityv1.CreatePrivateKeyRequest{PrivateKeyId: "own", PrivateKey: &securityv1.PrivateKey{Pem: keyPEM}}); err != nil {
		t.Fatalf("CreatePrivateKey: %v", err)
	}
	local := &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY, Certificate: "certificates/own", PrivateKey: "privateKeys/own"}
	remote := &securityv1.Authentication{Method: securityv1.AuthMethod_AUTH_METHOD_PUBKEY, CaCertificate: "certificates/ca"}
	if _, err := s.api.CreateIkeConnection(ctx, &securityv1.CreateIkeConnectionRequest{IkeConnectionId: "site", IkeConnection: s.connection(local, remote)}); err != nil {
		t.Fatalf("CreateIkeConnection: %v", err)
	}
}
