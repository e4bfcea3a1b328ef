package bootstrap_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
)

// A request body that trickles in is cut off after ReadTimeout: the
// server closes the connection instead of holding it as long as the
// client likes.
func TestServerCutsATricklingBody(t *testing.T) {
	old := bootstrap.ReadTimeout
	bootstrap.ReadTimeout = 500 * time.Millisecond
	t.Cleanup(func() { bootstrap.ReadTimeout = old })
	f := start(t, sztptest.ECDSA)
	srv, err := bootstrap.New(f.devices, bootstrap.WithManufacturers(f.pki.Manufacturer.Cert))
	if err != nil {
		t.Fatal(err)
	}
	hs := srv.HTTPServer("", f.pki.Server(t).TLSCertificate())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.ServeTLS(ln, "", "") }()
	t.Cleanup(func() { _ = hs.Close() })

	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: f.roots, ServerName: "127.0.0.1",
		Certificates: []tls.Certificate{f.pki.Device(t, "SN-CERT").TLSCertificate()}, NextProtos: []string{"http/1.1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 60000\r\n\r\n{", sztp.GetBootstrappingDataPath, sztp.MediaType)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if _, err := conn.Write([]byte(" ")); err != nil {
			return // closed by the server
		}
	}
	t.Fatal("a trickling body still held the connection after 10 s")
}
