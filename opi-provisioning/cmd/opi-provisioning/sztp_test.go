package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"

	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

var sztpListening = regexp.MustCompile(`"msg":"SZTP bootstrap server listening".*"address":"([^"]+)"`)

// TestCommandServesSZTP runs the command with the bootstrap server's flags,
// registers a device through gRPC and bootstraps it over HTTPS.
func TestCommandServesSZTP(t *testing.T) {
	dir, bin := buildCommand(t)
	pki := sztptest.New(t, sztptest.ECDSA)
	tlsCert, tlsKey := pki.Server(t).WriteFiles(t, dir, "server")
	ownerCert, ownerKey := pki.Owner.WriteFiles(t, dir, "owner")
	masaCert, masaKey := pki.MASA.WriteFiles(t, dir, "masa")
	mfr := sztptest.WritePEM(t, dir, "manufacturer.pem", pki.Manufacturer.Cert)

	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--http-listen", "", "--state-dir", filepath.Join(dir, "state"), "--insecure-plaintext",
		"--sztp-listen", "127.0.0.1:0", "--sztp-tls-cert", tlsCert, "--sztp-tls-key", tlsKey, "--sztp-manufacturer-ca", mfr,
		"--sztp-owner-cert", ownerCert, "--sztp-owner-key", ownerKey, "--sztp-masa-cert", masaCert, "--sztp-masa-key", masaKey)
	logs, addrs, _ := startCommand(t, cmd)
	grpcAddr := addrs.GRPC
	m := sztpListening.FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatal("no bootstrap server address in the log")
	}
	conn, err := grpc.NewClient(grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err = provisioningv1.NewSztpDeviceServiceClient(conn).CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{
		SztpDeviceId: "dpu-1", SztpDevice: &provisioningv1.SztpDevice{SerialNumber: "SN-CMD",
			Assignment: &provisioningv1.SztpDevice_Redirect{Redirect: &provisioningv1.SztpRedirect{
				BootstrapServers: []*provisioningv1.SztpBootstrapServer{{Address: "192.0.2.10", Port: 8443,
					TrustAnchorCertificates: [][]byte{pki.ServerCA.Cert.Raw}}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(pki.ServerCA.Cert)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: roots, Certificates: []tls.Certificate{pki.Device(t, "SN-CMD").TLSCertificate()}}}}
	nonce := bytes.Repeat([]byte{3}, 32)
	body, _ := (&sztp.GetBootstrappingDataInput{SignedDataPreferred: true, Nonce: nonce}).Marshal()
	resp, err := hc.Post("https://"+m[1]+sztp.GetBootstrappingDataPath, sztp.MediaType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d: %s", resp.StatusCode, reply)
	}
	out, err := sztp.ParseGetBootstrappingDataOutput(reply)
	if err != nil {
		t.Fatal(err)
	}
	v, err := voucher.Verify(out.OwnershipVoucher, []*x509.Certificate{pki.Manufacturer.Cert}, time.Now())
	if err != nil || v.Check("SN-CMD", nonce, time.Now()) != nil {
		t.Fatalf("voucher %+v: %v", v, err)
	}
	ci, err := sztp.VerifyConveyedInformation(out.ConveyedInformation, pki.Owner.Cert)
	if err != nil || ci.Redirect.BootstrapServers[0].PortOrDefault() != 8443 || ci.Redirect.BootstrapServers[0].TrustAnchor == nil {
		t.Fatalf("conveyed %+v: %v", ci, err)
	}
	if !regexp.MustCompile(`"msg":"sztp bootstrapping data sent".*"serial":"SN-CMD"`).MatchString(logs.String()) {
		t.Fatal("the request is not in the audit log")
	}
}
