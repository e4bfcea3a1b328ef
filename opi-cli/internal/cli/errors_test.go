package cli

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	inventoryv1 "github.com/opi-suite/opi/opi-api/inventory/v1"
)

// TestBrokenConnectionsAreExplainedByWhatWasConfigured covers connections
// that close: the advice must follow from the flags given and the error,
// never tell a client that passed --insecure to pass --insecure, and never
// blame TLS for a service that spoke gRPC and then went away.
func TestBrokenConnectionsAreExplainedByWhatWasConfigured(t *testing.T) {
	cert, caFile := selfSigned(t)
	hangsUp := hangUpServer(t)
	for _, tc := range []struct {
		name          string
		args          []string
		want, notWant []string
	}{
		{"a plaintext client hung up on is not told to pass --insecure",
			[]string{"--addr", hangsUp, "--insecure"},
			[]string{"closed the connection"}, []string{"pass --insecure", "did not speak TLS"}},
		{"a TLS client hung up on in the handshake is not told the service spoke plaintext",
			[]string{"--addr", hangsUp},
			[]string{"closed the connection during the TLS handshake"}, []string{"pass --insecure", "did not speak TLS"}},
		{"a plaintext service that dies mid-call is reported as gone, with no TLS advice",
			[]string{"--addr", dyingServer(t, nil), "--insecure"},
			[]string{"closed the connection", "stopped or restarted"}, []string{"--insecure", "TLS"}},
		{"a TLS service that dies mid-call is reported as gone, with no TLS advice",
			[]string{"--addr", dyingServer(t, &cert), "--tls-ca", caFile},
			[]string{"closed the connection", "stopped or restarted"}, []string{"--insecure", "TLS"}},
		{"a TLS service reached with --insecure suggests dropping it",
			[]string{"--addr", tlsServer(t, cert), "--insecure"},
			[]string{"closed the connection before answering", "drop --insecure"}, []string{"pass --insecure"}},
		{"a plaintext service reached over TLS suggests --insecure",
			[]string{"--addr", serve(t, &inventoryServer{})},
			[]string{"did not speak TLS", "pass --insecure"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, false, append(tc.args, "--timeout", "5s", "inventory", "get")...)
			if code == 0 {
				t.Fatal("exit 0, want failure")
			}
			for _, w := range tc.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(errOut, w) {
					t.Errorf("stderr has %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// hangUpServer accepts connections and closes them at once, as a process
// does that is shutting down, or a port that is no gRPC service.
func hangUpServer(t *testing.T) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	go func() {
		for {
			c, err := lis.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return lis.Addr().String()
}

// dyingServer serves GetInventory by closing every connection it has
// accepted, as a service does that crashes mid-call; with cert, over TLS.
func dyingServer(t *testing.T, cert *tls.Certificate) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &trackingListener{Listener: lis}
	var opts []grpc.ServerOption
	if cert != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*cert}})))
	}
	s := grpc.NewServer(opts...)
	inventoryv1.RegisterInventoryServiceServer(s, &crashingInventory{conns: l})
	go s.Serve(l)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// tlsServer serves the inventory over TLS with cert.
func tlsServer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	inventoryv1.RegisterInventoryServiceServer(s, &inventoryServer{})
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// trackingListener remembers the connections it accepted, so a handler can
// cut them.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		l.conns = append(l.conns, c)
		l.mu.Unlock()
	}
	return c, err
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.conns {
		c.Close()
	}
}

type crashingInventory struct {
	inventoryv1.UnimplementedInventoryServiceServer
	conns *trackingListener
}

func (s *crashingInventory) GetInventory(ctx context.Context, _ *inventoryv1.GetInventoryRequest) (*inventoryv1.Inventory, error) {
	s.conns.closeAll()
	<-ctx.Done() // the answer never leaves: its connection is gone
	return nil, ctx.Err()
}

// selfSigned returns a certificate for 127.0.0.1 and a CA file that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "opi-cli test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		IsCA:        true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		writeFile(t, "ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
}
