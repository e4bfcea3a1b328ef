package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	provisioningv1 "github.com/opi-suite/opi/opi-api/provisioning/v1"
	"github.com/opi-suite/opi/opi-kit/server/servertest"
	"github.com/opi-suite/opi/opi-kit/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/opi-suite/opi/opi-provisioning/bridge"
	"github.com/opi-suite/opi/opi-provisioning/sztp"
	"github.com/opi-suite/opi/opi-provisioning/sztp/bootstrap"
	"github.com/opi-suite/opi/opi-provisioning/sztp/sztptest"
	"github.com/opi-suite/opi/opi-provisioning/sztp/voucher"
)

func sztpClient(t *testing.T, st store.Store) (provisioningv1.SztpDeviceServiceClient, *bridge.Bridge) {
	t.Helper()
	b := bridge.New()
	if err := b.EnableSZTP(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	srv := servertest.Start(t, b.Services())
	return provisioningv1.NewSztpDeviceServiceClient(srv.Conn), b
}

func onboardingDevice(serial string) *provisioningv1.SztpDevice {
	return &provisioningv1.SztpDevice{
		SerialNumber: serial,
		Assignment: &provisioningv1.SztpDevice_Onboarding{Onboarding: &provisioningv1.SztpOnboarding{
			ConfigurationHandling: provisioningv1.SztpConfigurationHandling_SZTP_CONFIGURATION_HANDLING_MERGE,
			Configuration:         []byte("hostname dpu\n"),
		}},
		Voucher: &provisioningv1.SztpVoucherSettings{Validity: durationpb.New(time.Hour)},
	}
}

func TestSztpDeviceCRUDThroughTheRuntime(t *testing.T) {
	c, _ := sztpClient(t, store.NewMemory())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	d := onboardingDevice("SN-1")
	d.Password = "correct horse battery"
	got, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-1", SztpDevice: d})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetName() != "sztpDevices/dpu-1" || got.GetPassword() != "" {
		t.Fatalf("created %v", got)
	}
	// A retry of the same create is harmless, password included.
	if _, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-1", SztpDevice: d}); err != nil {
		t.Fatalf("retried create: %v", err)
	}
	list, err := c.ListSztpDevices(ctx, &provisioningv1.ListSztpDevicesRequest{})
	if err != nil || len(list.GetSztpDevices()) != 1 || list.GetSztpDevices()[0].GetPassword() != "" {
		t.Fatalf("list %v %v", list, err)
	}
	up, err := c.UpdateSztpDevice(ctx, &provisioningv1.UpdateSztpDeviceRequest{
		SztpDevice: &provisioningv1.SztpDevice{Name: "sztpDevices/dpu-1", Assignment: &provisioningv1.SztpDevice_Redirect{Redirect: &provisioningv1.SztpRedirect{
			BootstrapServers: []*provisioningv1.SztpBootstrapServer{{Address: "bootstrap.example.com", Port: 8443}}}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"redirect"}}})
	if err != nil || up.GetRedirect().GetBootstrapServers()[0].GetPort() != 8443 || up.GetOnboarding() != nil {
		t.Fatalf("update %v %v", up, err)
	}
	for _, tc := range []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"a second device with the same serial already exists", func() error {
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-2", SztpDevice: onboardingDevice("SN-1")})
			return err
		}, codes.AlreadyExists},
		{"a serial with a colon is invalid", func() error {
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-3", SztpDevice: onboardingDevice("SN:3")})
			return err
		}, codes.InvalidArgument},
		{"a short password is invalid", func() error {
			d := onboardingDevice("SN-4")
			d.Password = "short"
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-4", SztpDevice: d})
			return err
		}, codes.InvalidArgument},
		{"a configuration without handling is invalid", func() error {
			d := onboardingDevice("SN-5")
			d.GetOnboarding().ConfigurationHandling = 0
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-5", SztpDevice: d})
			return err
		}, codes.InvalidArgument},
		{"an image without a hash is invalid", func() error {
			d := onboardingDevice("SN-6")
			d.GetOnboarding().BootImage = &provisioningv1.SztpBootImage{OsName: "x", OsVersion: "1", DownloadUris: []string{"https://x/i"}}
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-6", SztpDevice: d})
			return err
		}, codes.InvalidArgument},
		{"an empty redirect is invalid", func() error {
			d := &provisioningv1.SztpDevice{SerialNumber: "SN-7", Assignment: &provisioningv1.SztpDevice_Redirect{Redirect: &provisioningv1.SztpRedirect{}}}
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-7", SztpDevice: d})
			return err
		}, codes.InvalidArgument},
		{"a trust anchor that is no certificate is invalid", func() error {
			d := &provisioningv1.SztpDevice{SerialNumber: "SN-8", Assignment: &provisioningv1.SztpDevice_Redirect{Redirect: &provisioningv1.SztpRedirect{
				BootstrapServers: []*provisioningv1.SztpBootstrapServer{{Address: "a", TrustAnchorCertificates: [][]byte{[]byte("x")}}}}}}
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-8", SztpDevice: d})
			return err
		}, codes.InvalidArgument},
		{"changing the serial is invalid", func() error {
			_, err := c.UpdateSztpDevice(ctx, &provisioningv1.UpdateSztpDeviceRequest{SztpDevice: &provisioningv1.SztpDevice{Name: "sztpDevices/dpu-1", SerialNumber: "SN-9"},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"serial_number"}}})
			return err
		}, codes.InvalidArgument},
		{"a missing device is not found", func() error {
			_, err := c.GetSztpDevice(ctx, &provisioningv1.GetSztpDeviceRequest{Name: "sztpDevices/none"})
			return err
		}, codes.NotFound},
		{"a device without a serial is invalid", func() error {
			_, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-10", SztpDevice: &provisioningv1.SztpDevice{}})
			return err
		}, codes.InvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := status.Code(tc.call()); got != tc.want {
				t.Fatalf("code %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := c.DeleteSztpDevice(ctx, &provisioningv1.DeleteSztpDeviceRequest{Name: "sztpDevices/dpu-1"}); err != nil {
		t.Fatal(err)
	}
	// The serial is free again.
	if _, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-2", SztpDevice: onboardingDevice("SN-1")}); err != nil {
		t.Fatalf("serial not released by delete: %v", err)
	}
}

// A device registered through the API bootstraps from the server over the
// registry, its progress shows in the API, and all of it survives a
// restart of the bridge.
func TestSztpRegistryServesTheBootstrapServer(t *testing.T) {
	pki := sztptest.New(t, sztptest.ECDSA)
	dbPath := filepath.Join(t.TempDir(), "intent.db")
	st, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	c, b := sztpClient(t, st)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	idev := pki.Device(t, "SN-42")
	d := onboardingDevice("SN-42")
	sum := sha256.Sum256(idev.Cert.Raw)
	d.IdevidSha256 = sum[:]
	if _, err := c.CreateSztpDevice(ctx, &provisioningv1.CreateSztpDeviceRequest{SztpDeviceId: "dpu-42", SztpDevice: d}); err != nil {
		t.Fatal(err)
	}
	bootstrapOnce := func(devices bootstrap.Devices) {
		t.Helper()
		srv, err := bootstrap.New(devices,
			bootstrap.WithOwner(&bootstrap.Signer{Cert: pki.Owner.Cert, Key: pki.Owner.Key, Chain: pki.Owner.Chain}),
			bootstrap.WithMASA(&bootstrap.Signer{Cert: pki.MASA.Cert, Key: pki.MASA.Key, Chain: pki.MASA.Chain}),
			bootstrap.WithManufacturers(pki.Manufacturer.Cert))
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewUnstartedServer(srv)
		ts.TLS = srv.TLSConfig(pki.Server(t).TLSCertificate())
		ts.StartTLS()
		defer ts.Close()
		roots := x509.NewCertPool()
		roots.AddCert(pki.ServerCA.Cert)
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{idev.TLSCertificate()}}}}
		nonce := bytes.Repeat([]byte{1}, 16)
		body, _ := (&sztp.GetBootstrappingDataInput{SignedDataPreferred: true, Nonce: nonce}).Marshal()
		resp, err := hc.Post(ts.URL+sztp.GetBootstrappingDataPath, sztp.MediaType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, reply)
		}
		out, err := sztp.ParseGetBootstrappingDataOutput(reply)
		if err != nil {
			t.Fatal(err)
		}
		v, err := voucher.Verify(out.OwnershipVoucher, []*x509.Certificate{pki.Manufacturer.Cert}, time.Now())
		if err != nil || v.Check("SN-42", nonce, time.Now()) != nil || v.ExpiresOn.Sub(v.CreatedOn) != time.Hour {
			t.Fatalf("voucher %+v %v", v, err)
		}
		ci, err := sztp.VerifyConveyedInformation(out.ConveyedInformation, pki.Owner.Cert)
		if err != nil || string(ci.Onboarding.Configuration) != "hostname dpu\n" {
			t.Fatalf("conveyed %+v %v", ci, err)
		}
		rp, _ := (&sztp.ReportProgressInput{ProgressType: "bootstrap-complete", Message: "ok"}).Marshal()
		resp, err = hc.Post(ts.URL+sztp.ReportProgressPath, sztp.MediaType, bytes.NewReader(rp))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("report-progress %d", resp.StatusCode)
		}
	}
	bootstrapOnce(b.Devices())
	got, err := c.GetSztpDevice(ctx, &provisioningv1.GetSztpDeviceRequest{Name: "sztpDevices/dpu-42"})
	if err != nil || len(got.GetProgressReports()) != 1 || got.GetProgressReports()[0].GetProgressType() != "bootstrap-complete" {
		t.Fatalf("progress %v %v", got, err)
	}
	// Restart: the registry is opened again from the same file.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := store.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	b2 := bridge.New()
	if err := b2.EnableSZTP(ctx, st2); err != nil {
		t.Fatal(err)
	}
	bootstrapOnce(b2.Devices())
	again, err := b2.Devices().Get(ctx, "sztpDevices/dpu-42")
	if err != nil || len(again.GetProgressReports()) != 2 {
		t.Fatalf("after restart: %v %v", again, err)
	}
	if strings.Contains(again.String(), "pbkdf2") {
		t.Fatal("the password hash leaked")
	}
}
