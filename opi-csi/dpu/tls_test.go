package dpu

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-cli/client"
	"github.com/opi-suite/opi/opi-kit/errdefs"
	"github.com/opi-suite/opi/opi-kit/server"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-storage-bridge/bridge"
	"github.com/opi-suite/opi/opi-storage-bridge/storagetest"
)

// pki writes a CA, a server certificate for 127.0.0.1 and a client
// certificate into dir, and returns the paths by name.
func pki(t *testing.T, dir string) map[string]string {
	t.Helper()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	out := map[string]string{"ca": write("ca.crt", "CERTIFICATE", caDER)}
	for i, leaf := range []struct {
		name  string
		usage x509.ExtKeyUsage
		ips   []net.IP
	}{{"server", x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)}}, {"client", x509.ExtKeyUsageClientAuth, nil}} {
		k := key()
		// The suite's roles are the certificate's OU: the driver writes,
		// so it is an admin.
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: "opi-csi-" + leaf.name, OrganizationalUnit: []string{"admin"}},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{leaf.usage},
			KeyUsage: x509.KeyUsageDigitalSignature, IPAddresses: leaf.ips}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(k)
		out[leaf.name+".crt"] = write(leaf.name+".crt", "CERTIFICATE", der)
		out[leaf.name+".key"] = write(leaf.name+".key", "EC PRIVATE KEY", kder)
	}
	return out
}

// TestTheClientTalksMutualTLSThroughTheSuitesDial serves the storage bridge
// with mutual TLS, as deployed, and drives it with a Client on a
// connection from opi-cli's client.Dial: with the client certificate the
// calls pass; without one the handshake fails and the call says so.
func TestTheClientTalksMutualTLSThroughTheSuitesDial(t *testing.T) {
	files := pki(t, t.TempDir())
	tg := storagetest.Sim(t)
	b, err := bridge.New(bridge.Config{StateDir: t.TempDir(), SPDKSocket: tg.Socket, Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; b.Close() })
	<-b.Synced()
	srv := servertest.StartWith(t, server.Config{Listen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0",
		TLSCert: files["server.crt"], TLSKey: files["server.key"], TLSCA: files["ca"]}, b.Services())

	conn, err := client.Dial(client.Options{Addr: srv.Server.Addr(), CAFile: files["ca"], CertFile: files["client.crt"], KeyFile: files["client.key"]})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := New(conn, AioFiles(t.TempDir()))
	v, err := c.CreateVolume(t.Context(), "pvc", Capacity{Required: MiB})
	if err != nil {
		t.Fatalf("create over mutual TLS: %v", err)
	}
	if err := c.DeleteVolume(t.Context(), v.ID); err != nil {
		t.Fatal(err)
	}

	anon, err := client.Dial(client.Options{Addr: srv.Server.Addr(), CAFile: files["ca"]})
	if err != nil {
		t.Fatal(err)
	}
	defer anon.Close()
	_, err = New(anon, AioFiles(t.TempDir())).CreateVolume(t.Context(), "pvc", Capacity{Required: MiB})
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("create without a client certificate: %v, want UNAVAILABLE (the handshake refused)", err)
	}
}
